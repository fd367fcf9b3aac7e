/**
 * Benchmark of components/setup/fileDigest.ts on a 2 GiB file (written with real data, not sparse,
 * in the temp directory, deleted at the end), page cache warm, `runs` rounds (default 5) of:
 *   - `openssl dgst -sha256` on the file, the reference (it uses SHA-NI here, as Node does);
 *   - `sha256sum` (coreutils; no SHA-NI here), for comparison;
 *   - fileSha256 without a cache (reads into two reused buffers and hashes);
 * then fileSha256 again with the cache answering. Medians.
 * Targets: fileSha256 >= 90% of openssl's throughput; cached repeat < 50 ms.
 *
 *   npx ts-node --transpile-only bench/sha256.ts [size-in-MiB] [runs]
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileDigest } from "../components/setup/fileDigest";

const MIB = 1024 * 1024;

async function main(): Promise<void> {
    const sizeMiB = Number(process.argv[2] ?? 2048);
    const runs = Number(process.argv[3] ?? 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-sha256-bench-"));
    const file = path.join(dir, "airgap-bench.bin");
    const cacheFile = path.join(dir, "digests.json");
    try {
        process.stdout.write(`writing ${sizeMiB} MiB of random-ish data to ${file} ... `);
        writeFile(file, sizeMiB);
        execFileSync("sync");
        console.log("done");

        // Warm the page cache for both contenders alike (the first reader would otherwise pay the disk).
        execFileSync("cat", [file], { stdio: ["ignore", "ignore", "inherit"] });

        const openssl: number[] = [];
        const sha256sum: number[] = [];
        const ours: number[] = [];
        let expected = "";
        for (let run = 0; run < runs; run++) {
            const o = timed(() => execFileSync("openssl", ["dgst", "-sha256", "-r", file], { encoding: "utf8" }).split(/\s+/)[0]);
            const c = timed(() => execFileSync("sha256sum", [file], { encoding: "utf8" }).split(/\s+/)[0]);
            // A fresh cache file each round: every round hashes.
            const f = await timedAsync(() => fileDigest(file, { cacheFile: path.join(dir, `digests-${run}.json`) }));
            expected ||= o.value;
            if (o.value !== expected || c.value !== expected || f.value.sha256 !== expected || f.value.cached) {
                throw new Error(`digest mismatch: openssl ${o.value}, sha256sum ${c.value}, fileSha256 ${JSON.stringify(f.value)}`);
            }
            openssl.push(o.ms);
            sha256sum.push(c.ms);
            ours.push(f.ms);
            console.log(`  round ${run + 1}: openssl ${o.ms.toFixed(0)} ms, sha256sum ${c.ms.toFixed(0)} ms, fileSha256 ${f.ms.toFixed(0)} ms`);
        }
        await fileDigest(file, { cacheFile });
        const again = await timedAsync(() => fileDigest(file, { cacheFile }));
        if (!again.value.cached || again.value.sha256 !== expected) throw new Error(`the cache did not answer: ${JSON.stringify(again.value)}`);

        const reference = { ms: median(openssl) };
        const first = { ms: median(ours) };
        const rate = (ms: number) => (sizeMiB / (ms / 1000)).toFixed(0);
        const rows: [string, string, string, string][] = [
            ["openssl dgst -sha256", `${reference.ms.toFixed(0)} ms`, `${rate(reference.ms)} MiB/s`, "reference"],
            ["sha256sum", `${median(sha256sum).toFixed(0)} ms`, `${rate(median(sha256sum))} MiB/s`, `${((reference.ms / median(sha256sum)) * 100).toFixed(0)}% of openssl`],
            ["fileSha256 (no cache)", `${first.ms.toFixed(0)} ms`, `${rate(first.ms)} MiB/s`, `${((reference.ms / first.ms) * 100).toFixed(0)}% of openssl (target >= 90%)`],
            ["fileSha256 (cached)", `${again.ms.toFixed(2)} ms`, "-", `target < 50 ms`],
        ];
        const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ["what", "time", "throughput", "note"][i].length));
        const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
        console.log(`\nsha256 of ${sizeMiB} MiB, medians of ${runs} (${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, load average ${os.loadavg()[0].toFixed(2)})`);
        console.log(line(["what", "time", "throughput", "note"]));
        console.log(line(widths.map((w) => "-".repeat(w))));
        for (const row of rows) {
            console.log(line(row));
        }
        const ok = reference.ms / first.ms >= 0.9 && again.ms < 50;
        console.log(`\n${ok ? "PASS" : "MISS"}: fileSha256 ${((reference.ms / first.ms) * 100).toFixed(0)}% of openssl's throughput, cached ${again.ms.toFixed(2)} ms`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Writes `sizeMiB` MiB: a 64 MiB pseudo-random block repeated (real blocks on disk, not sparse). */
function writeFile(file: string, sizeMiB: number): void {
    const block = crypto.randomBytes(64 * MIB);
    const fd = fs.openSync(file, "w");
    try {
        let left = sizeMiB * MIB;
        while (left > 0) {
            const n = Math.min(left, block.length);
            fs.writeSync(fd, block, 0, n);
            left -= n;
        }
    } finally {
        fs.closeSync(fd);
    }
}

function median(values: number[]): number {
    const s = [...values].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timed<T>(fn: () => T): { value: T; ms: number } {
    const start = process.hrtime.bigint();
    const value = fn();
    return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
