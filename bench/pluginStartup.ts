/**
 * Provider plugin start-up: from exec of bin/pulumi-resource-palette-airgap (as the engine starts
 * it, with an engine address argument) to its port printed on stdout, and its memory (VmRSS then,
 * VmHWM after a GetSchema and a Check over gRPC), against the peer the engine started before for
 * the same resources: the SDK's dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`),
 * which also prints a port. Runs interleaved (plugin, peer, plugin, ...), fresh process each.
 * Prints Markdown on stdout.
 *
 *   npx ts-node --transpile-only bench/pluginStartup.ts [--runs 7]
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import { PluginProcess, PROJECT_ROOT } from "../tests/support/plugin";
import { median } from "./stats";

interface Sample {
    startupMs: number;
    rssMiB: number;
    hwmAfterCallsMiB?: number;
}

function status(pid: number, field: "VmRSS" | "VmHWM"): number {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : NaN;
}

/** The peer: the SDK's dynamic-provider host, started as the engine starts it. */
async function peerSample(): Promise<Sample> {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js"), "127.0.0.1:1"], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
        child.stdout!.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`the dynamic-provider host exited (${code})`)));
    });
    const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
    const rssMiB = status(child.pid!, "VmRSS");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    return { startupMs, rssMiB };
}

async function pluginSample(): Promise<Sample> {
    const plugin = await PluginProcess.start();
    const startupMs = plugin.startupMs; // spawn to port printed (the stand-in engine is up before)
    try {
        const rssMiB = status(plugin.pid, "VmRSS");
        await plugin.getSchema();
        await plugin.check("palette-airgap:registry:HarborProject", "p", {}, { endpoint: "harbor.lab.internal", username: "u", password: "p", projectName: "spectro-packs", public: false });
        return { startupMs, rssMiB, hwmAfterCallsMiB: status(plugin.pid, "VmHWM") };
    } finally {
        await plugin.stop();
    }
}

const min = (values: number[]) => Math.min(...values);

async function main(): Promise<void> {
    const runsIndex = process.argv.indexOf("--runs");
    const runs = runsIndex >= 0 ? Number(process.argv[runsIndex + 1]) : 7;
    const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
    const load0 = os.loadavg();
    const plugin: Sample[] = [];
    const peer: Sample[] = [];
    for (let run = 1; run <= runs; run++) {
        plugin.push(await pluginSample());
        peer.push(await peerSample());
        process.stderr.write(`run ${run}/${runs}: plugin ${Math.round(plugin.at(-1)!.startupMs)} ms, peer ${Math.round(peer.at(-1)!.startupMs)} ms\n`);
    }
    const f = (values: number[]) => `${Math.round(median(values))} (${Math.round(min(values))})`;
    const out: string[] = [];
    out.push("## Provider plugin start-up (bench/pluginStartup.ts)");
    out.push("");
    out.push(`Command: \`npx ts-node --transpile-only bench/pluginStartup.ts${process.argv.slice(2).length ? " " + process.argv.slice(2).join(" ") : ""}\``);
    out.push("");
    out.push(`Node ${process.version}, ${os.cpus().length} CPU(s), load average ${load0.map((l) => l.toFixed(2)).join(" ")} at the start, ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} at the end. N=${runs} each, interleaved; median (min).`);
    out.push("");
    out.push("| process | exec to port printed, ms | RSS at the port, MiB | peak RSS after GetSchema + Check, MiB | start-up vs peer |");
    out.push("|---|---|---|---|---|");
    out.push(`| bin/pulumi-resource-palette-airgap (dist/, compiled) | ${f(plugin.map((s) => s.startupMs))} | ${f(plugin.map((s) => s.rssMiB))} | ${f(plugin.map((s) => s.hwmAfterCallsMiB!))} | ${median(plugin.map((s) => s.startupMs)) / median(peer.map((s) => s.startupMs)) >= 1 ? "+" : ""}${Math.round((median(plugin.map((s) => s.startupMs)) / median(peer.map((s) => s.startupMs)) - 1) * 100)}% |`);
    out.push(`| peer: the SDK's dynamic-provider host | ${f(peer.map((s) => s.startupMs))} | ${f(peer.map((s) => s.rssMiB))} | (loads our code only at the first call) | |`);
    out.push("");
    process.stdout.write(out.join("\n") + "\n");
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
