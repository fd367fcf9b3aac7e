/**
 * Recovery: a `pulumi up` whose setup or pack run fails leaves the stack so that the next
 * `pulumi up` resumes, and packs that finished are not pushed again.
 *
 * The Pulumi engine cannot run here, so its part is modelled on the SDK's mock engine (`up` below),
 * following what it does with pulumi-command 1.2.1:
 *  - a step whose create succeeded is written to the state with its inputs and outputs;
 *  - a failed create is not written: `local.Command.Create` returns the bare error of the
 *    command (pulumi-go-provider's infer returns a partial state only for a
 *    ResourceInitFailedError), so the next update creates it again;
 *  - after a failed step the engine starts no new step (no --continue-on-error); the steps already
 *    running finish and are written. The registrations it does not answer (the failed one, the
 *    ones refused) are left pending here; the real engine ends the program;
 *  - on the next update, a resource whose inputs equal those in the state has no diff and is not
 *    run (its outputs come from the state: infer's default diff compares every input); a new one
 *    runs `create`; one whose triggers differ is replaced (`create` runs); one whose other inputs
 *    differ (script, environment) is updated: pulumi-command runs `update` when set, else `create`.
 * Each Command's `create` runs with bash against a real registry (docker-registry with TLS and
 * htpasswd) with fake makeself binaries, as in airgapSetup.test.ts. Pushes are counted twice: from
 * the binaries' output (what the run scripts captured) and from the registry's own log (manifest
 * PUTs answered 201).
 *
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo, makeself, zip, unzip, jq.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import type { OciRegistrySettings, SetupSettings } from "../../components/config";
import { parsePackBinary } from "../../components/names";
import { OciRegistry } from "../../components/registry/ociRegistry";
import { AirgapSetup } from "../../components/setup/airgapSetup";
import { PackUploads, packResourceName } from "../../components/setup/packUploads";
import { parseRunResult } from "../../components/setup/runScript";
import { byType, one, runComponents, unwrapSecrets } from "../support/componentMocks";
import { DEFAULT_IMAGES, DEFAULT_PACKS, FakeBinary, FakePack, buildFakePackBinary, buildFakeSetupBinary } from "../support/makeselfBinaries";
import { startRegistry, TestRegistry } from "../support/registry";
import { RunRecord, runCommand, skipUnlessSetupToolsAvailable } from "../support/commandRuns";

const COMMAND = "command:local:Command";
const SETUP_RUN = "setup-run";
/** Four pack binaries; the third is the one that fails. */
const PACKS: FakePack[] = [
    { name: "csi-longhorn", version: "1.4.1" },
    { name: "vault", version: "0.24.1" },
    { name: "lb-metallb-helm", version: "0.13.10" },
    { name: "csi-vsphere-csi", version: "3.0.2" },
];
const PACK_NAMES = PACKS.map(packResourceName);
const [PACK1, PACK2, PACK3, PACK4] = PACK_NAMES;
const MAX_ATTEMPTS = 2;


/** One resource in the modelled stack state. */
interface StateEntry {
    type: string;
    id: string;
    /** Inputs as the provider received them (secrets unwrapped). */
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
}

/** The modelled stack state, by resource name (names are unique in these programs). */
type StackState = Map<string, StateEntry>;

type StepOp = "create" | "replace" | "update" | "same" | "refused";

interface Step {
    name: string;
    op: StepOp;
    /** For create, replace and update: whether the command succeeded. */
    ok?: boolean;
    run?: RunRecord;
}

interface UpResult {
    /** The state after this update: the previous one with the succeeded steps written over it. */
    state: StackState;
    /** Command steps, in the order they were decided. */
    steps: Step[];
    /** Commands that ran. */
    runs: RunRecord[];
    /** The failed step's error, when the update failed. */
    error?: Error;
}

