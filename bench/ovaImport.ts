/**
 * Benchmark of the OVA template import (components/vsphere/ovaImport.ts, importOvaTemplate) against
 * a real vSphere simulator (vcsim from Debian's govmomi, tests/support/vcsim.ts, on 127.0.0.1):
 *
 *   - builds test OVAs with one disk of each size (default 256 MiB and 1 GiB; tests/support/
 *     ovaBuilder.ts, streamed to a temp directory on disk, removed at the end);
 *   - ours: importOvaTemplate from the local file (cluster DC0_C0, datastore LocalDS_0, network
 *     "VM Network", folder spectro-templates, markAsTemplate, thin) in a separate child process
 *     (bench/ovaImportWorker.ts, started through /bin/sh: see there why) so that its peak RSS
 *     (process.resourceUsage().maxRSS at its end) is the importer's own; the template is destroyed
 *     after each run;
 *   - reference: a plain `curl -X POST -T <disk>` of the same disk bytes to a lease device URL of
 *     the same simulator (CreateImportSpec + ImportVApp with VsphereSoapClient, wait for the
 *     lease, curl, then HttpNfcLeaseAbort and Destroy);
 *   - second reference ("plain undici"): the same disk file streamed to a lease device URL with
 *     our own transport (soapTransport.ts uploadStream, undici, 1 MiB reads) but no OVA reader (no
 *     tar, no sha256), in a fresh worker process too, to split the gap to curl into transport and
 *     OVA reading + hashing.
 *
 * Targets: peak RSS flat and under 200 MiB whatever the size; our throughput >= 80% of curl's.
 * Our time is the whole importOvaTemplate call (login, lookups, CreateImportSpec, ImportVApp,
 * upload with both sha256 checks, complete, annotate, mark as template, rename, logout) and our
 * throughput is OVA bytes / that time; curl's is disk bytes / curl's time_total (upload only).
 * Each contender first reads its file once (page cache warm for all). Runs of a size alternate
 * curl, plain undici and ours. The CPU times of the worker, curl and vcsim are reported too (on a
 * small machine they compete for the same cores), and so is the CPU the rest of the machine used
 * meanwhile ("others", from /proc/stat): a run where it exceeds 10% of the CPUs is flagged
 * disturbed, and the main table holds the medians of the undisturbed runs (of all if none was).
 *
 *   npx ts-node --transpile-only bench/ovaImport.ts [--sizes 256,1024] [--runs 3] [--compiled]
 *       [--profile] [--verbose] [--worker <script.ts|script.js>]
 *
 * --sizes: disk sizes in MiB. --runs: runs per size (default 3). --compiled: compiles the worker
 * with tsc (into the temp directory) and runs it with plain node, without ts-node in its RSS, as
 * Pulumi's dynamic-provider host runs the provider. --profile: runs the worker under
 * `node --cpu-prof` and prints where its profiles are (kept, in os.tmpdir()/palette-ova-bench-
 * profiles-*). --verbose: prints the importer's progress lines. --worker: another worker script
 * (e.g. a copy of the worker and of components/vsphere/ with a candidate change), same protocol;
 * a .ts runs under ts-node, a .js under plain node; its sha256 is only warned about (a candidate
 * may skip hashing to measure a ceiling).
 */
