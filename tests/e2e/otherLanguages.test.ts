/**
 * Other languages, as the user of another project uses the package, under the real Pulumi CLI
 * (built from Go modules by scripts/pulumi-toolchain.sh): the plugin tarball that
 * `npm run package` builds, installed with `pulumi plugin install ... --file` into the session's
 * PULUMI_HOME; then, in directories outside the checkout, with the site's values set by
 * `pulumi config set` (secrets with --secret, on stdin), `pulumi up` (AirgapEnvironment
 * constructed by the installed plugin through Construct) and `pulumi destroy` of
 *
 * - Pulumi YAML: a copy of examples/yaml/;
 * - Python: a small program using the Python SDK generated from the installed plugin's schema
 *   (`pulumi package get-schema`, then pkg/v3's Python generator: the python language host built
 *   here, sdk/v3 v3.68.0, does not implement GeneratePackage, which `pulumi package gen-sdk` and
 *   `pulumi package add` call), with the Pulumi Python SDK 3.248.0 of .tools/python
 *   (scripts/python-sdk.sh) as an activated virtual environment.
 *
 * Each language gets a site of its own (tests/e2e/support/airgapSite.ts, real local services);
 * the vSphere and Command plugins are stand-ins (tests/e2e/standins), because their Go modules are
 * not served here. One user's session: the steps run in order, each on the state the one before left.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { startSite, type AirgapSite } from "./support/airgapSite";
import { GOVMOMI_BIN } from "../support/vcsim";
import { assertSucceeded, PROJECT_ROOT, PulumiSession, requireToolchain, type CliResult, stepsInOrder } from "./support/pulumiCli";

const VERSION: string = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version;
const TEMPLATE = "r_u-2204-0-k-12510-0";
const EXAMPLE = path.join(PROJECT_ROOT, "examples", "yaml");
/** scripts/python-sdk.sh: the Pulumi Python SDK and the SDK generator. */
const PYTHON_VENV = path.join(PROJECT_ROOT, ".tools", "python");

interface DeclaredConfig {
    type: "string" | "integer" | "boolean" | "array";
    items?: { type: string };
    secret?: boolean;
    default?: unknown;
}

/** The config keys examples/yaml declares (the Python program reads the same ones). */
function exampleConfig(): Record<string, DeclaredConfig> {
    return (YAML.parse(fs.readFileSync(path.join(EXAMPLE, "Pulumi.yaml"), "utf8")) as { config: Record<string, DeclaredConfig> }).config;
}

/** `--key value` pairs of the site's new-stack answers, as a map (lists comma-separated). */
function siteValues(site: AirgapSite, stack: string): Record<string, string> {
    const flags = site.newStackFlags(stack);
    const values: Record<string, string> = {};
    for (let i = 0; i < flags.length; i += 2) values[flags[i].replace(/^--/, "")] = flags[i + 1];
    return values;
}

/** The site's secrets as they could appear in text (whole, JSON-escaped, the SSH key's lines). */
function secretFragments(site: AirgapSite): [string, string][] {
    const fragments: [string, string][] = [];
    for (const [key, secret] of Object.entries(site.secrets)) {
        fragments.push([key, secret.trim()], [key, JSON.stringify(secret.trim()).slice(1, -1)]);
        for (const line of secret.trim().split("\n").slice(1, -1)) if (line.length >= 16) fragments.push([key, line]);
    }
    return fragments;
}

