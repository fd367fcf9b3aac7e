/**
 * vCenter simulator for the integration tests: govmomi v0.56.0's vcsim with our small main
 * (scripts/toolchain/govmomi/vcsim/main.go), built with govc by scripts/toolchain/govmomi/build.sh
 * from that Go module (govmomi from the Go module proxy, pinned by its go.sum) into
 * .tools/govmomi/bin, and started on 127.0.0.1 with TLS and a checked user/password. Started and
 * stopped by PID.
 *
 * ```ts
 * let vc: Vcsim;
 * before(async function () { this.timeout(180_000); vc = await startVcsim(); });
 * after(() => vc?.stop());
 * ```
 */
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { VsphereSoapClient } from "../../components/vsphere/soapClient";
import type { VsphereConnection } from "../../components/vsphere/vimTypes";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const BUILD_SCRIPT = path.join(PROJECT_ROOT, "scripts", "toolchain", "govmomi", "build.sh");
/** Where build.sh puts vcsim and govc (ignored by git, like the Pulumi tools in .tools/pulumi). */
export const GOVMOMI_BIN = path.join(PROJECT_ROOT, ".tools", "govmomi", "bin");
const READY_PREFIX = "VCSIM_URL=";
/**
 * For the mocha hook that calls startVcsim first (`this.timeout(VCSIM_HOOK_TIMEOUT_MS)`): a cold
 * build of vcsim and govc (empty Go build cache, modules already downloaded) took 180 s on the
 * 2-CPU machine at load 5; with the module downloads and a loaded machine, longer.
 */
export const VCSIM_HOOK_TIMEOUT_MS = 660_000;

export interface VcsimOptions {
    /** Default "administrator@vsphere.local". */
    username?: string;
    /** Default: a random password. Passed through the environment, never the command line. */
    password?: string;
    /** Default 0: an ephemeral port. */
    port?: number;
    /** Time allowed for the ready line after spawn, ms (default 20000). */
    startTimeoutMs?: number;
    /** Time allowed for a cold build of the govmomi tools, ms (default 600000). */
    buildTimeoutMs?: number;
}

export interface Vcsim {
    /** https://127.0.0.1:PORT/sdk */
    url: string;
    /** 127.0.0.1:PORT */
    host: string;
    username: string;
    password: string;
    /** PEM of the simulator's self-signed certificate (its own CA). */
    caFile: string;
    pid: number;
    /** A VsphereConnection for this simulator (caFile set, verification on). */
    connection(overrides?: Partial<VsphereConnection>): VsphereConnection;
    /** The simulator's stderr so far (its log, last 256 KiB). */
    stderr(): string;
    /** SIGTERM, then SIGKILL after 5 s; removes the temporary directory. Idempotent. */
    stop(): Promise<void>;
}

export interface GovmomiTools {
    vcsim: string;
    govc: string;
}

/**
 * Runs scripts/toolchain/govmomi/build.sh, which builds vcsim and govc unless binaries for the same
 * sources are already in .tools/govmomi/bin (then it returns at once), and waits for another
 * caller's build in progress; returns the binaries' paths. A cold build compiles govmomi with
 * Go >= 1.25 (minutes on two cores); its failure names the module and the step.
 */
export function buildGovmomiTools(opts: { timeoutMs?: number } = {}): Promise<GovmomiTools> {
    const timeoutMs = opts.timeoutMs ?? 600_000;
    return new Promise((resolve, reject) => {
        // Its own process group, so that a timeout stops `go build` and the compilers too, not
        // only bash (the group is the one this spawn created, ended by its id).
        const child = spawn("bash", [BUILD_SCRIPT, GOVMOMI_BIN], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-64 * 1024)));
        const timer = setTimeout(() => {
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
            reject(new Error(`govmomi tools: ${BUILD_SCRIPT} ${GOVMOMI_BIN} did not finish within ${timeoutMs} ms; stderr:\n${stderr.trim()}`));
        }, timeoutMs);
        child.once("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`govmomi tools: could not run ${BUILD_SCRIPT}: ${e.message}`));
        });
        child.once("close", (code) => {
            clearTimeout(timer);
            const vcsim = path.join(GOVMOMI_BIN, "vcsim");
            const govc = path.join(GOVMOMI_BIN, "govc");
            if (code !== 0 || !fs.existsSync(vcsim) || !fs.existsSync(govc)) {
                reject(new Error(`govmomi tools: ${BUILD_SCRIPT} ${GOVMOMI_BIN} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`));
                return;
            }
            resolve({ vcsim, govc });
        });
    });
}

