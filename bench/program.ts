/**
 * "Program speed and scale" benchmark: the real program (index.ts) under the Pulumi SDK's mock
 * engine (tests/support/stackHarness.ts runStack), each run in a FRESH Node process
 * (bench/programWorker.ts, under ts-node transpile-only as the mock tests load TypeScript),
 * started through /bin/sh so that its peak RSS is its own (see the worker).
 *
 *   1. Each stack file (harbor-lab, ecr-prod, generic-dev): wall time (first require of the
 *      worker to outputs resolved) and peak RSS of one run, --runs times (median and min), against
 *      a baseline child that loads the same SDKs (@pulumi/pulumi, @pulumi/aws, @pulumi/command,
 *      @pulumi/docker), the same harness and setMocks, and registers one trivial component
 *      (bench/programBaseline.ts). Target: our program adds under 50% to the baseline wall time.
 *   2. Scale: harbor-lab with 0, 10, 49 and 200 pack binaries (packBinaries override with
 *      /opt/palette/packs/airgap-pack-p<i>-1.0.<i>.bin; the harness stands them in): wall time,
 *      peak RSS and resources per size (median of --scale-runs), and the per-pack cost (least-
 *      squares slope over the medians, ms/pack, with R²).
 *   3. `@pulumi/aws` against only the submodules components/registry/ociRegistry.ts uses
 *      (@pulumi/aws/ecr, @pulumi/aws/ecrpublic, @pulumi/aws/provider): require time in fresh
 *      processes (median of --runs), with and without touching the classes the ECR stack uses;
 *      and the whole ecr-prod program with `@pulumi/aws` answered by those submodules (the
 *      worker's awsSubmodules shim: nothing in components/ is changed).
 *   4. (unless --no-typecheck) `pulumi up` loads TypeScript WITH type checking here (Pulumi.yaml
 *      `typescript: true`; neither PULUMI_NODEJS_TRANSPILE_ONLY nor tsconfig `noCheck`): one
 *      harbor-lab run under `ts-node/register`, and `tsc --noEmit` (the project's compiler
 *      options) of a file using the AWS classes through `@pulumi/aws` against the submodules,
 *      median of --scale-runs.
 *
 * Runs of the different variants are interleaved (run 1 of each, then run 2 of each, ...) so
 * that load from other processes spreads over all of them. Prints Markdown on stdout, progress
 * on stderr.
 *
 *   npx ts-node --transpile-only bench/program.ts [--runs 5] [--scale-runs 3] [--sizes 0,10,49,200] [--no-typecheck]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ProgramRequest, ProgramResult } from "./programWorker";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const WORKER = path.join(__dirname, "programWorker.ts");
const STACKS = ["harbor-lab", "ecr-prod", "generic-dev"];
const TARGET_OVERHEAD = 0.5;

interface Options {
    runs: number;
    scaleRuns: number;
    sizes: number[];
    /** Also the type-checking runs (one program run under `ts-node/register`, tsc on the AWS imports). */
    typeCheck: boolean;
}

function parseArgs(argv: string[]): Options {
    const options: Options = { runs: 5, scaleRuns: 3, sizes: [0, 10, 49, 200], typeCheck: true };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        switch (argv[i]) {
            case "--runs":
                options.runs = Number(value);
                i++;
                break;
            case "--scale-runs":
                options.scaleRuns = Number(value);
                i++;
                break;
            case "--sizes":
                options.sizes = value.split(",").map(Number);
                i++;
                break;
            case "--no-typecheck":
                options.typeCheck = false;
                break;
            default:
                throw new Error(`unknown argument ${argv[i]}; usage: bench/program.ts [--runs 5] [--scale-runs 3] [--sizes 0,10,49,200] [--no-typecheck]`);
        }
    }
    if (!(options.runs >= 1) || !(options.scaleRuns >= 1) || options.sizes.some((n) => !Number.isInteger(n) || n < 0)) {
        throw new Error("--runs and --scale-runs must be at least 1, --sizes whole numbers");
    }
    return options;
}

// --- children ---------------------------------------------------------------------------------

/**
 * Runs `node <nodeArgs>` in a fresh process through /bin/sh (which forks node rather than
 * exec'ing it: Linux carries the forking process's RSS into maxRSS, and this process is large),
 * returns the parsed `RESULT {...}` line and the wall time seen from here (spawn to exit).
 */
