/**
 * Benchmark of the OVA template import against govc, side by side on one vSphere simulator (vcsim
 * from govmomi v0.56.0, tests/support/vcsim.ts, on 127.0.0.1), whole processes in turn:
 *
 *   - ours: bench/ovaImportWorker.ts compiled with tsc and run with plain node: load the import
 *     modules, import the OVA (the manifest's digests and the whole file's SHA-256 checked), mark
 *     as template, delete. Peak RSS by /usr/bin/time (%M) around the process.
 *   - govc (the peer): govc 0.56.0 built with vcsim by scripts/toolchain/govmomi/build.sh from the
 *     same govmomi, or the binary `--govc <path>` names (the column is skipped when that is
 *     absent): `govc import.ova`, `govc vm.markastemplate`, `govc vm.destroy`, three processes, one
 *     after the other. import.ova runs without `-m`, so govc checks no digest (as 0.24.2, the
 *     earlier peer, which had no `-m`): the target below stays the same comparison. Its time is
 *     the sum of the three; its peak RSS the largest.
 *
 * Per size (a test OVA with one disk of that many MiB and a SHA256 manifest, tests/support/
 * ovaBuilder.ts, written to a temp directory and removed at the end): `--runs` runs (default 5),
 * alternating which contender goes first, the OVA read once before each run (page cache warm for
 * both). Medians. The CPU the rest of the machine used during each run ("others", /proc/stat,
 * in % of all CPUs) is printed beside it: this machine is shared, and a busy neighbour makes a
 * run slow for both contenders alike, but not always equally.
 *
 * Also measured once per run of the benchmark: loading @pulumi/pulumi in plain node (what
 * ovaTemplateProvider.ts adds to a process that only imports), median of 5.
 *
 * Targets (issue 10): our median wall time for 1 GiB with every check on at most govc's (aim:
 * 0.7x); our peak RSS under 128 MiB and flat from 256 MiB to 4 GiB.
 *
 *   npx ts-node --transpile-only bench/ovaImport.ts [--sizes 256,1024,4096] [--runs 5] [--govc <path>] [--verbose] [--profile <dir>]
 *
 * --profile <dir>: each of our runs under `node --cpu-prof`, the profiles written to <dir>.
 * --without-digests: also runs a third contender, ours compiled from a copy of the tree patched
 *   with bench/without-digests.patch (the disk's bytes are neither hashed nor compared; the tree
 *   itself is not touched): what the import costs without its two SHA-256 passes.
 *
 * Beside each contender: the CPU vcsim spent while it ran (the server side of the same upload).
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OvaImportRequest } from "../components/vsphere/ovaImport";
import { VsphereSoapClient } from "../components/vsphere/soapClient";
import { buildTestOva, type TestOva } from "../tests/support/ovaBuilder";
import { buildGovmomiTools, startVcsim, type Vcsim } from "../tests/support/vcsim";
import type { WorkerResult } from "./ovaImportWorker";

const MIB = 1024 * 1024;
const PROJECT_ROOT = path.resolve(__dirname, "..");
const DATACENTER = "DC0";
const CLUSTER = "DC0_C0";
const DATASTORE = "LocalDS_0";
const NETWORK = "VM Network";
const FOLDER = "spectro-templates";
const RSS_LIMIT_MIB = 128;
/** "Flat": the largest size's peak RSS is within this many MiB of the smallest's. */
const RSS_FLAT_MIB = 16;
const USAGE = "bench/ovaImport.ts [--sizes 256,1024,4096] [--runs 5] [--govc <path>] [--verbose] [--profile <dir>] [--without-digests]";

