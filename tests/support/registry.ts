/**
 * A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8) on
 * 127.0.0.1:<free port>, HTTPS with a self-signed certificate (IP SAN 127.0.0.1, made by openssl)
 * and htpasswd (bcrypt) authentication, storage in a temporary directory. Stopped by PID.
 *
 * Debian packages: docker-registry, apache2-utils (htpasswd), openssl.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Agent, request } from "undici";
import { stopChild } from "./childProcess";
import { selfSignedCertificate } from "./selfSignedCertificate";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

export interface TestRegistry {
    /** `127.0.0.1:PORT` */
    endpoint: string;
    username: string;
    password: string;
    /** The self-signed certificate (its own CA), PEM. */
    caFile: string;
    /** A directory holding only the CA as `ca.crt` (for skopeo --cert-dir). */
    certDir: string;
    /** Temporary directory of the registry (config, certificate, key, storage, log). */
    dir: string;
    /** PID of the registry process. */
    pid: number;
    /** Repository names from `/v2/_catalog` (authenticated). */
    catalog(): Promise<string[]>;
    /** Tags of one repository from `/v2/<name>/tags/list`. */
    tags(repository: string): Promise<string[]>;
    /** Stops the registry (SIGTERM, then SIGKILL) and removes its directory. */
    stop(): Promise<void>;
}

export interface RegistryOptions {
    username?: string;
    password?: string;
}

/** True when the registry binary and the tools the fixture needs are installed. */
export function registryAvailable(): boolean {
    return fs.existsSync(REGISTRY_BINARY) && hasCommand("htpasswd") && hasCommand("openssl");
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
    const username = options.username ?? "palette";
    const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-registry-"));
    const { certFile, keyFile } = selfSignedCertificate(dir, "registry", "rsa");
    const certDir = path.join(dir, "ca");
    fs.mkdirSync(certDir);
    fs.copyFileSync(certFile, path.join(certDir, "ca.crt"));

    // htpasswd -i reads the password from stdin (bcrypt, -B).
    const htpasswd = execFileSync("htpasswd", ["-niB", username], { input: password, encoding: "utf8" });
    fs.writeFileSync(path.join(dir, "htpasswd"), htpasswd, { mode: 0o600 });

    const port = await freePort();
    const endpoint = `127.0.0.1:${port}`;
    const config = [
        "version: 0.1",
        "log:",
        "  level: info",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${JSON.stringify(path.join(dir, "storage"))}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: ${endpoint}`,
        "  secret: palette-airgap-test",
        "  tls:",
        `    certificate: ${JSON.stringify(certFile)}`,
        `    key: ${JSON.stringify(keyFile)}`,
        "auth:",
        "  htpasswd:",
        "    realm: palette-test",
        `    path: ${JSON.stringify(path.join(dir, "htpasswd"))}`,
        "",
    ].join("\n");
    const configFile = path.join(dir, "config.yml");
    fs.writeFileSync(configFile, config);

    const logFd = fs.openSync(path.join(dir, "registry.log"), "a");
    const child: ChildProcess = spawn(REGISTRY_BINARY, ["serve", configFile], {
        stdio: ["ignore", logFd, logFd],
        detached: false,
    });
    fs.closeSync(logFd);
    const pid = child.pid;
    if (pid === undefined) {
        throw new Error(`could not start ${REGISTRY_BINARY}`);
    }
    let exited: string | undefined;
    child.on("exit", (code, signal) => {
        exited = `exit ${code ?? signal}`;
    });

    const ca = fs.readFileSync(certFile, "utf8");
    const dispatcher = new Agent({ connect: { ca } });
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;

    const stop = async (): Promise<void> => {
        await dispatcher.close().catch(() => undefined);
        if (exited === undefined) {
            await stopChild(child, "SIGTERM");
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };

    // Ready when /v2/ answers 401 (auth required).
    const deadline = Date.now() + 15_000;
    for (;;) {
        if (exited !== undefined) {
            const log = fs.readFileSync(path.join(dir, "registry.log"), "utf8");
            await stop();
            throw new Error(`docker-registry stopped (${exited}) before answering:\n${log}`);
        }
        try {
            const response = await request(`https://${endpoint}/v2/`, { dispatcher });
            await response.body.dump();
            if (response.statusCode === 401) {
                break;
            }
        } catch {
            // not yet listening
        }
        if (Date.now() > deadline) {
            const log = fs.readFileSync(path.join(dir, "registry.log"), "utf8");
            await stop();
            throw new Error(`docker-registry did not answer on https://${endpoint}/v2/ within 15 s:\n${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const getJson = async (urlPath: string): Promise<unknown> => {
        const response = await request(`https://${endpoint}${urlPath}`, { dispatcher, headers: { authorization } });
        const text = await response.body.text();
        if (response.statusCode !== 200) {
            throw new Error(`GET ${urlPath}: HTTP ${response.statusCode}: ${text}`);
        }
        return JSON.parse(text);
    };

    return {
        endpoint,
        username,
        password,
        caFile: certFile,
        certDir,
        dir,
        pid,
        catalog: async () => ((await getJson("/v2/_catalog?n=1000")) as { repositories?: string[] }).repositories ?? [],
        tags: async (repository) => ((await getJson(`/v2/${repository}/tags/list`)) as { tags?: string[] | null }).tags ?? [],
        stop,
    };
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

function hasCommand(name: string): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, name)));
}