import { execFileSync, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { OvaImportRequest } from "../components/vsphere/ovaImport";
import { VsphereSoapClient } from "../components/vsphere/soapClient";
import type { ManagedObjectRef } from "../components/vsphere/vimTypes";
import { buildTestOva, testDiskChunks, type TestOva } from "../tests/support/ovaBuilder";
import { startVcsim, type Vcsim } from "../tests/support/vcsim";
import type { PlainUploadRequest, PlainUploadResult, WorkerResult } from "./ovaImportWorker";

const MIB = 1024 * 1024;
const PROJECT_ROOT = path.resolve(__dirname, "..");
const WORKER = path.join(__dirname, "ovaImportWorker.ts");
const DATACENTER = "DC0";
const CLUSTER = "DC0_C0";
const DATASTORE = "LocalDS_0";
const NETWORK = "VM Network";
const FOLDER = "spectro-templates";
const RSS_LIMIT_MIB = 200;
/** "Flat": the largest size's peak RSS is within this many MiB of the smallest's. */
const RSS_FLAT_MIB = 16;
const CURL_TARGET = 0.8;
/** A run during which other processes used more than this % of the machine's CPUs is flagged. */
const DISTURBED_PCT = 10;
const USAGE = "bench/ovaImport.ts [--sizes 256,1024] [--runs 3] [--compiled] [--profile] [--verbose] [--worker <script.ts|script.js>]";

interface Args {
    sizesMiB: number[];
    runs: number;
    profile: boolean;
    verbose: boolean;
    /** Worker script to run instead of bench/ovaImportWorker.ts (to measure a candidate change). */
    worker: string;
    /** Compile the worker with tsc and run it with plain node (no ts-node in its RSS). */
    compiled: boolean;
    /** --worker was given: a candidate, whose sha256 is only warned about. */
    candidate: boolean;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { sizesMiB: [256, 1024], runs: 3, profile: false, verbose: false, worker: WORKER, compiled: false, candidate: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value`);
            return v;
        };
        if (a === "--sizes" || a.startsWith("--sizes=")) {
            args.sizesMiB = value()
                .split(",")
                .map((s) => Number(s.trim()));
            if (args.sizesMiB.length === 0 || args.sizesMiB.some((n) => !Number.isInteger(n) || n <= 0)) {
                throw new Error(`--sizes takes positive whole MiB counts, e.g. --sizes 256,1024`);
            }
        } else if (a === "--runs" || a.startsWith("--runs=")) {
            args.runs = Number(value());
            if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error("--runs takes a positive whole number");
        } else if (a === "--profile") {
            args.profile = true;
        } else if (a === "--verbose") {
            args.verbose = true;
        } else if (a === "--compiled") {
            args.compiled = true;
        } else if (a === "--worker" || a.startsWith("--worker=")) {
            args.worker = path.resolve(value());
            args.candidate = true;
        } else {
            throw new Error(`unknown argument ${a}; usage: ${USAGE}`);
        }
    }
    return args;
}

interface OursRun extends WorkerResult {
    bytes: number;
    MiBps: number;
    /** CPU time vcsim spent while the worker ran, ms. */
    vcsimCpuMs: number;
    /** CPU used by other processes of the machine while the worker ran, % of all CPUs. */
    othersPct: number;
}

interface CurlRun {
    bytes: number;
    ms: number;
    MiBps: number;
    httpCode: string;
    /** curl's user+system CPU time, ms. */
    cpuMs: number;
    /** CPU time vcsim spent while curl ran, ms. */
    vcsimCpuMs: number;
    /** CPU used by other processes of the machine while curl ran, % of all CPUs. */
    othersPct: number;
}

interface PlainRun {
    ms: number;
    MiBps: number;
    /** The worker's user+system CPU during the upload, ms. */
    cpuMs: number;
    /** CPU used by other processes of the machine during the upload, % of all CPUs. */
    othersPct: number;
}

interface SizeResult {
    sizeMiB: number;
    ovaBytes: number;
    ours: OursRun[];
    curl: CurlRun[];
    plain: PlainRun[];
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const commandLine = ["npx ts-node --transpile-only bench/ovaImport.ts", ...process.argv.slice(2)].join(" ");
    const loadAtStart = os.loadavg()[0];
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-ova-bench-"));
    const profileDir = args.profile ? fs.mkdtempSync(path.join(os.tmpdir(), "palette-ova-bench-profiles-")) : undefined;
    const cleanup = () => fs.rmSync(workDir, { recursive: true, force: true });
    process.once("SIGINT", () => {
        cleanup();
        process.exit(130);
    });
    let vc: Vcsim | undefined;
    let client: VsphereSoapClient | undefined;
    const results: SizeResult[] = [];
    try {
        if (args.compiled) {
            process.stdout.write(`compiling ${path.relative(PROJECT_ROOT, args.worker)} with tsc ... `);
            args.worker = compileWorker(args.worker, path.join(workDir, "worker-js"));
            console.log(args.worker);
        }
        process.stdout.write("starting vcsim ... ");
        vc = await startVcsim();
        client = await VsphereSoapClient.login(vc.connection());
        const vmFolder = await client.findVmFolder(DATACENTER);
        await client.createFolder(vmFolder!, FOLDER);
        console.log(`${vc.url} (pid ${vc.pid})`);

        for (const sizeMiB of args.sizesMiB) {
            const dir = path.join(workDir, `${sizeMiB}`);
            fs.mkdirSync(dir);
            process.stdout.write(`${sizeMiB} MiB: building the OVA ... `);
            const ova = await buildTestOva(dir, { diskBytes: sizeMiB * MIB, network: NETWORK });
            const disk = await writeDisk(path.join(dir, "disk.vmdk"), sizeMiB * MIB, ova);
            console.log(`${ova.size} bytes, disk ${disk.bytes} bytes`);
            const result: SizeResult = { sizeMiB, ovaBytes: ova.size, ours: [], curl: [], plain: [] };
            for (let run = 1; run <= args.runs; run++) {
                warmPageCache(disk.path);
                const c = await curlReference(vc, client, ova, disk, `bench-curl-${sizeMiB}-${run}`);
                result.curl.push(c);
                warmPageCache(disk.path);
                const plain = await plainUploadReference(vc, client, ova, disk, `bench-plain-${sizeMiB}-${run}`, args);
                result.plain.push(plain);
                warmPageCache(ova.path);
                const o = await ours(vc, ova, `r_bench-${sizeMiB}-${run}`, args, profileDir);
                await client.destroy({ type: "VirtualMachine", value: o.moid });
                result.ours.push(o);
                console.log(
                    `  run ${run}: ours ${fmtMs(o.ms)} ${o.MiBps.toFixed(0)} MiB/s (upload ${o.uploadMiBps?.toFixed(0) ?? "?"} MiB/s, ` +
                        `cpu ${fmtMs(o.cpuUserMs + o.cpuSystemMs)}, vcsim cpu ${fmtMs(o.vcsimCpuMs)}), peak RSS ${o.maxRssMiB} MiB ` +
                        `(baseline ${o.baselineRssMiB}); curl ${fmtMs(c.ms)} ${c.MiBps.toFixed(0)} MiB/s (cpu ${fmtMs(c.cpuMs)}, vcsim cpu ${fmtMs(c.vcsimCpuMs)}); ` +
                        `plain undici ${plain.MiBps.toFixed(0)} MiB/s (cpu ${fmtMs(plain.cpuMs)}); ` +
                        `others ${o.othersPct.toFixed(0)}/${c.othersPct.toFixed(0)}/${plain.othersPct.toFixed(0)}%`,
                );
            }
            results.push(result);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    } catch (error) {
        if (vc) {
            console.error(`\nvcsim log (tail):\n${vc.stderr().split("\n").slice(-30).join("\n")}`);
        }
        throw error;
    } finally {
        await client?.logout().catch(() => undefined);
        await vc?.stop();
        cleanup();
    }
    report(results, args, commandLine, profileDir, loadAtStart);
}

/** The OVA's disk bytes, written again from the builder's generator, checked against the OVA's digest. */
async function writeDisk(file: string, bytes: number, ova: TestOva): Promise<{ path: string; bytes: number }> {
    const out = fs.createWriteStream(file);
    const hash = createHash("sha256");
    for (const chunk of testDiskChunks(1, 0, bytes)) {
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const digest = hash.digest("hex");
    if (digest !== ova.diskSha256s[0]) {
        throw new Error(`the disk written for curl (${digest}) differs from the OVA's disk (${ova.diskSha256s[0]})`);
    }
    return { path: file, bytes };
}

/** Compiles a worker (and what it imports) with the project's tsc into `outDir`; returns the .js path. */
function compileWorker(worker: string, outDir: string): string {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [PROJECT_ROOT] });
    const rootDir = path.dirname(path.dirname(worker)); // <root>/bench/worker.ts -> <root>
    execFileSync(
        process.execPath,
        // --noCheck: emit only (the project's type check is tsc --noEmit; a --worker copy outside the
        // project would not resolve the project's node_modules types).
        [tsc, "--outDir", outDir, "--rootDir", rootDir, "--module", "commonjs", "--target", "ES2022", "--esModuleInterop", "--noCheck", worker],
        { cwd: PROJECT_ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    return path.join(outDir, path.relative(rootDir, worker).replace(/\.ts$/, ".js"));
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** user+system CPU time of a running process so far, ms (from /proc/<pid>/stat). */
function processCpuMs(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime, stime: fields 14, 15
}

/** Busy CPU time of the whole machine so far (all CPUs, /proc/stat: all but idle and iowait), ms. */
function machineBusyMs(): number {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLK_TCK;
}

/**
 * CPU accounting over a time window: vcsim's CPU, this process's, and what the rest of the
 * machine used (the machine's busy time minus this process, vcsim and the contender's own CPU),
 * to tell an undisturbed run from one that shared the CPUs with something else.
 */
class CpuWindow {
    private readonly t0 = process.hrtime.bigint();
    private readonly busy0 = machineBusyMs();
    private readonly self0 = process.cpuUsage();
    private readonly vcsim0: number;

    constructor(private readonly vcsimPid: number) {
        this.vcsim0 = processCpuMs(vcsimPid);
    }

    end(): { vcsimMs: number; selfMs: number; othersPct(contenderCpuMs: number): number } {
        const wallMs = Number(process.hrtime.bigint() - this.t0) / 1e6;
        const busyMs = machineBusyMs() - this.busy0;
        const self = process.cpuUsage(this.self0);
        const selfMs = (self.user + self.system) / 1000;
        const vcsimMs = processCpuMs(this.vcsimPid) - this.vcsim0;
        return {
            vcsimMs,
            selfMs,
            othersPct: (contenderCpuMs: number) => Math.max(0, ((busyMs - selfMs - vcsimMs - contenderCpuMs) / (wallMs * os.cpus().length)) * 100),
        };
    }
}

function warmPageCache(file: string): void {
    execFileSync("cat", [file], { stdio: ["ignore", "ignore", "inherit"] });
}

/**
 * Runs the worker once with `request` on stdin; returns its RESULT line (parsed) and the CPU
 * accounting of the window. A .ts worker runs under ts-node; a .js one (--compiled) under plain
 * node, as Pulumi's dynamic-provider host runs a provider.
 */
async function runWorker<T>(
    vc: Vcsim,
    args: Args,
    request: OvaImportRequest | PlainUploadRequest,
    profile: { dir: string; name: string } | undefined,
): Promise<{ result: T; line: string; window: ReturnType<CpuWindow["end"]> }> {
    const nodeArgs = args.worker.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
    if (profile) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", profile.dir, "--cpu-prof-name", profile.name);
    // NODE_PATH: a --worker outside the project still finds the project's node_modules.
    const env = { ...process.env, NODE_PATH: [path.join(PROJECT_ROOT, "node_modules"), process.env.NODE_PATH].filter(Boolean).join(path.delimiter) };
    // Through /bin/sh (which forks node, not exec): Linux keeps the RSS of the process that forked a
    // child in the child's maxRSS across execve, so a worker forked straight from this (large)
    // process would report this process's RSS as its own peak. sh is small.
    const cpu = new CpuWindow(vc.pid);
    const child = spawn("/bin/sh", ["-c", '"$@"; exit $?', "sh", process.execPath, ...nodeArgs, args.worker], {
        cwd: PROJECT_ROOT,
        env,
        stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (args.verbose) process.stderr.write(`    ${d.toString().trimEnd().split("\n").join("\n    ")}\n`);
    });
    child.stdin.end(JSON.stringify(request));
    const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (c) => resolve(c));
    });
    const window = cpu.end();
    const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (code !== 0 || !line) {
        throw new Error(`the worker (${args.worker}) failed (exit ${code}):\n${stderr.trim()}`);
    }
    return { result: JSON.parse(line.slice("RESULT ".length)) as T, line, window };
}

