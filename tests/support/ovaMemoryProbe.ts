/**
 * Child-process probe for the OVA memory test: reads one OVA with openOva() in a fresh process (a
 * clean RSS baseline, free of what the test process allocated before) and prints, as JSON, the
 * peak RSS growth seen while reading. `--hold` keeps every chunk (a deliberately buffering reader),
 * the control that shows the probe can see buffering.
 *
 * `--descriptor <file.ovf>` instead parses one descriptor with parseOvfDescriptor and prints the
 * growth of the peak RSS (VmHWM, reset first: the parse is synchronous, so sampling cannot see it)
 * and the time taken.
 *
 * Usage: node --expose-gc -r ts-node/register/transpile-only tests/support/ovaMemoryProbe.ts <ova> [--hold]
 *        node --expose-gc -r ts-node/register/transpile-only tests/support/ovaMemoryProbe.ts --descriptor <file.ovf>
 */
import * as fs from "fs";
import { openOva, parseOvfDescriptor } from "../../components/vsphere/ovaArchive";

function peakRss(): number {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
}

function probeDescriptor(file: string): void {
    const xml = fs.readFileSync(file, "utf8");
    (globalThis as { gc?: () => void }).gc?.();
    fs.writeFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
    const base = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    const summary = parseOvfDescriptor(xml, file);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const peak = Math.max(peakRss(), process.memoryUsage().rss);
    process.stdout.write(JSON.stringify({ base, peak, growth: peak - base, ms, chars: xml.length, files: summary.files.length }) + "\n");
}

async function main(): Promise<void> {
    const [ovaPath, mode] = process.argv.slice(2);
    if (ovaPath === "--descriptor") return probeDescriptor(mode);
    const hold = mode === "--hold";
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
    gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    const kept: Buffer[] = [];
    let bytes = 0;
    const reader = await openOva(ovaPath);
    for await (const f of reader.files()) {
        // The importer's path: segments lent from the reader's shared buffers, released once used.
        for await (const segment of f.segments()) {
            bytes += segment.data.length;
            if (hold) kept.push(Buffer.from(segment.data));
            segment.release();
        }
        await f.verified;
    }
    const res = await reader.finish();
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    process.stdout.write(JSON.stringify({ base, peak, growth: peak - base, bytes, held: kept.length, sha256: res.sha256 }) + "\n");
}

main().catch((e) => {
    process.stderr.write(String((e as Error).stack ?? e) + "\n");
    process.exit(1);
});
