/**
 * Runs a `command.local.Command`'s script (`create` by default, or its `update`) as pulumi-command
 * does: with its `interpreter` and its `environment` (secrets already unwrapped) added to ours,
 * recording when it ran and what it printed.
 */
import { spawn } from "child_process";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { unwrapSecrets } from "./secretWire";
import * as fs from "fs";
import * as path from "path";
import { fakeBinariesAvailable } from "./makeselfBinaries";
import { registryAvailable } from "./registry";

export interface RunRecord {
    name: string;
    start: number;
    end: number;
    status: number;
    stdout: string;
    stderr: string;
}

export function runCommand(name: string, inputs: Record<string, any>, script: string = inputs.create): Promise<RunRecord> {
    const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
    const env: NodeJS.ProcessEnv = { ...process.env, ...(inputs.environment ?? {}) };
    return new Promise((resolve, reject) => {
        const start = Date.now();
        const child = spawn(interpreter[0], [...interpreter.slice(1), script], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => resolve({ name, start, end: Date.now(), status: code ?? -1, stdout, stderr }));
    });
}

/**
 * Skips the suite (fails it under CI) unless what the setup-run tests need is installed: the
 * docker-registry fixture's tools, makeself and skopeo for the fake binaries, jq, unzip and bash.
 */
export function skipUnlessSetupToolsAvailable(context: Mocha.Context): void {
    const missingTool = ["jq", "unzip", "bash"].find((tool) => !(process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool))));
    if (!registryAvailable() || !fakeBinariesAvailable() || missingTool) {
        const message = `needs docker-registry, htpasswd, openssl, makeself, skopeo, zip, jq, unzip (missing: ${missingTool ?? "registry or makeself tools"})`;
        if (process.env.CI) {
            throw new Error(message);
        }
        console.warn(`    skipped: ${message}`);
        context.skip();
    }
}

/**
 * A mock provider whose Command runs `create` with its interpreter and environment, like
 * pulumi-command; `abort` rejects at the first failed run (for runComponents' `abort`).
 */
export function executingMock(runs: RunRecord[]) {
    let fail: (error: Error) => void = () => undefined;
    const abort = new Promise<never>((_, reject) => (fail = reject));
    abort.catch(() => undefined);
    const newResource = async (args: MockResourceArgs) => {
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "command:local:Command") {
            // The mock engine hands over secrets still wrapped (the whole environment here); the provider gets them plain.
            const record = await runCommand(args.name, unwrapSecrets(args.inputs) as Record<string, any>);
            runs.push(record);
            if (record.status !== 0) {
                const error = new Error(`${args.name}: exit ${record.status}: ${record.stderr.slice(-2000)}`);
                fail(error);
                throw error;
            }
            state.stdout = record.stdout.replace(/\n$/, "");
            state.stderr = record.stderr.replace(/\n$/, "");
        }
        return { id: `${args.name}-id`, state };
    };
    return { newResource, abort };
}
