/**
 * Child process of bench/ovaImport.ts: ONE OVA template lifecycle in a fresh Node process, as the
 * OvaTemplate provider runs it: load the import modules, import (both SHA-256 checks: the manifest
 * and the whole file against `expectedSha256`), mark as template, then delete. It prints one line
 *
 *   RESULT {"loadMs":..., "importMs":..., "deleteMs":..., "moid":"vm-..", "vmHwmMiB":..., ...}
 *
 * on stdout. The request (an OvaImportRequest, password included) comes as JSON on stdin, never on
 * the command line. The benchmark compiles this file with tsc and runs it with plain node.
 *
 * It calls the provider's own functions (importOvaTemplate, destroyTemplate), not the provider
 * object: ovaTemplateProvider.ts loads @pulumi/pulumi (~120 MiB, seconds), which the import
 * itself does not need; the benchmark reports that load separately.
 */
const processStart = process.hrtime.bigint();
import * as fs from "fs";
import { destroyTemplate, importOvaTemplate, withVsphere, type OvaImportRequest } from "../components/vsphere/ovaImport";
import { nativeSha256Path } from "../components/vsphere/sha256Native";

const loadedAt = process.hrtime.bigint();
const rssAfterLoad = process.memoryUsage().rss;

export interface WorkerResult {
    /** From the start of this script to its modules loaded, ms (node's own start-up is before). */
    loadMs: number;
    /** importOvaTemplate: login, lookups, CreateImportSpec, ImportVApp, upload with both checks, complete, annotate, mark as template, rename, logout. */
    importMs: number;
    /** Login, Destroy_Task, logout. */
    deleteMs: number;
    moid: string;
    isTemplate: boolean;
    ovaSha256: string;
    /** RSS once the modules are loaded, before the import, MiB. */
    loadedRssMiB: number;
    /** process.memoryUsage() at the end, MiB. */
    endMemoryMiB: Record<string, number>;
    /** VmHWM of /proc/self/status at the end, MiB. */
    vmHwmMiB: number;
    /** CPU time of this process, ms. */
    cpuMs: number;
    /** The importer's own upload rate, from its last progress line. */
    uploadMiBps?: number;
    /** Whether the digests went through the native SHA-NI module (else OpenSSL). */
    nativeSha256: boolean;
}

function readStdin(): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        process.stdin.on("data", (c: Buffer) => chunks.push(c));
        process.stdin.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.once("error", reject);
    });
}

const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

async function main(): Promise<void> {
    const request = JSON.parse(await readStdin()) as OvaImportRequest;
    const log: string[] = [];
    const t0 = process.hrtime.bigint();
    const observed = await importOvaTemplate(request, (message) => {
        log.push(message);
        process.stderr.write(`${message}\n`);
    });
    const t1 = process.hrtime.bigint();
    const deleted = await withVsphere(request.connection, (client) => destroyTemplate(client, observed.moid));
    if (!deleted) throw new Error(`${observed.moid} was gone before the delete`);
    const t2 = process.hrtime.bigint();
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/self/status", "utf8"));
    const uploaded = log.map((line) => / uploaded .* at ([\d.]+) MiB\/s/.exec(line)).filter((m): m is RegExpExecArray => m !== null).pop();
    const cpu = process.cpuUsage();
    const result: WorkerResult = {
        loadMs: ms(processStart, loadedAt),
        importMs: ms(t0, t1),
        deleteMs: ms(t1, t2),
        moid: observed.moid,
        isTemplate: observed.isTemplate,
        ovaSha256: observed.ovaSha256,
        loadedRssMiB: Math.round(rssAfterLoad / 104857.6) / 10,
        endMemoryMiB: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 104857.6) / 10])),
        vmHwmMiB: hwm ? Math.round(Number(hwm[1]) / 102.4) / 10 : NaN,
        cpuMs: (cpu.user + cpu.system) / 1000,
        uploadMiBps: uploaded ? Number(uploaded[1]) : undefined,
        nativeSha256: nativeSha256Path() !== undefined,
    };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
});