async function ours(vc: Vcsim, ova: TestOva, templateName: string, args: Args, profileDir: string | undefined): Promise<OursRun> {
    const request: OvaImportRequest = {
        connection: vc.connection(),
        datacenter: DATACENTER,
        folderPath: FOLDER,
        datastore: DATASTORE,
        network: NETWORK,
        cluster: CLUSTER,
        source: ova.path,
        templateName,
        markAsTemplate: true,
        diskProvisioning: "thin",
    };
    const { result, line, window } = await runWorker<WorkerResult>(vc, args, request, profileDir ? { dir: profileDir, name: `${templateName}.cpuprofile` } : undefined);
    if (!result.isTemplate || result.ovaSha256 !== ova.sha256 || result.templateName !== templateName) {
        const message = `the import worker's result is not the expected template (sha256 ${ova.sha256}): ${line.slice(0, 400)}`;
        // A --worker candidate may skip hashing on purpose (to measure a ceiling): warn only.
        if (!args.candidate) throw new Error(message);
        console.warn(`  warning: ${message}`);
    }
    if (result.vmHwmMiB !== undefined && Math.abs(result.vmHwmMiB - result.maxRssMiB) > 2) {
        console.warn(`  warning: the worker's maxRSS (${result.maxRssMiB} MiB) differs from its VmHWM (${result.vmHwmMiB} MiB)`);
    }
    return {
        ...result,
        bytes: ova.size,
        MiBps: ova.size / MIB / (result.ms / 1000),
        vcsimCpuMs: window.vcsimMs,
        othersPct: window.othersPct(result.processCpuMs ?? result.cpuUserMs + result.cpuSystemMs),
    };
}

