/** Table-driven config tests: bad configurations, and the line of the ConfigError that names each. */
import * as assert from "assert";
import type { ConfigError } from "../../components";
import { RunOptions, runStackExpectingConfigError } from "./stackHarness";

/** One bad configuration of a table-driven config test. */
export interface BadConfig {
    label: string;
    stack: string;
    overrides?: Record<string, unknown>;
    remove?: string[];
    secrets?: Record<string, string>;
    /** Full key the message must name, and a fragment of the fix it must give. */
    key: string;
    fix: RegExp;
}

/** Runs a stack that must fail its config validation (nothing registered); returns the ConfigError. */
export async function expectConfigError(stack: string, options: RunOptions): Promise<ConfigError> {
    return (await runStackExpectingConfigError(stack, options)) as ConfigError;
}

/** The error has a line naming `bad.key` (full key) that matches `bad.fix`. */
export function assertProblem(error: ConfigError, bad: Pick<BadConfig, "key" | "fix">): void {
    const line = error.message.split("\n").find((candidate) => candidate.includes(`palette-airgap:${bad.key}:`));
    assert.ok(line, `no line names palette-airgap:${bad.key} in:\n${error.message}`);
    assert.match(line, bad.fix);
}
