/**
 * A real SSH server for the tests: Debian's OpenSSH `sshd -D` as root on 127.0.0.1:<free port>,
 * with its own config, host key and one authorised client key (both made by `ssh-keygen` in a
 * temporary directory). Public-key login as root only; no PAM, no password. Stopped by PID.
 * `run` uses the `ssh` client as `command.remote.Command` reaches a file-server VM; `copy` uses
 * `scp` (test setup only: the component copies with ./copyScript, see tests/support/copyRun.ts).
 *
 * Debian packages: openssh-server (sshd), openssh-client (ssh, scp, ssh-keygen).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "./registry";
import { stopChild } from "./childProcess";

export const SSHD_BINARY = "/usr/sbin/sshd";

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export interface TestSshd {
    host: string;
    port: number;
    user: string;
    /** The client's private key file (OpenSSH format, mode 0600). */
    privateKeyPath: string;
    /** The client's private key (what `connection.privateKey` would hold). */
    privateKey: string;
    /** Temporary directory of the server (config, keys, log). */
    dir: string;
    pid: number;
    /** With `forceCommand`: a second port whose every session runs that command instead of the client's. */
    forceCommandPort?: number;
    /** Runs `command` on the server through `ssh`, optionally with `stdin`; never throws for a non-zero exit. */
    run(command: string, stdin?: string): Promise<RunResult>;
    /** Copies a local file to `remotePath` with `scp`; throws when scp fails. */
    copy(localFile: string, remotePath: string): Promise<void>;
    /** Stops sshd (SIGTERM, then SIGKILL) and removes its directory. */
    stop(): Promise<void>;
}

/** True when sshd and the client tools are installed. */
export function sshdAvailable(): boolean {
    return fs.existsSync(SSHD_BINARY) && ["ssh", "scp", "ssh-keygen"].every(hasCommand);
}

export interface SshdOptions {
    /** Listen address (default 127.0.0.1); any address of the loopback range 127.0.0.0/8. */
    host?: string;
    /** Port (default: a free one). */
    port?: number;
    /** The one user allowed to log in (default root); must exist on this machine. */
    user?: string;
    /** PATH of every session (sshd's SetEnv), e.g. with a directory of stand-ins first. Default: sshd's. */
    sessionPath?: string;
    /**
     * Also listen on a second port (`forceCommandPort`) where every session runs this command
     * (sshd's ForceCommand, through the user's shell) whatever the client asked for: a server
     * whose transfers stall, for example.
     */
    forceCommand?: string;
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
    if (process.getuid?.() !== 0) {
        throw new Error("startSshd: sshd must run as root (it logs users in)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-sshd-"));
    const hostKey = path.join(dir, "ssh_host_ed25519_key");
    const clientKey = path.join(dir, "client_ed25519");
    const authorizedKeys = path.join(dir, "authorized_keys");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "palette-airgap-test-host", "-f", hostKey], { stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "palette-airgap-test-client", "-f", clientKey], { stdio: ["ignore", "ignore", "pipe"] });
    fs.copyFileSync(`${clientKey}.pub`, authorizedKeys);
    fs.chmodSync(authorizedKeys, 0o600);
    if ((options.user ?? "root") !== "root") {
        // sshd reads the keys file as the user: let it through the directory (the client key stays 0600).
        fs.chmodSync(dir, 0o755);
        fs.chmodSync(authorizedKeys, 0o644);
    }

    // sshd's privilege-separation directory (Debian's service unit creates it; we are not the unit).
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? (await freePort());
    const user = options.user ?? "root";
    const forceCommandPort = options.forceCommand === undefined ? undefined : await freePort();
    const config = [
        `Port ${port}`,
        `ListenAddress ${host}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        "PermitRootLogin prohibit-password",
        `AllowUsers ${user}`,
        ...(options.sessionPath ? [`SetEnv PATH=${options.sessionPath}`] : []),
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "Subsystem sftp internal-sftp",
        "LogLevel VERBOSE",
        ...(forceCommandPort === undefined ? [] : [`Port ${forceCommandPort}`, `Match LocalPort ${forceCommandPort}`, `    ForceCommand ${options.forceCommand}`]),
        "",
    ].join("\n");
    const configFile = path.join(dir, "sshd_config");
    fs.writeFileSync(configFile, config, { mode: 0o600 });

    try {
        execFileSync(SSHD_BINARY, ["-t", "-f", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(`sshd -t rejected the test configuration:\n${stderr}\n${config}`);
    }

    const logFile = path.join(dir, "sshd.log");
    const logFd = fs.openSync(logFile, "a");
    const child: ChildProcess = spawn(SSHD_BINARY, ["-D", "-e", "-f", configFile], {
        stdio: ["ignore", logFd, logFd],
    });
    fs.closeSync(logFd);
    const pid = child.pid;
    if (pid === undefined) {
        throw new Error(`could not start ${SSHD_BINARY}`);
    }
    let exited: string | undefined;
    child.on("exit", (code, signal) => {
        exited = `exit ${code ?? signal}`;
    });

    const privateKey = fs.readFileSync(clientKey, "utf8");
    const sshOptions = [
        "-F", "/dev/null",
        "-i", clientKey,
        "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "ConnectTimeout=10",
    ];
    const run = (command: string, stdin?: string): Promise<RunResult> =>
        spawnCollect("ssh", [...sshOptions, "-p", String(port), `${user}@${host}`, command], stdin);

    const copy = async (localFile: string, remotePath: string): Promise<void> => {
        const result = await spawnCollect("scp", [...sshOptions, "-q", "-P", String(port), localFile, `${user}@${host}:${remotePath}`]);
        if (result.code !== 0) {
            throw new Error(`scp ${localFile} -> ${remotePath} failed (${result.code ?? result.signal}): ${result.stderr}`);
        }
    };

    const stop = async (): Promise<void> => {
        if (exited === undefined) {
            await stopChild(child, "SIGTERM");
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };

    // Ready when a login runs a command.
    const deadline = Date.now() + 15_000;
    for (;;) {
        if (exited !== undefined) {
            const log = fs.readFileSync(logFile, "utf8");
            await stop();
            throw new Error(`sshd stopped (${exited}) before accepting logins:\n${log}`);
        }
        const probe = await run("echo ready");
        if (probe.code === 0 && probe.stdout.trim() === "ready") {
            break;
        }
        if (Date.now() > deadline) {
            const log = fs.readFileSync(logFile, "utf8");
            await stop();
            throw new Error(`sshd on ${host}:${port} did not accept a login within 15 s: ${probe.stderr}\n${log}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }

    return { host, port, user, privateKeyPath: clientKey, privateKey, dir, pid, forceCommandPort, run, copy, stop };
}

function spawnCollect(command: string, args: string[], stdin?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
        child.on("error", reject);
        child.on("close", (code, signal) =>
            resolve({
                code,
                signal,
                stdout: Buffer.concat(stdout).toString("utf8"),
                stderr: Buffer.concat(stderr).toString("utf8"),
            }),
        );
        child.stdin.on("error", () => undefined); // the remote command may exit before reading all of stdin
        child.stdin.end(stdin ?? "");
    });
}

function hasCommand(name: string): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, name)));
}
