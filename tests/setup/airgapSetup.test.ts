/**
 * AirgapSetup, PackUploads and OciRegistry (generic kind) instantiated under the SDK's mock
 * engine; the mock provider of command.local.Command does what the real one does: it runs the
 * registered `create` with the registered `interpreter` (bash) and `environment`, here against a
 * real registry (docker-registry with TLS and htpasswd) with fake makeself setup and pack
 * binaries that push with skopeo. So the outputs (manifests zip, version, attempts) come from
 * real runs, and the ordering (packs after the setup, at most N at once) is the one the engine
 * derives from the registered dependencies.
 *
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo, makeself, zip, unzip, jq.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { OciRegistrySettings, SetupSettings } from "../../components/config";
import { parsePackBinary } from "../../components/names";
import { OciRegistry } from "../../components/registry/ociRegistry";
import { AirgapSetup } from "../../components/setup/airgapSetup";
import { REGISTRY_PASSWORD_ENV, binarySha256, canonicalJson } from "../../components/setup/binaryCommand";
import { PackUploads } from "../../components/setup/packUploads";
import { PREFLIGHT_SKIP_ENV, runFileServerPreflight, runPreflight } from "../../components/setup/runPreflight";
import { RESULT_PREFIX, parseRunResult } from "../../components/setup/runScript";
import { setupEnvironment } from "../../components/setup/setupEnvironment";
import { Registration, byType, one, runComponents, valueOf, withoutSecrets } from "../support/componentMocks";
import { DEFAULT_IMAGES, DEFAULT_PACKS, FakeBinary, buildFakePackBinary, buildFakeSetupBinary } from "../support/makeselfBinaries";
import { startRegistry, TestRegistry } from "../support/registry";
import { RunRecord, executingMock, runCommand, skipUnlessSetupToolsAvailable } from "../support/commandRuns";

const COMMAND = "command:local:Command";
const EXTRA_PACKS = [
    { name: "csi-longhorn", version: "1.4.1" },
    { name: "vault", version: "0.24.1" },
    { name: "lb-metallb-helm", version: "0.13.10" },
];


describe("AirgapSetup, PackUploads and OciRegistry under the SDK's mock engine, their commands run with bash against a real registry", function () {
    this.timeout(180_000);
    let registry: TestRegistry;
    let base: string;
    let previousCache: string | undefined;
    let setupBin: FakeBinary;
    let packBins: FakeBinary[];
    let cases = 0;

    before(async function () {
        skipUnlessSetupToolsAvailable(this);
        registry = await startRegistry();
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette airgap setup "));
        previousCache = process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        process.env.PALETTE_AIRGAP_DIGEST_CACHE = path.join(base, "digests.json");
        const bins = path.join(base, "bins");
        setupBin = buildFakeSetupBinary({ outDir: bins, manifestsDir: path.join(base, "manifests") });
        fs.mkdirSync(path.join(base, "manifests"));
        // Each pack waits a second before its push, so that runs allowed to overlap do.
        packBins = EXTRA_PACKS.map((pack) => buildFakePackBinary(pack, { outDir: bins, faults: { sleepBeforePush: 1 } }));
    });

    after(async function () {
        if (previousCache === undefined) {
            delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        } else {
            process.env.PALETTE_AIRGAP_DIGEST_CACHE = previousCache;
        }
        await registry?.stop();
        if (base) {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });

    function workDir(): string {
        cases += 1;
        return path.join(base, `work ${cases}`);
    }

    function registrySettings(): OciRegistrySettings {
        return {
            kind: "generic",
            endpoint: registry.endpoint,
            username: registry.username,
            password: pulumi.secret(registry.password),
            caFile: registry.caFile,
            insecure: false,
            packBase: "spectro-packs",
            imageBase: "spectro-images",
            allowDeleteNonEmpty: false,
            protectContent: true,
        };
    }

    /** The program: registry, setup run, pack runs, wired as the lead wires them. */
    function declare(setup: SetupSettings, concurrency = 2) {
        const oci = new OciRegistry("registry", { registry: registrySettings() });
        const common = {
            ...oci.runArgs,
            loginTool: "skopeo" as const,
            retryDelaySeconds: 0,
        };
        const airgap = new AirgapSetup("setup", { setup, ...common });
        const packs = new PackUploads("packs", { packBinaries: setup.packBinaries, workDir: setup.workDir, after: airgap, concurrency, ...common });
        return { oci, airgap, packs };
    }

    function settingsFor(binary: string, packs: FakeBinary[], work = workDir()): SetupSettings {
        return { binary, packBinaries: packs.map((p) => parsePackBinary(p.path)), workDir: work, loginTool: "skopeo", maxAttempts: 3, attemptTimeoutMinutes: 240, packConcurrency: 2, minFreeGb: 30 };
    }

    it("runs the setup then every pack, pushing under the right bases, at most 2 packs at once; outputs come from the result line", async function () {
        const runs: RunRecord[] = [];
        const setup = settingsFor(setupBin.path, packBins);
        const { value, registrations } = await runComponents(() => declare(setup, 2), executingMock(runs));

        const catalog = await registry.catalog();
        for (const pack of [...DEFAULT_PACKS, ...EXTRA_PACKS]) {
            assert.ok(catalog.includes(`spectro-packs/${pack.name}`), `spectro-packs/${pack.name} in ${catalog}`);
            assert.deepStrictEqual(await registry.tags(`spectro-packs/${pack.name}`), [pack.version]);
        }
        for (const image of DEFAULT_IMAGES) {
            const [name, tag] = image.split(/:(?=[^:/]+$)/);
            assert.ok(catalog.includes(`spectro-images/${name}`), `spectro-images/${name} in ${catalog}`);
            assert.deepStrictEqual(await registry.tags(`spectro-images/${name}`), [tag]);
        }

        const zip = await valueOf(value.airgap.manifestsZip);
        assert.ok(zip && fs.existsSync(zip) && /spectro-manifests-\d+\.zip$/.test(zip), `manifests zip ${zip}`);
        assert.strictEqual(await valueOf(value.airgap.version), "4.0.17");
        assert.strictEqual(await valueOf(value.airgap.attempts), 1);
        const log = await valueOf(value.airgap.logFile);
        assert.strictEqual(path.dirname(log!), path.join(setup.workDir, "runs", "test", "logs"));
        assert.strictEqual(value.airgap.logDir, path.join(setup.workDir, "runs", "test", "logs"));
        const summary = await valueOf(value.packs.summary);
        assert.deepStrictEqual(summary.map((s) => [s.name, s.version, s.attempts]), EXTRA_PACKS.map((p) => [p.name, p.version, 1]));

        // Resource names and order: the setup first, then the packs, never more than 2 at once.
        const commands = byType(registrations, COMMAND);
        assert.deepStrictEqual(commands.map((c) => c.name).sort(), ["pack-csi-longhorn-1.4.1", "pack-lb-metallb-helm-0.13.10", "pack-vault-0.24.1", "setup-run"]);
        const setupRun = runs.find((r) => r.name === "setup-run")!;
        const packRuns = runs.filter((r) => r.name.startsWith("pack-"));
        assert.strictEqual(packRuns.length, 3);
        assert.ok(packRuns.every((r) => r.start >= setupRun.end), "every pack starts after the setup run ended");
        assert.strictEqual(maxOverlap(packRuns), 2, `two lanes: ${JSON.stringify(packRuns.map((r) => [r.name, r.start, r.end]))}`);
        const third = packRuns.find((r) => r.name === "pack-lb-metallb-helm-0.13.10")!;
        const first = packRuns.find((r) => r.name === "pack-csi-longhorn-1.4.1")!;
        assert.ok(third.start >= first.end, "pack 3 waits for pack 1 (same lane)");
        const setupUrn = one(registrations, COMMAND, "setup-run").urn;
        for (const pack of commands.filter((c) => c.name.startsWith("pack-"))) {
            assert.ok(pack.dependencies.includes(setupUrn), `${pack.name} depends on the setup run`);
        }
        assert.ok(one(registrations, COMMAND, "pack-lb-metallb-helm-0.13.10").dependencies.includes(one(registrations, COMMAND, "pack-csi-longhorn-1.4.1").urn));

        // Parents: commands under their components.
        const parentType = (r: Registration) => registrations.find((p) => p.urn === r.parent)?.type;
        assert.strictEqual(parentType(one(registrations, COMMAND, "setup-run")), "palette-airgap:setup:AirgapSetup");
        assert.ok(commands.filter((c) => c.name.startsWith("pack-")).every((c) => parentType(c) === "palette-airgap:setup:PackUploads"));
        assert.ok(runs.every((r) => !r.stdout.includes(registry.password) && !r.stderr.includes(registry.password)), "no output holds the password");
    });

    it("in preview nothing runs: the commands are registered with their scripts and the results are unknown", async function () {
        const runs: RunRecord[] = [];
        const setup = settingsFor(setupBin.path, packBins);
        const { value, registrations } = await runComponents(() => declare(setup), {
            preview: true,
            newResource: (args) => ({ id: undefined, state: { ...args.inputs } }),
        });
        assert.strictEqual(runs.length, 0);
        const commands = byType(registrations, COMMAND);
        assert.strictEqual(commands.length, 4, "preview lists the setup run and each pack");
        assert.ok(commands.every((c) => typeof c.inputs.create === "string" && c.inputs.create.startsWith("#!/usr/bin/env bash")));
        assert.strictEqual(await valueOf(value.airgap.manifestsZip), undefined);
        assert.strictEqual(await valueOf(value.airgap.attempts), undefined);
        assert.ok(!fs.existsSync(path.join(setup.workDir, "runs")), "nothing ran");
    });

    it("registers the password as a secret in the environment only: never in the script or any other input", async function () {
        const setup = settingsFor(setupBin.path, packBins);
        const { registrations } = await runComponents(() => declare(setup));
        const commands = byType(registrations, COMMAND);
        assert.strictEqual(commands.length, 4);
        for (const c of commands) {
            assert.deepStrictEqual(c.secretPaths, [`environment.${REGISTRY_PASSWORD_ENV}`], c.name);
            assert.strictEqual(c.inputs.environment[REGISTRY_PASSWORD_ENV], registry.password);
            assert.ok(!(c.inputs.create as string).includes(registry.password), `${c.name}: script text`);
            assert.ok(!JSON.stringify(withoutSecrets(c.wireInputs)).includes(registry.password), `${c.name}: plain inputs`);
            assert.deepStrictEqual(c.inputs.interpreter, ["/bin/bash", "-c"]);
            assert.strictEqual(c.inputs.logging, "stderr");
            assert.strictEqual(c.inputs.addPreviousOutputInEnv, false);
            assert.strictEqual(c.inputs.delete, undefined, "uploads are not undone");
            assert.match(c.inputs.update, /not uploading again/, "an update (e.g. a rotated password) reports the last result instead of re-running the binary");
            assert.ok(!(c.inputs.update as string).includes(registry.password));
            assert.match(c.inputs.create, new RegExp(`\\$\\{${REGISTRY_PASSWORD_ENV}-\\}`), "the script reads the variable");
        }
        const setupRun = one(registrations, COMMAND, "setup-run");
        const target = { kind: "oci", imageRegistry: registry.endpoint, imageBase: "spectro-images", packRegistry: registry.endpoint, packBase: "spectro-packs" };
        assert.deepStrictEqual(setupRun.inputs.triggers, [sha256Of(setupBin.path), canonicalJson(target)]);
        const vault = one(registrations, COMMAND, "pack-vault-0.24.1");
        assert.deepStrictEqual(vault.inputs.triggers, [sha256Of(packBins[1].path), canonicalJson(target)]);
        for (const [name, value] of Object.entries(setupEnvironment(target as never))) {
            assert.ok(setupRun.inputs.create.includes(`export ${name}=`) && setupRun.inputs.create.includes(value));
        }
    });

    it("unchanged inputs register identical commands (no re-run); a changed binary changes only its own trigger", async function () {
        const bins = path.join(base, "changing bins");
        const setupBinary = buildFakeSetupBinary({ outDir: bins });
        const packs = EXTRA_PACKS.slice(0, 2).map((pack) => buildFakePackBinary(pack, { outDir: bins }));
        const setup = settingsFor(setupBinary.path, packs);
        const commandsOf = async () => {
            const { registrations } = await runComponents(() => declare(setup));
            return Object.fromEntries(byType(registrations, COMMAND).map((c) => [c.name, c]));
        };
        const first = await commandsOf();
        const second = await commandsOf();
        assert.deepStrictEqual(Object.keys(second).sort(), Object.keys(first).sort());
        for (const name of Object.keys(first)) {
            assert.deepStrictEqual(second[name].wireInputs, first[name].wireInputs, `${name}: same inputs, nothing to update`);
        }

        // New content at the same path: same script, new sha256 (a trigger: replacement, so a re-run).
        buildFakeSetupBinary({ outDir: bins, faults: { noManifestsLine: true } });
        buildFakePackBinary(EXTRA_PACKS[1], { outDir: bins, faults: { sleepBeforePush: 1 } });
        const third = await commandsOf();
        assert.strictEqual(third["setup-run"].inputs.create, first["setup-run"].inputs.create, "the script does not change");
        assert.notStrictEqual(third["setup-run"].inputs.triggers[0], first["setup-run"].inputs.triggers[0]);
        assert.strictEqual(third["setup-run"].inputs.triggers[0], sha256Of(setupBinary.path));
        assert.strictEqual(third["setup-run"].inputs.triggers[1], first["setup-run"].inputs.triggers[1]);
        assert.notStrictEqual(third["pack-vault-0.24.1"].inputs.triggers[0], first["pack-vault-0.24.1"].inputs.triggers[0]);
        assert.deepStrictEqual(third["pack-csi-longhorn-1.4.1"].wireInputs, first["pack-csi-longhorn-1.4.1"].wireInputs, "the unchanged pack is untouched");
    });

    it("a setup binary failing at push 3 succeeds on its retry, after a fresh login (attempts 2)", async function () {
        const runs: RunRecord[] = [];
        const binary = buildFakeSetupBinary({ outDir: path.join(base, "flaky bins"), manifestsDir: path.join(base, "manifests"), faults: { failAtPush: 3, failRuns: 1 } });
        const { value } = await runComponents(() => declare(settingsFor(binary.path, [])), executingMock(runs));
        assert.strictEqual(await valueOf(value.airgap.attempts), 2);
        assert.strictEqual(fs.readFileSync(binary.counterFile, "utf8").trim(), "2");
        assert.match(runs[0].stdout, /attempt 1 failed: exit code 1; retrying/);
        assert.match(runs[0].stdout, /simulated failure at push 3 \(run 1\)/);
        assert.strictEqual(runs.length, 1, "no pack binaries: one command");
    });

    it("exit 0 without a Setup Completed line fails the registered command", async function () {
        const binary = buildFakeSetupBinary({ outDir: path.join(base, "incomplete bins"), manifestsDir: path.join(base, "manifests"), faults: { noCompleted: true } });
        const { registrations } = await runComponents(() => declare(settingsFor(binary.path, [])));
        const outcome = await runCommand("setup-run", one(registrations, COMMAND, "setup-run").inputs);
        assert.strictEqual(outcome.status, 1, outcome.stdout + outcome.stderr);
        assert.strictEqual(fs.readFileSync(binary.counterFile, "utf8").trim(), "3", "three attempts (the default)");
        assert.match(outcome.stderr, /FAILED: failed after 3 attempt\(s\): no "Setup Completed" line/);
        assert.ok(!outcome.stdout.includes(RESULT_PREFIX));
        assert.throws(() => parseRunResult(outcome.stdout), /no "PALETTE_AIRGAP_RESULT" line/);
    });

    it("a missing binary fails at program time, naming its config key; a wrong sha256 pin fails naming setupBinarySha256", async function () {
        const missing = path.join(base, "nowhere", "airgap-v4.2.13.bin");
        await assert.rejects(
            runComponents(() => declare(settingsFor(missing, []))),
            (error: Error) => pulumi.RunError.isInstance(error) && error.message.startsWith(`setupBinary: ${missing} does not exist`),
        );
        const missingPack = { path: path.join(base, "nowhere", "airgap-pack-vault-0.24.1.bin"), counterFile: "", packs: [], images: [] };
        await assert.rejects(
            runComponents(() => declare(settingsFor(setupBin.path, [packBins[0], missingPack]))),
            (error: Error) => pulumi.RunError.isInstance(error) && error.message.startsWith(`packBinaries[1]: ${missingPack.path} does not exist`),
        );
        await assert.rejects(
            runComponents(() => declare({ ...settingsFor(setupBin.path, [...packBins, packBins[0]]) })),
            /packBinaries\[3\]: .* is pack csi-longhorn 1\.4\.1 again \(also packBinaries\[0\]\)/,
        );
        await assert.rejects(
            runComponents(() => declare(settingsFor(setupBin.path, packBins), 0)),
            /packConcurrency: 0 is not a whole number of at least 1/,
        );
        const pinned = "0".repeat(64);
        await assert.rejects(valueOf(binarySha256(setupBin.path, "setupBinary", pinned, "setupBinarySha256")), (error: Error) =>
            error.message.startsWith(`setupBinarySha256: ${setupBin.path} has sha256 ${sha256Of(setupBin.path)}, expected ${pinned}`),
        );
        assert.strictEqual(await valueOf(binarySha256(setupBin.path, "setupBinary", sha256Of(setupBin.path).toUpperCase())), sha256Of(setupBin.path));
    });

    describe("runPreflight (program time, before any resource)", function () {
        const options = { loginTool: "skopeo" as const, binaryTools: ["skopeo"], minFreeGb: 0, env: {} };

        it(`is skipped with ${PREFLIGHT_SKIP_ENV}=1`, async function () {
            const setup = settingsFor(path.join(base, "nowhere.bin"), []);
            assert.strictEqual(await runPreflight({ registry: registrySettings(), setup }, { ...options, env: { [PREFLIGHT_SKIP_ENV]: "1" } }), "skipped");
        });

        it("a skipped preflight warns the user through the engine's log, and prints nothing under the mock engine (quiet tests)", async function () {
            const setup = settingsFor(path.join(base, "nowhere.bin"), []);
            const warnings: string[] = [];
            await runPreflight({ registry: registrySettings(), setup }, { ...options, env: { [PREFLIGHT_SKIP_ENV]: "1" }, warn: async (m) => void warnings.push(m) });
            assert.strictEqual(warnings.length, 1);
            assert.match(warnings[0], /preflight skipped \(PALETTE_AIRGAP_SKIP_PREFLIGHT=1\): tools, disk space, binaries and registry were not checked/);
            const printed: unknown[][] = [];
            const original = { warn: console.warn, log: console.log, error: console.error };
            console.warn = console.log = console.error = (...args: unknown[]) => void printed.push(args);
            try {
                assert.strictEqual(await runPreflight({ registry: registrySettings(), setup }, { ...options, env: { [PREFLIGHT_SKIP_ENV]: "1" } }), "skipped");
            } finally {
                Object.assign(console, original);
            }
            assert.deepStrictEqual(printed, [], "nothing on the console without an engine");
        });

        it("passes against the real registry with its CA and the binaries present", async function () {
            const setup = { ...settingsFor(setupBin.path, packBins), sha256: sha256Of(setupBin.path) };
            assert.strictEqual(await runPreflight({ registry: registrySettings(), setup }, options), "passed");
        });

        it("requires ssh on PATH for a vm-mode or ssh:// Docker file server (the zip's copy), not for a unix:// Docker host", async function () {
            const setup = settingsFor(setupBin.path, packBins);
            const bin = fs.mkdtempSync(path.join(base, "bin-without-ssh-"));
            const link = (tool: string) => {
                const found = (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, tool)).find((file) => fs.existsSync(file));
                assert.ok(found, `${tool} on PATH`);
                fs.symlinkSync(found, path.join(bin, tool));
            };
            ["skopeo", "jq", "unzip", "zip"].forEach(link);
            const withoutSsh = { ...options, pathEnv: bin };
            const tls = undefined;
            for (const fileServer of [{ mode: "vm" as const, tls }, { mode: "docker" as const, tls, docker: { host: "ssh://ops@docker01", image: "nginx" } }]) {
                await assert.rejects(runPreflight({ registry: registrySettings(), setup, fileServer }, withoutSsh), /- PATH: ssh not found .*apt-get install openssh-client/, fileServer.mode);
            }
            assert.strictEqual(await runPreflight({ registry: registrySettings(), setup, fileServer: { mode: "docker", tls, docker: { host: "unix:///var/run/docker.sock", image: "nginx" } } }, withoutSsh), "passed");
            assert.strictEqual(await runFileServerPreflight({ mode: "docker", tls, docker: { host: "unix:///var/run/docker.sock", image: "nginx" } }, withoutSsh), "passed");
            // The file server constructed alone: the same ssh check, and its TLS files.
            const missingTls = { certFile: path.join(base, "missing.crt"), keyFile: path.join(base, "missing.key") };
            const alone = await runFileServerPreflight({ mode: "vm", tls: missingTls }, withoutSsh).then(() => assert.fail("expected a RunError"), (e: Error) => e);
            assert.ok(pulumi.RunError.isInstance(alone), String(alone));
            assert.match(alone.message, /^preflight: 3 problems before the file server \(nothing was created\):\n  - PATH: ssh not found .*openssh-client/);
            assert.match(alone.message, /- fileServerTlsCertFile: .*missing\.crt/);
            assert.match(alone.message, /- fileServerTlsKeyFile: .*missing\.key/);
            assert.strictEqual(await runFileServerPreflight({ mode: "vm", tls }, { ...withoutSsh, env: { [PREFLIGHT_SKIP_ENV]: "1" }, warn: async () => undefined }), "skipped");
            link("ssh");
            assert.strictEqual(await runPreflight({ registry: registrySettings(), setup, fileServer: { mode: "vm", tls } }, withoutSsh), "passed");
            assert.strictEqual(await runFileServerPreflight({ mode: "vm", tls }, withoutSsh), "passed");
        });

        it("reports every problem in one RunError: missing pack, wrong pin, untrusted certificate, too little space", async function () {
            const setup: SetupSettings = {
                ...settingsFor(setupBin.path, [packBins[0]]),
                packBinaries: [parsePackBinary(path.join(base, "nowhere", "airgap-pack-vault-0.24.1.bin"))],
                sha256: "f".repeat(64),
            };
            const error = await runPreflight({ registry: { ...registrySettings(), caFile: undefined }, setup }, { ...options, minFreeGb: 1e9 }).then(
                () => assert.fail("expected a RunError"),
                (e: Error) => e,
            );
            assert.ok(pulumi.RunError.isInstance(error), String(error));
            assert.match(error.message, /^preflight: 4 problems before the setup run \(nothing was created\):/);
            assert.match(error.message, /- packBinaries\[0\]: .*airgap-pack-vault-0\.24\.1\.bin does not exist/);
            assert.match(error.message, /- setupBinarySha256: .* has sha256 [0-9a-f]{64}, expected f{64}/);
            assert.match(error.message, /- registryEndpoint: https:\/\/127\.0\.0\.1:\d+\/v2\/ does not answer .*set registryCaFile/);
            assert.match(error.message, /- workDir: .* free/);
        });
    });
});

/** Runs a registered command as pulumi-command does: interpreter + create, environment added to ours. */
function sha256Of(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The largest number of runs in progress at the same instant. */
function maxOverlap(runs: RunRecord[]): number {
    const events = runs.flatMap((r) => [[r.start, 1], [r.end, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let current = 0;
    let max = 0;
    for (const [, delta] of events) {
        current += delta;
        max = Math.max(max, current);
    }
    return max;
}
