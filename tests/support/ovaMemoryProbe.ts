/**
 * Child-process probe for the OVA memory test: reads one OVA with openOva() in a fresh process (a
 * clean RSS baseline, free of what the test process allocated before) and prints, as JSON, the
 * peak RSS growth seen while reading. `--hold` keeps every chunk (a deliberately buffering reader),
 * the control that shows the probe can see buffering.
 *
 * Usage: node --expose-gc -r ts-node/register/transpile-only tests/support/ovaMemoryProbe.ts <ova> [--hold]
 */
import { openOva } from "../../components/vsphere/ovaArchive";

async function main(): Promise<void> {
    const [ovaPath, mode] = process.argv.slice(2);
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
        for await (const c of f.stream as AsyncIterable<Buffer>) {
            bytes += c.length;
            if (hold) kept.push(c);
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