function runChild<T>(nodeArgs: string[]): { result: T; outerMs: number } {
    const start = process.hrtime.bigint();
    const child = spawnSync("/bin/sh", ["-c", '"$@"; exit $?', "sh", process.execPath, ...nodeArgs], {
        cwd: PROJECT_ROOT,
        env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("TS_NODE_"))),
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    const outerMs = Number(process.hrtime.bigint() - start) / 1e6;
    const line = child.stdout?.split("\n").find((l) => l.startsWith("RESULT "));
    if (child.status !== 0 || !line) {
        throw new Error(`child failed (exit ${child.status}): node ${nodeArgs.join(" ")}\n${child.stderr}\n${child.stdout}`);
    }
    return { result: JSON.parse(line.slice("RESULT ".length)) as T, outerMs };
}

interface ProgramSample extends ProgramResult {
    outerMs: number;
}

/** `typeCheck`: load TypeScript with type checking (`-r ts-node/register`), as `pulumi up` does here. */
function runProgram(request: ProgramRequest, typeCheck = false): ProgramSample {
    const register = typeCheck ? "ts-node/register" : "ts-node/register/transpile-only";
    const { result, outerMs } = runChild<ProgramResult>(["-r", register, WORKER, JSON.stringify(request)]);
    if (result.vmHwmMiB !== undefined && Math.abs(result.vmHwmMiB - result.maxRssMiB) > 2) {
        console.warn(`  warning: maxRSS ${result.maxRssMiB} MiB and VmHWM ${result.vmHwmMiB} MiB differ (${JSON.stringify(request)})`);
    }
    return { ...result, outerMs };
}

/** Part 3: what requiring `@pulumi/aws` costs, against its submodules. */
interface RequireVariant {
    label: string;
    /** Module ids to require. */
    modules: string[];
    /** Also read the classes the ECR stack constructs (the aws index loads their files lazily). */
    touch: boolean;
}

interface RequireResult {
    pulumiMs: number;
    awsMs: number;
    modulesAdded: number;
    maxRssMiB: number;
}

const AWS_VARIANTS: RequireVariant[] = [
    { label: "`@pulumi/aws` (as imported today)", modules: ["@pulumi/aws"], touch: false },
    { label: "`@pulumi/aws` + the ECR classes used", modules: ["@pulumi/aws"], touch: true },
    { label: "`@pulumi/aws/ecr`, `/ecrpublic`, `/provider`", modules: ["@pulumi/aws/ecr", "@pulumi/aws/ecrpublic", "@pulumi/aws/provider"], touch: false },
    { label: "submodules + the ECR classes used", modules: ["@pulumi/aws/ecr", "@pulumi/aws/ecrpublic", "@pulumi/aws/provider"], touch: true },
];

/** The worker of part 3, run with `node -r ts-node/register/transpile-only -e` (as the program loads modules). */
function requireScript(variant: RequireVariant): string {
    return `
const t0 = performance.now();
require("@pulumi/pulumi");
const t1 = performance.now();
const before = Object.keys(require.cache).length;
const loaded = ${JSON.stringify(variant.modules)}.map((id) => require(id));
if (${variant.touch}) {
    const ecr = loaded.length === 1 ? loaded[0].ecr : loaded[0];
    const ecrpublic = loaded.length === 1 ? loaded[0].ecrpublic : loaded[1];
    const Provider = loaded.length === 1 ? loaded[0].Provider : loaded[2].Provider;
    if (![ecr.Repository, ecr.RepositoryCreationTemplate, ecrpublic.Repository, Provider].every((c) => typeof c === "function")) {
        throw new Error("a class is missing");
    }
}
const t2 = performance.now();
const result = { pulumiMs: t1 - t0, awsMs: t2 - t1, modulesAdded: Object.keys(require.cache).length - before,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 };
process.stdout.write("RESULT " + JSON.stringify(result) + "\\n");
`;
}

