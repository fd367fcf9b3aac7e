/**
 * Runs the serialized dynamic provider that the program registered (the `__provider` input the
 * engine stores in state) exactly as Pulumi's dynamic-provider host would: in a separate plain
 * Node process, from the serialized text. Tests use it to drive our providers' create, read,
 * update and delete against real local services.
 */
import { spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT, RegisteredResource } from "./stackHarness";

export type ProviderMethod = "check" | "diff" | "create" | "read" | "update" | "delete";

export interface ProviderCall<T> {
    result: T;
    /** Everything the provider printed (its log lines), for secret-leak checks. */
    output: string;
}

/** The serialized provider of a registered dynamic resource. */
export function serializedProvider(resource: RegisteredResource): string {
    const serialized = resource.inputs.__provider;
    if (typeof serialized !== "string") {
        throw new Error(`${resource.type} ${resource.name} has no serialized __provider input`);
    }
    return serialized;
}

/** Calls `method(...args)` on the provider in a fresh process; rejects with the provider's error message. */
export function callProvider<T = unknown>(serialized: string, method: ProviderMethod, args: unknown[], env: NodeJS.ProcessEnv = {}): Promise<ProviderCall<T>> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, "dynamicProviderHost.js")], {
            cwd: PROJECT_ROOT,
            env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", () => {
            const match = /\n(RESULT|ERROR) (.*)\n$/s.exec(stdout);
            const output = (match ? stdout.slice(0, match.index) : stdout) + stderr;
            if (!match) {
                reject(new Error(`provider ${method} produced no result:\n${output}`));
            } else if (match[1] === "ERROR") {
                const error = new Error(JSON.parse(match[2]).message) as Error & { output?: string };
                error.output = output;
                reject(error);
            } else {
                resolve({ result: JSON.parse(match[2]) as T, output });
            }
        });
        child.stdin.end(JSON.stringify({ serialized, method, args }));
    });
}
