/**
 * The cost the engine pays before every preview: exec of the compiled plugin
 * (bin/pulumi-resource-palette-airgap, or the executable given) to its port on stdout, and its
 * peak resident memory at that moment (VmHWM from /proc/<pid>/status, read as soon as the port
 * line arrives). Fresh process each run, started as the engine starts it (tests/support/plugin.ts:
 * a stand-in engine's address as the argument). Prints Markdown with medians (and min/max).
 *
 *   npx ts-node --transpile-only bench/pluginStart.ts [--runs 10] [--executable <path>]
 *
 * It runs what dist/ holds: run `npm run build` first (this does not build, so that a
 * "before" can be measured from any checkout's build).
 */
import * as fs from "fs";
import * as os from "os";
import { PLUGIN_EXECUTABLE, PluginProcess } from "../tests/support/plugin";
import { median } from "./stats";

interface Sample {
    /** spawn to the port line on stdout */
    startMs: number;
    /** VmHWM right after the port line */
    peakMiB: number;
}

function peakMiB(pid: number): number {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : NaN;
}

async function sample(executable: string): Promise<Sample> {
    const plugin = await PluginProcess.start({ executable });
    try {
        // Read first: anything we do meanwhile would let the plugin grow past what it held at the port.
        const peak = peakMiB(plugin.pid);
        return { startMs: plugin.startupMs, peakMiB: peak };
    } finally {
        await plugin.stop();
    }
}


function option(name: string): string | undefined {
    const index = process.argv.indexOf(name);
    return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
    const runs = Number(option("--runs") ?? 10);
    const executable = option("--executable") ?? PLUGIN_EXECUTABLE;
    const load0 = os.loadavg();
    const samples: Sample[] = [];
    for (let run = 1; run <= runs; run++) {
        samples.push(await sample(executable));
        process.stderr.write(`run ${run}/${runs}: ${samples.at(-1)!.startMs} ms, ${samples.at(-1)!.peakMiB.toFixed(1)} MiB\n`);
    }
    const stats = (values: number[], digits: number) =>
        `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;
    const args = process.argv.slice(2);
    const out = [
        `Command: \`npx ts-node --transpile-only bench/pluginStart.ts${args.length ? " " + args.join(" ") : ""}\``,
        "",
        `${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPU(s), load average ${load0.map((l) => l.toFixed(2)).join(" ")} at the start, ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} at the end.`,
        "",
        "| runs | spawn to port, ms: median (min-max) | peak RSS (VmHWM) at the port, MiB: median (min-max) |",
        "|---|---|---|",
        `| ${runs} | ${stats(samples.map((s) => s.startMs), 0)} | ${stats(samples.map((s) => s.peakMiB), 1)} |`,
        "",
    ];
    process.stdout.write(out.join("\n"));
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