/** What the CLI's plugins need of a site: its CAs (as a site adds them to the system store), govc for the vSphere stand-in. */
function siteEnv(site: AirgapSite): Record<string, string> {
    return { SSL_CERT_FILE: site.caBundle, NODE_EXTRA_CA_CERTS: site.caBundle, PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc") };
}

/** The Python SDK's pieces are installed (scripts/python-sdk.sh); skips outside CI, fails in CI. */
function requirePythonSdk(context: Mocha.Context): void {
    if (["python", "pulumi-python-sdkgen"].every((name) => fs.existsSync(path.join(PYTHON_VENV, "bin", name)))) return;
    const why = `the Pulumi Python SDK is not installed (${PYTHON_VENV}): run ./scripts/python-sdk.sh`;
    if (process.env.CI === "true") throw new Error(why);
    console.warn(`    skipped: ${why}`);
    context.skip();
}

/** One consumer project in a directory outside the checkout, its stack, and the site it runs against. */
class Consumer {
    site!: AirgapSite;
    constructor(
        readonly session: () => PulumiSession,
        /** The project's directory, in the session's temporary directory (outside the checkout). */
        readonly dirName: string,
        readonly projectName: string,
        readonly stack: string,
        readonly extraEnv: () => Record<string, string> = () => ({}),
    ) {}

    get dir(): string {
        return path.join(this.session().dir, this.dirName);
    }

    run(args: string[], input?: string, command?: string): Promise<CliResult> {
        return this.session().run(args, { cwd: this.dir, input, env: { ...siteEnv(this.site), ...this.extraEnv() } }, command);
    }

    pulumi(args: string[], input?: string): Promise<CliResult> {
        return this.run([...args, "--stack", this.stack], input);
    }

    stateFile(): string {
        return path.join(this.session().stateDir, ".pulumi", "stacks", this.projectName, `${this.stack}.json`);
    }

    async fetchVersions(): Promise<string> {
        const response = await fetch(`http://${this.site.guest.address}/roar/nickfury/versions.yaml`);
        return `${response.status} ${await response.text()}`;
    }

    /** `pulumi config set` of every declared key with the site's value: lists with --path, integers with --type int, secrets with --secret on stdin. */
    async setSiteConfig(declared: Record<string, DeclaredConfig>): Promise<void> {
        assertSucceeded(await this.run(["stack", "select", "--create", this.stack]), "pulumi stack select --create");
        const values = siteValues(this.site, this.stack);
        for (const [key, config] of Object.entries(declared)) {
            if (config.secret) {
                assert.ok(key in this.site.secrets, `the site has no value for the secret ${key}`);
                assertSucceeded(await this.pulumi(["config", "set", "--secret", key], this.site.secrets[key]), `pulumi config set --secret ${key}`);
                continue;
            }
            assert.ok(key in values, `the site has no value for ${key}: the example's lab default would be used`);
            if (config.type === "array") {
                for (const [index, item] of values[key].split(",").entries()) {
                    assertSucceeded(await this.pulumi(["config", "set", "--path", `${key}[${index}]`, item]), `pulumi config set --path ${key}[${index}]`);
                }
            } else if (config.type === "integer") {
                assertSucceeded(await this.pulumi(["config", "set", "--type", "int", key, values[key]]), `pulumi config set --type int ${key}`);
            } else {
                assertSucceeded(await this.pulumi(["config", "set", key, values[key]]), `pulumi config set ${key}`);
            }
        }
        const stackFile = fs.readFileSync(path.join(this.dir, `Pulumi.${this.stack}.yaml`), "utf8");
        assert.ok(stackFile.includes(`${this.projectName}:vsphereServer: ${values.vsphereServer}`), `the stack file lacks the site's vsphereServer:\n${stackFile}`);
        for (const [key, fragment] of secretFragments(this.site)) assert.ok(!stackFile.includes(fragment), `${key} is in the stack file in plain text`);
    }

    /** pulumi up, then what it must have made: the resources, their effects on the site, the outputs; no secret in output or state. */
    async upAndCheck(): Promise<void> {
        const { site } = this;
        const up = await this.pulumi(["up", "--yes", "--skip-preview"]);
        assertSucceeded(up, "pulumi up");
        assert.match(up.stdout, /\+ +palette-airgap:index:AirgapEnvironment palette creating/, `pulumi up did not construct the AirgapEnvironment:\n${up.stdout}`);
        for (const type of ["palette-airgap:vsphere:OvaTemplateImport", "palette-airgap:registry:HarborProject", "vsphere:index:VirtualMachine", "command:remote:Command"]) {
            assert.match(up.stdout, new RegExp(`\\+ +${type.replace(/[/$]/g, "\\$&")} +\\S+ +created`), `pulumi up did not create ${type}:\n${up.stdout}`);
        }
        // The engine ran the plugin installed from the tarball: the project names no plugin folder,
        // plugins are never downloaded (PulumiSession), and PULUMI_HOME holds only it and the stand-ins.
        const state = fs.readFileSync(this.stateFile(), "utf8");
        const resources = (JSON.parse(state).checkpoint.latest.resources ?? []) as { type: string }[];
        assert.ok(resources.some((resource) => resource.type === "pulumi:providers:palette-airgap"), "no palette-airgap provider in the state");
        assert.ok(resources.some((resource) => resource.type === "palette-airgap:index:AirgapEnvironment"), "no AirgapEnvironment in the state");

        const template = site.govc(["object.collect", "-json", `/DC0/vm/spectro-templates/${TEMPLATE}`, "config.template"]);
        assert.ok(template.includes("true"), `the imported VM is not a template: ${template}`);
        assert.ok(site.govc(["ls", "/DC0/vm"]).includes(`palette-manifests-${this.stack}`), "no file-server VM in vcsim");
        // One registry for packs and images (no imageRegistry* key is set).
        assert.strictEqual(site.packs.harbor.project("spectro-packs")?.public, false);
        assert.ok(site.packs.harbor.project("spectro-images"), "no spectro-images project on the Harbor");
        const catalog = await site.packs.registry.catalog();
        assert.ok(catalog.some((repo) => repo.startsWith("spectro-packs/")), `no pack pushed: ${catalog}`);
        assert.ok(catalog.some((repo) => repo.startsWith("spectro-images/")), `no image pushed: ${catalog}`);
        assert.match(await this.fetchVersions(), /^200 /);

        const output = await this.pulumi(["stack", "output", "--json"]);
        assertSucceeded(output, "pulumi stack output");
        const outputs = JSON.parse(output.stdout);
        assert.strictEqual(outputs.templateName, TEMPLATE);
        assert.strictEqual(outputs.templateFolder, "/DC0/vm/spectro-templates");
        assert.strictEqual(outputs.scarUrl, `http://${site.guest.address}:80`);
        // Python exports the SDK's typed output object, whose keys are snake_case.
        const registry = Object.fromEntries(Object.entries<unknown>(outputs.registry ?? {}).map(([key, value]) => [key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), value]));
        assert.strictEqual(registry.packRegistry, site.packs.endpoint, `registry: ${JSON.stringify(outputs.registry)}`);
        assert.strictEqual(registry.imageRegistry, site.packs.endpoint, `registry: ${JSON.stringify(outputs.registry)}`);
        assert.strictEqual(registry.packBase, "spectro-packs");
        assert.strictEqual(registry.imageBase, "spectro-images");
        assert.ok(Array.isArray(outputs.validation) && outputs.validation.length > 0 && outputs.validation.every((line: string) => line.startsWith("ok ")), `validation: ${JSON.stringify(outputs.validation)}`);
        // The palette ec install answers hold the registry password: a secret output.
        assert.strictEqual(outputs.paletteCli, "[secret]");

        for (const [key, fragment] of secretFragments(site)) {
            assert.ok(!up.output.includes(fragment), `${key} is in pulumi up's output`);
            assert.ok(!output.stdout.includes(fragment), `${key} is in the stack outputs`);
            assert.ok(!state.includes(fragment), `${key} is in the state in plain text`);
        }
    }

    /** pulumi destroy, then nothing left (as the README Quick start's destroy). */
    async destroyAndCheck(): Promise<void> {
        const { site } = this;
        const destroyed = await this.pulumi(["destroy", "--yes", "--skip-preview"]);
        assertSucceeded(destroyed, "pulumi destroy");
        assert.doesNotMatch(site.govc(["ls", "/DC0/vm"]), /spectro-templates|palette-manifests/);
        assert.strictEqual(site.packs.harbor.project("spectro-packs"), undefined);
        assert.strictEqual(site.packs.harbor.project("spectro-images"), undefined);
        assert.match(await this.fetchVersions(), /^404 /);
        const resources = JSON.parse(fs.readFileSync(this.stateFile(), "utf8")).checkpoint.latest?.resources ?? [];
        assert.deepStrictEqual(resources, [], "the stack still has resources");
    }
}