interface Args {
    sizesMiB: number[];
    runs: number;
    /** From --govc; otherwise the govc scripts/toolchain/govmomi/build.sh builds (main). */
    govc?: string;
    verbose: boolean;
    /** Directory for a CPU profile of each of our runs (node --cpu-prof). */
    profile?: string;
    /** Also run ours built with bench/without-digests.patch. */
    withoutDigests: boolean;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { sizesMiB: [256, 1024], runs: 5, verbose: false, withoutDigests: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value`);
            return v;
        };
        if (a === "--sizes" || a.startsWith("--sizes=")) {
            args.sizesMiB = value().split(",").map((s) => Number(s.trim()));
            if (args.sizesMiB.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("--sizes takes positive whole MiB counts, e.g. --sizes 256,1024");
        } else if (a === "--runs" || a.startsWith("--runs=")) {
            args.runs = Number(value());
            if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error("--runs takes a positive whole number");
        } else if (a === "--govc" || a.startsWith("--govc=")) {
            args.govc = path.resolve(value());
        } else if (a === "--profile" || a.startsWith("--profile=")) {
            args.profile = path.resolve(value());
        } else if (a === "--without-digests") {
            args.withoutDigests = true;
        } else if (a === "--verbose") {
            args.verbose = true;
        } else {
            throw new Error(`unknown argument ${a}; usage: ${USAGE}`);
        }
    }
    if (args.govc && !fs.existsSync(args.govc)) {
        console.log(`govc not found at ${args.govc}: the govc column is skipped`);
        args.govc = undefined;
    }
    return args;
}

interface Timed {
    wallMs: number;
    /** user+system CPU of the process (of the three, for govc), ms. */
    cpuMs: number;
    peakRssMiB: number;
    othersPct: number;
    /** CPU vcsim used meanwhile, ms. */
    vcsimCpuMs: number;
}
interface OursRun extends Timed {
    worker: WorkerResult;
}
interface GovcRun extends Timed {
    steps: { step: string; wallMs: number; peakRssMiB: number }[];
}
interface SizeResult {
    sizeMiB: number;
    ovaBytes: number;
    ours: OursRun[];
    /** Ours without the two digests (--without-digests). */
    bare: OursRun[];
    govc: GovcRun[];
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const commandLine = ["npx ts-node --transpile-only bench/ovaImport.ts", ...process.argv.slice(2)].join(" ");
    const loadAtStart = os.loadavg();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-ova-bench-"));
    const cleanup = () => fs.rmSync(workDir, { recursive: true, force: true });
    process.once("SIGINT", () => {
        cleanup();
        process.exit(130);
    });
    let vc: Vcsim | undefined;
    let client: VsphereSoapClient | undefined;
    const results: SizeResult[] = [];
    let sdkLoad: Timed[] = [];
    try {
        process.stdout.write("compiling bench/ovaImportWorker.ts with tsc ... ");
        const worker = compileWorker(path.join(workDir, "js"), PROJECT_ROOT);
        console.log(path.relative(workDir, worker));
        let bareWorker: string | undefined;
        if (args.withoutDigests) {
            process.stdout.write("compiling it again from a copy of the tree patched with bench/without-digests.patch ... ");
            const tree = path.join(workDir, "without-digests");
            for (const d of ["components", "bench"]) fs.cpSync(path.join(PROJECT_ROOT, d), path.join(tree, d), { recursive: true });
            try {
                execFileSync("patch", ["-p1", "--batch", "--forward", "-d", tree, "-i", path.join(__dirname, "without-digests.patch")], { stdio: ["ignore", "pipe", "pipe"] });
            } catch (e) {
                throw new Error(`bench/without-digests.patch no longer applies to components/ (regenerate it): ${String((e as { stdout?: Buffer }).stdout ?? e)}`);
            }
            bareWorker = compileWorker(path.join(workDir, "js-without-digests"), tree);
            console.log(path.relative(workDir, bareWorker));
        }
        if (!args.govc) {
            process.stdout.write("building vcsim and govc (scripts/toolchain/govmomi/build.sh) ... ");
            args.govc = (await buildGovmomiTools()).govc;
            console.log(args.govc);
        }
        sdkLoad = [];
        for (let i = 0; i < 5; i++) sdkLoad.push(await timedProcess([process.execPath, "-e", "require('@pulumi/pulumi')"], undefined, PROJECT_ROOT));
        console.log(`loading @pulumi/pulumi in plain node: ${fmtMs(median(sdkLoad.map((r) => r.wallMs)))}, ${median(sdkLoad.map((r) => r.peakRssMiB))} MiB peak RSS (medians of 5)`);

        process.stdout.write("starting vcsim ... ");
        vc = await startVcsim();
        client = await VsphereSoapClient.login(vc.connection());
        await client.createFolder((await client.findVmFolder(DATACENTER))!, FOLDER);
        console.log(`${vc.url} (pid ${vc.pid})`);

        for (const sizeMiB of args.sizesMiB) {
            const dir = path.join(workDir, `${sizeMiB}`);
            fs.mkdirSync(dir);
            process.stdout.write(`${sizeMiB} MiB: building the OVA ... `);
            const ova = await buildTestOva(dir, { diskBytes: sizeMiB * MIB, network: NETWORK });
            console.log(`${ova.size} bytes`);
            const result: SizeResult = { sizeMiB, ovaBytes: ova.size, ours: [], bare: [], govc: [] };
            for (let run = 1; run <= args.runs; run++) {
                // Alternate who goes first; each contender on a warm page cache.
                const order = run % 2 === 1 ? ["ours", "bare", "govc"] : ["govc", "bare", "ours"];
                for (const who of order) {
                    if (who === "govc" && !args.govc) continue;
                    if (who === "bare" && !bareWorker) continue;
                    warmPageCache(ova.path);
                    if (who === "ours") result.ours.push(await ours(vc, worker, ova, `r_bench-${sizeMiB}-${run}`, args, true));
                    else if (who === "bare") result.bare.push(await ours(vc, bareWorker!, ova, `r_bare-${sizeMiB}-${run}`, args, false));
                    else result.govc.push(await govc(vc, args.govc!, ova, `govc-bench-${sizeMiB}-${run}`));
                }
                const o = result.ours[result.ours.length - 1];
                const b = result.bare[result.bare.length - 1];
                const g = result.govc[result.govc.length - 1];
                console.log(
                    `  run ${run}: ours ${fmtMs(o.wallMs)} (load ${fmtMs(o.worker.loadMs)}, import ${fmtMs(o.worker.importMs)}, delete ${fmtMs(o.worker.deleteMs)}; ` +
                        `upload ${o.worker.uploadMiBps?.toFixed(0) ?? "?"} MiB/s, cpu ${fmtMs(o.worker.cpuMs)}, vcsim cpu ${fmtMs(o.vcsimCpuMs)}), ${o.peakRssMiB} MiB, others ${o.othersPct.toFixed(0)}%` +
                        (b ? `; without digests ${fmtMs(b.wallMs)} cpu ${fmtMs(b.cpuMs)}, vcsim cpu ${fmtMs(b.vcsimCpuMs)}` : "") +
                        (g ? `; govc ${fmtMs(g.wallMs)} cpu ${fmtMs(g.cpuMs)}, vcsim cpu ${fmtMs(g.vcsimCpuMs)} (${g.steps.map((s) => `${s.step} ${fmtMs(s.wallMs)}`).join(", ")}), ${g.peakRssMiB} MiB, others ${g.othersPct.toFixed(0)}%` : ""),
                );
            }
            results.push(result);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    } catch (error) {
        if (vc) console.error(`\nvcsim log (tail):\n${vc.stderr().split("\n").slice(-30).join("\n")}`);
        throw error;
    } finally {
        await client?.logout().catch(() => undefined);
        await vc?.stop();
        cleanup();
    }
    report(results, sdkLoad, args, commandLine, loadAtStart);
}

/** Compiles the worker (and what it imports) from `root` (the project, or a patched copy) with the project's tsc; returns the .js path. */
function compileWorker(outDir: string, root: string): string {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [PROJECT_ROOT] });
    execFileSync(
        process.execPath,
        [tsc, "--outDir", outDir, "--rootDir", root, "--module", "commonjs", "--target", "ES2022", "--esModuleInterop", "--skipLibCheck", "--noCheck", path.join(root, "bench", "ovaImportWorker.ts")],
        { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    // The compiled worker looks for the native SHA-256 module up from its own directory, as the
    // package does: give it the project's build (when there is one).
    const nativeBuild = path.join(PROJECT_ROOT, "native", "build");
    if (fs.existsSync(nativeBuild)) {
        fs.mkdirSync(path.join(outDir, "native"), { recursive: true });
        fs.symlinkSync(nativeBuild, path.join(outDir, "native", "build"));
    }
    return path.join(outDir, "bench", "ovaImportWorker.js");
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** Busy CPU time of the whole machine so far (all CPUs, /proc/stat: all but idle and iowait), ms. */
function machineBusyMs(): number {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLK_TCK;
}

/** user+system CPU time of a running process so far, ms (from /proc/<pid>/stat). */
function processCpuMs(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/**
 * Runs one process to its end under /usr/bin/time (its %M is the child's own peak RSS: a child
 * forked straight from this large process would inherit this one's RSS in its maxRSS), with
 * `stdin` written to it. Returns the wall time, the peak RSS, stdout, and the CPU the rest of the
 * machine used meanwhile (all but the child, vcsim and this process), in % of all CPUs.
 */
async function timedProcess(command: string[], stdin?: string, cwd?: string, env?: NodeJS.ProcessEnv, vcsimPid?: number): Promise<Timed & { stdout: string; stderr: string }> {
    const rssFile = path.join(os.tmpdir(), `palette-bench-rss-${process.pid}-${Date.now()}`);
    const busy0 = machineBusyMs();
    const self0 = process.cpuUsage();
    const vcsim0 = vcsimPid ? processCpuMs(vcsimPid) : 0;
    const t0 = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-o", rssFile, "-f", "%M %U %S", ...command], { cwd, env: env ?? process.env, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-64 * 1024)));
    if (stdin !== undefined) child.stdin!.end(stdin);
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const [maxRssKiB, user, system] = fs.readFileSync(rssFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    fs.rmSync(rssFile, { force: true });
    if (code !== 0) throw new Error(`${command.map((c) => path.basename(c)).join(" ")} exited with ${code}:\n${stderr.trim()}`);
    const self = process.cpuUsage(self0);
    const childMs = (user + system) * 1000;
    const vcsimMs = vcsimPid ? processCpuMs(vcsimPid) - vcsim0 : 0;
    const othersMs = machineBusyMs() - busy0 - childMs - vcsimMs - (self.user + self.system) / 1000;
    return { wallMs, cpuMs: childMs, vcsimCpuMs: vcsimMs, peakRssMiB: Math.round(maxRssKiB / 102.4) / 10, othersPct: Math.max(0, (othersMs / (wallMs * os.cpus().length)) * 100), stdout, stderr };
}

function warmPageCache(file: string): void {
    execFileSync("cat", [file], { stdio: ["ignore", "ignore", "inherit"] });
}

/** One run of our worker; `checked`: the build verifies the digests (false for the without-digests build). */
async function ours(vc: Vcsim, worker: string, ova: TestOva, templateName: string, args: Args, checked: boolean): Promise<OursRun> {
    const request: OvaImportRequest = {
        connection: vc.connection(),
        source: ova.path,
        expectedSha256: ova.sha256,
        templateName,
        markAsTemplate: true,
        diskProvisioning: "thin",
        datacenter: DATACENTER,
        folderPath: FOLDER,
        datastore: DATASTORE,
        network: NETWORK,
        cluster: CLUSTER,
    };
    // NODE_PATH: the compiled worker lives in the temp directory and still finds the project's node_modules.
    const env = { ...process.env, NODE_PATH: path.join(PROJECT_ROOT, "node_modules") };
    const profile = args.profile ? ["--cpu-prof", "--cpu-prof-dir", args.profile] : [];
    const run = await timedProcess([process.execPath, ...profile, worker], JSON.stringify(request), PROJECT_ROOT, env, vc.pid);
    if (args.verbose) process.stdout.write(`${run.stderr}${run.stdout}`);
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`the worker printed no RESULT line:\n${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(line.slice("RESULT ".length)) as WorkerResult;
    if ((checked && result.ovaSha256 !== ova.sha256) || !result.isTemplate) throw new Error(`the worker's import is wrong: ${line}`);
    return { wallMs: run.wallMs, cpuMs: run.cpuMs, vcsimCpuMs: run.vcsimCpuMs, peakRssMiB: run.peakRssMiB, othersPct: run.othersPct, worker: result };
}

async function govc(vc: Vcsim, binary: string, ova: TestOva, name: string): Promise<GovcRun> {
    const env = {
        ...process.env,
        GOVC_URL: vc.url,
        GOVC_USERNAME: vc.username,
        GOVC_PASSWORD: vc.password,
        GOVC_TLS_CA_CERTS: vc.caFile,
        GOVC_DATACENTER: DATACENTER,
        GOVC_DATASTORE: DATASTORE,
        GOVC_RESOURCE_POOL: `${CLUSTER}/Resources`,
        GOVC_NETWORK: NETWORK,
    };
    const steps: GovcRun["steps"] = [];
    let othersCpu = 0;
    let cpuMs = 0;
    let vcsimCpuMs = 0;
    for (const [step, argv] of [
        ["import.ova", ["import.ova", `-folder=/${DATACENTER}/vm/${FOLDER}`, `-name=${name}`, ova.path]],
        ["vm.markastemplate", ["vm.markastemplate", name]],
        ["vm.destroy", ["vm.destroy", name]],
    ] as const) {
        const r = await timedProcess([binary, ...argv], undefined, undefined, env, vc.pid);
        steps.push({ step, wallMs: r.wallMs, peakRssMiB: r.peakRssMiB });
        cpuMs += r.cpuMs;
        vcsimCpuMs += r.vcsimCpuMs;
        othersCpu += (r.othersPct * r.wallMs) / 100;
    }
    const wallMs = steps.reduce((sum, s) => sum + s.wallMs, 0);
    return { wallMs, cpuMs, vcsimCpuMs, peakRssMiB: Math.max(...steps.map((s) => s.peakRssMiB)), othersPct: (othersCpu / wallMs) * 100, steps };
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtMs(ms: number): string {
    return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function table(header: string[], rows: string[][]): string {
    return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function report(results: SizeResult[], sdkLoad: Timed[], args: Args, commandLine: string, loadAtStart: number[]): void {
    const cpu = os.cpus()[0]?.model ?? "cpu";
    const govcVersion = args.govc ? execFileSync(args.govc, ["version"], { encoding: "utf8" }).trim() : "absent";
    const med = (runs: Timed[], pick: (t: Timed) => number) => (runs.length ? median(runs.map(pick)) : NaN);
    const ms = (runs: Timed[], pick: (t: Timed) => number) => (runs.length ? fmtMs(med(runs, pick)) : "-");
    console.log(`\n## OVA import: ours vs govc on vcsim\n`);
    console.log(`Machine: node ${process.version}, ${os.cpus().length} CPU(s) (${cpu}), Linux ${os.release()}; ${govcVersion} (govmomi v0.56.0, scripts/toolchain/govmomi; import.ova without -m); load average ${loadAtStart.map((l) => l.toFixed(2)).join(" ")} at the start, ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} at the end.`);
    const hashing = [...new Set(results.flatMap((r) => r.ours.map((o) => (o.worker.nativeSha256 ? "the native SHA-NI module (one pass for both)" : "OpenSSL (two passes)"))))].join(" / ");
    console.log(`Command: \`${commandLine}\` (${args.runs} run(s) per size, medians; ours with both sha256 checks, computed by ${hashing}; govc with none).\n`);
    const rows = results.map((r) => {
        const o = med(r.ours, (x) => x.wallMs);
        const g = med(r.govc, (x) => x.wallMs);
        return [
            r.sizeMiB >= 1024 ? `${r.sizeMiB / 1024} GiB` : `${r.sizeMiB} MiB`,
            fmtMs(o),
            ms(r.govc, (x) => x.wallMs),
            r.govc.length ? `${(o / g).toFixed(2)}x` : "-",
            `${Math.max(...r.ours.map((x) => x.peakRssMiB))}`,
            r.govc.length ? `${Math.max(...r.govc.map((x) => x.peakRssMiB))}` : "-",
            `${median(r.ours.map((x) => x.worker.loadMs)).toFixed(0)} / ${median(r.ours.map((x) => x.worker.importMs)).toFixed(0)} / ${median(r.ours.map((x) => x.worker.deleteMs)).toFixed(0)}`,
            `${ms(r.ours, (x) => x.cpuMs)} / ${ms(r.govc, (x) => x.cpuMs)}`,
            `${ms(r.ours, (x) => x.vcsimCpuMs)} / ${ms(r.govc, (x) => x.vcsimCpuMs)}`,
            `${med(r.ours, (x) => x.othersPct).toFixed(0)}% / ${r.govc.length ? med(r.govc, (x) => x.othersPct).toFixed(0) : "-"}%`,
        ];
    });
    console.log(table(["size", "our wall", "govc wall", "ours/govc", "our peak RSS MiB", "govc peak RSS MiB", "our load / import / delete ms", "CPU (ours / govc)", "vcsim CPU (ours / govc)", "others (ours / govc)"], rows));
    if (results.some((r) => r.bare.length)) {
        console.log(`\nWithout the two digests (ours built with bench/without-digests.patch: the disk's bytes neither hashed nor compared), same runs:\n`);
        console.log(
            table(
                ["size", "ours", "ours without digests", "govc", "without digests / govc", "CPU (ours / without / govc)", "vcsim CPU (ours / without / govc)"],
                results.map((r) => [
                    r.sizeMiB >= 1024 ? `${r.sizeMiB / 1024} GiB` : `${r.sizeMiB} MiB`,
                    ms(r.ours, (x) => x.wallMs),
                    ms(r.bare, (x) => x.wallMs),
                    ms(r.govc, (x) => x.wallMs),
                    r.govc.length ? `${(med(r.bare, (x) => x.wallMs) / med(r.govc, (x) => x.wallMs)).toFixed(2)}x` : "-",
                    `${ms(r.ours, (x) => x.cpuMs)} / ${ms(r.bare, (x) => x.cpuMs)} / ${ms(r.govc, (x) => x.cpuMs)}`,
                    `${ms(r.ours, (x) => x.vcsimCpuMs)} / ${ms(r.bare, (x) => x.vcsimCpuMs)} / ${ms(r.govc, (x) => x.vcsimCpuMs)}`,
                ]),
            ),
        );
    }
    console.log(`\nLoading @pulumi/pulumi in plain node (not part of the import): ${fmtMs(median(sdkLoad.map((r) => r.wallMs)))}, ${median(sdkLoad.map((r) => r.peakRssMiB))} MiB peak RSS (median of 5).`);
    console.log(`\nEvery run:\n`);
    const runRows: string[][] = [];
    for (const r of results) {
        r.ours.forEach((o, i) => {
            const b = r.bare[i];
            const g = r.govc[i];
            runRows.push([
                `${r.sizeMiB} MiB`,
                `${i + 1}`,
                fmtMs(o.wallMs),
                `${o.worker.uploadMiBps?.toFixed(0) ?? "?"}`,
                `${fmtMs(o.cpuMs)} / ${fmtMs(o.vcsimCpuMs)}`,
                `${o.peakRssMiB}`,
                `${o.othersPct.toFixed(0)}%`,
                b ? `${fmtMs(b.wallMs)} (${fmtMs(b.cpuMs)} / ${fmtMs(b.vcsimCpuMs)})` : "-",
                g ? `${fmtMs(g.wallMs)} (${g.steps.map((s) => fmtMs(s.wallMs)).join(" + ")})` : "-",
                g ? `${fmtMs(g.cpuMs)} / ${fmtMs(g.vcsimCpuMs)}` : "-",
                g ? `${g.peakRssMiB}` : "-",
                g ? `${g.othersPct.toFixed(0)}%` : "-",
            ]);
        });
    }
    console.log(
        table(
            ["size", "run", "our wall", "our upload MiB/s", "our cpu / vcsim cpu", "our RSS MiB", "others", "without digests (cpu / vcsim cpu)", "govc wall (import + mark + destroy)", "govc cpu / vcsim cpu", "govc RSS MiB", "others"],
            runRows,
        ),
    );
    const oneGiB = results.find((r) => r.sizeMiB === 1024);
    const peaks = results.map((r) => Math.max(...r.ours.map((x) => x.peakRssMiB)));
    const verdicts: string[] = [];
    if (oneGiB && oneGiB.govc.length) {
        const ratio = med(oneGiB.ours, (x) => x.wallMs) / med(oneGiB.govc, (x) => x.wallMs);
        verdicts.push(`${ratio <= 1 ? "PASS" : "MISS"} time: 1 GiB ours/govc ${ratio.toFixed(2)}x (target <= 1.0x, aim 0.7x)`);
    }
    verdicts.push(`${Math.max(...peaks) < RSS_LIMIT_MIB ? "PASS" : "MISS"} memory: peak RSS ${Math.max(...peaks)} MiB (target < ${RSS_LIMIT_MIB} MiB)`);
    if (peaks.length > 1) verdicts.push(`${Math.max(...peaks) - Math.min(...peaks) <= RSS_FLAT_MIB ? "PASS" : "MISS"} flat: ${peaks.join(" / ")} MiB across sizes (within ${RSS_FLAT_MIB} MiB)`);
    console.log(`\n${verdicts.join("\n")}`);
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
