/**
 * Runs the copy script of components/fileserver/copyScript.ts as ManifestFileServer's local
 * Command runs it (`/bin/bash -c <script>`, the private key in the environment variable
 * SSH_PRIVATE_KEY_ENV), in its own TMPDIR so a test sees what it leaves there. Optionally samples
 * every process's command line (and the environment of every ssh) while it runs, to show where a
 * secret travels.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CopySpec, SSH_PRIVATE_KEY_ENV, copyToServerScript } from "../../components/fileserver/copyScript";

export interface CopyRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** Milliseconds from start to exit. */
    elapsedMs: number;
    /** What the script left in its TMPDIR, every file and directory below it (removed afterwards). */
    leftInTmp: string[];
    /** Distinct command lines seen while it ran (with `watchProcesses`). */
    commandLines: string[];
    /** Environments of the ssh processes seen while it ran (with `watchProcesses`). */
    sshEnvironments: string[];
}

export interface CopyRunOptions {
    /** The private key, sent as the Command sends it; undefined: none (the SSH agent). */
    privateKey?: string;
    /** More environment (SSH_AUTH_SOCK...). SSH_AUTH_SOCK of the test process is dropped unless given here. */
    env?: Record<string, string>;
    /** Working directory of bash. Default: a fresh temporary directory. */
    cwd?: string;
    /** Sample /proc every few ms while the script runs. */
    watchProcesses?: boolean;
    /** Called with bash's PID once it started (to signal it). */
    onStart?: (pid: number) => void;
}

export async function runCopy(spec: CopySpec, options: CopyRunOptions = {}): Promise<CopyRun> {
    const script = copyToServerScript(spec);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "palette-copy-tmp-"));
    const cwd = options.cwd ?? tmp;
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, ...options.env };
    if (!options.env?.SSH_AUTH_SOCK) delete env.SSH_AUTH_SOCK;
    delete env[SSH_PRIVATE_KEY_ENV];
    if (options.privateKey !== undefined) env[SSH_PRIVATE_KEY_ENV] = options.privateKey;

    const started = Date.now();
    const child = spawn("/bin/bash", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    options.onStart?.(child.pid!);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const commandLines = new Set<string>();
    const sshEnvironments = new Set<string>();
    let sampler: NodeJS.Timeout | undefined;
    if (options.watchProcesses) {
        sampler = setInterval(() => sampleProcesses(commandLines, sshEnvironments), 5);
    }
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    if (sampler) clearInterval(sampler);
    const elapsedMs = Date.now() - started;
    const leftInTmp = fs.readdirSync(tmp, { recursive: true }).map(String).sort();
    fs.rmSync(tmp, { recursive: true, force: true });
    return {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        elapsedMs,
        leftInTmp,
        commandLines: [...commandLines],
        sshEnvironments: [...sshEnvironments],
    };
}

function sampleProcesses(commandLines: Set<string>, sshEnvironments: Set<string>): void {
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`).toString("utf8").replace(/\0/g, " ");
            commandLines.add(commandLine);
            if (/^(\S*\/)?ssh /.test(commandLine)) {
                sshEnvironments.add(fs.readFileSync(`/proc/${entry}/environ`).toString("utf8"));
            }
        } catch {
            // the process ended meanwhile
        }
    }
}