/** Part 4: what type-checking the AWS imports costs (tsc with the project's compiler options). */
const TYPECHECK_VARIANTS: { label: string; source: string }[] = [
    { label: "`@pulumi/pulumi` only (reference)", source: `import * as pulumi from "@pulumi/pulumi";\nexport const used = [pulumi.ComponentResource];\n` },
    {
        label: "`@pulumi/aws` (as imported today)",
        source: `import * as aws from "@pulumi/aws";\nexport const used = [aws.ecr.Repository, aws.ecr.RepositoryCreationTemplate, aws.ecrpublic.Repository, aws.Provider];\n`,
    },
    {
        label: "`@pulumi/aws/ecr`, `/ecrpublic`, `/provider`",
        source:
            `import * as ecr from "@pulumi/aws/ecr";\nimport * as ecrpublic from "@pulumi/aws/ecrpublic";\nimport { Provider } from "@pulumi/aws/provider";\n` +
            `export const used = [ecr.Repository, ecr.RepositoryCreationTemplate, ecrpublic.Repository, Provider];\n`,
    },
];

interface TscResult {
    files: number;
    memoryMiB: number;
    totalS: number;
}

function runTsc(dir: string, file: string): TscResult {
    const tsc = require.resolve("typescript/lib/tsc.js", { paths: [PROJECT_ROOT] });
    const args = [tsc, "--noEmit", "--extendedDiagnostics", "--strict", "--skipLibCheck", "--esModuleInterop", "--target", "ES2022", "--module", "commonjs"];
    args.push("--moduleResolution", "node", "--types", "node", file);
    const child = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    const value = (name: string) => Number(new RegExp(`^${name}:\\s+([\\d.]+)`, "m").exec(child.stdout)?.[1]);
    if (child.status !== 0) {
        throw new Error(`tsc failed on ${file}:\n${child.stdout}\n${child.stderr}`);
    }
    return { files: value("Files"), memoryMiB: value("Memory used") / 1024, totalS: value("Total time") };
}

// --- statistics and formatting -----------------------------------------------------------------

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const min = (values: number[]) => Math.min(...values);

/** Least-squares line y = a + b·x, and R². */
function fit(xs: number[], ys: number[]): { slope: number; intercept: number; r2: number } {
    const n = xs.length;
    const mx = xs.reduce((s, x) => s + x, 0) / n;
    const my = ys.reduce((s, y) => s + y, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
        sxy += (xs[i] - mx) * (ys[i] - my);
        sxx += (xs[i] - mx) ** 2;
        syy += (ys[i] - my) ** 2;
    }
    const slope = sxx === 0 ? 0 : sxy / sxx;
    const r2 = sxx === 0 || syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
    return { slope, intercept: my - slope * mx, r2 };
}

const ms = (value: number) => `${Math.round(value)}`;
const mib = (value: number) => value.toFixed(1);
const pct = (ours: number, base: number) => `${ours >= base ? "+" : ""}${Math.round(((ours - base) / base) * 100)}%`;

