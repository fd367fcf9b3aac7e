/**
 * One run for bench/runOutput.ts, in a fresh process: runs a script as pulumi-command's local
 * Command does (`/bin/bash -c <script>`), keeping its whole stdout and stderr in memory (the
 * provider keeps them for the state), then parses the result line; or, for the "direct" floor,
 * runs the binary with its output to a file. Prints one JSON line: wall time, parse time, bytes
 * kept, this process's peak RSS and the script tree's peak RSS (GNU time's %M, the largest process).
 *
 *   node -r ts-node/register/transpile-only bench/runOutputWorker.ts <mode> <script-or-binary> <runner-module>
 */
import { spawn } from "child_process";
import * as fs from "fs";

async function main(): Promise<void> {
    const [mode, target, runnerModule] = process.argv.slice(2);
    const started = process.hrtime.bigint();
    const timeFile = `${target}.time`;
    const args = mode === "direct" ? ["-f", "%M", "-o", timeFile, "bash", "-c", `"$0" >"$0.log" 2>&1`, target] : ["-f", "%M", "-o", timeFile, "/bin/bash", "-c", fs.readFileSync(target, "utf8")];
    const child = spawn("/usr/bin/time", args, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const ranMs = Number(process.hrtime.bigint() - started) / 1e6;
    let parseMs = 0;
    if (mode !== "direct") {
        const { parseRunResult } = require(runnerModule) as { parseRunResult(text: string): unknown };
        const parseStarted = process.hrtime.bigint();
        parseRunResult(stdout);
        parseMs = Number(process.hrtime.bigint() - parseStarted) / 1e6;
    }
    const treeRssKiB = Number(fs.readFileSync(timeFile, "utf8").trim().split("\n").pop());
    console.log(
        JSON.stringify({
            status,
            ms: ranMs,
            parseMs,
            keptBytes: Buffer.byteLength(stdout) + Buffer.byteLength(stderr),
            collectorRssMiB: process.resourceUsage().maxRSS / 1024,
            treeRssMiB: treeRssKiB / 1024,
        }),
    );
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