/** The Python program: every key examples/yaml declares, read from config, into an AirgapEnvironment. */
function pythonProgram(declared: Record<string, DeclaredConfig>): string {
    const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const read = (key: string, config: DeclaredConfig) =>
        config.secret ? `config.require_secret("${key}")` : config.type === "array" ? `config.require_object("${key}")` : config.type === "integer" ? `config.require_int("${key}")` : `config.require("${key}")`;
    return [
        '"""An air-gap environment from Python: palette-airgap\'s AirgapEnvironment, constructed by the plugin."""',
        "import pulumi",
        "import pulumi_palette_airgap as palette",
        "",
        "config = pulumi.Config()",
        "env = palette.AirgapEnvironment(",
        '    "palette",',
        "    lifecycle=palette.Lifecycle.LAB,",
        "    registry_kind=palette.RegistryKind.HARBOR,",
        ...Object.entries(declared).map(([key, config]) => `    ${snake(key)}=${read(key, config)},`),
        ")",
        ...["scarUrl", "templateFolder", "templateName", "registry", "validation", "paletteCli"].map((output) => `pulumi.export("${output}", env.${snake(output)})`),
        "",
    ].join("\n");
}

describe("e2e: other languages use the installed plugin tarball under the real pulumi CLI (stand-in vsphere/command plugins: their modules are not served here)", function () {
    this.timeout(900_000);
    let session: PulumiSession;

    before(function () {
        requireToolchain(this);
        session = new PulumiSession();
        session.installStandIns();
    });

    const steps = stepsInOrder();

    after(async () => {
        await session?.cleanup();
    });

    it(`npm run package builds the tarball; pulumi plugin install resource palette-airgap ${VERSION} --file installs it into PULUMI_HOME and plugin ls lists it`, async () => {
        const out = path.join(session.dir, "package");
        const packaged = await session.run(["run", "--silent", "package", "--", out], { cwd: PROJECT_ROOT }, "npm");
        assertSucceeded(packaged, "npm run package");
        const tarball = path.join(out, `pulumi-resource-palette-airgap-v${VERSION}-linux-amd64.tar.gz`);
        assert.ok(fs.existsSync(tarball), `no ${tarball}:\n${packaged.output}`);

        const installed = await session.run(["plugin", "install", "resource", "palette-airgap", VERSION, "--file", tarball], { cwd: session.dir });
        assertSucceeded(installed, "pulumi plugin install --file");
        const executable = path.join(session.home, "plugins", `resource-palette-airgap-v${VERSION}`, "pulumi-resource-palette-airgap");
        assert.ok(fs.statSync(executable).mode & 0o111, `${executable} is not an installed executable`);

        const listed = await session.run(["plugin", "ls", "--json"], { cwd: session.dir });
        assertSucceeded(listed, "pulumi plugin ls");
        const plugins = JSON.parse(listed.stdout) as { name: string; kind: string; version: string }[];
        assert.ok(
            plugins.some((plugin) => plugin.name === "palette-airgap" && plugin.kind === "resource" && plugin.version === VERSION),
            `pulumi plugin ls does not list resource palette-airgap ${VERSION}:\n${listed.stdout}`,
        );
    });

    describe("Pulumi YAML: a copy of examples/yaml outside the checkout, against a site of its own", () => {
        const consumer = new Consumer(() => session, "yaml-consumer", "palette-airgap-yaml", "lab");

        before(async function () {
            if (steps.failed) return;
            consumer.site = await startSite();
            fs.cpSync(EXAMPLE, consumer.dir, { recursive: true });
        });

        after(async () => {
            await consumer.site?.stop();
        });

        it("pulumi config set gives every key the example declares the site's value (secrets --secret, on stdin); the stack file holds no secret", async () => {
            await consumer.setSiteConfig(exampleConfig());
        });

        it("pulumi up creates an AirgapEnvironment through Construct with the installed plugin: template in vcsim, Harbor projects, pushed content, manifests served at the guest, stack outputs; no secret in the output or the state", async () => {
            await consumer.upAndCheck();
        });

        it("pulumi destroy leaves nothing in vcsim, the Harbor or the file server", async () => {
            await consumer.destroyAndCheck();
        });
    });

    describe("Python: a program using the SDK generated from the installed plugin, against a site of its own", () => {
        const sitePackages = () => path.join(session.dir, "python-site-packages");
        const consumer = new Consumer(() => session, "python-consumer", "palette-airgap-python", "py", () => ({
            // The virtual environment, activated (the python host of sdk/v3 v3.68.0 does not read
            // the runtime's virtualenv option from a 3.248 CLI), and the generated SDK.
            PATH: `${path.join(PYTHON_VENV, "bin")}:${session.env.PATH}`,
            VIRTUAL_ENV: PYTHON_VENV,
            PYTHONPATH: sitePackages(),
            PYTHONDONTWRITEBYTECODE: "1",
        }));

        before(async function () {
            if (steps.failed) return;
            requirePythonSdk(this);
            consumer.site = await startSite();
            fs.mkdirSync(consumer.dir);
        });

        after(async () => {
            await consumer.site?.stop();
        });

        it("the Python SDK generated from the installed plugin's schema (pulumi package get-schema) installs offline and imports", async () => {
            const schema = await consumer.run(["package", "get-schema", `palette-airgap@${VERSION}`]);
            assertSucceeded(schema, "pulumi package get-schema");
            assert.strictEqual(JSON.parse(schema.stdout).version, VERSION);
            const schemaFile = path.join(session.dir, "palette-airgap-schema.json");
            fs.writeFileSync(schemaFile, schema.stdout);
            const sdk = path.join(session.dir, "python-sdk");
            assertSucceeded(await consumer.run([schemaFile, sdk], undefined, path.join(PYTHON_VENV, "bin", "pulumi-python-sdkgen")), "pulumi-python-sdkgen");
            // Without its dependencies (the vSphere, Command, Docker and AWS SDKs: the plugin, not
            // Python, registers those resources) and without the network.
            const pip = await consumer.run(["install", "--disable-pip-version-check", "--no-deps", "--no-index", "--no-build-isolation", "--target", sitePackages(), sdk], undefined, path.join(PYTHON_VENV, "bin", "pip"));
            assertSucceeded(pip, "pip install of the generated SDK");
            const imported = await consumer.run(["-c", "import importlib.metadata as m, pulumi_palette_airgap as p; print(m.version('pulumi_palette_airgap'), m.version('pulumi'), p.AirgapEnvironment.__name__)"], undefined, path.join(PYTHON_VENV, "bin", "python"));
            assertSucceeded(imported, "python -c 'import pulumi_palette_airgap'");
            assert.strictEqual(imported.stdout.trim(), `${VERSION} 3.248.0 AirgapEnvironment`);
        });

        it("the program's Pulumi.yaml declares the keys of examples/yaml; pulumi config set gives each the site's value (secrets --secret, on stdin); the stack file holds no secret", async () => {
            const declared = Object.fromEntries(
                Object.entries(exampleConfig()).map(([key, config]) => [key, { type: config.type, ...(config.items ? { items: config.items } : {}), ...(config.secret ? { secret: true } : {}) }]),
            );
            fs.writeFileSync(
                path.join(consumer.dir, "Pulumi.yaml"),
                YAML.stringify({ name: consumer.projectName, runtime: "python", description: "A Palette air-gap environment from Python, with the SDK generated from the palette-airgap plugin.", config: declared }),
            );
            fs.writeFileSync(path.join(consumer.dir, "__main__.py"), pythonProgram(declared));
            await consumer.setSiteConfig(declared);
        });

        it("pulumi up creates an AirgapEnvironment through Construct with the installed plugin: template in vcsim, Harbor projects, pushed content, manifests served at the guest, stack outputs; no secret in the output or the state", async () => {
            await consumer.upAndCheck();
        });

        it("pulumi destroy leaves nothing in vcsim, the Harbor or the file server", async () => {
            await consumer.destroyAndCheck();
        });
    });
});