describe("recovery after a failed setup or pack run: the next pulumi up resumes (Pulumi's state and step rules modelled on the SDK's mock engine; commands run with bash against a real registry)", function () {
    this.timeout(240_000);
    let base: string;
    let previousCache: string | undefined;
    let cases = 0;

    before(function () {
        skipUnlessSetupToolsAvailable(this);
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette airgap recovery "));
        previousCache = process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        process.env.PALETTE_AIRGAP_DIGEST_CACHE = path.join(base, "digests.json");
    });

    after(function () {
        if (previousCache === undefined) {
            delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        } else {
            process.env.PALETTE_AIRGAP_DIGEST_CACHE = previousCache;
        }
        if (base) {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });

    /** A fresh registry (empty catalog, its own log) and a case directory for each test. */
    async function withRegistry(test: (registry: TestRegistry, dir: string) => Promise<void>): Promise<void> {
        cases += 1;
        const dir = path.join(base, `case ${cases}`);
        fs.mkdirSync(dir);
        const registry = await startRegistry();
        try {
            await test(registry, dir);
        } finally {
            await registry.stop();
        }
    }

    function registrySettings(registry: TestRegistry): OciRegistrySettings {
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

    function settingsFor(dir: string, setupBinary: FakeBinary, packs: FakeBinary[], concurrency: number): SetupSettings {
        return {
            binary: setupBinary.path,
            packBinaries: packs.map((p) => parsePackBinary(p.path)),
            workDir: path.join(dir, "work"),
            loginTool: "skopeo",
            maxAttempts: MAX_ATTEMPTS,
            attemptTimeoutMinutes: 240,
            packConcurrency: concurrency,
            minFreeGb: 30,
        };
    }

    /** The program (as the lead wires it): the registry, the setup run, the pack runs after it. */
    function program(registry: TestRegistry, setup: SetupSettings): () => void {
        return () => {
            const oci = new OciRegistry("registry", { registry: registrySettings(registry) });
            const common = {
                ...oci.runArgs,
                loginTool: setup.loginTool,
                maxAttempts: setup.maxAttempts,
                retryDelaySeconds: 0,
            };
            const airgap = new AirgapSetup("setup", { setup, ...common });
            new PackUploads("packs", { packBinaries: setup.packBinaries, workDir: setup.workDir, after: airgap, concurrency: setup.packConcurrency, ...common });
        };
    }

    function buildPacks(dir: string, faultyIndex: number | undefined, faults: Parameters<typeof buildFakePackBinary>[1]["faults"]): FakeBinary[] {
        return PACKS.map((pack, index) => buildFakePackBinary(pack, { outDir: path.join(dir, "bins"), faults: index === faultyIndex ? faults : undefined }));
    }

    it("a pack failing on every attempt fails the update; its lane neighbour and the finished packs are in the state; the next update runs only that pack, and every pack is pushed once", async function () {
        await withRegistry(async (registry, dir) => {
            const setupBin = buildFakeSetupBinary({ outDir: path.join(dir, "bins"), manifestsDir: dir });
            // Pack 3 fails at its first push on each attempt of the first update (2 runs), then works:
            // the same file (same sha256, so the same inputs) fixed, as when the registry came back.
            // Its 2 s wait before the push keeps it running while pack 4 (the other lane) finishes.
            const packBins = buildPacks(dir, 2, { failAtPush: 1, failRuns: MAX_ATTEMPTS, sleepBeforePush: 2 });
            const setup = settingsFor(dir, setupBin, packBins, 2);

            // The lanes: pack i waits for pack i-2; every pack waits for the setup run.
            const graph = await dependencyGraph(program(registry, setup));
            assert.deepStrictEqual(graph.get(PACK1), [SETUP_RUN]);
            assert.deepStrictEqual(graph.get(PACK2), [SETUP_RUN]);
            assert.deepStrictEqual(graph.get(PACK3), [PACK1, SETUP_RUN].sort());
            assert.deepStrictEqual(graph.get(PACK4), [PACK2, SETUP_RUN].sort(), "pack 4 does not wait for pack 3");

            // First update: pack 3 fails.
            const first = await up(program(registry, setup), new Map());
            assert.ok(first.error, "the first update fails");
            assert.match(first.error.message, new RegExp(`^${PACK3}: exit 1: `));
            assert.match(first.error.message, new RegExp(`FAILED: failed after ${MAX_ATTEMPTS} attempt\\(s\\): exit code 1`));
            assert.strictEqual(counter(packBins[2]), MAX_ATTEMPTS, "pack 3 ran once per attempt");
            assert.deepStrictEqual(outcomes(first), {
                [SETUP_RUN]: "create ok",
                [PACK1]: "create ok",
                [PACK2]: "create ok",
                [PACK3]: "create failed",
                // Not behind pack 3 in its lane: started before pack 3 failed, so it finished and was written.
                [PACK4]: "create ok",
            });
            const run = (result: UpResult, name: string) => result.runs.find((r) => r.name === name)!;
            assert.ok(run(first, PACK4).start < run(first, PACK3).end, `pack 4 was running before pack 3 failed: ${timeline(first)}`);
            assert.deepStrictEqual(commandNames(first.state), [PACK1, PACK2, PACK4, SETUP_RUN].sort(), "the state holds every command that succeeded, not pack 3");
            const pushesAfterFirst = pushesFromLogs(setup.workDir);
            assert.strictEqual(pushesAfterFirst.get(packRef(PACKS[2])) ?? 0, 0, "pack 3 never pushed (it failed before its push)");

            // Second update: the same program and inputs, pack 3's binary now works.
            const second = await up(program(registry, setup), first.state);
            assert.strictEqual(second.error, undefined, second.error?.message);
            assert.deepStrictEqual(outcomes(second), {
                [SETUP_RUN]: "same",
                [PACK1]: "same",
                [PACK2]: "same",
                [PACK3]: "create ok",
                [PACK4]: "same",
            });
            assert.deepStrictEqual(second.runs.map((r) => r.name), [PACK3], "only pack 3 runs");
            assert.deepStrictEqual(commandNames(second.state), [PACK1, PACK2, PACK3, PACK4, SETUP_RUN].sort());
            assert.deepStrictEqual(binaryRuns(setupBin, packBins), { setup: 1, packs: [1, 1, MAX_ATTEMPTS + 1, 1] });

            await assertCompleteAndPushedOnce(registry, setup.workDir);

            // A third update changes nothing and runs nothing.
            const third = await up(program(registry, setup), second.state);
            assert.strictEqual(third.error, undefined);
            assert.deepStrictEqual(third.runs, []);
            assert.ok(third.steps.every((step) => step.op === "same"), JSON.stringify(third.steps.map((s) => [s.name, s.op])));
        });
    });

    it("in a single lane, the packs behind the failed one never start; the next update runs the failed pack, then them", async function () {
        await withRegistry(async (registry, dir) => {
            const setupBin = buildFakeSetupBinary({ outDir: path.join(dir, "bins"), manifestsDir: dir });
            const packBins = buildPacks(dir, 2, { failAtPush: 1, failRuns: MAX_ATTEMPTS });
            const setup = settingsFor(dir, setupBin, packBins, 1);

            const graph = await dependencyGraph(program(registry, setup));
            assert.deepStrictEqual(graph.get(PACK4), [PACK3, SETUP_RUN].sort(), "pack 4 waits for pack 3");

            const first = await up(program(registry, setup), new Map());
            assert.ok(first.error, "the first update fails");
            // Pack 4 waits for pack 3's registration, which the engine never completes: it is not even registered.
            assert.deepStrictEqual(outcomes(first), { [SETUP_RUN]: "create ok", [PACK1]: "create ok", [PACK2]: "create ok", [PACK3]: "create failed" });
            assert.ok(!fs.existsSync(packBins[3].counterFile), "pack 4's binary never ran");
            assert.deepStrictEqual(commandNames(first.state), [PACK1, PACK2, SETUP_RUN].sort());

            const second = await up(program(registry, setup), first.state);
            assert.strictEqual(second.error, undefined, second.error?.message);
            assert.deepStrictEqual(outcomes(second), { [SETUP_RUN]: "same", [PACK1]: "same", [PACK2]: "same", [PACK3]: "create ok", [PACK4]: "create ok" });
            assert.deepStrictEqual(second.runs.map((r) => r.name), [PACK3, PACK4], "pack 3, then pack 4 (its lane)");
            assert.ok(second.runs[1].start >= second.runs[0].end, timeline(second));
            assert.deepStrictEqual(binaryRuns(setupBin, packBins), { setup: 1, packs: [1, 1, MAX_ATTEMPTS + 1, 1] });

            await assertCompleteAndPushedOnce(registry, setup.workDir);
        });
    });

    it("resuming with setupMaxAttempts raised (a changed script, same triggers): the finished commands are updated without running their binaries; the failed pack and the one behind it run", async function () {
        await withRegistry(async (registry, dir) => {
            const setupBin = buildFakeSetupBinary({ outDir: path.join(dir, "bins"), manifestsDir: dir });
            const packBins = buildPacks(dir, 2, { failAtPush: 1, failRuns: MAX_ATTEMPTS });
            const setup = settingsFor(dir, setupBin, packBins, 1);

            const first = await up(program(registry, setup), new Map());
            assert.ok(first.error, "the first update fails");
            assert.deepStrictEqual(outcomes(first), { [SETUP_RUN]: "create ok", [PACK1]: "create ok", [PACK2]: "create ok", [PACK3]: "create failed" });

            const raised: SetupSettings = { ...setup, maxAttempts: MAX_ATTEMPTS + 1 };
            const second = await up(program(registry, raised), first.state);
            assert.strictEqual(second.error, undefined, second.error?.message);
            assert.deepStrictEqual(outcomes(second), {
                [SETUP_RUN]: "update ok",
                [PACK1]: "update ok",
                [PACK2]: "update ok",
                [PACK3]: "create ok",
                [PACK4]: "create ok",
            });
            assert.deepStrictEqual(binaryRuns(setupBin, packBins), { setup: 1, packs: [1, 1, MAX_ATTEMPTS + 1, 1] }, "the updates ran no binary");
            for (const name of [SETUP_RUN, PACK1, PACK2]) {
                const updated = second.runs.find((r) => r.name === name)!;
                const created = first.runs.find((r) => r.name === name)!;
                assert.match(updated.stdout, /not uploading again/, name);
                assert.deepStrictEqual(parseRunResult(updated.stdout), parseRunResult(created.stdout), `${name}: the update reports the recorded result`);
                assert.deepStrictEqual(second.state.get(name)!.inputs.triggers, first.state.get(name)!.inputs.triggers, `${name}: same triggers`);
                assert.notStrictEqual(second.state.get(name)!.inputs.create, first.state.get(name)!.inputs.create, `${name}: a new script (max_attempts)`);
            }
            assert.match(second.state.get(PACK3)!.inputs.create as string, new RegExp(`^max_attempts=${MAX_ATTEMPTS + 1}$`, "m"));

            await assertCompleteAndPushedOnce(registry, setup.workDir);
        });
    });

    it("a setup run failing on every attempt runs no pack at all (they depend on it); the next update runs the setup, then every pack", async function () {
        await withRegistry(async (registry, dir) => {
            // The setup binary fails at push 3 (the first image) on both attempts of the first update.
            // (A failure on the first attempt only is retried within the run: airgapSetup.test.ts.)
            const setupBin = buildFakeSetupBinary({ outDir: path.join(dir, "bins"), manifestsDir: dir, faults: { failAtPush: 3, failRuns: MAX_ATTEMPTS } });
            const packBins = buildPacks(dir, undefined, undefined);
            const setup = settingsFor(dir, setupBin, packBins, 2);

            const graph = await dependencyGraph(program(registry, setup));
            for (const name of PACK_NAMES) {
                assert.ok(graph.get(name)!.includes(SETUP_RUN), `${name} depends on the setup run`);
            }

            const first = await up(program(registry, setup), new Map());
            assert.ok(first.error, "the first update fails");
            assert.match(first.error.message, /^setup-run: exit 1: /);
            assert.match(first.error.message, /simulated failure at push 3 \(run 2\)/);
            assert.deepStrictEqual(outcomes(first), { [SETUP_RUN]: "create failed" });
            assert.deepStrictEqual(first.runs.map((r) => r.name), [SETUP_RUN], "no pack command ran");
            for (const bin of packBins) {
                assert.ok(!fs.existsSync(bin.counterFile), `${path.basename(bin.path)} never ran`);
            }
            assert.deepStrictEqual(commandNames(first.state), [], "no command in the state");
            assert.strictEqual(counter(setupBin), MAX_ATTEMPTS);
            // What the failed attempts pushed before push 3: the setup's own packs, none of the pack binaries'.
            const catalog = await registry.catalog();
            assert.deepStrictEqual(catalog.sort(), DEFAULT_PACKS.map((p) => `spectro-packs/${p.name}`).sort());

            const second = await up(program(registry, setup), first.state);
            assert.strictEqual(second.error, undefined, second.error?.message);
            assert.deepStrictEqual(outcomes(second), Object.fromEntries([SETUP_RUN, ...PACK_NAMES].map((name) => [name, "create ok"])));
            const setupRun = second.runs.find((r) => r.name === SETUP_RUN)!;
            assert.ok(second.runs.filter((r) => r.name !== SETUP_RUN).every((r) => r.start >= setupRun.end), "the packs start after the setup run");
            assert.deepStrictEqual(binaryRuns(setupBin, packBins), { setup: MAX_ATTEMPTS + 1, packs: [1, 1, 1, 1] });
            const catalogAfter = await registry.catalog();
            for (const pack of [...DEFAULT_PACKS, ...PACKS]) {
                assert.ok(catalogAfter.includes(`spectro-packs/${pack.name}`), `spectro-packs/${pack.name} in ${catalogAfter}`);
            }
            for (const image of DEFAULT_IMAGES) {
                assert.ok(catalogAfter.includes(`spectro-images/${image.split(/:(?=[^:/]+$)/)[0]}`), `${image} in ${catalogAfter}`);
            }
            // The pack binaries pushed once each (the setup binary's own pushes are its retries' business).
            const pushes = manifestPushes(registry);
            for (const pack of PACKS) {
                assert.strictEqual(pushes.get(`spectro-packs/${pack.name}:${pack.version}`), 1, `registry: ${pack.name} pushed once`);
            }
        });
    });

    /**
     * One `pulumi up` under the modelled engine (see the file comment). Resolves when the program's
     * registrations are all answered, or, after a failed step, when the steps still running finish.
     */
    async function up(declare: () => void, previous: StackState): Promise<UpResult> {
        const state: StackState = new Map(previous);
        const steps: Step[] = [];
        const runs: RunRecord[] = [];
        let error: Error | undefined;
        let running = 0;
        let stopped!: () => void;
        const stoppedAndSettled = new Promise<void>((resolve) => (stopped = resolve));
        const never = new Promise<MockResourceResult>(() => undefined);

        const newResource = async (args: MockResourceArgs): Promise<MockResourceResult> => {
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            if (args.type !== COMMAND) {
                // Components (and nothing else is registered here): written as they are.
                const entry = { type: args.type, id: `${args.name}-id`, inputs, outputs: inputs };
                state.set(args.name, entry);
                return { id: entry.id, state: entry.outputs };
            }
            if (error) {
                steps.push({ name: args.name, op: "refused" });
                return never;
            }
            const prior = previous.get(args.name);
            if (prior && prior.type === args.type && isDeepStrictEqual(prior.inputs, inputs)) {
                steps.push({ name: args.name, op: "same" });
                return { id: prior.id, state: prior.outputs };
            }
            const op: StepOp = !prior ? "create" : isDeepStrictEqual(prior.inputs.triggers, inputs.triggers) ? "update" : "replace";
            const step: Step = { name: args.name, op };
            steps.push(step);
            running += 1;
            const script = (op === "update" ? inputs.update ?? inputs.create : inputs.create) as string;
            const record = await runCommand(args.name, inputs, script);
            running -= 1;
            runs.push(record);
            step.run = record;
            step.ok = record.status === 0;
            if (!step.ok) {
                error ??= new Error(`${args.name}: exit ${record.status}: ${record.stderr.slice(-2000)}`);
                if (running === 0) {
                    stopped();
                }
                return never;
            }
            const entry: StateEntry = {
                type: args.type,
                id: prior?.id ?? `${args.name}-id`,
                inputs,
                outputs: { ...inputs, stdout: record.stdout.replace(/\n$/, ""), stderr: record.stderr.replace(/\n$/, "") },
            };
            state.set(args.name, entry);
            if (error && running === 0) {
                stopped();
            }
            return { id: entry.id, state: entry.outputs };
        };

        await pulumi.runtime.setMocks({ newResource, call: (args) => args.inputs }, "palette-airgap", "test", false);
        declare();
        await Promise.race([waitForRPCs(), stoppedAndSettled]);
        return { state, steps, runs, error };
    }
});

const settingsModule = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
function waitForRPCs(): Promise<void> {
    return settingsModule.waitForRPCs();
}

/** Each command's explicit dependencies on other commands (by name), from a plain mock run. */
async function dependencyGraph(declare: () => void): Promise<Map<string, string[]>> {
    const { registrations } = await runComponents(declare, { preview: true, newResource: (args) => ({ id: undefined, state: { ...args.inputs } }) });
    const commands = byType(registrations, COMMAND);
    const nameOf = new Map(commands.map((c) => [c.urn, c.name]));
    assert.deepStrictEqual(commands.map((c) => c.name).sort(), [SETUP_RUN, ...PACK_NAMES].sort());
    one(registrations, COMMAND, SETUP_RUN);
    return new Map(commands.map((c) => [c.name, c.dependencies.flatMap((urn) => (nameOf.has(urn) ? [nameOf.get(urn)!] : [])).sort()]));
}

/** `{ name: "create ok" | "create failed" | "same" | ... }` of the commands an update decided. */
function outcomes(result: UpResult): Record<string, string> {
    return Object.fromEntries(
        result.steps.map((step) => [step.name, step.ok === undefined ? step.op : `${step.op} ${step.ok ? "ok" : "failed"}`]),
    );
}

function commandNames(state: StackState): string[] {
    return [...state.entries()].filter(([, entry]) => entry.type === COMMAND).map(([name]) => name).sort();
}

function timeline(result: UpResult): string {
    const t0 = Math.min(...result.runs.map((r) => r.start));
    return result.runs.map((r) => `${r.name} ${r.start - t0}..${r.end - t0} ms exit ${r.status}`).join("; ");
}

/** Runs of a fake binary so far (its counter file), 0 when it never ran. */
function counter(bin: FakeBinary): number {
    return fs.existsSync(bin.counterFile) ? Number(fs.readFileSync(bin.counterFile, "utf8").trim()) : 0;
}

function binaryRuns(setupBin: FakeBinary, packBins: FakeBinary[]): { setup: number; packs: number[] } {
    return { setup: counter(setupBin), packs: packBins.map(counter) };
}

function packRef(pack: FakePack): string {
    return `${pack.name}:${pack.version}`;
}

/**
 * Pushes that reached the registry, by `<name>:<tag>`, from the binaries' output (every attempt's
 * log file under `<workDir>/runs/<stack>/logs`: the Command keeps only a tail): each
 * `- Pushing Pack X` / `- Pushing image X` line, minus those whose push the binary failed before
 * sending (`failed to push …/X: simulated failure`).
 */
function pushesFromLogs(workDir: string): Map<string, number> {
    const pushes = new Map<string, number>();
    const add = (ref: string, delta: number) => pushes.set(ref, (pushes.get(ref) ?? 0) + delta);
    const runsDir = path.join(workDir, "runs");
    const logs = fs.readdirSync(runsDir).flatMap((stack) =>
        fs.readdirSync(path.join(runsDir, stack, "logs")).filter((f) => /-attempt-\d+\.log$/.test(f)).map((f) => path.join(runsDir, stack, "logs", f)),
    );
    for (const log of logs) {
        for (const line of fs.readFileSync(log, "utf8").split("\n")) {
            const pushing = /^- Pushing (?:Pack|image) (\S+)$/.exec(line);
            if (pushing) {
                add(pushing[1], 1);
            }
            const failed = /failed to push \S+?\/(?:spectro-packs|spectro-images)\/(\S+): simulated failure/.exec(line);
            if (failed) {
                add(failed[1], -1);
            }
        }
    }
    return pushes;
}

/** Manifest PUTs the registry answered 201, by `<repository>:<tag>`, from its log. */
function manifestPushes(registry: TestRegistry): Map<string, number> {
    const pushes = new Map<string, number>();
    for (const line of fs.readFileSync(path.join(registry.dir, "registry.log"), "utf8").split("\n")) {
        if (!line.includes('msg="response completed"') || !line.includes("http.request.method=PUT") || !line.includes("http.response.status=201")) {
            continue;
        }
        const uri = /http\.request\.uri="?([^"\s]+)"?/.exec(line)?.[1] ?? "";
        const manifest = /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(uri);
        if (manifest) {
            const ref = `${manifest[1]}:${manifest[2]}`;
            pushes.set(ref, (pushes.get(ref) ?? 0) + 1);
        }
    }
    return pushes;
}