function table(header: string[], rows: string[][]): string {
    return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

function progress(message: string): void {
    process.stderr.write(`${message}\n`);
}

// --- main ------------------------------------------------------------------------------------

function main(): void {
    const options = parseArgs(process.argv.slice(2));
    // The compiled variant runs dist/index.js: build it from the current sources first.
    progress("npm run build ...");
    const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    const started = Date.now();
    const load0 = os.loadavg();
    const out: string[] = [];
    const cpus = os.cpus();
    out.push("## Program speed and scale (bench/program.ts)");
    out.push("");
    out.push(`Command: \`npx ts-node --transpile-only bench/program.ts${process.argv.slice(2).length ? " " + process.argv.slice(2).join(" ") : ""}\``);
    out.push("");
    out.push(
        `Machine: Node ${process.version}, ${cpus.length} CPU(s) (${cpus[0]?.model ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
            `${os.type()} ${os.release()}; load average at start ${load0.map((l) => l.toFixed(2)).join(" ")}.`,
    );
    out.push("");

    // Part 1 and the end-to-end half of part 3: interleaved.
    type Variant = { key: string; request: ProgramRequest };
    const variants: Variant[] = [
        { key: "baseline", request: { program: "baseline", stack: "harbor-lab" } },
        ...STACKS.map((stack) => ({ key: stack, request: { program: "index" as const, stack } })),
        // The same program compiled by `npm run build` (what the provider plugin runs): no TypeScript at run time.
        ...STACKS.map((stack) => ({ key: `${stack} compiled`, request: { program: "compiled" as const, stack } })),
        // ecr-prod is the stack that constructs the AWS classes; the other stacks only pay the import.
        { key: "ecr-prod+awsSubmodules", request: { program: "index", stack: "ecr-prod", awsSubmodules: true } },
    ];
    const samples = new Map<string, ProgramSample[]>(variants.map((v) => [v.key, []]));
    for (let run = 1; run <= options.runs; run++) {
        for (const variant of variants) {
            const sample = runProgram(variant.request);
            samples.get(variant.key)!.push(sample);
            progress(`run ${run}/${options.runs} ${variant.key}: ${ms(sample.wallMs)} ms (CPU ${ms(sample.cpuMs)} ms), ${mib(sample.maxRssMiB)} MiB, ${sample.resources} resources`);
        }
    }
    if (options.typeCheck) {
        progress("harbor-lab under type-checking ts-node ...");
        const sample = runProgram({ program: "index", stack: "harbor-lab" }, true);
        samples.set("harbor-lab, type-checked", [sample]);
        progress(`type-checked harbor-lab: ${ms(sample.wallMs)} ms, ${mib(sample.maxRssMiB)} MiB`);
    }
    const stat = (key: string, pick: (s: ProgramSample) => number) => {
        const values = samples.get(key)!.map(pick);
        return { median: median(values), min: min(values) };
    };
    const base = { wall: stat("baseline", (s) => s.wallMs), cpu: stat("baseline", (s) => s.cpuMs), rss: stat("baseline", (s) => s.maxRssMiB), transpile: stat("baseline", (s) => s.transpileMs) };

    out.push(`### 1. One run of the program per stack, fresh process each (N=${options.runs})`);
    out.push("");
    out.push(
        "Wall = first require of the worker to outputs resolved (and every registration delivered to the mock engine); " +
            "load = the part before runStack (harness, SDK); run = runStack (config, program's modules, resources, outputs); " +
            "transpile = ts-node compiling the .ts files loaded during wall (their execution excluded); process = since the " +
            "process started (Node + ts-node start-up too); CPU = the child's user + system time during wall (all its threads: " +
            "steadier than wall time when other work shares the machine). Peak RSS = maxRSS (= VmHWM) at the end. Median (min).",
    );
    out.push("");
    const rows: string[][] = [];
    const row = (label: string, key: string): string[] => {
        const s = samples.get(key)!;
        const wall = stat(key, (x) => x.wallMs);
        const rss = stat(key, (x) => x.maxRssMiB);
        const transpile = stat(key, (x) => x.transpileMs);
        const cpu = stat(key, (x) => x.cpuMs);
        // The baseline is loaded transpile-only: no comparison for the type-checked run.
        const isBase = key === "baseline" || key.endsWith("type-checked");
        const added = (wall.median - base.wall.median) / base.wall.median;
        const addedNoTs = (wall.median - transpile.median - (base.wall.median - base.transpile.median)) / (base.wall.median - base.transpile.median);
        return [
            label,
            `${s[0].resources}`,
            `${ms(wall.median)} (${ms(wall.min)})`,
            ms(stat(key, (x) => x.loadMs).median),
            ms(stat(key, (x) => x.runMs).median),
            `${ms(transpile.median)} (${s[0].tsFiles} files)`,
            ms(stat(key, (x) => x.processMs).median),
            `${ms(cpu.median)} (${ms(cpu.min)})`,
            `${mib(rss.median)} (${mib(rss.min)})`,
            isBase ? "" : `${pct(wall.median, base.wall.median)} ${added < TARGET_OVERHEAD ? "(meets < +50%)" : "(misses < +50%)"}`,
            isBase ? "" : `${addedNoTs >= 0 ? "+" : ""}${Math.round(addedNoTs * 100)}%`,
            isBase ? "" : pct(cpu.median, base.cpu.median),
            isBase ? "" : pct(rss.median, base.rss.median),
        ];
    };
    rows.push(row("baseline (same SDKs + harness, 1 component)", "baseline"));
    for (const stack of STACKS) {
        rows.push(row(`index.ts, ${stack}`, stack));
    }
    for (const stack of STACKS) {
        rows.push(row(`dist/index.js (npm run build), ${stack}`, `${stack} compiled`));
    }
    if (options.typeCheck) {
        rows.push(row("index.ts, harbor-lab, **type-checking** ts-node as `pulumi up` loads it (1 run; transpile = type check + emit)", "harbor-lab, type-checked"));
    }
    out.push(
        table(
            ["program", "resources", "wall ms", "load ms", "run ms", "transpile ms", "process ms", "CPU ms", "peak RSS MiB", "wall vs baseline", "wall vs baseline, transpile excluded", "CPU vs baseline", "RSS vs baseline"],
            rows,
        ),
    );
    out.push("");

    // Part 2: scale.
    progress("scale ...");
    const scale = new Map<number, ProgramSample[]>(options.sizes.map((n) => [n, []]));
    for (let run = 1; run <= options.scaleRuns; run++) {
        for (const n of options.sizes) {
            const sample = runProgram({ program: "index", stack: "harbor-lab", packs: n });
            scale.get(n)!.push(sample);
            progress(`scale run ${run}/${options.scaleRuns} packs=${n}: ${ms(sample.wallMs)} ms (CPU ${ms(sample.cpuMs)} ms), ${mib(sample.maxRssMiB)} MiB, ${sample.resources} resources`);
        }
    }
    out.push(`### 2. Scale: harbor-lab with N pack binaries (median of ${options.scaleRuns}, fresh process each)`);
    out.push("");
    const medians = options.sizes.map((n) => {
        const s = scale.get(n)!;
        return {
            n,
            wall: median(s.map((x) => x.wallMs)),
            run: median(s.map((x) => x.runMs)),
            cpu: median(s.map((x) => x.cpuMs)),
            rss: median(s.map((x) => x.maxRssMiB)),
            resources: s[0].resources,
            wallMin: min(s.map((x) => x.wallMs)),
        };
    });
    out.push(
        table(
            ["pack binaries", "resources", "wall ms median (min)", "run ms", "CPU ms", "peak RSS MiB"],
            medians.map((m) => [`${m.n}`, `${m.resources}`, `${ms(m.wall)} (${ms(m.wallMin)})`, ms(m.run), ms(m.cpu), mib(m.rss)]),
        ),
    );
    out.push("");
    const xs = medians.map((m) => m.n);
    const wallFit = fit(xs, medians.map((m) => m.wall));
    const runFit = fit(xs, medians.map((m) => m.run));
    const cpuFit = fit(xs, medians.map((m) => m.cpu));
    const rssFit = fit(xs, medians.map((m) => m.rss));
    const resFit = fit(xs, medians.map((m) => m.resources));
    out.push(
        table(
            ["least-squares fit over the medians", "per pack", "intercept (0 packs)", "R²"],
            [
                ["wall time", `${wallFit.slope.toFixed(1)} ms/pack`, `${ms(wallFit.intercept)} ms`, wallFit.r2.toFixed(3)],
                ["run time (runStack only)", `${runFit.slope.toFixed(1)} ms/pack`, `${ms(runFit.intercept)} ms`, runFit.r2.toFixed(3)],
                ["CPU time", `${cpuFit.slope.toFixed(1)} ms/pack`, `${ms(cpuFit.intercept)} ms`, cpuFit.r2.toFixed(3)],
                ["peak RSS", `${rssFit.slope.toFixed(2)} MiB/pack`, `${mib(rssFit.intercept)} MiB`, rssFit.r2.toFixed(3)],
                ["resources", `${resFit.slope.toFixed(2)} /pack`, `${resFit.intercept.toFixed(1)}`, resFit.r2.toFixed(3)],
            ],
        ),
    );
    out.push("");

    // Part 3: require times.
    progress("aws require times ...");
    const requireSamples = new Map<string, RequireResult[]>(AWS_VARIANTS.map((v) => [v.label, []]));
    for (let run = 1; run <= options.runs; run++) {
        for (const variant of AWS_VARIANTS) {
            const { result } = runChild<RequireResult>(["-r", "ts-node/register/transpile-only", "-e", requireScript(variant)]);
            requireSamples.get(variant.label)!.push(result);
        }
    }
    out.push(`### 3. \`@pulumi/aws\` against the submodules used (fresh process each, N=${options.runs})`);
    out.push("");
    out.push(
        "Require time after `@pulumi/pulumi` is loaded (the program loads it anyway), under ts-node transpile-only as the " +
            "program runs. Median (min).",
    );
    out.push("");
    const requireRef = median(requireSamples.get(AWS_VARIANTS[0].label)!.map((r) => r.awsMs));
    out.push(
        table(
            ["what is required", "require ms", "vs `@pulumi/aws`", "modules added", "peak RSS MiB", "`@pulumi/pulumi` itself, ms"],
            AWS_VARIANTS.map((variant) => {
                const s = requireSamples.get(variant.label)!;
                const aws = s.map((r) => r.awsMs);
                return [
                    variant.label,
                    `${median(aws).toFixed(1)} (${min(aws).toFixed(1)})`,
                    pct(median(aws), requireRef),
                    `${s[0].modulesAdded}`,
                    mib(median(s.map((r) => r.maxRssMiB))),
                    ms(median(s.map((r) => r.pulumiMs))),
                ];
            }),
        ),
    );
    out.push("");
    out.push("The whole program, ecr-prod (part 1's measurement, same interleaved runs), with `@pulumi/aws` answered by those submodules:");
    out.push("");
    out.push(
        table(
            ["stack", "wall ms, `@pulumi/aws`", "wall ms, submodules", "wall difference", "CPU ms, `@pulumi/aws` / submodules", "CPU difference", "peak RSS MiB, `@pulumi/aws` / submodules", "modules loaded"],
            ["ecr-prod"].map((stack) => {
                const today = stat(stack, (s) => s.wallMs);
                const sub = stat(`${stack}+awsSubmodules`, (s) => s.wallMs);
                const cpuToday = stat(stack, (s) => s.cpuMs);
                const cpuSub = stat(`${stack}+awsSubmodules`, (s) => s.cpuMs);
                return [
                    stack,
                    `${ms(today.median)} (${ms(today.min)})`,
                    `${ms(sub.median)} (${ms(sub.min)})`,
                    `${ms(sub.median - today.median)} ms (${pct(sub.median, today.median)})`,
                    `${ms(cpuToday.median)} / ${ms(cpuSub.median)}`,
                    `${ms(cpuSub.median - cpuToday.median)} ms (${pct(cpuSub.median, cpuToday.median)})`,
                    `${mib(stat(stack, (s) => s.maxRssMiB).median)} / ${mib(stat(`${stack}+awsSubmodules`, (s) => s.maxRssMiB).median)}`,
                    `${samples.get(stack)![0].modules} / ${samples.get(`${stack}+awsSubmodules`)![0].modules}`,
                ];
            }),
        ),
    );
    out.push("");
    if (options.typeCheck) {
        progress("tsc on the AWS imports ...");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-program-bench-"));
        try {
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
            const tscSamples = TYPECHECK_VARIANTS.map((variant, index) => {
                const file = `variant${index}.ts`;
                fs.writeFileSync(path.join(dir, file), variant.source);
                return { variant, file, results: [] as TscResult[] };
            });
            for (let run = 1; run <= options.scaleRuns; run++) {
                for (const sample of tscSamples) {
                    sample.results.push(runTsc(dir, sample.file));
                }
            }
            out.push(`### 4. Type-checking the AWS imports (\`tsc --noEmit\`, the project's compiler options, median of ${options.scaleRuns})`);
            out.push("");
            out.push(
                "`pulumi up` here type-checks the program as it loads it (Pulumi.yaml `typescript: true`, no `PULUMI_NODEJS_TRANSPILE_ONLY`, " +
                    "no tsconfig `noCheck`): the declarations an import pulls in are parsed and bound on every run. A one-file program " +
                    "using the four AWS classes ociRegistry.ts uses:",
            );
            out.push("");
            const ref = median(tscSamples[1].results.map((r) => r.totalS));
            out.push(
                table(
                    ["imports", "files", "tsc memory MiB", "tsc total s", "vs `@pulumi/aws`"],
                    tscSamples.map(({ variant, results }) => [
                        variant.label,
                        `${results[0].files}`,
                        `${Math.round(median(results.map((r) => r.memoryMiB)))}`,
                        `${median(results.map((r) => r.totalS)).toFixed(2)}`,
                        variant === tscSamples[1].variant ? "" : pct(median(results.map((r) => r.totalS)), ref),
                    ]),
                ),
            );
            out.push("");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
    out.push(
        `Total benchmark time ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(" ")}.`,
    );
    console.log(out.join("\n"));
}

main();
