/**
 * What AirgapSetup and PackUploads share: one `command.local.Command` per airgap binary whose
 * `create` is the bash script of ./runScript (login before each attempt, retries, the
 * `Setup Completed` rule, the result line), run with `/bin/bash -c`.
 *
 * Why the Command is set up the way it is (checked against pulumi-command 1.2.1):
 *  - the registry password reaches the script only through the Command's `environment`, as a
 *    secret, under REGISTRY_PASSWORD_ENV; the script text never holds it (it is a command-line
 *    argument of bash and it is stored in plain state);
 *  - `triggers` = [sha256 of the binary's content, the setup target as canonical JSON, the ids of
 *    the destinations created for it]: a changed binary (same path, new content), a changed
 *    target, or a Harbor project / ECR repository deleted and created again (empty) replaces the
 *    Command, which runs the upload again; an unchanged stack has identical inputs and never re-runs;
 *  - `addPreviousOutputInEnv: false`: otherwise the provider passes the previous run's whole
 *    stdout (the binary's log, easily more than Linux's 128 KiB limit for one environment string)
 *    to the next run as PULUMI_COMMAND_STDOUT, and exec fails with E2BIG;
 *  - what the Command stores is bounded: the provider keeps its whole stdout and stderr in the
 *    state (that is where the result line is read from), so the script sends the binary's output
 *    to the attempt's log file only and prints its own progress lines, a bounded tail of each
 *    attempt (lines and characters per line capped) and the result line: tens of KiB at most
 *    whether the binary prints kilobytes or gigabytes;
 *  - `logging: "stderr"` by default: the provider streams the chosen streams to the Pulumi CLI as
 *    they come. The script's stderr is only its failure summary (last 40 lines and the reason).
 *    Follow a run with `tail -f <runDir>/logs/<label>-<UTC time>-attempt-<n>.log`;
 *  - each attempt runs under a watchdog (attemptTimeoutMinutes, config setupAttemptTimeoutMinutes)
 *    and each registry login under a time limit (see ./runScript);
 *  - no `delete`: uploads are not undone (see AirgapSetup).
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import { fileSha256 } from "./fileDigest";
import { DEFAULT_ATTEMPT_TIMEOUT_MINUTES, LoginTool, RegistryLogin, RunResult, binaryRunScript, binaryUpdateScript, parseRunResult } from "./runScript";
import { SetupTarget, setupEnvironment } from "./setupEnvironment";

/** Environment variable of the Command that carries the (packs) registry password (secret) to the script. */
export const REGISTRY_PASSWORD_ENV = "PALETTE_AIRGAP_REGISTRY_PASSWORD";
/** Environment variable of the Command that carries the password of a separate images registry (secret). */
export const IMAGE_REGISTRY_PASSWORD_ENV = "PALETTE_AIRGAP_IMAGE_REGISTRY_PASSWORD";
export const DEFAULT_LOGIN_TOOL: LoginTool = "oras";
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_SECONDS = 15;
export type CommandLogging = command.types.enums.local.Logging;
export const DEFAULT_LOGGING: CommandLogging = "stderr";