/**
 * CreateImportSpec + ImportVApp for the OVA's descriptor, waits for the lease, runs `upload` with
 * its disk's device URL, then HttpNfcLeaseAbort and Destroy (vcsim keeps an aborted import's VM).
 */
async function withDeviceUrl<T>(client: VsphereSoapClient, ova: TestOva, name: string, upload: (url: string) => Promise<T>): Promise<T> {
    const [pool, datastore, network, folder] = await Promise.all([
        client.findClusterResourcePool(DATACENTER, CLUSTER),
        client.findDatastore(DATACENTER, DATASTORE),
        client.findNetwork(DATACENTER, NETWORK),
        client.findVmFolder(DATACENTER, FOLDER),
    ]);
    const spec = await client.createImportSpec({
        ovfDescriptor: ova.descriptorXml,
        resourcePool: pool!,
        datastore: datastore!,
        entityName: name,
        networkMapping: [{ name: NETWORK, network: network! }],
        diskProvisioning: "thin",
    });
    const lease = await client.importVApp(pool!, spec.importSpec, folder!);
    let vm: ManagedObjectRef | undefined;
    try {
        const info = await client.waitForLease(lease);
        vm = info.entity;
        const [match] = VsphereSoapClient.matchDeviceUrls(info, spec.fileItems);
        return await upload(match.deviceUrl.url);
    } finally {
        await client.leaseAbort(lease, "benchmark reference upload done").catch(() => undefined);
        if (vm) await client.destroy(vm).catch(() => undefined);
    }
}

