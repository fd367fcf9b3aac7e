/**
 * copyToServerScript (components/fileserver/copyScript.ts): the bounded copy of the manifests zip
 * to the file server. First the script text, then the script run as ManifestFileServer's local
 * Command runs it, against a real OpenSSH sshd on 127.0.0.1 (tests/support/sshd.ts; a second
 * port whose sessions read 64 KiB and then stall), a TCP port that never speaks SSH
 * (tests/support/silentServer.ts), a closed port, a frozen sshd and ssh-agent. The bounds are
 * parameters: the tests use seconds where the defaults are minutes.
 *
 * Debian packages: openssh-server (sshd), openssh-client (ssh, ssh-agent, ssh-add, ssh-keygen).
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import {
    COPIED_MARKER,
    COPY_FAILED_MARKER,
    CopySpec,
    DEFAULT_CONNECT_ATTEMPTS,
    DEFAULT_SERVER_ALIVE_COUNT_MAX,
    DEFAULT_SERVER_ALIVE_INTERVAL_SECONDS,
    DEFAULT_TRANSFER_TIMEOUT_SECONDS,
    SSH_PRIVATE_KEY_ENV,
    copyToServerScript,
    remoteCopyCommand,
} from "../../components/fileserver/copyScript";
import { stopChild } from "../support/childProcess";
import { CopyRun, runCopy } from "../support/copyRun";
import { startSilentServer, SilentServer } from "../support/silentServer";
import { sshdAvailable, startSshd, TestSshd } from "../support/sshd";

const SHA = "c".repeat(64);
const BASE_SPEC: CopySpec = {
    localFile: "/var/tmp/palette/spectro-manifests-1712345678.zip",
    sha256: SHA,
    host: "10.10.100.50",
    user: "ubuntu",
    remotePath: "/tmp/palette-manifests-cccccccccccc.zip",
    credentialKeys: "fileServerSshUser and fileServerSshPrivateKey",
};

function bashSyntaxOk(script: string): void {
    const check = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    assert.strictEqual(check.status, 0, check.stderr);
}

function failureLine(run: CopyRun): string {
    const lines = run.stderr.split("\n").filter((line) => line.startsWith(COPY_FAILED_MARKER));
    assert.strictEqual(lines.length, 1, `one failure line expected:\n${run.stderr}`);
    return lines[0];
}

function retryLines(run: CopyRun): string[] {
    return run.stderr.split("\n").filter((line) => /^cannot connect to .* yet \(attempt \d+ of \d+/.test(line));
}

describe("copyToServerScript: the script text", () => {
    it("is valid bash, strict, deterministic, with the default bounds (1800 s transfer, 15 s x 4 keepalives, 15 s to connect, 30 attempts)", () => {
        const script = copyToServerScript(BASE_SPEC);
        bashSyntaxOk(script);
        assert.match(script, /^set -euo pipefail$/m);
        assert.strictEqual(script, copyToServerScript(BASE_SPEC));
        assert.match(script, new RegExp(`^transfer_timeout=${DEFAULT_TRANSFER_TIMEOUT_SECONDS}$`, "m"));
        assert.match(script, new RegExp(`^connect_attempts=${DEFAULT_CONNECT_ATTEMPTS}$`, "m"));
        assert.match(script, new RegExp(`^stall_seconds=${DEFAULT_SERVER_ALIVE_INTERVAL_SECONDS * DEFAULT_SERVER_ALIVE_COUNT_MAX}$`, "m"));
        assert.match(script, /-o ConnectTimeout=15 -o ConnectionAttempts=1/);
        assert.match(script, /-o ServerAliveInterval=15 -o ServerAliveCountMax=4/);
        assert.match(script, /-o BatchMode=yes/);
        assert.match(script, /timeout --kill-after="\$kill_after" "\$transfer_timeout" ssh /);
        assert.match(script, /^trap cleanup EXIT$/m);
        assert.ok(script.includes(SHA), "the server checks the sha256");
        assert.ok(!script.includes("scp "), "one ssh session, no scp");
    });

    it("single-quotes every value a user can type (host, user, paths); the remote command is quoted twice", () => {
        const hostile = "o'p $(touch pwned) `id` \"x\"";
        const script = copyToServerScript({ ...BASE_SPEC, user: hostile, localFile: `/var/tmp/${hostile}/m.zip`, remotePath: `/tmp/${hostile}.zip`, credentialKeys: hostile });
        bashSyntaxOk(script);
        const quoted = `'o'\\''p $(touch pwned) \`id\` "x"'`;
        assert.ok(script.includes(`user=${quoted}`), "user");
        assert.ok(script.includes(`credential_keys=${quoted}`), "credential keys");
        assert.ok(script.includes(`local_file='/var/tmp/o'\\''p $(touch pwned) \`id\` "x"/m.zip'`), "local file");
        // Evaluated by bash, remote_command is the remote sh's command line; its dest= is quoted again.
        const assignments = script.slice(0, script.indexOf("\nfail() {"));
        const remote = spawnSync("bash", ["-c", `${assignments}\nprintf '%s' "$remote_command"`], { encoding: "utf8" }).stdout;
        assert.strictEqual(remote, remoteCopyCommand(`/tmp/${hostile}.zip`, SHA));
    });

    it("never holds a key; the key comes from the environment variable and goes to a file in the private directory", () => {
        const script = copyToServerScript(BASE_SPEC);
        assert.ok(!/PRIVATE KEY/.test(script));
        assert.ok(script.includes(`key=$${SSH_PRIVATE_KEY_ENV}`));
        assert.ok(script.includes(`unset ${SSH_PRIVATE_KEY_ENV}`), "children never inherit the variable");
        assert.match(script, /\(umask 077 && printf '%s\\n' "\$key" > "\$work\/key"\)/);
        assert.match(script, /-i "\$work\/key" -o IdentitiesOnly=yes -o IdentityAgent=none/);
    });

    it("refuses a bad spec, naming every problem", () => {
        const bad = (override: Partial<CopySpec>, problem: RegExp) => assert.throws(() => copyToServerScript({ ...BASE_SPEC, ...override }), problem);
        bad({ host: "-oProxyCommand=id" }, /host must be a host name or address/);
        bad({ host: "ops@files" }, /host must be/);
        bad({ host: "files lab" }, /host must be/);
        bad({ user: "" }, /user must be a user name/);
        bad({ user: "-l" }, /user must be/);
        bad({ localFile: "relative.zip" }, /localFile must be an absolute file path/);
        bad({ remotePath: "/tmp/a\nb" }, /remotePath must be/);
        bad({ sha256: "abc" }, /sha256 must be 64 hex digits/);
        bad({ port: 0 }, /port must be a whole number from 1 to 65535/);
        bad({ transferTimeoutSeconds: 0.5 }, /transferTimeoutSeconds must be a whole number/);
        bad({ connectAttempts: 0 }, /connectAttempts must be/);
        assert.throws(() => copyToServerScript({ ...BASE_SPEC, host: "-x", port: 70000, sha256: "" }), /sha256 must be.*; host must be.*; port must be/);
    });
});

describe("copyToServerScript against a real sshd (OpenSSH on 127.0.0.1)", function () {
    this.timeout(120_000);
    let sshd: TestSshd;
    let base: string;
    let zip: string;
    let zipSha256: string;
    let zipSize: number;
    /** A key sshd does not authorise. */
    let strangerKey: string;

    before(async function () {
        const tools = ["ssh", "ssh-keygen", "ssh-agent", "ssh-add", "timeout"].every((tool) => spawnSync("bash", ["-c", `command -v ${tool}`]).status === 0);
        if (!(process.getuid?.() === 0 && sshdAvailable() && tools)) {
            const message = "root and openssh-server/openssh-client (sshd, ssh, ssh-agent, ssh-add, ssh-keygen) are needed (apt-get install them)";
            if (process.env.CI) throw new Error(message);
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette-copy-"));
        zip = path.join(base, "spectro-manifests-1712345678.zip");
        // Larger than the SSH channel window and the socket buffers: the stalled server blocks the sender.
        fs.writeFileSync(zip, crypto.randomBytes(6 * 1024 * 1024));
        zipSha256 = crypto.createHash("sha256").update(fs.readFileSync(zip)).digest("hex");
        zipSize = fs.statSync(zip).size;
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(base, "stranger")]);
        strangerKey = fs.readFileSync(path.join(base, "stranger"), "utf8");
        // Port 2: every session says it started, reads 64 KiB and then stalls (a stuck disk, a hung server).
        sshd = await startSshd({ forceCommand: "echo PALETTE_AIRGAP_COPY_STARTED; head -c 65536 >/dev/null; exec sleep 60" });
    });

    after(async () => {
        await sshd?.stop();
        if (base) fs.rmSync(base, { recursive: true, force: true });
    });

    const remoteDir = () => path.join(base, "remote");
    function spec(overrides: Partial<CopySpec> = {}): CopySpec {
        fs.mkdirSync(remoteDir(), { recursive: true });
        return {
            localFile: zip,
            sha256: zipSha256,
            host: sshd.host,
            user: sshd.user,
            port: sshd.port,
            remotePath: path.join(remoteDir(), "palette-manifests.zip"),
            credentialKeys: "fileServerSshUser and fileServerSshPrivateKey",
            connectTimeoutSeconds: 2,
            connectAttempts: 3,
            retryDelaySeconds: 1,
            transferTimeoutSeconds: 60,
            killAfterSeconds: 2,
            ...overrides,
        };
    }
    function sha256Of(file: string): string {
        return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    }
    /** Nothing but `expected` in the remote directory: no partial file. */
    function assertRemoteHolds(expected: string[]): void {
        assert.deepStrictEqual(fs.readdirSync(remoteDir()).sort(), expected.sort());
    }
    /** A key line that is in no ssh output or path: the base64 body of the key. */
    function keyNeedle(key: string): string {
        return key.split("\n")[2];
    }

    it("copies the zip whole (same sha256) into place; no partial file, no key file, the key in no command line, environment of ssh or output", async () => {
        fs.rmSync(remoteDir(), { recursive: true, force: true });
        const run = await runCopy(spec(), { privateKey: sshd.privateKey, watchProcesses: true });
        assert.strictEqual(run.code, 0, run.stderr);
        const destination = path.join(remoteDir(), "palette-manifests.zip");
        assert.strictEqual(sha256Of(destination), zipSha256);
        assert.strictEqual(fs.statSync(destination).mode & 0o777, 0o600, "written with umask 077");
        assertRemoteHolds(["palette-manifests.zip"]);
        assert.match(run.stdout, new RegExp(`^${COPIED_MARKER}${zipSize} bytes to ${destination} on root@127.0.0.1 \\(port ${sshd.port}\\) in \\d+ s$`, "m"));
        assert.deepStrictEqual(run.leftInTmp, [], "the private directory and the key file are gone");
        assert.ok(run.commandLines.some((line) => /^ssh .*-i \S+\/palette-airgap-copy\.\w+\/key /.test(line)), `ssh was seen, with the key file: ${run.commandLines.filter((l) => l.startsWith("ssh")).join("\n")}`);
        const needle = keyNeedle(sshd.privateKey);
        assert.ok(needle.length > 40);
        assert.deepStrictEqual(run.commandLines.filter((line) => line.includes(needle)), [], "the key in a command line");
        assert.ok(run.sshEnvironments.length > 0, "ssh's environment was read");
        assert.deepStrictEqual(run.sshEnvironments.filter((environ) => environ.includes(needle) || environ.includes(SSH_PRIVATE_KEY_ENV)), [], "the key in ssh's environment");
        assert.ok(!run.stdout.includes(needle) && !run.stderr.includes(needle));
    });

    it("replaces an older copy at the destination", async () => {
        const destination = path.join(remoteDir(), "palette-manifests.zip");
        fs.writeFileSync(destination, "an older zip");
        const run = await runCopy(spec(), { privateKey: sshd.privateKey });
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(sha256Of(destination), zipSha256);
        assertRemoteHolds(["palette-manifests.zip"]);
    });

    it("quotes hostile paths: quotes, spaces and $(...) in the local and remote names arrive as names, nothing runs", async () => {
        const hostile = "it's a $(touch pwned) `touch pwned2` dir";
        const localDir = path.join(base, hostile);
        fs.mkdirSync(localDir, { recursive: true });
        const localFile = path.join(localDir, "m $(id).zip");
        fs.copyFileSync(zip, localFile);
        const cwd = fs.mkdtempSync(path.join(base, "cwd-"));
        fs.mkdirSync(path.join(remoteDir(), hostile), { recursive: true });
        const remotePath = path.join(remoteDir(), hostile, "x'y $(touch pwned).zip");
        const run = await runCopy(spec({ localFile, remotePath }), { privateKey: sshd.privateKey, cwd });
        assert.strictEqual(run.code, 0, run.stderr);
        assert.strictEqual(sha256Of(remotePath), zipSha256);
        assert.deepStrictEqual(fs.readdirSync(cwd), [], "nothing ran here");
        for (const where of [base, remoteDir(), os.homedir(), "/root"]) {
            assert.ok(!fs.existsSync(path.join(where, "pwned")) && !fs.existsSync(path.join(where, "pwned2")), `nothing ran in ${where}`);
        }
        fs.rmSync(path.join(remoteDir(), hostile), { recursive: true, force: true });
    });

    it("a hostile user name reaches ssh as one argument: the login is refused at once, nothing runs", async () => {
        const cwd = fs.mkdtempSync(path.join(base, "cwd-"));
        const run = await runCopy(spec({ user: "ops'; touch pwned; echo '$(touch pwned2)", connectAttempts: 5 }), { privateKey: sshd.privateKey, cwd });
        assert.strictEqual(run.code, 1);
        // OpenSSH 9.2's client refuses such a name itself; an older one sends it and sshd refuses the login.
        assert.match(failureLine(run), /failed \(ssh exit status 255\): remote username contains invalid characters|refused the login/);
        assert.deepStrictEqual(retryLines(run), [], "not retried");
        assert.deepStrictEqual(fs.readdirSync(cwd), []);
        assert.ok(!fs.existsSync("/root/pwned") && !fs.existsSync("/root/pwned2"));
        assert.deepStrictEqual(run.leftInTmp, []);
    });

    it("a refused key fails at once, naming the host, the step and the keys to fix; no retry, no key file left", async () => {
        const run = await runCopy(spec({ connectAttempts: 5 }), { privateKey: strangerKey, watchProcesses: true });
        assert.strictEqual(run.code, 1);
        const line = failureLine(run);
        assert.match(line, /the file server root@127\.0\.0\.1 \(port \d+\) refused the login for the copy of the manifests zip with the private key/);
        assert.match(line, /Permission denied \(publickey\)/);
        assert.match(line, /check fileServerSshUser and fileServerSshPrivateKey/);
        assert.deepStrictEqual(retryLines(run), []);
        assert.deepStrictEqual(run.leftInTmp, []);
        assert.deepStrictEqual(run.commandLines.filter((l) => l.includes(keyNeedle(strangerKey))), []);
        assert.ok(!run.stderr.includes(keyNeedle(strangerKey)));
        console.log(`      refused login reported after ${run.elapsedMs} ms`);
    });

    it("without a key uses the SSH agent: with the key in an agent it copies; without an agent the refusal names the agent", async () => {
        const agentDir = fs.mkdtempSync(path.join(base, "agent-"));
        const socket = path.join(agentDir, "agent.sock");
        const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
        try {
            for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
            execFileSync("ssh-add", ["-q", sshd.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: ["ignore", "ignore", "pipe"] });
            fs.rmSync(remoteDir(), { recursive: true, force: true });
            const withAgent = await runCopy(spec(), { env: { SSH_AUTH_SOCK: socket, HOME: agentDir } });
            assert.strictEqual(withAgent.code, 0, withAgent.stderr);
            assert.strictEqual(sha256Of(path.join(remoteDir(), "palette-manifests.zip")), zipSha256);
        } finally {
            await stopChild(agent);
        }
        const noAgent = await runCopy(spec(), { env: { HOME: agentDir } });
        assert.strictEqual(noAgent.code, 1);
        assert.match(failureLine(noAgent), /refused the login .* with the SSH agent \(no private key set; fileServerSshUser and fileServerSshPrivateKey\)/);
    });

    it("a closed port: retried as a connection failure, then fails naming the host, the attempts and the fix", async () => {
        const silent = await startSilentServer({ tls: false });
        const closedPort = silent.port;
        await silent.stop(); // nothing listens there now
        const run = await runCopy(spec({ port: closedPort, connectAttempts: 3, retryDelaySeconds: 1 }), { privateKey: sshd.privateKey });
        assert.strictEqual(run.code, 1);
        assert.strictEqual(retryLines(run).length, 2, run.stderr);
        assert.match(failureLine(run), new RegExp(`cannot connect to the file server root@127\\.0\\.0\\.1 \\(port ${closedPort}\\) to copy the manifests zip after 3 attempt\\(s\\) .*Connection refused; check that 127\\.0\\.0\\.1 is up, runs sshd on port ${closedPort}`));
        assert.deepStrictEqual(run.leftInTmp, []);
        console.log(`      closed port (3 attempts, 1 s apart) reported after ${run.elapsedMs} ms`);
    });

    it("a port that accepts TCP and never speaks SSH fails within the connect bound (ConnectTimeout x attempts)", async () => {
        let silent: SilentServer | undefined;
        try {
            silent = await startSilentServer({ tls: false });
            const run = await runCopy(spec({ port: silent.port, connectTimeoutSeconds: 2, connectAttempts: 2, retryDelaySeconds: 1 }), { privateKey: sshd.privateKey });
            assert.strictEqual(run.code, 1);
            assert.strictEqual(silent.connections(), 2, "two attempts");
            assert.strictEqual(retryLines(run).length, 1);
            assert.match(failureLine(run), /cannot connect to the file server .* after 2 attempt\(s\) .*banner exchange/);
            // 2 x 2 s + 1 s between: the bound, not the 1800 s of the transfer.
            assert.ok(run.elapsedMs >= 4000 && run.elapsedMs < 20_000, `${run.elapsedMs} ms`);
            assert.deepStrictEqual(run.leftInTmp, []);
            console.log(`      silent port (2 attempts of 2 s, 1 s apart) reported after ${run.elapsedMs} ms`);
        } finally {
            await silent?.stop();
        }
    });

    it("a server that sends its SSH banner and then stalls the key exchange: bounded by the keepalives, retried as a connection failure", async () => {
        const received: number[] = [];
        const sockets = new Set<net.Socket>();
        const server = net.createServer((socket) => {
            sockets.add(socket);
            received.push(0);
            socket.write("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
            socket.on("data", () => undefined);
            socket.on("error", () => undefined);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const port = (server.address() as net.AddressInfo).port;
            const run = await runCopy(spec({ port, connectTimeoutSeconds: 2, serverAliveIntervalSeconds: 1, serverAliveCountMax: 2, connectAttempts: 2, retryDelaySeconds: 1 }), { privateKey: sshd.privateKey });
            assert.strictEqual(run.code, 1);
            assert.strictEqual(received.length, 2, "two attempts");
            assert.match(failureLine(run), new RegExp(`cannot connect to the file server root@127\\.0\\.0\\.1 \\(port ${port}\\) to copy the manifests zip after 2 attempt\\(s\\) .*timed out`));
            assert.ok(run.elapsedMs < 20_000, `${run.elapsedMs} ms`);
            assert.deepStrictEqual(run.leftInTmp, []);
            console.log(`      banner, then a stalled key exchange (2 attempts, keepalive 1 s x 2) reported after ${run.elapsedMs} ms`);
        } finally {
            for (const socket of sockets) socket.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        }
    });

    it("a server still booting (sshd frozen, then resumed) is retried until it answers, and the copy succeeds", async () => {
        fs.rmSync(remoteDir(), { recursive: true, force: true });
        process.kill(sshd.pid, "SIGSTOP");
        const resume = setTimeout(() => process.kill(sshd.pid, "SIGCONT"), 3000);
        try {
            const run = await runCopy(spec({ connectTimeoutSeconds: 1, connectAttempts: 10, retryDelaySeconds: 1 }), { privateKey: sshd.privateKey });
            assert.strictEqual(run.code, 0, run.stderr);
            assert.ok(retryLines(run).length >= 1, run.stderr);
            assert.strictEqual(sha256Of(path.join(remoteDir(), "palette-manifests.zip")), zipSha256);
        } finally {
            clearTimeout(resume);
            process.kill(sshd.pid, "SIGCONT");
        }
    });

    it("a server that stalls mid-transfer is stopped by the transfer bound, not retried; nothing is left in place", async () => {
        fs.rmSync(remoteDir(), { recursive: true, force: true });
        const run = await runCopy(spec({ port: sshd.forceCommandPort, transferTimeoutSeconds: 3, connectAttempts: 5 }), { privateKey: sshd.privateKey });
        assert.strictEqual(run.code, 1);
        assert.match(failureLine(run), new RegExp(`copying ${zip} to ${remoteDir()}/palette-manifests.zip on root@127\\.0\\.0\\.1 \\(port ${sshd.forceCommandPort}\\) gave no result within 3 s \\(the copy of the manifests zip to the file server was stopped; nothing was published\\)`));
        assert.deepStrictEqual(retryLines(run), []);
        assertRemoteHolds([]);
        assert.ok(run.elapsedMs >= 3000 && run.elapsedMs < 15_000, `${run.elapsedMs} ms`);
        assert.deepStrictEqual(run.leftInTmp, []);
        console.log(`      stalled transfer (bound 3 s) reported after ${run.elapsedMs} ms`);
    });

    it("a server that stops answering mid-transfer (frozen) is noticed by the keepalives (interval x count), long before the transfer bound", async () => {
        const frozen: number[] = [];
        const freezeSessions = setInterval(() => {
            // The per-connection sshd processes (descendants of the listener), once the transfer runs.
            for (const pid of descendantsOf(sshd.pid)) {
                if (!frozen.includes(pid)) {
                    frozen.push(pid);
                    setTimeout(() => signal(pid, "SIGSTOP"), 500);
                }
            }
        }, 100);
        try {
            const run = await runCopy(spec({ port: sshd.forceCommandPort, transferTimeoutSeconds: 60, serverAliveIntervalSeconds: 1, serverAliveCountMax: 2 }), { privateKey: sshd.privateKey });
            assert.strictEqual(run.code, 1);
            // Usually the freeze comes after the server side said it started ("dropped during the copy");
            // on a loaded machine it can come before its first line reached us: then ssh's own failure is reported.
            assert.match(
                failureLine(run),
                /(the connection to root@127\.0\.0\.1 \(port \d+\) dropped during the copy of the manifests zip to the file server \(no answer for 2 s, or closed\)|copying the manifests zip to the file server root@127\.0\.0\.1 \(port \d+\) failed \(ssh exit status 255\)): Timeout, server 127\.0\.0\.1 not responding\./,
            );
            assert.deepStrictEqual(retryLines(run), []);
            assert.ok(run.elapsedMs < 20_000, `${run.elapsedMs} ms, not the 60 s bound`);
            assert.deepStrictEqual(run.leftInTmp, []);
            console.log(`      frozen server (keepalive 1 s x 2) reported after ${run.elapsedMs} ms`);
        } finally {
            clearInterval(freezeSessions);
            await new Promise((resolve) => setTimeout(resolve, 600)); // the last pending SIGSTOP
            for (const pid of frozen) {
                signal(pid, "SIGCONT");
                signal(pid, "SIGTERM");
            }
        }
    });

    it("a script stopped by SIGTERM (Ctrl-C of pulumi up) removes its private directory and the key file", async () => {
        let bash = 0;
        const running = runCopy(spec({ port: sshd.forceCommandPort, transferTimeoutSeconds: 60 }), { privateKey: sshd.privateKey, onStart: (pid) => (bash = pid) });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const signalled = Date.now();
        process.kill(bash, "SIGTERM");
        const run = await running;
        assert.strictEqual(run.code, 143);
        assert.ok(Date.now() - signalled < 5000, `stopped at once, not at the 60 s bound (${Date.now() - signalled} ms)`);
        assert.deepStrictEqual(run.leftInTmp, []);
        assert.ok(!descendantsOf(process.pid).some((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("ssh\0")), "its ssh was stopped too");
    });

    it("a script killed with SIGKILL after the login leaves no key file (removed once the server side started)", async () => {
        let bash = 0;
        const running = runCopy(spec({ port: sshd.forceCommandPort, transferTimeoutSeconds: 5 }), { privateKey: sshd.privateKey, onStart: (pid) => (bash = pid) });
        await new Promise((resolve) => setTimeout(resolve, 2000));
        process.kill(bash, "SIGKILL");
        const run = await running;
        assert.strictEqual(run.signal, "SIGKILL");
        assert.ok(run.leftInTmp.some((entry) => /^palette-airgap-copy\.\w+$/.test(entry)), `the private directory stays (its traps never ran): ${run.leftInTmp}`);
        assert.deepStrictEqual(run.leftInTmp.filter((entry) => entry.endsWith("/key")), [], "but not the key file");
        await new Promise((resolve) => setTimeout(resolve, 5000)); // the orphaned ssh ends at its own bound
    });

    it("the server side never puts a short or corrupt copy in place: the older file stays, no partial file", async () => {
        fs.rmSync(remoteDir(), { recursive: true, force: true });
        fs.mkdirSync(remoteDir(), { recursive: true });
        const destination = path.join(remoteDir(), "palette-manifests.zip");
        fs.writeFileSync(destination, "the older zip");
        const content = "manifests zip content";
        const sha = crypto.createHash("sha256").update(content).digest("hex");
        const short = await sshd.run(`${remoteCopyCommand(destination, sha)} ${content.length}`, content.slice(0, 10));
        assert.strictEqual(short.code, 1);
        assert.match(short.stderr, new RegExp(`${COPY_FAILED_MARKER}received 10 of ${content.length} bytes at ${destination}\\.partial\\.\\d+ on .*: the transfer broke off`));
        const corrupt = await sshd.run(`${remoteCopyCommand(destination, sha)} ${content.length}`, content.toUpperCase());
        assert.strictEqual(corrupt.code, 1);
        assert.match(corrupt.stderr, /has sha256 [0-9a-f]{64}, not [0-9a-f]{64}: the transfer corrupted it/);
        assert.strictEqual(fs.readFileSync(destination, "utf8"), "the older zip");
        assertRemoteHolds(["palette-manifests.zip"]);
        const whole = await sshd.run(`${remoteCopyCommand(destination, sha)} ${content.length}`, content);
        assert.strictEqual(whole.code, 0, whole.stderr);
        assert.strictEqual(fs.readFileSync(destination, "utf8"), content);
        assertRemoteHolds(["palette-manifests.zip"]);
    });

    it("a missing local zip fails before any connection, naming the file and the fix", async () => {
        const run = await runCopy(spec({ localFile: path.join(base, "gone.zip") }), { privateKey: sshd.privateKey });
        assert.strictEqual(run.code, 1);
        assert.match(failureLine(run), /the manifests zip .*gone\.zip is not a readable file on this machine: restore it \(or run the setup again\)/);
        assert.deepStrictEqual(run.leftInTmp, []);
    });

    it("without ssh on PATH fails naming openssh-client", async () => {
        const bin = fs.mkdtempSync(path.join(base, "bin-"));
        for (const tool of ["bash", "timeout", "stat", "mktemp", "rm", "tail", "tr", "sed", "grep", "sleep"]) {
            const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
            fs.symlinkSync(found, path.join(bin, tool));
        }
        const run = await runCopy(spec(), { privateKey: sshd.privateKey, env: { PATH: bin } });
        assert.strictEqual(run.code, 1);
        assert.match(failureLine(run), /ssh not found on this machine .*install the OpenSSH client \(Debian\/Ubuntu: apt-get install openssh-client\)/);
    });
});

function signal(pid: number, name: NodeJS.Signals): void {
    try {
        process.kill(pid, name);
    } catch {
        // gone
    }
}

/** PIDs below `ancestor` in the process tree (from /proc/<pid>/stat). */
function descendantsOf(ancestor: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            parents.set(Number(entry), ppid);
        } catch {
            // gone
        }
    }
    const below = (pid: number): boolean => {
        for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) {
            if (parent === ancestor) return true;
        }
        return false;
    };
    return [...parents.keys()].filter(below);
}