/** The registry holds every pack and image, and each was pushed exactly once (output and registry log agree). */
async function assertCompleteAndPushedOnce(registry: TestRegistry, workDir: string): Promise<void> {
    const catalog = await registry.catalog();
    const expected = [
        ...[...DEFAULT_PACKS, ...PACKS].map((p) => ({ repository: `spectro-packs/${p.name}`, tag: p.version, ref: packRef(p) })),
        ...DEFAULT_IMAGES.map((image) => {
            const [name, tag] = image.split(/:(?=[^:/]+$)/);
            return { repository: `spectro-images/${name}`, tag, ref: image };
        }),
    ];
    assert.deepStrictEqual(catalog.sort(), expected.map((e) => e.repository).sort(), "the catalog holds every pack and image, nothing else");
    const fromOutput = pushesFromLogs(workDir);
    const fromRegistry = manifestPushes(registry);
    for (const { repository, tag, ref } of expected) {
        assert.deepStrictEqual(await registry.tags(repository), [tag], repository);
        assert.strictEqual(fromOutput.get(ref), 1, `binaries' output: ${ref} pushed once (${JSON.stringify([...fromOutput])})`);
        assert.strictEqual(fromRegistry.get(`${repository}:${tag}`), 1, `registry log: ${repository}:${tag} pushed once (${JSON.stringify([...fromRegistry])})`);
    }
}