/** The reference: `curl -X POST -T <disk>` to a lease device URL; curl's own time_total. */
function curlReference(vc: Vcsim, client: VsphereSoapClient, ova: TestOva, disk: { path: string; bytes: number }, name: string): Promise<CurlRun> {
    return withDeviceUrl(client, ova, name, async (url) => {
        const cpu = new CpuWindow(vc.pid);
        const out = await runCurl([
            "--cacert",
            vc.caFile,
            "--silent",
            "--show-error",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code} %{size_upload} %{time_total}",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/x-vnd.vmware-streamVmdk",
            "-H",
            "Expect:",
            "-T",
            disk.path,
            url,
        ]);
        const window = cpu.end();
        const [httpCode, sizeUpload, timeTotal] = out.stdout.trim().split(/\s+/);
        if (!/^2\d\d$/.test(httpCode) || Number(sizeUpload) !== disk.bytes) {
            throw new Error(`curl upload to ${url}: HTTP ${httpCode}, ${sizeUpload} of ${disk.bytes} bytes sent`);
        }
        const ms = Number(timeTotal) * 1000;
        return { bytes: disk.bytes, ms, MiBps: disk.bytes / MIB / (ms / 1000), httpCode, cpuMs: out.cpuMs, vcsimCpuMs: window.vcsimMs, othersPct: window.othersPct(out.cpuMs) };
    });
}

