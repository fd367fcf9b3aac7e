/**
 * The real Pulumi CLI for the end-to-end tests: `pulumi` and its language hosts as
 * scripts/pulumi-toolchain.sh builds them from Go modules into .tools/pulumi/bin, run as a user
 * runs them, with a PULUMI_HOME, a `file://` backend and a passphrase of the test's own, and an
 * environment built from scratch (nothing of the developer's Pulumi settings leaks in). Plugins
 * are never downloaded (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION).
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");
export const TOOLCHAIN_BIN = path.join(PROJECT_ROOT, ".tools", "pulumi", "bin");
const STANDINS = path.join(PROJECT_ROOT, "tests", "e2e", "standins");

/** The plugins the program needs that cannot be built here, and their stand-ins (tests/e2e/standins). */
export const STAND_IN_PLUGINS = [
    { name: "vsphere", version: "4.17.0", entry: path.join(STANDINS, "vsphereStandIn.ts") },
    { name: "command", version: "1.2.1", entry: path.join(STANDINS, "commandStandIn.ts") },
];

export function toolchainReady(): boolean {
    return ["pulumi", "pulumi-language-nodejs"].every((name) => fs.existsSync(path.join(TOOLCHAIN_BIN, name)));
}

/** Skips (outside CI) or fails (in CI, where nothing may skip) when the toolchain is not built. */
export function requireToolchain(context: Mocha.Context): void {
    if (toolchainReady()) return;
    const why = `the Pulumi toolchain is not built (${TOOLCHAIN_BIN}): run ./scripts/pulumi-toolchain.sh`;
    if (process.env.CI === "true") throw new Error(why);
    console.warn(`    skipped: ${why}`);
    context.skip();
}

export interface CliResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** stdout then stderr, what a user sees on the terminal. */
    output: string;
}

export interface RunOptions {
    cwd: string;
    input?: string;
    env?: Record<string, string>;
    /** Default 10 minutes. */
    timeoutMs?: number;
}

/** One user's machine: a PULUMI_HOME, a file backend, a passphrase; every command run with them. */
export class PulumiSession {
    readonly dir: string;
    readonly home: string;
    readonly stateDir: string;
    readonly passphraseFile: string;
    readonly env: Record<string, string>;
    private readonly children = new Set<ChildProcess>();

    constructor(extraEnv: Record<string, string> = {}) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-e2e-"));
        this.home = path.join(this.dir, "pulumi-home");
        this.stateDir = path.join(this.dir, "state");
        fs.mkdirSync(this.home, { recursive: true });
        fs.mkdirSync(this.stateDir, { recursive: true });
        this.passphraseFile = path.join(this.dir, "passphrase");
        fs.writeFileSync(this.passphraseFile, `e2e-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
        const keep = ["HOME", "USER", "LANG", "TERM", "TMPDIR", "SSH_AUTH_SOCK"];
        this.env = {
            ...Object.fromEntries(keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!])),
            PATH: [TOOLCHAIN_BIN, path.dirname(process.execPath), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"),
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.stateDir}`,
            PULUMI_CONFIG_PASSPHRASE_FILE: this.passphraseFile,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            NO_COLOR: "1",
            ...extraEnv,
        };
    }

    /** Installs the stand-ins as the real plugins are installed: $PULUMI_HOME/plugins/resource-<name>-v<version>/. */
    installStandIns(): void {
        for (const plugin of STAND_IN_PLUGINS) {
            const dir = path.join(this.home, "plugins", `resource-${plugin.name}-v${plugin.version}`);
            fs.mkdirSync(dir, { recursive: true });
            const executable = path.join(dir, `pulumi-resource-${plugin.name}`);
            const register = path.join(PROJECT_ROOT, "node_modules", "ts-node", "register", "transpile-only");
            fs.writeFileSync(
                executable,
                [
                    "#!/bin/sh",
                    `# Stand-in for the ${plugin.name} ${plugin.version} plugin (tests/e2e/standins): its module is not served here.`,
                    `TS_NODE_PROJECT='${path.join(PROJECT_ROOT, "tsconfig.json")}' exec '${process.execPath}' -r '${register}' '${plugin.entry}' "$@"`,
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
        }
    }

    /** Runs a command (default `pulumi`) to its end; never throws for a non-zero exit. */
    run(args: string[], options: RunOptions, command = path.join(TOOLCHAIN_BIN, "pulumi")): Promise<CliResult> {
        const child = this.start(args, options, command);
        return finished(child, options.timeoutMs ?? 600_000);
    }

    /** Starts a command without waiting (for a test that interrupts it). */
    start(args: string[], options: RunOptions, command = path.join(TOOLCHAIN_BIN, "pulumi")): ChildProcess {
        const child = spawn(command, args, { cwd: options.cwd, env: { ...this.env, ...(options.env ?? {}) }, stdio: ["pipe", "pipe", "pipe"] });
        this.children.add(child);
        child.on("close", () => this.children.delete(child));
        child.stdin!.end(options.input ?? "");
        return child;
    }

    /** Stops every command still running, removes the session's directory. */
    async cleanup(): Promise<void> {
        await Promise.all([...this.children].map((child) => stopTree(child)));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Collects a started command's output until it exits (SIGKILL after timeoutMs). */
export function finished(child: ChildProcess, timeoutMs: number): Promise<CliResult> {
    return new Promise((resolve) => {
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout, stderr, output: `${stdout}\n${stderr}` });
        });
    });
}

async function stopTree(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGINT");
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
}

/** Fails with the command's whole output when it did not exit 0. */
export function assertSucceeded(result: CliResult, what: string): void {
    if (result.code !== 0) {
        throw new Error(`${what} exited ${result.code ?? result.signal}:\n${result.output.slice(-20000)}`);
    }
}

/**
 * For a describe whose tests are one user's steps in order, each on the state the one before left:
 * once a step fails, the following ones fail at once (saying so) instead of acting on a broken state.
 */
export function stepsInOrder(): { readonly failed: boolean } {
    const state = { failed: false };
    beforeEach(function () {
        if (state.failed) throw new Error("an earlier step of this session failed");
    });
    afterEach(function () {
        if (this.currentTest?.state === "failed") state.failed = true;
    });
    return state;
}
