/**
 * The stack generator (`npm run new-stack`), run as a user runs it: from flags without a
 * terminal, and interactively in a real terminal (tmux: keys sent, the screen read). Each stack
 * file it writes is then run through the real program under the SDK's mock engine with exactly
 * the secrets it told the user to set.
 *
 * Debian package: tmux.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS } from "../../components/configKeys";
import { configProblems } from "../../scripts/configProblems";
import { PROJECT_ROOT, StackRun, TEST_SECRETS, findResource, runStack } from "../support/stackHarness";
import { EXIT_MARK, TmuxSession, tmuxAvailable } from "../support/tmux";

const GENERATOR = ["node_modules/.bin/ts-node", "--transpile-only", "scripts/new-stack.ts"];
const SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq0W5y7n3Q2b8fZ ops@palette";

interface Generated {
    status: number;
    stdout: string;
    stderr: string;
}

function generate(args: string[]): Generated {
    // stdin is not a terminal here: the generator asks nothing.
    const result = spawnSync(GENERATOR[0], [...GENERATOR.slice(1), ...args], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The keys of the `pulumi config set --stack <name> --secret <key>` lines printed. */
function printedSecrets(output: string, name: string): string[] {
    return [...output.matchAll(new RegExp(`^pulumi config set --stack ${name} --secret (\\w+)`, "gm"))].map((match) => match[1]);
}

const secretValue = (key: string) => TEST_SECRETS[key] ?? `test-value-of-${key}`;

/** Runs the generated file under mocks with exactly the printed secrets. */
function runGenerated(name: string, file: string, secrets: string[]): Promise<StackRun> {
    return runStack(name, { stackFile: file, secrets: Object.fromEntries(secrets.map((key) => [key, secretValue(key)])) });
}

function assertStackFile(file: string): Record<string, unknown> {
    const document = YAML.parse(fs.readFileSync(file, "utf8"));
    const secrets = new Set(CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key));
    const declared = new Set(CONFIG_KEYS.map((spec) => spec.key));
    for (const key of Object.keys(document.config)) {
        assert.match(key, /^palette-airgap:/);
        const bare = key.slice("palette-airgap:".length);
        assert.ok(declared.has(bare), `${bare} is not a config key`);
        assert.ok(!secrets.has(bare), `secret ${bare} is in the stack file`);
    }
    return document.config;
}

/** Each printed secret is needed: without it, loadConfig() names it. */
async function assertEverySecretNeeded(name: string, file: string, secrets: string[]): Promise<void> {
    for (const missing of secrets) {
        const rest = secrets.filter((key) => key !== missing);
        await assert.rejects(runGenerated(name, file, rest), (error: unknown) => {
            // The harness reloads the program's modules for each run: compare the class by name.
            assert.strictEqual((error as Error).name, "ConfigError", String(error));
            assert.match((error as Error).message, new RegExp(`palette-airgap:${missing}: `));
            return true;
        }, `${name} without ${missing}`);
    }
}