/**
 * A second reference: the same disk file streamed to a lease device URL with our own transport
 * (soapTransport.ts uploadStream, undici) but no OVA reader (no tar, no sha256), in a fresh worker
 * process like the import: the ceiling of the importer's upload path in Node.
 */
function plainUploadReference(vc: Vcsim, client: VsphereSoapClient, ova: TestOva, disk: { path: string; bytes: number }, name: string, args: Args): Promise<PlainRun> {
    return withDeviceUrl(client, ova, name, async (url) => {
        const request: PlainUploadRequest = { kind: "plainUpload", url, file: disk.path, caFile: vc.caFile };
        const { result, window } = await runWorker<PlainUploadResult>(vc, args, request, undefined);
        return { ms: result.ms, MiBps: disk.bytes / MIB / (result.ms / 1000), cpuMs: result.cpuMs, othersPct: window.othersPct(result.processCpuMs) };
    });
}

/** Runs curl under bash's `time` (for its CPU time); curl's --write-out on stdout. */
function runCurl(args: string[]): Promise<{ stdout: string; cpuMs: number }> {
    return new Promise((resolve, reject) => {
        const script = 'command -v curl >/dev/null || exit 127; TIMEFORMAT="BENCH_CPU %3U %3S"; time curl "$@"';
        const child = spawn("bash", ["-c", script, "bash", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("error", (e) => reject(new Error(`bash could not start: ${e.message}`)));
        child.once("close", (code) => {
            if (code === 127) {
                reject(new Error("curl is not installed; install it with: apt-get install curl"));
                return;
            }
            const cpu = /BENCH_CPU ([\d.]+) ([\d.]+)/.exec(stderr);
            if (code !== 0 || !cpu) {
                reject(new Error(`curl exited with ${code}: ${stderr.replace(/BENCH_CPU.*/, "").trim()}`));
                return;
            }
            resolve({ stdout, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 });
        });
    });
}

// --- report ------------------------------------------------------------------------------------

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmtMs(ms: number): string {
    return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
}

function sizeLabel(mib: number): string {
    return mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

function goVersion(): string {
    try {
        return execFileSync("go", ["version"], { encoding: "utf8" }).trim().split(" ")[2] ?? "go ?";
    } catch {
        return "go ?";
    }
}

function table(header: string[], rows: string[][]): string {
    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Index of the runs of a size during which no other process used more than DISTURBED_PCT of the CPUs. */
function quietRuns(r: SizeResult): number[] {
    return r.ours.map((_, i) => i).filter((i) => Math.max(r.ours[i].othersPct, r.curl[i].othersPct, r.plain[i].othersPct) <= DISTURBED_PCT);
}

/** The runs the medians are taken over: the quiet ones if any, else all (flagged). */
function keptRuns(r: SizeResult): { runs: number[]; allDisturbed: boolean } {
    const quiet = quietRuns(r);
    return quiet.length > 0 ? { runs: quiet, allDisturbed: false } : { runs: r.ours.map((_, i) => i), allDisturbed: true };
}

function report(results: SizeResult[], args: Args, commandLine: string, profileDir: string | undefined, loadAtStart: number): void {
    const cpu = os.cpus();
    let curlVersion = "?";
    try {
        curlVersion = execFileSync("curl", ["--version"], { encoding: "utf8" }).split("\n")[0].split(" ").slice(0, 2).join(" ");
    } catch {
        // reported as "?"
    }
    const undiciVersion = (require("undici/package.json") as { version: string }).version;
    const summary = results.map((r) => {
        const kept = keptRuns(r);
        const pick = <T>(xs: T[]) => kept.runs.map((i) => xs[i]);
        return {
            r,
            kept,
            ourMs: median(pick(r.ours).map((o) => o.ms)),
            ours: median(pick(r.ours).map((o) => o.MiBps)),
            curl: median(pick(r.curl).map((c) => c.MiBps)),
            plain: median(pick(r.plain).map((p) => p.MiBps)),
            rss: Math.max(...r.ours.map((o) => o.maxRssMiB)),
        };
    });
    const main = summary.map((x) => [
        `${sizeLabel(x.r.sizeMiB)}${x.kept.allDisturbed ? " (all runs disturbed)" : ""}`,
        fmtMs(x.ourMs),
        x.ours.toFixed(0),
        x.curl.toFixed(0),
        `${((x.ours / x.curl) * 100).toFixed(0)}%`,
        x.rss.toFixed(1),
    ]);
    const details = results.flatMap((r) =>
        r.ours.map((o, i) => {
            const c = r.curl[i];
            const p = r.plain[i];
            const cpuMs = o.cpuUserMs + o.cpuSystemMs;
            const disturbed = Math.max(o.othersPct, c.othersPct, p.othersPct) > DISTURBED_PCT;
            return [
                sizeLabel(r.sizeMiB),
                `${i + 1}${disturbed ? " (disturbed)" : ""}`,
                fmtMs(o.ms),
                o.MiBps.toFixed(0),
                o.uploadMiBps?.toFixed(0) ?? "?",
                `${fmtMs(cpuMs)} (${((cpuMs / o.ms) * 100).toFixed(0)}%)`,
                fmtMs(o.vcsimCpuMs),
                `${o.othersPct.toFixed(0)}%`,
                fmtMs(c.ms),
                c.MiBps.toFixed(0),
                fmtMs(c.cpuMs),
                fmtMs(c.vcsimCpuMs),
                `${c.othersPct.toFixed(0)}%`,
                `${((o.MiBps / c.MiBps) * 100).toFixed(0)}%`,
                p.MiBps.toFixed(0),
                fmtMs(p.cpuMs),
                `${p.othersPct.toFixed(0)}%`,
                o.baselineRssMiB.toFixed(1),
                o.maxRssMiB.toFixed(1),
            ];
        }),
    );
    const quietCount = results.reduce((n, r) => n + quietRuns(r).length, 0);
    const runCount = results.reduce((n, r) => n + r.ours.length, 0);
    console.log(`\n## OVA template import vs curl (vcsim, 127.0.0.1)\n`);
    console.log(
        `Machine: node ${process.version}, ${cpu.length} CPU(s) (${cpu[0]?.model ?? "?"}), ${os.type()} ${os.release()}, ` +
            `${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM; undici ${undiciVersion}, OpenSSL ${process.versions.openssl} in node; ${curlVersion}; ` +
            `vcsim from Debian's govmomi 0.24 (${goVersion()}); load average ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end.`,
    );
    console.log(
        `Command: \`${commandLine}\` (${args.runs} run(s) per size, ${quietCount} of ${runCount} undisturbed; medians of the undisturbed runs ` +
            `(of all when none was), peak RSS the maximum of all; worker run with ` +
            `${args.worker.endsWith(".ts") ? "node -r ts-node/register/transpile-only" : "plain node (compiled with tsc)"})\n`,
    );
    console.log(table(["size", "our time", "our MiB/s", "curl MiB/s", "ours/curl", "peak RSS MiB"], main));
    console.log(
        `\nEvery run (our MiB/s = OVA bytes / whole import; upload MiB/s = the importer's own progress line; ` +
            `our cpu = the worker's user+system CPU during the import (% of its wall time); curl cpu = curl's; vcsim cpu = the simulator's ` +
            `while the worker (whole import) or curl (upload only) ran; plain undici = the same disk file streamed by a fresh ` +
            `worker with soapTransport's uploadStream, without the OVA reader (no tar, no sha256): the ceiling of our upload path; ` +
            `others = CPU used by the rest of the machine meanwhile, % of all CPUs (above ${DISTURBED_PCT}% in any of the three: a disturbed run); ` +
            `baseline = the worker's maxRSS before the import):\n`,
    );
    console.log(
        table(
            [
                "size",
                "run",
                "our time",
                "our MiB/s",
                "upload MiB/s",
                "our cpu",
                "vcsim cpu (ours)",
                "others (ours)",
                "curl time",
                "curl MiB/s",
                "curl cpu",
                "vcsim cpu (curl)",
                "others (curl)",
                "ours/curl",
                "plain undici MiB/s",
                "plain undici cpu",
                "others (plain)",
                "baseline RSS MiB",
                "peak RSS MiB",
            ],
            details,
        ),
    );

    console.log(`\nWhere the gap is (same medians): curl, the same bytes through our transport alone, then the whole import:\n`);
    console.log(
        table(
            ["size", "curl MiB/s", "plain undici MiB/s (of curl)", "our import MiB/s (of plain undici)"],
            summary.map((x) => [
                sizeLabel(x.r.sizeMiB),
                x.curl.toFixed(0),
                `${x.plain.toFixed(0)} (${((x.plain / x.curl) * 100).toFixed(0)}%)`,
                `${x.ours.toFixed(0)} (${((x.ours / x.plain) * 100).toFixed(0)}%)`,
            ]),
        ),
    );

    const peaks = summary.map((x) => x.rss);
    const worstRatio = Math.min(...summary.map((x) => x.ours / x.curl));
    const spread = Math.max(...peaks) - Math.min(...peaks);
    const rssOk = Math.max(...peaks) < RSS_LIMIT_MIB && spread <= RSS_FLAT_MIB;
    const speedOk = worstRatio >= CURL_TARGET;
    console.log(
        `\n${rssOk ? "PASS" : "MISS"}: peak RSS ${Math.min(...peaks).toFixed(1)}..${Math.max(...peaks).toFixed(1)} MiB ` +
            `(target < ${RSS_LIMIT_MIB} MiB and flat: spread ${spread.toFixed(1)} <= ${RSS_FLAT_MIB} MiB)`,
    );
    console.log(`${speedOk ? "PASS" : "MISS"}: ours/curl at worst ${(worstRatio * 100).toFixed(0)}% (target >= ${CURL_TARGET * 100}%)`);
    if (quietCount < runCount) {
        console.log(`NOTE: ${runCount - quietCount} of ${runCount} runs shared the CPUs with other processes (see "others"); rerun on an idle machine.`);
    }
    if (profileDir) console.log(`\nCPU profiles of the workers (chrome://inspect or speedscope): ${profileDir}`);
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
