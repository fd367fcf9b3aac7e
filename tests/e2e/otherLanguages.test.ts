/**
 * Other languages, as the user of another project uses the package, under the real Pulumi CLI
 * (built from Go modules by scripts/pulumi-toolchain.sh): the plugin tarball that
 * `npm run package` builds, installed with `pulumi plugin install ... --file` into the session's
 * PULUMI_HOME, then a copy of examples/yaml/ in a directory outside the checkout, its site values
 * set with `pulumi config set` (secrets with --secret, on stdin), `pulumi up` (AirgapEnvironment
 * constructed by the installed plugin through Construct) and `pulumi destroy`. Everything the
 * stack touches is a real local service (tests/e2e/support/airgapSite.ts); the vSphere and
 * Command plugins are stand-ins (tests/e2e/standins), because their Go modules are not served here.
 * One user's session: the steps run in order, each on the state the one before left.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { startSite, type AirgapSite } from "./support/airgapSite";
import { GOVMOMI_BIN } from "../support/vcsim";
import { assertSucceeded, PROJECT_ROOT, PulumiSession, requireToolchain, type CliResult } from "./support/pulumiCli";

const VERSION: string = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version;
const TEMPLATE = "r_u-2204-0-k-12510-0";
const YAML_STACK = "lab";

/** `--key value` pairs of the site's new-stack answers, as a map (lists comma-separated). */
function siteValues(site: AirgapSite, stack: string): Record<string, string> {
    const flags = site.newStackFlags(stack);
    const values: Record<string, string> = {};
    for (let i = 0; i < flags.length; i += 2) values[flags[i].replace(/^--/, "")] = flags[i + 1];
    return values;
}

/** The secrets of the site as they appear in text (the SSH key's body lines too). */
function secretFragments(site: AirgapSite): [string, string][] {
    const fragments: [string, string][] = [];
    for (const [key, secret] of Object.entries(site.secrets)) {
        fragments.push([key, secret.trim()], [key, JSON.stringify(secret.trim()).slice(1, -1)]);
        for (const line of secret.trim().split("\n").slice(1, -1)) if (line.length >= 16) fragments.push([key, line]);
    }
    return fragments;
}

