/**
 * loadConfig() run on a plain key → value map instead of a Pulumi stack: what the stack
 * generator validates each answer with, so it accepts exactly what `pulumi up` accepts (no
 * second copy of the rules).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig } from "../components/config";
import { PROJECT_NAME } from "../components/configKeys";

export interface KeyProblem {
    /** Key without the namespace. */
    key: string;
    message: string;
}

/**
 * Every problem loadConfig() reports for these values. `plain` values are set as in a stack file
 * (lists and other non-strings JSON-encoded, as the CLI hands them to programs); `secrets` as
 * `pulumi config set --secret` values.
 */
export function configProblems(plain: Record<string, unknown>, secrets: Record<string, string> = {}): KeyProblem[] {
    const all: Record<string, string> = {};
    for (const [key, value] of Object.entries(plain)) {
        all[`${PROJECT_NAME}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    for (const [key, value] of Object.entries(secrets)) {
        all[`${PROJECT_NAME}:${key}`] = value;
    }
    pulumi.runtime.setAllConfig(all, Object.keys(secrets).map((key) => `${PROJECT_NAME}:${key}`));
    try {
        loadConfig();
        return [];
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems.map((problem) => ({ key: problem.key.replace(`${PROJECT_NAME}:`, ""), message: problem.message }));
    }
}
