/**
 * A real web server for the tests: Debian's nginx (`nginx-light`) in the foreground with a config
 * of ours (`nginx -c <conf> -p <prefix> -e <log> -g 'daemon off;'`) around the server block the
 * file-server VM gets (components/fileserver/cloudInit.ts nginxSite: the web root link followed,
 * no link below it), listening on 127.0.0.1:<free port> and serving `root` as the web root.
 * pid, logs and temp paths live in a temporary directory. Stopped by PID.
 *
 * When run as root, nginx's workers run as `nobody` (nginx's default), so the served files must
 * be world-readable, as with www-data on the VM: the directories above `root` must be traversable.
 *
 * Debian package: nginx-light (or any nginx).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { freePort } from "./registry";
import { stopChild } from "./childProcess";
import { nginxSite } from "../../components/fileserver/cloudInit";

export const NGINX_BINARY = "/usr/sbin/nginx";

export interface NginxOptions {
    /** Directory (or symlink to one) served at `/`; it need not exist yet. */
    root: string;
    /** Listen address (default 127.0.0.1); any address of the loopback range 127.0.0.0/8. */
    host?: string;
    /** Port (default: a free one). */
    port?: number;
}

export interface TestNginx {
    /** `http://127.0.0.1:PORT` (no trailing slash). */
    url: string;
    port: number;
    /** Temporary directory of the server (config, pid, logs, temp paths). */
    dir: string;
    pid: number;
    /** The access and error logs. */
    logs(): string;
    /** Stops nginx (SIGQUIT then SIGKILL: graceful, lets in-flight requests finish) and removes its directory. */
    stop(): Promise<void>;
}

export function nginxAvailable(): boolean {
    return fs.existsSync(NGINX_BINARY);
}

export async function startNginx(options: NginxOptions): Promise<TestNginx> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-nginx-"));
    for (const sub of ["logs", "temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"]) {
        fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? (await freePort());
    const errorLog = path.join(dir, "logs", "error.log");
    const accessLog = path.join(dir, "logs", "access.log");
    const pidFile = path.join(dir, "nginx.pid");
    const config = [
        "worker_processes 1;",
        `pid ${q(pidFile)};`,
        `error_log ${q(errorLog)} info;`,
        "events { worker_connections 256; }",
        "http {",
        "    default_type application/octet-stream;",
        "    types { text/plain yaml yml txt; application/json json; }",
        `    access_log ${q(accessLog)};`,
        `    client_body_temp_path ${q(path.join(dir, "temp/client_body"))};`,
        `    proxy_temp_path ${q(path.join(dir, "temp/proxy"))};`,
        `    fastcgi_temp_path ${q(path.join(dir, "temp/fastcgi"))};`,
        `    uwsgi_temp_path ${q(path.join(dir, "temp/uwsgi"))};`,
        `    scgi_temp_path ${q(path.join(dir, "temp/scgi"))};`,
        "    sendfile on;",
        "    keepalive_timeout 30;",
        // The product's server block, bound to one loopback address only.
        ...nginxSite({ port, webRoot: q(options.root) })
            .split("\n")
            .map((line) => `    ${line.replace(/^(\s*listen )(\d+)/, (_all, listen: string, port: string) => `${listen}${host}:${port}`)}`),
        "}",
        "",
    ].join("\n");
    const configFile = path.join(dir, "nginx.conf");
    fs.writeFileSync(configFile, config);
    const baseArgs = ["-c", configFile, "-p", dir, "-e", errorLog];

    try {
        execFileSync(NGINX_BINARY, [...baseArgs, "-t", "-q"], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`nginx -t rejected the test configuration:\n${stderr}\n${config}`);
    }

    const child: ChildProcess = spawn(NGINX_BINARY, [...baseArgs, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    const pid = child.pid;
    if (pid === undefined) {
        throw new Error(`could not start ${NGINX_BINARY}`);
    }
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
    });
    let exited: string | undefined;
    child.on("exit", (code, signal) => {
        exited = `exit ${code ?? signal}`;
    });

    const logs = (): string =>
        [errorLog, accessLog].map((file) => (fs.existsSync(file) ? `== ${path.basename(file)}\n${fs.readFileSync(file, "utf8")}` : "")).join("\n");

    const stop = async (): Promise<void> => {
        if (exited === undefined) {
            await stopChild(child, "SIGQUIT");
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };

    // Ready when the port accepts a connection.
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(host, port))) {
        if (exited !== undefined || Date.now() > deadline) {
            const why = exited ?? "no answer within 10 s";
            const text = `${stderr}\n${logs()}`;
            await stop();
            throw new Error(`nginx on ${host}:${port} did not start (${why}):\n${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { url: `http://${host}:${port}`, port, dir, pid, logs, stop };
}

/** nginx config string literal (paths with a quote, backslash, `$` or `;` are refused: nginx would read variables or escapes). */
function q(value: string): string {
    if (/["\\$;\n]/.test(value)) {
        throw new Error(`startNginx: unsupported character in path ${JSON.stringify(value)}`);
    }
    return `"${value}"`;
}

function canConnect(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}
