/**
 * Benchmark of the native SHA-256 addon (native/sha256pair.c) against OpenSSL (node:crypto), in
 * memory: N GiB fed as 1 MiB chunks from four reused 1 MiB buffers of random bytes (the way the
 * OVA import feeds its reused read buffers), per round:
 *
 *   (a) openssl x1    one createHash("sha256"), update per chunk
 *   (b) openssl x2    two createHash("sha256"), each chunk into one then the other (the import's
 *                     two digests today: the whole OVA's and the manifest's disk entry's)
 *   (c) native pair   updatePair per chunk: both digests in one pass
 *   (d) native x1     update per chunk: one digest
 *
 * Wall time (hrtime) and CPU time (process.cpuUsage: user + system) per contender, the order
 * rotated every round; medians of `--runs` rounds. Every round checks that all digests agree.
 * The machine is shared: the load average before and after is printed with the table.
 *
 *   npx ts-node --transpile-only bench/sha256Pair.ts [--sizes 1024,4096] [--runs 5]
 */
import { createHash, randomBytes } from "crypto";
import * as os from "os";
import { probeNativeSha256, type Sha256PairModule } from "../components/vsphere/sha256Native";

const MIB = 1024 * 1024;
const USAGE = "bench/sha256Pair.ts [--sizes 1024,4096] [--runs 5]";

interface Args {
    sizesMiB: number[];
    runs: number;
}

interface Sample {
    wallMs: number;
    cpuMs: number;
    digests: string[];
}

type Contender = { name: string; digests: number; run: (chunks: Buffer[], count: number) => string[] };

function parseArgs(argv: string[]): Args {
    const args: Args = { sizesMiB: [1024, 4096], runs: 5 };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        if (argv[i] === "--sizes" && value) {
            args.sizesMiB = value.split(",").map(Number);
            i++;
        } else if (argv[i] === "--runs" && value) {
            args.runs = Number(value);
            i++;
        } else {
            throw new Error(`usage: ${USAGE}`);
        }
    }
    if (!args.sizesMiB.every((size) => Number.isInteger(size) && size > 0) || !Number.isInteger(args.runs) || args.runs < 1) throw new Error(`usage: ${USAGE}`);
    return args;
}

function contenders(native: Sha256PairModule): Contender[] {
    const state = () => {
        const s = new Uint8Array(native.STATE_BYTES);
        native.init(s);
        return s;
    };
    return [
        {
            name: "(a) openssl x1",
            digests: 1,
            run: (chunks, count) => {
                const hash = createHash("sha256");
                for (let i = 0; i < count; i++) hash.update(chunks[i % chunks.length]);
                return [hash.digest("hex")];
            },
        },
        {
            name: "(b) openssl x2",
            digests: 2,
            run: (chunks, count) => {
                const a = createHash("sha256");
                const b = createHash("sha256");
                for (let i = 0; i < count; i++) {
                    a.update(chunks[i % chunks.length]);
                    b.update(chunks[i % chunks.length]);
                }
                return [a.digest("hex"), b.digest("hex")];
            },
        },
        {
            name: "(c) native pair",
            digests: 2,
            run: (chunks, count) => {
                const a = state();
                const b = state();
                for (let i = 0; i < count; i++) native.updatePair(a, b, chunks[i % chunks.length]);
                return [native.final(a).toString("hex"), native.final(b).toString("hex")];
            },
        },
        {
            name: "(d) native x1",
            digests: 1,
            run: (chunks, count) => {
                const a = state();
                for (let i = 0; i < count; i++) native.update(a, chunks[i % chunks.length]);
                return [native.final(a).toString("hex")];
            },
        },
    ];
}

function measure(contender: Contender, chunks: Buffer[], count: number): Sample {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const digests = contender.run(chunks, count);
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const used = process.cpuUsage(cpu);
    return { wallMs, cpuMs: (used.user + used.system) / 1000, digests };
}

const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const middle = sorted.length >> 1;
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const load = () => os.loadavg()[0].toFixed(2);

function main(): void {
    const args = parseArgs(process.argv.slice(2));
    const probe = probeNativeSha256();
    if (!probe.available) throw new Error(`the native SHA-256 addon is unavailable: ${probe.reason}`);
    const chunks = Array.from({ length: 4 }, () => randomBytes(MIB));
    const all = contenders(probe.module);
    const cpu = os.cpus();
    const loadBefore = load();
    console.log(`Machine: node ${process.version}, ${cpu.length} CPU(s) (${cpu[0]?.model ?? "unknown"}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB; load average ${loadBefore} at the start`);
    console.log(`Command: npx ts-node --transpile-only bench/sha256Pair.ts --sizes ${args.sizesMiB.join(",")} --runs ${args.runs} (medians of ${args.runs} rounds)`);
    const rows: string[] = [];
    for (const sizeMiB of args.sizesMiB) {
        const samples = new Map<string, Sample[]>(all.map((c) => [c.name, []]));
        for (let round = 0; round < args.runs; round++) {
            // Rotate the order so no contender always runs first (cold) or last.
            const order = all.map((_, i) => all[(i + round) % all.length]);
            let expected: string | undefined;
            for (const contender of order) {
                const sample = measure(contender, chunks, sizeMiB);
                expected ??= sample.digests[0];
                if (sample.digests.length !== contender.digests || sample.digests.some((d) => d !== expected)) {
                    throw new Error(`${contender.name}: digests ${sample.digests.join(", ")} differ from ${expected}`);
                }
                samples.get(contender.name)!.push(sample);
            }
            process.stderr.write(`${sizeMiB} MiB round ${round + 1}/${args.runs} done\n`);
        }
        const gib = sizeMiB / 1024;
        const med = (name: string) => {
            const s = samples.get(name)!;
            return { wall: median(s.map((x) => x.wallMs)), cpu: median(s.map((x) => x.cpuMs)) };
        };
        const twoOpenssl = med("(b) openssl x2");
        const oneOpenssl = med("(a) openssl x1");
        for (const contender of all) {
            const m = med(contender.name);
            const ratio = contender.digests === 2 ? `${(m.wall / twoOpenssl.wall).toFixed(2)}x of (b)` : `${(m.wall / oneOpenssl.wall).toFixed(2)}x of (a)`;
            rows.push(`| ${sizeMiB >= 1024 ? `${gib} GiB` : `${sizeMiB} MiB`} | ${contender.name} | ${contender.digests} | ${seconds(m.wall)} | ${seconds(m.cpu)} | ${((m.cpu / 1000) / gib).toFixed(3)} | ${(gib / (m.wall / 1000)).toFixed(2)} | ${ratio} |`);
        }
        const pair = med("(c) native pair");
        rows.push(`| ${sizeMiB >= 1024 ? `${gib} GiB` : `${sizeMiB} MiB`} | (c)/(b), (c)/(a) | | ${(pair.wall / twoOpenssl.wall).toFixed(2)}x, ${(pair.wall / oneOpenssl.wall).toFixed(2)}x | ${(pair.cpu / twoOpenssl.cpu).toFixed(2)}x, ${(pair.cpu / oneOpenssl.cpu).toFixed(2)}x | | | |`);
    }
    console.log(`Load average ${load()} at the end\n`);
    console.log("| data | contender | digests | wall | CPU | CPU-s per GiB | GiB/s (wall) | wall ratio |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) console.log(row);
}

main();
