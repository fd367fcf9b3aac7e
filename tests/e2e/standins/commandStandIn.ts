/**
 * Stand-in for pulumi-command 1.2.1 (`command:local:Command`, `command:remote:Command`), following
 * the behaviour its SDK documents (node_modules/@pulumi/command/local/command.d.ts): `create` runs
 * on create; a change of inputs runs `update` when set, otherwise `create` again, and a change of
 * `triggers` without `update` replaces (with `update`, the SDK's own `replaceOnChanges:
 * ["triggers[*]"]` makes the engine replace: the diff names each changed element); `delete` runs on delete; stdout and stderr become outputs,
 * and the previous ones reach `update`/`delete` as PULUMI_COMMAND_STDOUT/STDERR unless
 * `addPreviousOutputInEnv` is false. Commands really run: local ones with the interpreter
 * (default `/bin/sh -c`), remote ones through OpenSSH's `ssh` with the key in a 0600 file.
 * Cancel (Ctrl-C of `pulumi up`) stops the running command's process group.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type CallContext, changedKeys, type DiffOutcome, type Props, serveStandIn, type StandInResource } from "./standInServer";

const LOCAL_INPUTS = ["create", "update", "delete", "dir", "environment", "interpreter", "stdin", "triggers", "addPreviousOutputInEnv", "logging"];
const REMOTE_INPUTS = ["connection", "create", "update", "delete", "environment", "stdin", "triggers", "addPreviousOutputInEnv", "logging"];

interface RunResult {
    stdout: string;
    stderr: string;
}

interface Runner {
    (command: string, inputs: Props, env: Record<string, string>, ctx: CallContext): Promise<RunResult>;
}

/** Runs `argv` in its own process group, streams its lines to the engine as `logging` says, fails on a non-zero exit. */
function runProcess(argv: string[], options: { cwd?: string; env: Record<string, string>; stdin?: string; logging?: string }, ctx: CallContext): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const logging = options.logging ?? "stdoutAndStderr";
        const stream = (chunks: Buffer[], enabled: boolean) => (chunk: Buffer) => {
            chunks.push(chunk);
            if (enabled) {
                for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) ctx.log("info", line, true);
            }
        };
        child.stdout.on("data", stream(out, logging === "stdout" || logging === "stdoutAndStderr"));
        child.stderr.on("data", stream(err, logging === "stderr" || logging === "stdoutAndStderr"));
        // A command that exits before reading its stdin (`true`) closes the pipe: EPIPE is no error of ours.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.stdin ?? "");
        const stop = () => {
            try {
                process.kill(-child.pid!, "SIGTERM");
                setTimeout(() => {
                    try {
                        process.kill(-child.pid!, "SIGKILL");
                    } catch {
                        // already gone
                    }
                }, 5000).unref();
            } catch {
                // already gone
            }
        };
        ctx.signal.addEventListener("abort", stop, { once: true });
        child.on("error", reject);
        child.on("close", (code, signal) => {
            ctx.signal.removeEventListener("abort", stop);
            const stdout = Buffer.concat(out).toString("utf8").replace(/\n$/, "");
            const stderr = Buffer.concat(err).toString("utf8").replace(/\n$/, "");
            if (code === 0) {
                resolve({ stdout, stderr });
                return;
            }
            const tail = `${stdout}\n${stderr}`.trim().slice(-4000);
            reject(new Error(`exit status ${code ?? signal}${ctx.signal.aborted ? " (cancelled)" : ""}:\n${tail}`));
        });
    });
}

const runLocal: Runner = (command, inputs, env, ctx) =>
    runProcess([...((inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"]), command], {
        cwd: inputs.dir || undefined,
        env: { ...(process.env as Record<string, string>), ...(inputs.environment ?? {}), ...env },
        stdin: inputs.stdin,
        logging: inputs.logging,
    }, ctx);

/** One `ssh` session per command; connection failures (ssh's exit 255 before the command ran) are retried up to dialErrorLimit. */
const runRemote: Runner = async (command, inputs, env, ctx) => {
    const connection = inputs.connection ?? {};
    // The previous outputs (env) are not forwarded either: sshd drops variables it does not AcceptEnv.
    void env;
    if (Object.keys(inputs.environment ?? {}).length > 0) {
        throw new Error("command stand-in: environment of a remote Command is not supported (sshd would have to accept it)");
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "command-standin-"));
    try {
        const args = [
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR",
            "-o", `ConnectTimeout=${connection.perDialTimeout ?? 15}`,
            "-p", String(connection.port ?? 22),
        ];
        if (connection.privateKey) {
            const keyFile = path.join(dir, "key");
            fs.writeFileSync(keyFile, connection.privateKey.endsWith("\n") ? connection.privateKey : `${connection.privateKey}\n`, { mode: 0o600 });
            args.push("-i", keyFile, "-o", "IdentitiesOnly=yes");
        }
        args.push(`${connection.user ?? "root"}@${connection.host}`, command);
        const attempts = Math.max(1, connection.dialErrorLimit ?? 10);
        for (let attempt = 1; ; attempt++) {
            try {
                return await runProcess(["ssh", ...args], { env: process.env as Record<string, string>, stdin: inputs.stdin, logging: inputs.logging }, ctx);
            } catch (error) {
                const dialFailed = /^exit status 255/.test((error as Error).message);
                if (!dialFailed || attempt >= attempts || ctx.signal.aborted) throw error;
                await new Promise((resolve) => setTimeout(resolve, 1000));
            }
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
};

function commandResource(inputNames: readonly string[], run: Runner): StandInResource {
    const previousOutputEnv = (inputs: Props, state: Props): Record<string, string> =>
        inputs.addPreviousOutputInEnv === false ? {} : { PULUMI_COMMAND_STDOUT: state.stdout ?? "", PULUMI_COMMAND_STDERR: state.stderr ?? "" };
    return {
        diff(_id, olds, news): DiffOutcome {
            const changed = changedKeys(olds, news, inputNames);
            // Without an update command, a change of triggers replaces; every other change runs update (or create again).
            const replaces: string[] = news.update ? [] : changed.filter((key) => key.startsWith("triggers["));
            return { replaces, updates: changed.filter((key) => !replaces.includes(key)) };
        },
        async create(inputs, ctx) {
            const result = inputs.create ? await run(inputs.create, inputs, {}, ctx) : { stdout: "", stderr: "" };
            return { id: crypto.randomUUID(), outputs: { ...inputs, ...result } };
        },
        async read(_id, state) {
            return state;
        },
        async update(_id, olds, news, ctx) {
            const command = news.update ?? news.create;
            const result = command ? await run(command, news, previousOutputEnv(news, olds), ctx) : { stdout: olds.stdout ?? "", stderr: olds.stderr ?? "" };
            return { ...news, ...result };
        },
        async delete(_id, state, ctx) {
            if (state.delete) await run(state.delete, state, previousOutputEnv(state, state), ctx);
        },
    };
}

serveStandIn({
    name: "command",
    version: "1.2.1",
    // pulumi-command has no provider configuration: each resource carries what it needs.
    configure() {},
    resources: {
        "command:local:Command": commandResource(LOCAL_INPUTS, runLocal),
        "command:remote:Command": commandResource(REMOTE_INPUTS, runRemote),
    },
    functions: {},
});