describe("stack generator (npm run new-stack)", function () {
    this.timeout(120000);
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-new-stack-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const harborFlags = () => [
        "--vsphereServer", "vcsa.site-a.internal", "--vsphereUser", "palette@vsphere.local", "--datacenter", "dc-a", "--cluster", "cl-1",
        "--datastore", "ds-a", "--network", "VM Network", "--ovaSource", "/srv/palette/u-2204-0-k-12510-0.ova",
        "--registryKind", "harbor", "--registryEndpoint", "harbor.site-a.internal", "--registryUsername", "robot-palette", "--registryCaFile", "/etc/pki/harbor-ca.crt",
        "--setupBinary", "/srv/palette/airgap-v4.2.13.bin", "--packBinaries", "/srv/palette/airgap-pack-cni-calico-3.25.1.bin, /srv/palette/airgap-pack-csi-vsphere-3.1.0.bin",
        "--fileServerTemplate", "ubuntu-2204-cloudinit", "--fileServerIp", "10.20.0.50/24", "--fileServerGateway", "10.20.0.1", "--fileServerDns", "10.20.0.2 10.20.0.3",
        "--fileServerSshPublicKey", SSH_PUBLIC_KEY, "--fileServerTlsCertFile", "/etc/pki/manifests.crt", "--fileServerTlsKeyFile", "/etc/pki/manifests.key",
        "--lifecycle", "lab", "--dir", dir,
    ];

    it("from flags: Harbor, static IP, SSH key, TLS and two packs; the file runs under the mock engine with exactly the printed secrets", async () => {
        const result = generate(["site-a", ...harborFlags()]);
        assert.strictEqual(result.status, 0, result.stderr);
        const file = path.join(dir, "Pulumi.site-a.yaml");
        const config = assertStackFile(file);
        assert.deepStrictEqual(config["palette-airgap:packBinaries"], ["/srv/palette/airgap-pack-cni-calico-3.25.1.bin", "/srv/palette/airgap-pack-csi-vsphere-3.1.0.bin"]);
        assert.deepStrictEqual(config["palette-airgap:fileServerDns"], ["10.20.0.2", "10.20.0.3"]);
        assert.strictEqual(config["palette-airgap:templateFolder"], undefined, "defaults are not written");
        const secrets = printedSecrets(result.stdout, "site-a");
        assert.deepStrictEqual(secrets.sort(), ["fileServerSshPrivateKey", "registryPassword", "vspherePassword"]);
        assert.match(result.stdout, /--secret fileServerSshPrivateKey < </, "the private key is read from a file, not typed");
        const steps = result.stdout.trim().split("\n");
        assert.strictEqual(steps[1], "pulumi stack select --create site-a");
        assert.deepStrictEqual(steps.slice(-2), ["pulumi preview --stack site-a", "./scripts/up.sh site-a"]);
        // The same lines are in the file's header, for whoever opens it later.
        for (const key of secrets) assert.ok(fs.readFileSync(file, "utf8").includes(`#   pulumi config set --stack site-a --secret ${key}`), key);

        const run = await runGenerated("site-a", file, secrets);
        assert.strictEqual(findResource(run, "palette-airgap:vsphere:OvaTemplateImport")[0].inputs.templateName, "r_u-2204-0-k-12510-0");
        assert.strictEqual(findResource(run, "palette-airgap:registry:HarborProject").length, 2);
        assert.match(String(run.outputs.scarUrl), /^https:\/\//);
        await assertEverySecretNeeded("site-a", file, secrets);
    });

    it("from flags: ECR in a resource pool, an https OVA mirror with a user, a Docker file server; the mirror password is asked for, no registry password", async () => {
        const result = generate([
            "ecr-b", "--vsphereServer", "10.1.0.10", "--vsphereUser", "palette@vsphere.local", "--datacenter", "dc-b", "--resourcePool", "cl-2/Resources/palette",
            "--datastore", "ds-b", "--network", "pg-palette", "--ovaSource", "https://mirror.site-b.internal/ova/u-2204-0-k-1294-0.ova", "--ovaCaFile", "/etc/pki/mirror-ca.pem", "--ovaSourceUsername", "mirror-reader",
            "--registryKind", "ecr", "--ecrRegion", "eu-central-1", "--ecrPublicImages", "false", "--setupBinary", "/srv/palette/airgap-v4.4.2.bin",
            "--fileServerMode", "docker", "--fileServerDockerHost", "ssh://ops@docker.site-b.internal", "--fileServerImage", "registry.site-b.internal/library/nginx:1.27",
            "--fileServerPort", "8080", "--dir", dir,
        ]);
        assert.strictEqual(result.status, 0, result.stderr);
        const file = path.join(dir, "Pulumi.ecr-b.yaml");
        const config = assertStackFile(file);
        assert.strictEqual(config["palette-airgap:ecrPublicImages"], false, "booleans are written as booleans");
        assert.strictEqual(config["palette-airgap:fileServerPort"], 8080, "integers as integers");
        assert.strictEqual(config["palette-airgap:cluster"], undefined);
        const secrets = printedSecrets(result.stdout, "ecr-b");
        assert.deepStrictEqual(secrets, ["vspherePassword", "ovaSourcePassword"], "the mirror's user brings its password; ECR needs no registry password");
        assert.match(result.stdout, /# optional, without an SSH agent for the ssh:\/\/ Docker host: pulumi config set --stack ecr-b --secret fileServerSshPrivateKey </);
        const run = await runGenerated("ecr-b", file, secrets);
        assert.strictEqual(findResource(run, "aws:ecr/repository:Repository").length >= 1, true);
        assert.strictEqual((run.outputs.paletteCli as Record<string, any>).packs.region, "eu-central-1");
        await assertEverySecretNeeded("ecr-b", file, secrets);
    });

    it("refuses to overwrite a stack file unless --force", () => {
        const file = path.join(dir, "Pulumi.keep.yaml");
        fs.writeFileSync(file, "config: {}\n");
        const refused = generate(["keep", ...harborFlags()]);
        assert.strictEqual(refused.status, 2);
        assert.match(refused.stderr, /Pulumi\.keep\.yaml exists; choose another name, or --force/);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "config: {}\n");
        const forced = generate(["keep", "--force", ...harborFlags()]);
        assert.strictEqual(forced.status, 0, forced.stderr);
        assert.match(fs.readFileSync(file, "utf8"), /palette-airgap:vsphereServer: vcsa\.site-a\.internal/);
    });

    it("takes no secret on the command line, and does not repeat it", () => {
        const result = generate(["leak", "--vspherePassword", "Hunter2-SECRET", "--dir", dir]);
        assert.strictEqual(result.status, 2);
        assert.match(result.stderr, /--vspherePassword: secrets are not taken here .*pulumi config set --secret vspherePassword/);
        assert.ok(!`${result.stdout}${result.stderr}`.includes("Hunter2-SECRET"));
        assert.ok(!fs.existsSync(path.join(dir, "Pulumi.leak.yaml")));
    });

    it("without a terminal, lists every missing or wrong answer at once and writes nothing", () => {
        const result = generate(["partial", "--vsphereServer", "https://vc/sdk", "--ovaSource", "images/u.ova", "--registryKind", "ecr", "--dir", dir]);
        assert.strictEqual(result.status, 2);
        for (const [key, fix] of [["vsphereServer", /no scheme/], ["ovaSource", /relative path/], ["datacenter", /is required/], ["ecrRegion", /registryKind ecr/], ["setupBinary", /is required/], ["fileServerTemplate", /fileServerMode vm/]] as const) {
            assert.match(result.stderr, new RegExp(`--${key}: .*${fix.source}`), key);
        }
        assert.ok(!fs.existsSync(path.join(dir, "Pulumi.partial.yaml")));
    });

    it("refuses a stack name that is not a name, and unknown options", () => {
        const escape = generate(["../escape", "--dir", dir]);
        assert.strictEqual(escape.status, 2);
        assert.match(escape.stderr, /"\.\.\/escape" is not a stack name/);
        assert.ok(!fs.existsSync(path.join(path.dirname(dir), "Pulumi.escape.yaml")));
        const unknown = generate(["x", "--vsphereServr", "a", "--dir", dir]);
        assert.strictEqual(unknown.status, 2);
        assert.match(unknown.stderr, /--vsphereServr is neither an option nor a config key/);
    });

    describe("in a terminal (tmux)", function () {
        let session: TmuxSession | undefined;
        before(function () {
            if (!tmuxAvailable()) {
                if (process.env.CI === "true") throw new Error("tmux is missing (tests/run-all.sh installs it)");
                console.log("    skipped: tmux is not installed (tests/run-all.sh installs it)");
                this.skip();
            }
        });
        afterEach(() => session?.close());

        /** Waits for the prompt containing `prompt` to be the last line, types `reply`, and waits for the generator to take it. */
        async function answer(prompt: string, reply: string): Promise<void> {
            const before = await session!.waitFor((screen) => lastLine(screen).includes(prompt) && lastLine(screen).endsWith(":"), `the prompt "${prompt}"`);
            session!.typeLine(reply);
            const asked = countOf(before, prompt);
            await session!.waitFor(
                (screen) => screen.includes(EXIT_MARK) || (lastLine(screen).endsWith(":") && (countOf(screen, prompt) > asked || !lastLine(screen).includes(prompt))),
                `"${prompt}" answered`,
            );
        }

        it("asks each question with its default, asks a wrong answer again with loadConfig()'s message, and writes a stack that runs", async () => {
            session = new TmuxSession(`${GENERATOR.join(" ")} site-c --dir ${dir}`, PROJECT_ROOT);
            await answer("vCenter host name or IP", "https://vcsa.site-c.internal/sdk");
            await answer("vCenter host name or IP", "vcsa.site-c.internal");
            await answer("vCenter user", "palette@vsphere.local");
            await answer("vCenter's CA certificate", "");
            await answer("Datacenter", "dc-c");
            await answer("Import into a cluster or a resource pool", "pool");
            await answer("Import into a cluster or a resource pool", "");
            await answer("Cluster", "cl-3");
            await answer("Datastore", "ds-c");
            await answer("Port group", "VM Network");
            await answer("VM folder of the templates", "");
            await answer("OS+K8s OVA", "u-2204-0-k-12510-0.ova");
            await answer("OS+K8s OVA", "/srv/ova/u-2204-0-k-12510-0.ova");
            await answer("sha256 of the OVA", "abc");
            await answer("sha256 of the OVA", "");
            await answer("Registry kind", "quay");
            await answer("Registry kind", "generic");
            await answer("Registry host", "http://registry.site-c.internal:5000");
            await answer("Registry host", "registry.site-c.internal:5000");
            await answer("Registry user", "");
            await answer("Registry user", "palette");
            await answer("Registry CA certificate", "");
            // The procedure's two registries: images on their own, with their own user.
            await answer("Images registry host", "images.site-c.internal");
            await answer("Kind of the images registry", "");
            await answer("Images registry user", "images");
            await answer("Images registry CA certificate", "");
            await answer("Airgap setup binary", "airgap-v4.2.13.bin");
            await answer("Airgap setup binary", "/srv/palette/airgap-v4.2.13.bin");
            await answer("sha256 of the setup binary", "");
            await answer("Pack binaries", "/srv/palette/calico.bin");
            await answer("Pack binaries", "/srv/palette/airgap-pack-cni-calico-3.25.1.bin");
            await answer("Manifest file server", "");
            await answer("VM template to clone", "ubuntu-2204-cloudinit");
            await answer("static address in CIDR form", "10.30.0.50");
            await answer("static address in CIDR form", "10.30.0.50/24");
            await answer("Default gateway", "10.30.0.1");
            await answer("DNS servers", "10.30.0.2");
            await answer("SSH public key", "not a key");
            await answer("SSH public key", SSH_PUBLIC_KEY);
            await answer("production (destroy keeps", "");
            assert.strictEqual(await session.exitCode(), 0, session.screen());
            const screen = session.screen();

            // Each wrong answer: exactly loadConfig()'s message for the key and that value, then the same question again.
            const site = { registryKind: "generic", fileServerMode: "vm" };
            for (const [key, value] of [
                ["vsphereServer", "https://vcsa.site-c.internal/sdk"],
                ["ovaSource", "u-2204-0-k-12510-0.ova"],
                ["ovaSha256", "abc"],
                ["registryKind", "quay"],
                ["registryEndpoint", "http://registry.site-c.internal:5000"],
                ["registryUsername", ""],
                ["setupBinary", "airgap-v4.2.13.bin"],
                ["packBinaries", ["/srv/palette/calico.bin"]],
                ["fileServerIp", "10.30.0.50"],
                ["fileServerSshPublicKey", "not a key"],
            ] as const) {
                const expected = configProblems({ ...site, [key]: value }, {}).filter((problem) => problem.key === key);
                assert.strictEqual(expected.length, 1, `${key}: loadConfig() has one message for ${JSON.stringify(value)}`);
                assert.ok(screen.includes(`  ✗ ${key}: ${expected[0].message}\n`), `${key}: the screen lacks loadConfig()'s message "${expected[0].message}"`);
            }
            assert.match(screen, /✗ placement: "pool" is not one of cluster, resourcePool/);
            assert.strictEqual(countOf(screen, "vCenter host name or IP"), 2);
            assert.match(screen, /VM folder of the templates \(created\) \[default spectro-templates\]:/);
            assert.match(screen, /Registry kind \[harbor\/ecr\/generic, default harbor\]:/);
            assert.doesNotMatch(screen, /^.*(password|private key).*:$/im, "no secret is asked");

            const file = path.join(dir, "Pulumi.site-c.yaml");
            const config = assertStackFile(file);
            assert.strictEqual(config["palette-airgap:registryKind"], "generic");
            assert.strictEqual(config["palette-airgap:cluster"], "cl-3");
            const secrets = printedSecrets(screen, "site-c");
            assert.deepStrictEqual(secrets.sort(), ["fileServerSshPrivateKey", "imageRegistryPassword", "registryPassword", "vspherePassword"]);
            const run = await runGenerated("site-c", file, secrets);
            assert.deepStrictEqual(findResource(run, "palette-airgap:registry:HarborProject"), [], "a generic registry gets no Harbor projects");
            assert.strictEqual((run.outputs.registry as Record<string, any>).packRegistry, "registry.site-c.internal:5000");
            assert.strictEqual((run.outputs.registry as Record<string, any>).imageRegistry, "images.site-c.internal");
        });

        it("writes nothing when the input ends (Ctrl-D) before the last question", async () => {
            session = new TmuxSession(`${GENERATOR.join(" ")} cut --dir ${dir}`, PROJECT_ROOT);
            await answer("vCenter host name or IP", "vcsa.site-d.internal");
            await session.waitFor((screen) => lastLine(screen).startsWith("vCenter user"), "the second prompt");
            session.keys("C-d");
            assert.strictEqual(await session.exitCode(), 2);
            assert.match(session.screen(), /input ended; nothing was written/);
            assert.ok(!fs.existsSync(path.join(dir, "Pulumi.cut.yaml")));
        });
    });
});

function lastLine(screen: string): string {
    return screen.trimEnd().split("\n").pop()!.trimEnd();
}

function countOf(text: string, fragment: string): number {
    return text.split(fragment).length - 1;
}