/** Builds the tools if needed (buildGovmomiTools) and returns vcsim's path. */
export async function buildVcsim(opts: { timeoutMs?: number } = {}): Promise<string> {
    return (await buildGovmomiTools(opts)).vcsim;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
    for (const child of running) {
        if (child.pid !== undefined && child.exitCode === null) {
            try {
                process.kill(child.pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
    }
});

/** Builds (if needed) and starts vcsim; resolves when it prints its URL. */
export async function startVcsim(opts: VcsimOptions = {}): Promise<Vcsim> {
    const binary = await buildVcsim({ timeoutMs: opts.buildTimeoutMs });
    const username = opts.username ?? "administrator@vsphere.local";
    const password = opts.password ?? `Vc-${crypto.randomBytes(9).toString("base64url")}&<x>`;
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "vcsim-"));
    const caFile = path.join(tmpDir, "vcsim-ca.pem");

    const child = spawn(binary, ["-username", username, "-port", String(opts.port ?? 0), "-cert-file", caFile], {
        cwd: tmpDir,
        env: { ...process.env, VCSIM_PASSWORD: password, TMPDIR: tmpDir },
        stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-256 * 1024);
    });

    let stopped = false;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async (): Promise<void> => {
        if (stopped) {
            return;
        }
        stopped = true;
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
            try {
                process.kill(child.pid, "SIGTERM");
            } catch {
                // already gone
            }
            const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
            if (!killed) {
                try {
                    process.kill(child.pid, "SIGKILL");
                } catch {
                    // already gone
                }
                await exited;
            }
        }
        running.delete(child);
        fs.rmSync(tmpDir, { recursive: true, force: true });
    };

    const url = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        const fail = (why: string) => {
            clearTimeout(timer);
            void stop();
            reject(new Error(`vcsim (${binary}) ${why}; stderr:\n${stderr.trim() || "(empty)"}`));
        };
        const timer = setTimeout(() => fail(`printed no ${READY_PREFIX} line within ${opts.startTimeoutMs ?? 20_000} ms`), opts.startTimeoutMs ?? 20_000);
        child.stdout!.on("data", (d: Buffer) => {
            stdout += d.toString();
            const line = stdout.split("\n").find((l) => l.startsWith(READY_PREFIX));
            if (line) {
                clearTimeout(timer);
                resolve(line.slice(READY_PREFIX.length).trim());
            }
        });
        child.once("error", (e) => fail(`could not start: ${e.message}`));
        child.once("exit", (code, signal) => fail(`exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.stdout!.resume();

    const host = new URL(url).host;
    return {
        url,
        host,
        username,
        password,
        caFile,
        pid: child.pid!,
        connection: (overrides = {}) => ({ server: url, user: username, password, caFile, allowUnverifiedSsl: false, ...overrides }),
        stderr: () => stderr,
        stop,
    };
}

/**
 * Runs `fn` with a SOAP client logged in to the simulator (for changes made "behind Pulumi's
 * back": rename, move, create folder...), logging out afterwards.
 */
export async function withVcsimClient<T>(vc: Vcsim, fn: (client: VsphereSoapClient) => Promise<T>): Promise<T> {
    const client = await VsphereSoapClient.login(vc.connection());
    try {
        return await fn(client);
    } finally {
        await client.logout();
    }
}