/** The fields AirgapSetupArgs and PackUploadsArgs share: where to push, how to log in, how to run. */
export interface BinaryRunArgs {
    /** Where the binaries push (OciRegistry.setupTarget); becomes the OCI_* / ECR_* variables. Required. */
    setupTarget: pulumi.Input<SetupTarget>;
    /** Registries to log in to before each attempt (OciRegistry.logins). Required. */
    logins: pulumi.Input<RegistryLogin[]>;
    /** PEM CA certificate of the password-login registries (OciRegistry.caFile, config registryCaFile). Default: the system trust store. */
    caFile?: pulumi.Input<string | undefined>;
    /** Skip TLS verification of the password-login registries (OciRegistry.insecure, config registryInsecure). Default false. */
    insecure?: pulumi.Input<boolean | undefined>;
    /** Registry password (OciRegistry.password, config registryPassword), kept secret. Required when `logins` has a password login; default none (ECR). */
    password?: pulumi.Input<string>;
    /** Password of a separate images registry (OciRegistry.imagePassword, config imageRegistryPassword), kept secret. Required when a login reads IMAGE_REGISTRY_PASSWORD_ENV; default none. */
    imagePassword?: pulumi.Input<string>;
    /**
     * Ids of what the binaries push into (Harbor projects, ECR repositories: OciRegistry.destinations).
     * A part of the triggers: a destination deleted and created again (empty) runs the binaries
     * again, so `pulumi up --refresh` refills it. Default: none (a generic registry, nothing created).
     */
    destinations?: pulumi.Input<string[]>;
    /** Tool of the password and private-ECR logins: oras, docker or skopeo (config loginTool). Default "oras". */
    loginTool?: LoginTool;
    /** Attempts per binary, each after a fresh login (config setupMaxAttempts). Default 3. */
    maxAttempts?: number;
    /** Seconds between a failed attempt and the next. Default 15. */
    retryDelaySeconds?: number;
    /** Watchdog of each attempt, in minutes: the binary's process group is stopped on expiry (config setupAttemptTimeoutMinutes). Default 240. */
    attemptTimeoutMinutes?: number;
    /** Per-stack state directory; logins live in `<stateDir>/docker-config/<label>` during a run. Default `<workDir>/state/<stack>`. */
    stateDir?: string;
    /** Where the binaries run: logs in `<runDir>/logs`, makeself extracts under `<runDir>/tmp`. Default `<workDir>/runs/<stack>` (two stacks sharing a workDir never touch each other's logs or extraction). */
    runDir?: string;
    /** What the Command streams to the Pulumi CLI: none, stdout, stderr or stdoutAndStderr. Default "stderr" (the failure summary only). */
    logging?: CommandLogging;
}

/** The directories of one stack's runs under `workDir`. */
export function runDirectories(workDir: string, args: Pick<BinaryRunArgs, "stateDir" | "runDir">): { runDir: string; stateDir: string } {
    const stack = pulumi.getStack();
    const runDir = args.runDir ?? path.join(workDir, "runs", stack);
    const stateDir = args.stateDir ?? path.join(workDir, "state", stack);
    for (const [key, value] of [["workDir", workDir], ["runDir", runDir], ["stateDir", stateDir]] as const) {
        if (typeof value !== "string" || !path.isAbsolute(value)) {
            throw new pulumi.RunError(`${key}: ${JSON.stringify(value)} is not an absolute path`);
        }
    }
    return { runDir, stateDir };
}

/**
 * The sha256 of a binary, computed at program time (preview too; cached by fileDigest). A missing
 * file fails at once, naming the config key; a digest that differs from `expected` fails the
 * Output (and so every resource that uses it) with a message naming `expectedKey`.
 */
export function binarySha256(file: string, key: string, expected?: string, expectedKey?: string): pulumi.Output<string> {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        throw new pulumi.RunError(
            `${key}: ${file} does not exist. pulumi preview and up hash it to decide whether the upload must run: ` +
                `copy the binary there first, or fix ${key}`,
        );
    }
    if (!stat.isFile()) {
        throw new pulumi.RunError(`${key}: ${file} is not a regular file: give the path of the .bin file`);
    }
    return pulumi.output(
        fileSha256(file).then((sha256) => {
            if (expected !== undefined && expected.toLowerCase() !== sha256) {
                throw new pulumi.RunError(
                    `${expectedKey ?? `${key}Sha256`}: ${file} has sha256 ${sha256}, expected ${expected.toLowerCase()}: ` +
                        `the file is not the binary that was pinned (download it again), or the pin is wrong`,
                );
            }
            return sha256;
        }),
    );
}

/** One binary's Command inputs. */
export interface BinaryCommandSpec {
    binaryPath: string;
    /** `setup` or `pack <name> <version>`; names the log files. */
    label: string;
    /** Look for the spectro-manifests zip (setup binary only). */
    manifests: boolean;
    sha256: pulumi.Output<string>;
    runDir: string;
    stateDir: string;
    args: BinaryRunArgs;
    /** Name of the component, for error messages. */
    owner: string;
}

