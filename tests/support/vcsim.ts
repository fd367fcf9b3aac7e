/**
 * vCenter simulator for the integration tests: govmomi 0.24.2's vcsim (Debian's
 * golang-github-vmware-govmomi-dev) with our small main (tests/support/vcsim/main.go), built once
 * per main.go content into .cache/vcsim/ and started on 127.0.0.1 with TLS and a checked
 * user/password. Started and stopped by PID.
 *
 * ```ts
 * let vc: Vcsim;
 * before(async function () { this.timeout(180_000); vc = await startVcsim(); });
 * after(() => vc?.stop());
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { VsphereSoapClient } from "../../components/vsphere/soapClient";
import type { VsphereConnection } from "../../components/vsphere/vimTypes";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const MAIN_GO = path.join(__dirname, "vcsim", "main.go");
const CACHE_DIR = path.join(PROJECT_ROOT, ".cache", "vcsim");
const DEBIAN_GOPATH = "/usr/share/gocode";
const GOVMOMI_SIMULATOR = path.join(DEBIAN_GOPATH, "src", "github.com", "vmware", "govmomi", "simulator");
const INSTALL_HINT = "apt-get install golang-go golang-github-vmware-govmomi-dev";
const READY_PREFIX = "VCSIM_URL=";

export interface VcsimOptions {
    /** Default "administrator@vsphere.local". */
    username?: string;
    /** Default: a random password. Passed through the environment, never the command line. */
    password?: string;
    /** Default 0: an ephemeral port. */
    port?: number;
    /** Time allowed for the ready line after spawn, ms (default 20000). */
    startTimeoutMs?: number;
    /** Time allowed for a cold build, ms (default 300000). */
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

function checkToolchain(): string {
    const go = spawnSync("go", ["version"], { encoding: "utf8" });
    if (go.error || go.status !== 0) {
        throw new Error(`vcsim: the Go toolchain is missing (go version: ${go.error?.message ?? go.stderr.trim()}); install it with: ${INSTALL_HINT}`);
    }
    if (!fs.existsSync(path.join(GOVMOMI_SIMULATOR, "simulator.go"))) {
        throw new Error(`vcsim: govmomi's source is missing (${GOVMOMI_SIMULATOR}); install it with: ${INSTALL_HINT}`);
    }
    return go.stdout.trim();
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, output });
        });
    });
}

/**
 * Builds tests/support/vcsim/main.go (GOPATH mode, offline) unless a binary for the same source
 * hash is cached; returns the binary's path.
 */
export async function buildVcsim(opts: { timeoutMs?: number } = {}): Promise<string> {
    const source = fs.readFileSync(MAIN_GO);
    const goVersion = checkToolchain();
    const hash = crypto.createHash("sha256").update(source).update(goVersion).digest("hex").slice(0, 16);
    const binary = path.join(CACHE_DIR, "bin", `vcsim-${hash}`);
    if (fs.existsSync(binary)) {
        return binary;
    }
    const gopath = path.join(CACHE_DIR, "gopath");
    const pkgDir = path.join(gopath, "src", "palette-airgap-vcsim");
    fs.mkdirSync(pkgDir, { recursive: true });
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.writeFileSync(path.join(pkgDir, "main.go"), source);
    const tmp = `${binary}.tmp-${process.pid}`;
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        GOPATH: `${gopath}${path.delimiter}${DEBIAN_GOPATH}`,
        GO111MODULE: "off",
        GOFLAGS: "",
        GOPROXY: "off",
        GOCACHE: path.join(CACHE_DIR, "gocache"),
        CGO_ENABLED: "0",
    };
    const res = await run("go", ["build", "-o", tmp, "."], { cwd: pkgDir, env, timeoutMs: opts.timeoutMs ?? 300_000 });
    if (res.code !== 0 || !fs.existsSync(tmp)) {
        fs.rmSync(tmp, { force: true });
        throw new Error(
            `vcsim: go build failed (exit ${res.code}) in ${pkgDir}:\n${res.output.trim()}\n` +
                `It needs Debian's Go and govmomi source: ${INSTALL_HINT}`,
        );
    }
    fs.renameSync(tmp, binary); // atomic: concurrent builders both end with a complete binary
    return binary;
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
