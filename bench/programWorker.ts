/**
 * Child process of bench/program.ts: ONE run of a Pulumi program under the SDK's mock engine
 * (tests/support/stackHarness.ts runStack) in a fresh Node process, then one line on stdout:
 *
 *   RESULT {"wallMs":..., "loadMs":..., "runMs":..., "processMs":..., "resources":..., "maxRssMiB":..., ...}
 *
 *   node -r ts-node/register/transpile-only bench/programWorker.ts '<json request>'
 *
 * The request (argv[2], JSON; no secrets: the harness uses its test secrets):
 *   - program: "index" (the real index.ts) or "baseline" (bench/programBaseline.ts: the same SDKs,
 *     one trivial component), both run by the same runStack;
 *   - stack: a stack file of stacks/ (its config is loaded either way);
 *   - packs: when set, packBinaries is overridden with that many generated
 *     /opt/palette/packs/airgap-pack-p<i>-1.0.<i>.bin (the harness stands them in);
 *   - awsSubmodules: when true, `require("@pulumi/aws")` returns a lazy object over
 *     @pulumi/aws/ecr, @pulumi/aws/ecrpublic and @pulumi/aws/provider instead of the package's
 *     index: what importing only those submodules in components/registry/ociRegistry.ts would
 *     do, measured without editing it.
 *
 * Times: `wallMs` is from the first line of this script (before its first require) to the
 * program's outputs resolved and every registration delivered to the mock engine (runStack's
 * return); `loadMs` the part before runStack starts (harness, SDK, yaml); `processMs` is
 * performance.now() at the end, i.e. since the process started (Node and ts-node start-up too).
 * Memory: `maxRssMiB` is process.resourceUsage().maxRSS at the end, `vmHwmMiB` VmHWM of
 * /proc/self/status. `cpuMs` is this process's CPU time (user + system) during `wallMs`.
 * Linux carries the RSS of the process that forked this one into maxRSS, so
 * bench/program.ts starts the worker through /bin/sh (which forks, not execs, node); the two
 * numbers then agree.
 */
const t0 = performance.now();
const cpu0 = process.cpuUsage();

import type { StackRun } from "../tests/support/stackHarness";

export interface ProgramRequest {
    /** index: index.ts under ts-node; compiled: dist/index.js of `npm run build` (as Pulumi.yaml's plugin runs dist/); baseline: the SDKs only. */
    program: "index" | "baseline" | "compiled";
    stack: string;
    packs?: number;
    awsSubmodules?: boolean;
}

export interface ProgramResult {
    request: ProgramRequest;
    wallMs: number;
    loadMs: number;
    runMs: number;
    processMs: number;
    resources: number;
    outputs: number;
    maxRssMiB: number;
    vmHwmMiB?: number;
    /** CPU time (user + system, all threads) of this process during `wallMs`: less sensitive than wall time to other load on the machine. */
    cpuMs: number;
    /** Modules in require.cache at the end (all of node_modules included). */
    modules: number;
    /** TypeScript files ts-node compiled during `wallMs`, and the time spent compiling them (their execution excluded). */
    tsFiles: number;
    transpileMs: number;
}

/**
 * Times ts-node's compilation of each .ts file loaded from here on, apart from running it: the
 * .ts loader's time minus Module.prototype._compile's (which ts-node calls with the JavaScript).
 */
function timeTranspilation(): () => { files: number; ms: number } {
    const Module = require("module");
    const handlerMs = new Map<string, number>();
    const runMs = new Map<string, number>();
    const add = (map: Map<string, number>, file: string, ms: number) => map.set(file, (map.get(file) ?? 0) + ms);
    const compile = Module.prototype._compile;
    Module.prototype._compile = function (content: string, filename: string) {
        const start = performance.now();
        try {
            return compile.call(this, content, filename);
        } finally {
            add(runMs, filename, performance.now() - start);
        }
    };
    const tsHandler = require.extensions[".ts"]!;
    require.extensions[".ts"] = function (module: NodeJS.Module, filename: string) {
        const start = performance.now();
        try {
            return tsHandler.call(this, module, filename);
        } finally {
            add(handlerMs, filename, performance.now() - start);
        }
    };
    return () => {
        let ms = 0;
        for (const [file, total] of handlerMs) {
            ms += total - (runMs.get(file) ?? 0);
        }
        return { files: handlerMs.size, ms };
    };
}

const kibToMiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;

function vmHwmKiB(): number | undefined {
    try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(require("fs").readFileSync("/proc/self/status", "utf8"));
        return m ? Number(m[1]) : undefined;
    } catch {
        return undefined;
    }
}

/** `@pulumi/aws` as importing only the submodules ociRegistry.ts uses would give it. */
function preloadAwsSubmodulesShim(): void {
    const Module = require("module");
    const file = require.resolve("@pulumi/aws");
    const shim = new Module(file);
    shim.filename = file;
    shim.loaded = true;
    shim.exports = {
        __esModule: true,
        get ecr() {
            return require("@pulumi/aws/ecr");
        },
        get ecrpublic() {
            return require("@pulumi/aws/ecrpublic");
        },
        get Provider() {
            return require("@pulumi/aws/provider").Provider;
        },
    };
    require.cache[file] = shim;
}

/** Makes runStack's require of index.ts load `target` instead (the baseline, or the compiled program). */
function redirectProgram(projectRoot: string, target: string): void {
    const path = require("path");
    const Module = require("module");
    const program = path.join(projectRoot, "index.ts");
    const baseline = target;
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request: string, ...rest: unknown[]) {
        return resolve.call(this, request === program ? baseline : request, ...rest);
    };
}

async function main(): Promise<void> {
    const transpilation = timeTranspilation();
    const request = JSON.parse(process.argv[2] ?? "{}") as ProgramRequest;
    if (request.awsSubmodules) {
        preloadAwsSubmodulesShim();
    }
    const harness = require("../tests/support/stackHarness") as typeof import("../tests/support/stackHarness");
    if (request.program === "baseline") {
        redirectProgram(harness.PROJECT_ROOT, require("path").join(__dirname, "programBaseline.ts"));
    } else if (request.program === "compiled") {
        redirectProgram(harness.PROJECT_ROOT, require("path").join(harness.PROJECT_ROOT, "dist", "index.js"));
    }
    const overrides: Record<string, unknown> = {};
    if (request.packs !== undefined) {
        overrides.packBinaries = Array.from({ length: request.packs }, (_, i) => `/opt/palette/packs/airgap-pack-p${i}-1.0.${i}.bin`);
    }
    const t1 = performance.now();
    const run: StackRun = await harness.runStack(request.stack, { overrides });
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const hwm = vmHwmKiB();
    const transpiled = transpilation();
    const result: ProgramResult = {
        request,
        wallMs: t2 - t0,
        loadMs: t1 - t0,
        runMs: t2 - t1,
        processMs: t2,
        resources: run.resources.length,
        outputs: Object.keys(run.outputs).length,
        maxRssMiB: kibToMiB(process.resourceUsage().maxRSS),
        vmHwmMiB: hwm === undefined ? undefined : kibToMiB(hwm),
        cpuMs: (cpu.user + cpu.system) / 1000,
        modules: Object.keys(require.cache).length,
        tsFiles: transpiled.files,
        transpileMs: transpiled.ms,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
});
