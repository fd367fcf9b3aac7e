/**
 * What a setup run costs when the binary prints hundreds of MB (issue 9, item 6): a fake makeself
 * setup binary (tests/support/makeselfBinaries.ts) prints N MiB of 100-character lines, then
 * pushes to a real docker-registry and writes the manifests zip. Three contenders, each run in a
 * fresh process (bench/runOutputWorker.ts) that keeps the script's whole stdout and stderr in
 * memory, as pulumi-command does for the state:
 *   - direct: the binary alone, its output to a file (the floor: what printing costs);
 *   - ours: the run script of components/setup/runScript.ts (output to the log, a bounded tail kept);
 *   - before: the run script as it was before issue 9 (git show <rev>:components/setup/runScript.ts),
 *     which passed the whole output through to the Command.
 * Reported per size: medians of wall time, parse time of the result line, bytes the Command keeps,
 * peak RSS of the collecting process and of the script tree; ratios ours/direct and ours/before.
 *
 *   npx ts-node --transpile-only bench/runOutput.ts [--sizes 100,400] [--runs 3] [--before cb43d70~1]
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { binaryRunScript } from "../components/setup/runScript";
import { buildFakeSetupBinary } from "../tests/support/makeselfBinaries";
import { startRegistry } from "../tests/support/registry";

const PASSWORD_ENV = "PALETTE_BENCH_REGISTRY_PASSWORD";

interface Sample {
    status: number | null;
    ms: number;
    parseMs: number;
    keptBytes: number;
    collectorRssMiB: number;
    treeRssMiB: number;
}

function option(name: string, fallback: string): string {
    const at = process.argv.indexOf(`--${name}`);
    return at >= 0 ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
    const sizes = option("sizes", "100,400").split(",").map(Number);
    const runs = Number(option("runs", "3"));
    const beforeRev = option("before", "cb43d70~1");
    const root = path.resolve(__dirname, "..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-run-output-bench-"));
    const registry = await startRegistry();
    const loadStart = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
    try {
        const beforeModule = path.join(dir, "runScriptBefore.ts");
        fs.writeFileSync(beforeModule, execFileSync("git", ["show", `${beforeRev}:components/setup/runScript.ts`], { cwd: root, encoding: "utf8" }));
        const oursModule = path.join(root, "components/setup/runScript.ts");
        const rows: string[] = [];
        for (const sizeMiB of sizes) {
            const samples: Record<string, Sample[]> = { direct: [], ours: [], before: [] };
            for (let run = 0; run < runs; run++) {
                for (const mode of ["direct", "ours", "before"] as const) {
                    const work = path.join(dir, `${sizeMiB}-${run}-${mode}`);
                    const binary = buildFakeSetupBinary({ outDir: path.join(work, "bins"), manifestsDir: work, faults: { printMib: sizeMiB } });
                    let target = binary.path;
                    const extraEnv: Record<string, string> = {};
                    if (mode === "direct") {
                        // The binary alone: logged in beforehand, its variables set, output to a file.
                        const dockerConfig = path.join(work, "docker");
                        fs.mkdirSync(dockerConfig, { recursive: true });
                        execFileSync("skopeo", ["login", "--authfile", path.join(dockerConfig, "config.json"), "--cert-dir", registry.certDir, "--username", registry.username, "--password-stdin", registry.endpoint], {
                            input: registry.password,
                            stdio: ["pipe", "ignore", "inherit"],
                        });
                        Object.assign(extraEnv, { DOCKER_CONFIG: dockerConfig, ...ociEnvironment(registry.endpoint) });
                    } else {
                        const module = mode === "ours" ? oursModule : beforeModule;
                        const { binaryRunScript: scriptOf } = require(module) as { binaryRunScript: typeof binaryRunScript };
                        target = path.join(work, "run.sh");
                        fs.writeFileSync(
                            target,
                            scriptOf({
                                binaryPath: binary.path,
                                label: "setup",
                                workDir: path.join(work, "work"),
                                stateDir: path.join(work, "state"),
                                loginTool: "skopeo",
                                logins: [{ kind: "password", registry: registry.endpoint, username: registry.username, passwordEnv: PASSWORD_ENV }],
                                caFile: registry.caFile,
                                environment: ociEnvironment(registry.endpoint),
                                maxAttempts: 1,
                                retryDelaySeconds: 0,
                            }),
                        );
                    }
                    const result = spawnSync(
                        process.execPath,
                        ["-r", "ts-node/register/transpile-only", path.join(__dirname, "runOutputWorker.ts"), mode, target, mode === "ours" ? oursModule : beforeModule],
                        {
                            cwd: root,
                            encoding: "utf8",
                            env: { ...process.env, [PASSWORD_ENV]: registry.password, FAKE_AIRGAP_CERT_DIR: registry.certDir, ...extraEnv },
                            maxBuffer: 1024 * 1024,
                        },
                    );
                    const sample = JSON.parse(result.stdout.trim().split("\n").pop() as string) as Sample;
                    if (sample.status !== 0) {
                        throw new Error(`${mode} ${sizeMiB} MiB run ${run}: exit ${sample.status}\n${result.stderr}`);
                    }
                    samples[mode].push(sample);
                    fs.rmSync(work, { recursive: true, force: true });
                    console.error(`${sizeMiB} MiB run ${run + 1}/${runs} ${mode}: ${JSON.stringify(sample)}`);
                }
            }
            const m = (mode: string, key: keyof Sample) => median(samples[mode].map((s) => Number(s[key])));
            for (const mode of ["direct", "ours", "before"]) {
                rows.push(
                    `| ${sizeMiB} MiB | ${mode} | ${(m(mode, "ms") / 1000).toFixed(2)} s | ${m(mode, "parseMs").toFixed(1)} ms | ${formatBytes(m(mode, "keptBytes"))} | ${m(mode, "collectorRssMiB").toFixed(0)} MiB | ${m(mode, "treeRssMiB").toFixed(0)} MiB |`,
                );
            }
            rows.push(
                `| ${sizeMiB} MiB | ours/direct, ours/before | ${pct(m("ours", "ms"), m("direct", "ms"))}, ${pct(m("ours", "ms"), m("before", "ms"))} | | | ${pct(m("ours", "collectorRssMiB"), m("before", "collectorRssMiB"))} of before | |`,
            );
        }
        const loadEnd = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
        console.log(`Machine: node ${process.version}, ${os.cpus().length} CPU(s), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadStart} at the start, ${loadEnd} at the end.`);
        console.log(`Command: \`npx ts-node --transpile-only bench/runOutput.ts --sizes ${sizes.join(",")} --runs ${runs} --before ${beforeRev}\` (medians of ${runs} runs)`);
        console.log("");
        console.log("| output | contender | wall time | parse result | Command keeps | collector peak RSS | script tree peak RSS |");
        console.log("| --- | --- | --- | --- | --- | --- | --- |");
        for (const row of rows) console.log(row);
    } finally {
        await registry.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function ociEnvironment(endpoint: string): Record<string, string> {
    return { OCI_IMAGE_REGISTRY: endpoint, OCI_IMAGE_BASE: "spectro-images", OCI_PACK_REGISTRY: endpoint, OCI_PACK_BASE: "spectro-packs" };
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function pct(a: number, b: number): string {
    return `${Math.round((a / b) * 100)}%`;
}

function formatBytes(bytes: number): string {
    return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
