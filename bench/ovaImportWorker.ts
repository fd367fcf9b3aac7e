/**
 * Child process of bench/ovaImport.ts: runs ONE importOvaTemplate (components/vsphere/ovaImport.ts)
 * in a fresh Node process, so that its peak RSS is the importer's own, and prints one line
 *
 *   RESULT {"ms":..., "moid":"vm-..", "baselineRssMiB":..., "maxRssMiB":..., "cpuUserMs":..., ...}
 *
 * on stdout. The request (an OvaImportRequest, password included) comes as JSON on stdin, never on
 * the command line. The importer's progress lines go to stderr.
 *
 * With a request `{"kind": "plainUpload", "url", "file", "caFile"}` it instead streams the file to
 * that lease device URL with the importer's own transport (soapTransport.ts uploadStream, undici,
 * 1 MiB reads as ovaSource.ts does) and no OVA reader: the "plain undici" reference, measured in a
 * fresh process like the import (the same code in the long-lived benchmark process ran anywhere
 * from 540 to 1000 MiB/s depending on the state of its malloc heap).
 *
 *   node -r ts-node/register/transpile-only bench/ovaImportWorker.ts < request.json
 *
 * `baselineRssMiB` is process.resourceUsage().maxRSS once every module is loaded (node + ts-node +
 * the importer's modules), before the import; `maxRssMiB` is the same at the end. `vmHwmMiB` is
 * VmHWM of /proc/self/status at the end, the peak RSS of this process image alone: Linux carries
 * the RSS of the process that forked this one into maxRSS (signal->maxrss is kept across execve),
 * so maxRSS is only the worker's own when its parent was small; bench/ovaImport.ts therefore
 * starts the worker through /bin/sh, and checks that the two agree.
 */
import * as fs from "fs";
import { importOvaTemplate, type OvaImportRequest } from "../components/vsphere/ovaImport";
import { tlsSettingsFor, uploadStream } from "../components/vsphere/soapTransport";

export interface PlainUploadRequest {
    kind: "plainUpload";
    /** Lease device URL. */
    url: string;
    file: string;
    caFile: string;
}

export interface PlainUploadResult {
    /** Wall time of the upload, ms. */
    ms: number;
    /** CPU time of this process during the upload, ms. */
    cpuMs: number;
    processCpuMs: number;
    maxRssMiB: number;
}

export interface WorkerResult {
    /** Wall time of importOvaTemplate (login to logout), ms. */
    ms: number;
    moid: string;
    templateName: string;
    isTemplate: boolean;
    ovaSha256: string;
    /** maxRSS before the import (modules loaded), MiB. */
    baselineRssMiB: number;
    /** maxRSS at the end, MiB. */
    maxRssMiB: number;
    /** VmHWM at the end, MiB (undefined where /proc is missing). */
    vmHwmMiB?: number;
    /** CPU time of this process during the import, ms. */
    cpuUserMs: number;
    cpuSystemMs: number;
    /** CPU time of this process since it started (node and ts-node start-up included), ms. */
    processCpuMs?: number;
    /** The importer's own upload rate, from its last progress line ("uploaded ... at R MiB/s"). */
    uploadMiBps?: number;
    log: string[];
}

function readStdin(): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        process.stdin.on("data", (c: Buffer) => chunks.push(c));
        process.stdin.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.once("error", reject);
    });
}

const kibToMiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;

function vmHwmKiB(): number | undefined {
    try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
        return m ? Number(m[1]) : undefined;
    } catch {
        return undefined;
    }
}

async function plainUpload(request: PlainUploadRequest): Promise<void> {
    const size = fs.statSync(request.file).size;
    const tls = tlsSettingsFor({ caFile: request.caFile });
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await uploadStream(request.url, fs.createReadStream(request.file, { highWaterMark: 1024 * 1024 }), size, tls, { method: "POST" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const total = process.cpuUsage();
    const result: PlainUploadResult = {
        ms,
        cpuMs: (cpu.user + cpu.system) / 1000,
        processCpuMs: (total.user + total.system) / 1000,
        maxRssMiB: kibToMiB(process.resourceUsage().maxRSS),
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
    const parsed = JSON.parse(await readStdin()) as OvaImportRequest | PlainUploadRequest;
    if ("kind" in parsed && parsed.kind === "plainUpload") {
        return plainUpload(parsed);
    }
    const request = parsed as OvaImportRequest;
    const baselineRssKiB = process.resourceUsage().maxRSS;
    const log: string[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const observed = await importOvaTemplate(request, (message) => {
        log.push(message);
        process.stderr.write(`${message}\n`);
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const maxRssKiB = process.resourceUsage().maxRSS;
    const hwmKiB = vmHwmKiB();
    const uploaded = log
        .map((line) => / uploaded .* at ([\d.]+) MiB\/s/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .pop();
    const result: WorkerResult = {
        ms,
        moid: observed.moid,
        templateName: observed.name,
        isTemplate: observed.isTemplate,
        ovaSha256: observed.ovaSha256,
        baselineRssMiB: kibToMiB(baselineRssKiB),
        maxRssMiB: kibToMiB(maxRssKiB),
        vmHwmMiB: hwmKiB === undefined ? undefined : kibToMiB(hwmKiB),
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        processCpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        uploadMiBps: uploaded ? Number(uploaded[1]) : undefined,
        log,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
});