/** The CommandArgs of one binary's run (see the file comment). */
export function binaryCommandArgs(spec: BinaryCommandSpec): command.local.CommandArgs {
    const { args } = spec;
    const loginTool = args.loginTool ?? DEFAULT_LOGIN_TOOL;
    const maxAttempts = args.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const retryDelaySeconds = args.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS;
    const attemptTimeoutMinutes = args.attemptTimeoutMinutes ?? DEFAULT_ATTEMPT_TIMEOUT_MINUTES;
    const passwords: Record<string, boolean> = {
        [REGISTRY_PASSWORD_ENV]: args.password !== undefined,
        [IMAGE_REGISTRY_PASSWORD_ENV]: args.imagePassword !== undefined,
    };
    const target = pulumi.output(args.setupTarget);
    const create = pulumi
        .all([target, pulumi.output(args.logins), pulumi.output(args.caFile), pulumi.output(args.insecure)])
        .apply(([setupTarget, logins, caFile, insecure]) => {
            checkPasswordLogins(logins, passwords, spec.owner);
            return binaryRunScript({
                binaryPath: spec.binaryPath,
                label: spec.label,
                workDir: spec.runDir,
                stateDir: spec.stateDir,
                loginTool,
                logins,
                caFile: caFile === undefined || caFile === "" ? undefined : caFile,
                insecure: insecure === true,
                environment: setupEnvironment(setupTarget),
                maxAttempts,
                retryDelaySeconds,
                attemptTimeoutSeconds: attemptTimeoutMinutes * 60,
                manifests: spec.manifests,
            });
        });
    const environment: Record<string, pulumi.Input<string>> = {};
    if (args.password !== undefined) {
        environment[REGISTRY_PASSWORD_ENV] = pulumi.secret(args.password);
    }
    if (args.imagePassword !== undefined) {
        environment[IMAGE_REGISTRY_PASSWORD_ENV] = pulumi.secret(args.imagePassword);
    }
    return {
        create,
        update: binaryUpdateScript({ label: spec.label, stateDir: spec.stateDir }),
        interpreter: ["/bin/bash", "-c"],
        environment,
        triggers: [spec.sha256, target.apply(canonicalJson), ...(args.destinations === undefined ? [] : [args.destinations])],
        addPreviousOutputInEnv: false,
        logging: args.logging ?? DEFAULT_LOGGING,
    };
}

/**
 * The run's result parsed from the Command's stdout; undefined while unknown (preview) or when the
 * provider returned no stdout. The provider may mark stdout secret because an input is (the
 * password); the result line holds no secret, so it is unsecreted.
 */
export function runResultOf(stdout: pulumi.Output<string>): pulumi.Output<RunResult | undefined> {
    return pulumi.unsecret(stdout).apply((text) => (typeof text === "string" && text !== "" ? parseRunResult(text) : undefined));
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
    return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(sortKeys);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.keys(value as Record<string, unknown>)
                .sort()
                .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        );
    }
    return value;
}

/** A password login needs its password, under one of the variables the Command sets. */
function checkPasswordLogins(logins: RegistryLogin[], passwords: Record<string, boolean>, owner: string): void {
    for (const login of logins) {
        if (login.kind !== "password") {
            continue;
        }
        if (!(login.passwordEnv in passwords)) {
            throw new pulumi.RunError(
                `${owner}: the login to ${login.registry} reads its password from ${login.passwordEnv}, ` +
                    `but the command passes passwords only as ${Object.keys(passwords).join(" and ")} (use OciRegistry.logins)`,
            );
        }
        if (!passwords[login.passwordEnv]) {
            const [argument, key] = login.passwordEnv === IMAGE_REGISTRY_PASSWORD_ENV ? ["imagePassword", "imageRegistryPassword"] : ["password", "registryPassword"];
            throw new pulumi.RunError(
                `${owner}: the registry ${login.registry} needs a password: pass ${argument} (config ${key}, set with --secret)`,
            );
        }
    }
}