describe("e2e: other languages use the installed plugin tarball under the real pulumi CLI (stand-in vsphere/command plugins: their modules are not served here)", function () {
    this.timeout(900_000);
    let site: AirgapSite;
    let session: PulumiSession;
    let failed = false;

    before(async function () {
        requireToolchain(this);
        site = await startSite();
        session = new PulumiSession({
            SSL_CERT_FILE: site.caBundle,
            NODE_EXTRA_CA_CERTS: site.caBundle,
            PALETTE_E2E_GOVC: path.join(GOVMOMI_BIN, "govc"),
        });
        session.installStandIns();
    });

    beforeEach(function () {
        if (failed) throw new Error("an earlier step of this session failed");
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") failed = true;
    });

    after(async () => {
        await session?.cleanup();
        await site?.stop();
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

    describe("Pulumi YAML: a copy of examples/yaml outside the checkout", () => {
        let project: string;
        const pulumi = (args: string[], input?: string): Promise<CliResult> => session.run([...args, "--stack", YAML_STACK], { cwd: project, input });
        const stateFile = () => path.join(session.stateDir, ".pulumi", "stacks", "palette-airgap-yaml", `${YAML_STACK}.json`);
        const fetchVersions = async (): Promise<string> => {
            const response = await fetch(`http://${site.guest.address}/roar/nickfury/versions.yaml`);
            return `${response.status} ${await response.text()}`;
        };

        before(() => {
            project = path.join(session.dir, "palette-yaml-consumer");
            fs.cpSync(path.join(PROJECT_ROOT, "examples", "yaml"), project, { recursive: true });
            assert.ok(!path.relative(PROJECT_ROOT, project).match(/^[^.]/), "the consumer project is inside the checkout");
        });

        it("pulumi config set gives every declared key the site's value (secrets --secret, on stdin); the stack file holds no secret", async () => {
            const program = YAML.parse(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8")) as { config: Record<string, { type: string; secret?: boolean }> };
            assertSucceeded(await session.run(["stack", "select", "--create", YAML_STACK], { cwd: project }), "pulumi stack select --create");
            const values = siteValues(site, YAML_STACK);
            for (const [key, declared] of Object.entries(program.config)) {
                if (declared.secret) {
                    assert.ok(key in site.secrets, `the site has no value for the secret ${key}`);
                    assertSucceeded(await pulumi(["config", "set", "--secret", key], site.secrets[key]), `pulumi config set --secret ${key}`);
                    continue;
                }
                assert.ok(key in values, `the site has no value for ${key}: the example's lab default would be used`);
                if (declared.type === "array") {
                    const items = values[key].split(",");
                    for (const [index, item] of items.entries()) assertSucceeded(await pulumi(["config", "set", "--path", `${key}[${index}]`, item]), `pulumi config set --path ${key}[${index}]`);
                } else if (declared.type === "integer") {
                    assertSucceeded(await pulumi(["config", "set", "--type", "int", key, values[key]]), `pulumi config set --type int ${key}`);
                } else {
                    assertSucceeded(await pulumi(["config", "set", key, values[key]]), `pulumi config set ${key}`);
                }
            }
            const stackFile = fs.readFileSync(path.join(project, `Pulumi.${YAML_STACK}.yaml`), "utf8");
            assert.match(stackFile, new RegExp(`palette-airgap-yaml:vsphereServer: ${values.vsphereServer.replace(/\./g, "\\.")}`));
            for (const [key, fragment] of secretFragments(site)) assert.ok(!stackFile.includes(fragment), `${key} is in the stack file in plain text`);
        });

        it("pulumi up creates an AirgapEnvironment through Construct with the installed plugin: template in vcsim, Harbor projects, pushed content, manifests served at the guest, stack outputs; no secret in the output or the state", async () => {
            const up = await pulumi(["up", "--yes", "--skip-preview"]);
            assertSucceeded(up, "pulumi up");
            assert.match(up.stdout, /\+ +palette-airgap:index:AirgapEnvironment palette creating/, `pulumi up did not construct the AirgapEnvironment:\n${up.stdout}`);
            for (const type of ["palette-airgap:vsphere:OvaTemplateImport", "palette-airgap:registry:HarborProject", "vsphere:index:VirtualMachine", "command:remote:Command"]) {
                assert.match(up.stdout, new RegExp(`\\+ +${type.replace(/[/$]/g, "\\$&")} +\\S+ +created`), `pulumi up did not create ${type}:\n${up.stdout}`);
            }
            // The engine ran the plugin installed from the tarball: this project names no plugin
            // folder, plugins are never downloaded (PulumiSession), and PULUMI_HOME holds only it.
            const state = fs.readFileSync(stateFile(), "utf8");
            const resources = (JSON.parse(state).checkpoint.latest.resources ?? []) as { type: string; urn: string }[];
            assert.ok(resources.some((resource) => resource.type === "pulumi:providers:palette-airgap"), "no palette-airgap provider in the state");
            assert.ok(resources.some((resource) => resource.type === "palette-airgap:index:AirgapEnvironment"), "no AirgapEnvironment in the state");

            const template = site.govc(["object.collect", "-json", `/DC0/vm/spectro-templates/${TEMPLATE}`, "config.template"]);
            assert.ok(template.includes("true"), `the imported VM is not a template: ${template}`);
            assert.ok(site.govc(["ls", "/DC0/vm"]).includes(`palette-manifests-${YAML_STACK}`), "no file-server VM in vcsim");
            // One registry for packs and images (the example sets no imageRegistry* key).
            assert.strictEqual(site.packs.harbor.project("spectro-packs")?.public, false);
            assert.ok(site.packs.harbor.project("spectro-images"), "no spectro-images project on the Harbor");
            const catalog = await site.packs.registry.catalog();
            assert.ok(catalog.some((repo) => repo.startsWith("spectro-packs/")), `no pack pushed: ${catalog}`);
            assert.ok(catalog.some((repo) => repo.startsWith("spectro-images/")), `no image pushed: ${catalog}`);
            assert.match(await fetchVersions(), /^200 /);

            const output = await pulumi(["stack", "output", "--json"]);
            assertSucceeded(output, "pulumi stack output");
            const outputs = JSON.parse(output.stdout);
            assert.strictEqual(outputs.templateName, TEMPLATE);
            assert.strictEqual(outputs.templateFolder, "/DC0/vm/spectro-templates");
            assert.strictEqual(outputs.scarUrl, `http://${site.guest.address}:80`);
            assert.ok(JSON.stringify(outputs.registry).includes(site.packs.endpoint), `the registry output does not name ${site.packs.endpoint}: ${JSON.stringify(outputs.registry)}`);
            assert.ok(Array.isArray(outputs.validation) && outputs.validation.every((line: string) => line.startsWith("ok ")), `validation: ${JSON.stringify(outputs.validation)}`);
            // The palette ec install answers hold the registry password: a secret output.
            assert.strictEqual(outputs.paletteCli, "[secret]");

            for (const [key, fragment] of secretFragments(site)) {
                assert.ok(!up.output.includes(fragment), `${key} is in pulumi up's output`);
                assert.ok(!output.stdout.includes(fragment), `${key} is in the stack outputs`);
                assert.ok(!state.includes(fragment), `${key} is in the state in plain text`);
            }
        });

        it("pulumi destroy leaves nothing in vcsim, the Harbor or the file server", async () => {
            const destroyed = await pulumi(["destroy", "--yes", "--skip-preview"]);
            assertSucceeded(destroyed, "pulumi destroy");
            assert.doesNotMatch(site.govc(["ls", "/DC0/vm"]), /spectro-templates|palette-manifests/);
            assert.strictEqual(site.packs.harbor.project("spectro-packs"), undefined);
            assert.strictEqual(site.packs.harbor.project("spectro-images"), undefined);
            assert.match(await fetchVersions(), /^404 /);
            const resources = JSON.parse(fs.readFileSync(stateFile(), "utf8")).checkpoint.latest?.resources ?? [];
            assert.deepStrictEqual(resources, [], "the stack still has resources");
        });
    });
});
