/**
 * The bash script of one run of an airgap binary (the setup binary or one
 * `airgap-pack-<name>-<version>.bin`), used as the `create` of a `command.local.Command`.
 *
 * What the script does, in order:
 *  1. copies each registry password out of its environment variable into a shell variable that is
 *     not exported, and unsets the variable: no child process (login tool, binary) sees it;
 *  2. points DOCKER_CONFIG (and REGISTRY_AUTH_FILE) at `<stateDir>/docker-config/<label>`, a
 *     directory of this stack and this run only, removed when the script exits;
 *  3. for each attempt: logs in to every registry (password on stdin: `--password-stdin`), each
 *     login bounded by `loginTimeoutSeconds` (a registry that accepts the connection and never
 *     answers fails the attempt, naming the host, and is retried like any other failure); then runs
 *     the binary from workDir with its variables exported, stdout and stderr both captured to
 *     `<workDir>/logs/<label>-<UTC time>-attempt-<n>.log`, under a watchdog
 *     (`attemptTimeoutSeconds`, config setupAttemptTimeoutMinutes) that stops the binary's whole
 *     process group on expiry and says so in the log;
 *  4. success is exit 0 and a line containing the success marker (`Setup Completed`); on success
 *     the last stdout line is `PALETTE_AIRGAP_RESULT {"manifestsZip":…,"version":…,"attempts":…}`;
 *  5. a login the registry rejects ends the run at once (no retry storm); after the last failed
 *     attempt the script prints the last 40 lines of output and one line with the reason
 *     (`exit code N`, `no "Setup Completed" line`, `login rejected`, `timed out`) and exits non-zero.
 *
 * What the script prints is bounded whatever the binary prints (pulumi-command keeps a Command's
 * whole stdout and stderr in the state): the binary's output goes to the log file only, and the
 * script echoes at most the last OUTPUT_TAIL_LINES lines of each attempt, each cut to
 * OUTPUT_LINE_CHARS characters. Follow a run with `tail -f` on its log.
 *
 * The script text holds no secret: it names the environment variable that holds the password
 * (set it through the Command's `environment`, from a `pulumi.secret`).
 */

export type LoginTool = "oras" | "docker" | "skopeo";

export type RegistryLogin =
    /**
     * Harbor or a generic registry: the password is in the environment variable `passwordEnv`;
     * `caFile`/`insecure` are this registry's TLS settings (default: the spec's `caFile`/`insecure`).
     */
    | { kind: "password"; registry: string; username: string; passwordEnv: string; caFile?: string; insecure?: boolean }
    /** Private ECR: `aws ecr get-login-password --region R | <tool> login --username AWS --password-stdin <registry>`. */
    | { kind: "ecr"; registry: string; region: string }
    /** ECR Public (us-east-1 only): `aws ecr-public get-login-password --region us-east-1 | docker login … public.ecr.aws` (the host of `registry`). */
    | { kind: "ecr-public"; registry: string };

export interface BinaryRunSpec {
    /** Absolute path of the binary to run. */
    binaryPath: string;
    /** Human label, e.g. `setup` or `pack cni-calico 3.25.1`; also names the log files. */
    label: string;
    /** Working directory: the binary runs here, logs go to `<workDir>/logs`, makeself extracts to `<workDir>/tmp/<label>`. */
    workDir: string;
    /** Per-stack state directory; DOCKER_CONFIG is `<stateDir>/docker-config/<label>`, removed at exit. */
    stateDir: string;
    /** Tool used for the password and private-ECR logins. ECR Public always uses docker (as the procedure does). */
    loginTool: LoginTool;
    /** Registries to log in to before each attempt. */
    logins: RegistryLogin[];
    /** CA certificate (PEM) of the password-login registries: docker `/etc/docker/certs.d/<registry>/ca.crt`, skopeo `--cert-dir` holding only it, oras `--ca-file`. Default: the system trust store. */
    caFile?: string;
    /** Skip TLS verification of the password-login registries. Default false; only when explicitly set. */
    insecure?: boolean;
    /** The binary's variables (OCI_* or ECR_*), exported before running it. Not secret: they are in the script text. */
    environment: Record<string, string>;
    /** Number of attempts (each preceded by a fresh login). At least 1. */
    maxAttempts: number;
    /** Line that marks success. Default `Setup Completed`. */
    successMarker?: string;
    /** Seconds to wait between a failed attempt and the next. Default 15. */
    retryDelaySeconds?: number;
    /** Time limit of each registry login (one tool call), in seconds. Default 120 (DEFAULT_LOGIN_TIMEOUT_SECONDS). */
    loginTimeoutSeconds?: number;
    /**
     * Watchdog of each attempt of the binary, in seconds: on expiry the binary's process group gets
     * SIGTERM, then SIGKILL 60 s later, and the attempt fails. Default 240 minutes (config setupAttemptTimeoutMinutes).
     */
    attemptTimeoutSeconds?: number;
    /** Seconds between the watchdog's SIGTERM and its SIGKILL. Default 60. */
    killGraceSeconds?: number;
    /**
     * Look for the spectro-manifests zip (default true). Set false for pack binaries: they write
     * none, and the fallback search could otherwise pick up a zip another run wrote meanwhile.
     */
    manifests?: boolean;
}

export interface RunResult {
    /** The spectro-manifests zip the run wrote (absent when none was found). */
    manifestsZip?: string;
    /** The version the binary printed (absent when it printed none). */
    version?: string;
    /** Number of attempts the run took. */
    attempts: number;
    /** Log file of the successful attempt. */
    log?: string;
}

/** Prefix of the one line of stdout that carries the run's result. */
export const RESULT_PREFIX = "PALETTE_AIRGAP_RESULT ";

const DEFAULT_SUCCESS_MARKER = "Setup Completed";
const DEFAULT_RETRY_DELAY_SECONDS = 15;
/** A login that has not finished in 2 minutes is not going to: the registry accepted the connection and went silent. */
export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 120;
/** The setup binary uploads for about an hour; four hours means something hangs. */
export const DEFAULT_ATTEMPT_TIMEOUT_MINUTES = 240;
/** Upper bound of the watchdog accepted here and by loadConfig (setupAttemptTimeoutMinutes): one week. */
export const MAX_ATTEMPT_TIMEOUT_MINUTES = 7 * 24 * 60;
/** Seconds between the watchdog's SIGTERM and its SIGKILL: time for the binary to clean up. */
const DEFAULT_KILL_GRACE_SECONDS = 60;
/** Lines of an attempt's log the script echoes (a Command keeps its whole output in the state). */
export const OUTPUT_TAIL_LINES = 40;
/** Lines echoed of an attempt that failed but will be retried (the last attempt's go to stderr). */
const FAILED_ATTEMPT_TAIL_LINES = 10;
/** Characters kept of each echoed line (a binary may print megabytes without a newline). */
export const OUTPUT_LINE_CHARS = 400;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LOGIN_TOOLS: readonly LoginTool[] = ["oras", "docker", "skopeo"];

/** Bash single-quoted word: safe for any string without NUL. */
export function shellQuote(value: string): string {
    if (value.includes("\0")) {
        throw new Error(`binaryRunScript: a value contains a NUL byte: ${JSON.stringify(value)}`);
    }
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) {
        return `'${value}'`;
    }
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `pack cni-calico 3.25.1` -> `pack-cni-calico-3.25.1`: file-name safe, used for log, tmp and docker-config names. */
export function labelSlug(label: string): string {
    const slug = label
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, "-")
        .replace(/^[-.]+|-+$/g, "");
    return slug === "" ? "run" : slug;
}

/** Returns the bash script that runs one binary; see the file comment for what it does. */
export function binaryRunScript(spec: BinaryRunSpec): string {
    const problems = validate(spec);
    if (problems.length > 0) {
        throw new Error(`binaryRunScript: ${problems.join("; ")}`);
    }
    const q = shellQuote;
    const marker = spec.successMarker ?? DEFAULT_SUCCESS_MARKER;
    const retryDelay = spec.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS;
    const loginTimeout = spec.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
    const attemptTimeout = spec.attemptTimeoutSeconds ?? DEFAULT_ATTEMPT_TIMEOUT_MINUTES * 60;
    const slug = labelSlug(spec.label);
    const withTls = spec.logins.some((l) => l.kind === "password");
    const usesAws = spec.logins.some((l) => l.kind !== "password");

    // One non-exported shell variable per distinct password variable.
    const passwordVars = [...new Set(spec.logins.flatMap((l) => (l.kind === "password" ? [l.passwordEnv] : [])))];
    const shellVarOf = (env: string) => `password_${env}`;

    const lines: string[] = [];
    const add = (...more: string[]) => lines.push(...more);

    add(
        "#!/usr/bin/env bash",
        `# palette-airgap: ${oneLine(spec.label)}: runs the binary below, logging in to the registry before`,
        "# each attempt. Generated by components/setup/runScript.ts; no secret is written here.",
        "set -euo pipefail",
        "",
        `binary=${q(spec.binaryPath)}`,
        `label=${q(spec.label)}`,
        `work_dir=${q(spec.workDir)}`,
        `state_dir=${q(spec.stateDir)}`,
        `max_attempts=${spec.maxAttempts}`,
        `retry_delay=${retryDelay}`,
        `login_timeout=${loginTimeout}`,
        `attempt_timeout=${attemptTimeout}`,
        `kill_grace=${spec.killGraceSeconds ?? DEFAULT_KILL_GRACE_SECONDS}`,
        `attempt_timeout_text=${q(durationText(attemptTimeout))}`,
        `success_marker=${q(marker)}`,
    );
    // Each distinct CA of the password-login registries: ca_file, ca_file_2, ... (two registries may have two CAs).
    const tlsOf = (login: Extract<RegistryLogin, { kind: "password" }>) => passwordLoginTls(login, spec);
    const caFiles = [...new Set(spec.logins.flatMap((l) => (l.kind === "password" && tlsOf(l).caFile !== undefined ? [tlsOf(l).caFile!] : [])))];
    const caVar = (caFile: string) => (caFiles.indexOf(caFile) === 0 ? "ca_file" : `ca_file_${caFiles.indexOf(caFile) + 1}`);
    const certDir = (caFile: string) => (caFiles.indexOf(caFile) === 0 ? "$DOCKER_CONFIG/certs" : `$DOCKER_CONFIG/certs-${caFiles.indexOf(caFile) + 1}`);
    for (const caFile of caFiles) {
        add(`${caVar(caFile)}=${q(caFile)}`);
    }
    add("");

    if (passwordVars.length > 0) {
        add("# Registry passwords: copied from the environment into shell variables that are not exported,");
        add("# so neither the login tool's nor the binary's environment or arguments ever hold them.");
        for (const env of passwordVars) {
            add(`declare +x ${shellVarOf(env)}="\${${env}-}"`, `unset ${env}`);
        }
        add("");
    }

    const envNames = Object.keys(spec.environment).sort();
    add("# The binary's variables (not secret).");
    for (const name of envNames) {
        add(`export ${name}=${q(spec.environment[name])}`);
    }
    add("");

    add(
        "# Registry logins of this stack and this run only, removed at exit.",
        `export DOCKER_CONFIG="$state_dir/docker-config/${slug}"`,
        'export REGISTRY_AUTH_FILE="$DOCKER_CONFIG/config.json"',
        "# makeself extracts the archive (about 20 GB for the setup binary) under TMPDIR.",
        `export TMPDIR="$work_dir/tmp/${slug}"`,
        `log_dir="$work_dir/logs"`,
        "# One log set per run (UTC time stamp): a resumed run keeps the logs of the one that failed.",
        `log_prefix="$log_dir/${slug}-$(date -u +%Y%m%dT%H%M%SZ)"`,
        "# The running binary (its watchdog's pid): stopped with the script, so a cancelled run leaves nothing behind.",
        "binary_pid=",
        'stop_binary() { if [ -n "$binary_pid" ]; then kill -TERM "$binary_pid" 2>/dev/null || true; wait "$binary_pid" 2>/dev/null || true; fi; }',
        'cleanup() { stop_binary; rm -rf -- "$DOCKER_CONFIG"; }',
        "trap cleanup EXIT",
        "trap 'exit 130' INT",
        "trap 'exit 143' TERM",
        "",
        "say() { printf 'palette-airgap [%s] %s\\n' \"$label\" \"$*\"; }",
        "",
        `# The last lines of a file, bounded in lines and in characters per line whatever the file holds.`,
        "log_tail() { # file lines",
        `  tail -c ${OUTPUT_TAIL_LINES * (OUTPUT_LINE_CHARS + 1) * 4} -- "$1" | tail -n "$2" | cut -c 1-${OUTPUT_LINE_CHARS}`,
        "}",
        "",
        "# The lines the result is read from (success marker, manifests path, version), in one pass over",
        "# the log with each line cut short: time linear in the output, memory flat on megabyte-long lines.",
        "log_digest() { # attempt-log digest-file",
        `  LC_ALL=C cut -b 1-4096 -- "$1" | LC_ALL=C tr -d '\\r\\b' |`,
        `    { LC_ALL=C grep -a -F -e "$success_marker" -e 'Manifests are available in' -e 'Version' || true; } >"$2"`,
        "}",
        "",
        "# Runs a command that talks to a registry with a time limit; on expiry says which step hung and returns 124.",
        "bounded() { # step command...",
        "  local step=$1 status=0; shift",
        '  timeout --kill-after=10 "$login_timeout" "$@" || status=$?',
        '  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then',
        "    printf 'palette-airgap: TIMEOUT: %s gave no answer within %ss\\n' \"$step\" \"$login_timeout\" >&2",
        "    return 124",
        "  fi",
        '  return "$status"',
        "}",
        "",
        `# Prints the last ${OUTPUT_TAIL_LINES} lines of a file and the reason on stderr, then exits with status $1.`,
        "give_up() { # status reason [file]",
        "  if [ -n \"${3:-}\" ] && [ -s \"$3\" ]; then",
        "    printf 'palette-airgap [%s] last lines of %s:\\n' \"$label\" \"$3\" >&2",
        `    log_tail "$3" ${OUTPUT_TAIL_LINES} >&2`,
        "  fi",
        "  printf 'palette-airgap [%s] FAILED: %s\\n' \"$label\" \"$2\" >&2",
        "  exit \"$1\"",
        "}",
        "",
    );

    // Login tool.
    add(...loginToolFunction(spec.loginTool));
    add("");

    add(
        "# Runs one login (a command whose password arrives on stdin), output to $login_out (a log file).",
        "# A registry that rejects the credentials ends the run at once; other failures (a timeout",
        "# included) fail the attempt, with the reason in $login_failure.",
        "login_out=",
        "login_failure=",
        "checked_login() { # host what-to-fix, then the login command",
        "  local host=$1 fix=$2 status=0; shift 2",
        "  \"$@\" >\"$login_out\" 2>&1 || status=$?",
        "  if [ \"$status\" -eq 0 ]; then",
        "    return 0",
        "  fi",
        "  if grep -q '^palette-airgap: TIMEOUT: ' \"$login_out\"; then",
        "    # A token command that hangs (aws ... | <tool> login) times the login tool out too: name the token command, the cause.",
        "    login_failure=\"login to $host timed out: $({ grep '^palette-airgap: TIMEOUT: ' \"$login_out\" | grep -v ' login to ' || grep '^palette-airgap: TIMEOUT: ' \"$login_out\"; } | head -n 1 | sed 's/^palette-airgap: TIMEOUT: //')\"",
        "    return 1",
        "  fi",
        "  if grep -Eqi 'unauthori[sz]ed|(^|[^0-9])401([^0-9]|$)|denied|invalid (username|password|credentials)|incorrect (username|password)|authentication required|ExpiredToken|UnrecognizedClient|InvalidSignature|InvalidClientTokenId|Unable to locate credentials|security token' \"$login_out\"; then",
        "    give_up 2 \"login rejected: $fix\" \"$login_out\"",
        "  fi",
        "  login_failure=\"login to $host failed: $(head -n 1 -- \"$login_out\" | cut -c 1-300)\"",
        "  return 1",
        "}",
        "",
    );

    if (passwordVars.length > 0) {
        add(
            "login_password() { # registry username password-variable [ca|insecure [ca-argument]]",
            "  local -n password_ref=$3",
            "  printf '%s' \"$password_ref\" | registry_login \"$1\" \"$2\" \"${4:-}\" \"${5:-}\"",
            "}",
        );
    }
    if (spec.logins.some((l) => l.kind === "ecr")) {
        add(
            "login_ecr() { # registry region",
            "  bounded \"aws ecr get-login-password ($2)\" aws ecr get-login-password --region \"$2\" | registry_login \"$1\" AWS",
            "}",
        );
    }
    if (spec.logins.some((l) => l.kind === "ecr-public")) {
        add(
            "login_ecr_public() { # registry",
            "  bounded 'aws ecr-public get-login-password (us-east-1)' aws ecr-public get-login-password --region us-east-1 |",
            "    bounded \"docker login to $1\" docker login --username AWS --password-stdin \"$1\"",
            "}",
        );
    }
    add("", "login_all() {");
    for (const login of spec.logins) {
        switch (login.kind) {
            case "password": {
                // This registry's own TLS: its CA (oras --ca-file, skopeo --cert-dir holding only it) or insecure.
                const tls = tlsOf(login);
                const tlsArgs = tls.insecure
                    ? " insecure"
                    : tls.caFile !== undefined
                      ? ` ca "${spec.loginTool === "skopeo" ? certDir(tls.caFile) : `$${caVar(tls.caFile)}`}"`
                      : "";
                const keys = login.passwordEnv === spec.logins.find((l) => l.kind === "password")?.passwordEnv ? "registryUsername and registryPassword" : "imageRegistryUsername and imageRegistryPassword";
                add(
                    `  say "logging in to ${dq(login.registry)} as ${dq(login.username)}"`,
                    `  checked_login ${q(login.registry)} ${q(`the registry ${login.registry} refused user ${login.username}: check ${keys}`)} \\`,
                    `    login_password ${q(login.registry)} ${q(login.username)} ${shellVarOf(login.passwordEnv)}${tlsArgs} || return`,
                );
                break;
            }
            case "ecr":
                add(
                    `  say "logging in to ${dq(login.registry)} (ECR, ${dq(login.region)})"`,
                    `  checked_login ${q(login.registry)} ${q(`ECR ${login.registry} (${login.region}) refused the AWS credentials: check the AWS credentials (environment, profile or role) and ecrRegion`)} \\`,
                    `    login_ecr ${q(login.registry)} ${q(login.region)} || return`,
                );
                break;
            case "ecr-public": {
                // Credentials are stored per host: `public.ecr.aws/abc123` logs in to public.ecr.aws.
                const host = login.registry.split("/")[0];
                add(
                    `  say "logging in to ${dq(host)} (ECR Public, us-east-1)"`,
                    `  checked_login ${q(host)} ${q(`ECR Public ${host} refused the AWS credentials: check the AWS credentials (environment, profile or role)`)} \\`,
                    `    login_ecr_public ${q(host)} || return`,
                );
                break;
            }
        }
    }
    add("  return 0", "}", "");

    if (spec.manifests !== false) {
        add(
            "# The manifests zip: the path the binary printed, else the newest spectro-manifests-*.zip",
            "# written during the attempt in /tmp, TMPDIR or workDir.",
            "manifests_zip() { # log-digest start-marker",
            "  local printed",
            "  printed=$(sed -n 's/.*Manifests are available in[[:space:]]*//p' \"$1\" | tail -n 1 | sed 's/[[:space:]]*$//; s/\\.$//' || true)",
            "  if [ -n \"$printed\" ]; then",
            "    case $printed in /*) ;; *) printed=\"$work_dir/$printed\" ;; esac",
            "    printf '%s' \"$printed\"",
            "    return 0",
            "  fi",
            "  { find /tmp \"$TMPDIR\" \"$work_dir\" -maxdepth 1 -type f -name 'spectro-manifests-*.zip' -newer \"$2\" -printf '%T@ %p\\n' 2>/dev/null || true; } |",
            "    sort -n | tail -n 1 | cut -d ' ' -f 2-",
            "}",
            "",
        );
    }
    add(
        "# The version: `Uncompressing Airgap Setup - Version X` (makeself), else a `Version X` line.",
        "binary_version() { # log-digest",
        "  local version",
        "  version=$(sed -n 's/.*Uncompressing.*Version[[:space:]:]*\\([0-9A-Za-z][0-9A-Za-z._+-]*\\).*/\\1/p' \"$1\" | head -n 1 || true)",
        "  if [ -z \"$version\" ]; then",
        "    version=$(sed -n 's/^[[:space:]]*Version[[:space:]:]\\+\\([0-9A-Za-z][0-9A-Za-z._+-]*\\).*/\\1/p' \"$1\" | head -n 1 || true)",
        "  fi",
        "  printf '%s' \"$version\"",
        "}",
        "",
    );

    // Checks before the first attempt.
    add(
        'if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then',
        '  give_up 2 "$binary is missing or not executable (chmod +x it)"',
        "fi",
    );
    for (const env of passwordVars) {
        const registries = spec.logins
            .filter((l): l is Extract<RegistryLogin, { kind: "password" }> => l.kind === "password" && l.passwordEnv === env)
            .map((l) => l.registry)
            .join(", ");
        add(
            `[ -n "$${shellVarOf(env)}" ] || give_up 2 ${q(`the password of ${registries} is expected in the environment variable ${env}, which is empty or unset (registryPassword)`)}`,
        );
    }
    const tools = new Set<string>();
    if (spec.logins.some((l) => l.kind !== "ecr-public")) {
        tools.add(spec.loginTool);
    }
    if (spec.logins.some((l) => l.kind === "ecr-public")) {
        tools.add("docker");
    }
    for (const tool of tools) {
        add(`command -v ${tool} >/dev/null || give_up 2 'the ${tool} CLI is not on PATH (needed to log in to the registry)'`);
    }
    if (usesAws) {
        add("command -v aws >/dev/null || give_up 2 'the aws CLI v2 is not on PATH (needed to log in to ECR)'");
    }
    add(
        'command -v jq >/dev/null || give_up 2 "jq is not on PATH (it writes the result line)"',
        'mkdir -p -- "$work_dir" "$log_dir" "$TMPDIR"',
        'mkdir -p -- "$state_dir/docker-config"',
        'chmod 700 -- "$state_dir/docker-config"',
        'rm -rf -- "$DOCKER_CONFIG"',
        'mkdir -m 700 -- "$DOCKER_CONFIG"',
        'login_out="$log_prefix-login.log"  # login tools print no secret',
    );
    if (withTls && caFiles.length > 0) {
        const caKeys = caFiles.length > 1 ? "registryCaFile or imageRegistryCaFile" : "registryCaFile";
        for (const caFile of caFiles) {
            add(`[ -r "$${caVar(caFile)}" ] || give_up 2 "the registry CA file $${caVar(caFile)} is missing or unreadable (${caKeys})"`);
        }
        add(
            "# The binary's own tools (oras, skopeo: Go programs) read SSL_CERT_FILE: the system bundle plus every registry CA.",
            'ca_bundle="$DOCKER_CONFIG/ca-bundle.pem"',
            "for system_bundle in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do",
            '  if [ -r "$system_bundle" ]; then cat -- "$system_bundle" >"$ca_bundle"; break; fi',
            "done",
            ...caFiles.map((caFile) => `cat -- "$${caVar(caFile)}" >>"$ca_bundle"`),
            'export SSL_CERT_FILE="$ca_bundle"',
        );
        if (spec.loginTool === "skopeo") {
            add("# skopeo --cert-dir: a directory per CA holding only it (a *.key there would be taken as a client key).");
            for (const caFile of caFiles) {
                add(`mkdir -p -- "${certDir(caFile)}"`, `cp -- "$${caVar(caFile)}" "${certDir(caFile)}/ca.crt"`);
            }
        }
        if (spec.loginTool === "docker") {
            add("# docker: the daemon trusts /etc/docker/certs.d/<registry>/ca.crt; installed from the CA file when missing or different.");
            const seen = new Set<string>();
            for (const login of spec.logins) {
                const caFile = login.kind === "password" ? tlsOf(login).caFile : undefined;
                if (login.kind !== "password" || caFile === undefined || seen.has(login.registry)) {
                    continue;
                }
                seen.add(login.registry);
                const ca = `$${caVar(caFile)}`;
                add(
                    `certs_d=${q(`/etc/docker/certs.d/${login.registry}`)}`,
                    `if ! cmp -s -- "${ca}" "$certs_d/ca.crt"; then`,
                    `  { mkdir -p -- "$certs_d" && cp -- "${ca}" "$certs_d/ca.crt" && chmod 644 -- "$certs_d/ca.crt"; } ||`,
                    `    give_up 2 "cannot install the registry CA as $certs_d/ca.crt (docker needs it there): copy ${ca} there as root"`,
                    "fi",
                );
            }
        }
    }
    add("");

    add(
        'cd -- "$work_dir"',
        'start_marker="$DOCKER_CONFIG/attempt-start"',
        'digest="$DOCKER_CONFIG/attempt-digest"',
        "attempt=0",
        "reason=",
        "while [ \"$attempt\" -lt \"$max_attempts\" ]; do",
        "  attempt=$((attempt + 1))",
        '  attempt_log="$log_prefix-attempt-$attempt.log"',
        "  if [ \"$attempt\" -gt 1 ]; then",
        "    say \"attempt $((attempt - 1)) failed: $reason; retrying in ${retry_delay}s\"",
        "    sleep \"$retry_delay\"",
        "  fi",
        '  say "attempt $attempt of $max_attempts"',
        "  if ! login_all; then",
        '    reason=$login_failure',
        '    cp -- "$login_out" "$attempt_log"',
        "    continue",
        "  fi",
        "  # Leftovers of an interrupted extraction of this binary.",
        '  rm -rf -- "$TMPDIR"/makeself.* "$TMPDIR"/selfgz*',
        '  touch -- "$start_marker"',
        '  say "running $binary (log: $attempt_log, follow it with tail -f; watchdog: $attempt_timeout_text)"',
        "  # Output to the log only. timeout puts the binary in a process group of its own and, on expiry,",
        "  # signals that whole group (TERM, then KILL after the grace period).",
        "  attempt_started=$SECONDS",
        '  timeout --kill-after="$kill_grace" "$attempt_timeout" "$binary" </dev/null >"$attempt_log" 2>&1 &',
        "  binary_pid=$!",
        "  status=0",
        '  wait "$binary_pid" || status=$?',
        "  binary_pid=",
        '  if [ "$status" -eq 124 ] || { [ "$status" -eq 137 ] && [ $((SECONDS - attempt_started)) -ge "$attempt_timeout" ]; }; then',
        '    reason="timed out: no result within $attempt_timeout_text (setupAttemptTimeoutMinutes); the watchdog stopped the binary\'s process group"',
        "    printf '\\npalette-airgap: WATCHDOG: attempt %s stopped after %s (setupAttemptTimeoutMinutes): SIGTERM to the binary'\\''s process group, SIGKILL %ss later if still running\\n' \\",
        '      "$attempt" "$attempt_timeout_text" "$kill_grace" >>"$attempt_log"',
        '  elif [ "$status" -ne 0 ]; then',
        '    reason="exit code $status"',
        "  elif log_digest \"$attempt_log\" \"$digest\"; ! grep -qF -- \"$success_marker\" \"$digest\"; then",
        '    reason="no \\"$success_marker\\" line"',
        "  else",
        spec.manifests === false
            ? "    zip=  # a pack binary writes no manifests zip"
            : '    zip=$(manifests_zip "$digest" "$start_marker")',
        '    version=$(binary_version "$digest")',
        `    say "last lines of $attempt_log:"`,
        `    log_tail "$attempt_log" ${OUTPUT_TAIL_LINES}`,
        '    say "succeeded on attempt $attempt"',
        `    result_line="${RESULT_PREFIX}$(jq -cn --arg manifestsZip "$zip" --arg version "$version" --argjson attempts "$attempt" --arg log "$attempt_log" \\`,
        "      '{manifestsZip: $manifestsZip, version: $version, attempts: $attempts, log: $log}')\"",
        "    # Kept for binaryUpdateScript: an update that does not re-run the binary reports this result again.",
        '    mkdir -p -- "$state_dir/results"',
        `    printf '%s\\n' "$result_line" > "$state_dir/results/${slug}.result"`,
        `    printf '%s\\n' "$result_line"`,
        "    exit 0",
        "  fi",
        "  if [ \"$attempt\" -lt \"$max_attempts\" ]; then",
        '    say "last lines of $attempt_log:"',
        `    log_tail "$attempt_log" ${FAILED_ATTEMPT_TAIL_LINES}`,
        "  fi",
        "done",
        'give_up 1 "failed after $attempt attempt(s): $reason" "$attempt_log"',
        "",
    );
    return lines.join("\n");
}

/**
 * The Command's `update` script: runs when an input other than the triggers changed (a rotated
 * password, another login tool, more attempts). The upload itself does not depend on those, so the
 * binary is not run again: the script reports the result the last successful run recorded. A
 * changed binary or registry target changes the triggers, which replaces the Command instead.
 */
export function binaryUpdateScript(spec: Pick<BinaryRunSpec, "label" | "stateDir">): string {
    const q = shellQuote;
    const resultFile = `${spec.stateDir}/results/${labelSlug(spec.label)}.result`;
    return [
        "set -euo pipefail",
        `result_file=${q(resultFile)}`,
        `echo ${q(`palette-airgap [${spec.label}] settings changed, binary and registry target unchanged: not uploading again`)}`,
        'if [ ! -f "$result_file" ]; then',
        `  echo ${q(`palette-airgap [${spec.label}] FAILED: no recorded result at`)} "$result_file" >&2`,
        `  echo ${q("run the binary again with: pulumi up --replace <this command's URN> (pulumi stack --show-urns)")} >&2`,
        "  exit 1",
        "fi",
        'cat -- "$result_file"',
        "",
    ].join("\n");
}

/**
 * Parses the `PALETTE_AIRGAP_RESULT {json}` line (the last one) of a run's stdout. Searches from
 * the end without splitting the text: the work stays small whatever precedes the line.
 */
export function parseRunResult(stdout: string): RunResult {
    let at = stdout.length;
    let line: string | undefined;
    while (at > 0) {
        const found = stdout.lastIndexOf(RESULT_PREFIX, at - 1);
        if (found < 0) {
            break;
        }
        if (found === 0 || stdout[found - 1] === "\n") {
            const end = stdout.indexOf("\n", found);
            line = stdout.slice(found, end < 0 ? undefined : end).replace(/\r$/, "");
            break;
        }
        at = found;
    }
    if (line === undefined) {
        throw new Error(`parseRunResult: no "${RESULT_PREFIX.trim()}" line in the run's output`);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(line.slice(RESULT_PREFIX.length));
    } catch (error) {
        throw new Error(`parseRunResult: the result line is not JSON: ${(error as Error).message}`);
    }
    const data = raw as Record<string, unknown>;
    if (data === null || typeof data !== "object" || typeof data.attempts !== "number") {
        throw new Error(`parseRunResult: the result line has no attempts count: ${line}`);
    }
    const result: RunResult = { attempts: data.attempts };
    if (typeof data.manifestsZip === "string" && data.manifestsZip !== "") {
        result.manifestsZip = data.manifestsZip;
    }
    if (typeof data.version === "string" && data.version !== "") {
        result.version = data.version;
    }
    if (typeof data.log === "string" && data.log !== "") {
        result.log = data.log;
    }
    return result;
}

/** A password login's TLS: its own caFile/insecure, else the spec's; insecure means no CA. */
function passwordLoginTls(login: Extract<RegistryLogin, { kind: "password" }>, spec: BinaryRunSpec): { insecure: boolean; caFile?: string } {
    const insecure = login.insecure ?? spec.insecure ?? false;
    const caFile = insecure ? undefined : (login.caFile ?? spec.caFile);
    return { insecure, ...(caFile !== undefined && caFile !== "" ? { caFile } : {}) };
}

/**
 * The `registry_login registry username [ca|insecure [ca-argument]]` function of the chosen tool
 * (password on stdin). The TLS options are per call: each password-login registry has its own CA
 * (oras `--ca-file <file>`, skopeo `--cert-dir <dir holding only it>`) or is insecure; the ECR
 * logins pass none.
 */
function loginToolFunction(tool: LoginTool): string[] {
    switch (tool) {
        case "skopeo":
            return [
                "# skopeo login: the password arrives on stdin; TLS options are this registry's.",
                "registry_login() { # registry username [ca cert-dir | insecure]",
                "  local tls=()",
                '  case ${3:-} in ca) tls=(--cert-dir "$4") ;; insecure) tls=(--tls-verify=false) ;; esac',
                '  bounded "skopeo login to $1" skopeo login --authfile "$REGISTRY_AUTH_FILE" "${tls[@]}" --username "$2" --password-stdin "$1"',
                "}",
            ];
        case "oras":
            return [
                "# oras login: the password arrives on stdin; TLS options are this registry's.",
                "registry_login() { # registry username [ca ca-file | insecure]",
                "  local tls=()",
                '  case ${3:-} in ca) tls=(--ca-file "$4") ;; insecure) tls=(--insecure) ;; esac',
                '  bounded "oras login to $1" oras login --registry-config "$REGISTRY_AUTH_FILE" "${tls[@]}" --username "$2" --password-stdin "$1"',
                "}",
            ];
        case "docker":
            return [
                "# docker login: the password arrives on stdin. The Docker daemon does the TLS (see the CA step below).",
                "registry_login() { # registry username [ca ca-file | insecure]",
                "  if [ \"${3:-}\" = insecure ]; then",
                "    say \"registryInsecure: the Docker daemon must list $1 in insecure-registries (/etc/docker/daemon.json)\"",
                "  fi",
                '  bounded "docker login to $1" docker login --username "$2" --password-stdin "$1"',
                "}",
            ];
    }
}

function validate(spec: BinaryRunSpec): string[] {
    const problems: string[] = [];
    if (spec === null || typeof spec !== "object") {
        return ["spec must be an object"];
    }
    for (const key of ["binaryPath", "label", "workDir", "stateDir"] as const) {
        if (typeof spec[key] !== "string" || spec[key].trim() === "") {
            problems.push(`${key} must be a non-empty string`);
        }
    }
    for (const key of ["binaryPath", "workDir", "stateDir", "caFile"] as const) {
        const value = spec[key];
        if (typeof value === "string" && value !== "" && !value.startsWith("/")) {
            problems.push(`${key} must be an absolute path, got ${JSON.stringify(value)}`);
        }
    }
    if (!LOGIN_TOOLS.includes(spec.loginTool)) {
        problems.push(`loginTool must be one of ${LOGIN_TOOLS.join(", ")}, got ${JSON.stringify(spec.loginTool)}`);
    }
    if (!Number.isInteger(spec.maxAttempts) || spec.maxAttempts < 1) {
        problems.push(`maxAttempts must be an integer >= 1, got ${JSON.stringify(spec.maxAttempts)}`);
    }
    if (spec.retryDelaySeconds !== undefined && (!Number.isInteger(spec.retryDelaySeconds) || spec.retryDelaySeconds < 0)) {
        problems.push(`retryDelaySeconds must be an integer >= 0, got ${JSON.stringify(spec.retryDelaySeconds)}`);
    }
    for (const [key, max] of [["loginTimeoutSeconds", 3600], ["attemptTimeoutSeconds", MAX_ATTEMPT_TIMEOUT_MINUTES * 60], ["killGraceSeconds", 3600]] as const) {
        const value = spec[key];
        if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
            problems.push(`${key} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
        }
    }
    if (spec.successMarker !== undefined && (typeof spec.successMarker !== "string" || spec.successMarker.trim() === "" || /[\r\n]/.test(spec.successMarker))) {
        problems.push(`successMarker must be a non-empty single line`);
    }
    if (spec.environment === null || typeof spec.environment !== "object") {
        problems.push("environment must be an object of variable names to values");
    } else {
        for (const [name, value] of Object.entries(spec.environment)) {
            if (!ENV_NAME.test(name)) {
                problems.push(`environment: ${JSON.stringify(name)} is not a variable name`);
            } else if (typeof value !== "string") {
                problems.push(`environment: ${name} must be a string`);
            } else if (RESERVED_ENV.has(name)) {
                problems.push(`environment: ${name} is set by the script itself`);
            }
        }
    }
    if (!Array.isArray(spec.logins)) {
        problems.push("logins must be an array");
        return problems;
    }
    spec.logins.forEach((login, i) => {
        const where = `logins[${i}]`;
        if (login === null || typeof login !== "object") {
            problems.push(`${where} must be an object`);
            return;
        }
        if (typeof login.registry !== "string" || !/^[^\s'"\\`$]+$/.test(login.registry)) {
            problems.push(`${where}.registry must be a registry host without spaces or quotes, got ${JSON.stringify(login.registry)}`);
        }
        switch (login.kind) {
            case "password":
                if (login.caFile !== undefined && (typeof login.caFile !== "string" || !login.caFile.startsWith("/"))) {
                    problems.push(`${where}.caFile must be an absolute path, got ${JSON.stringify(login.caFile)}`);
                }
                if (login.insecure !== undefined && typeof login.insecure !== "boolean") {
                    problems.push(`${where}.insecure must be a boolean`);
                }
                if (spec.logins.some((other, j) => j < i && other?.kind === "password" && other.registry === login.registry && (other.username !== login.username || other.passwordEnv !== login.passwordEnv))) {
                    problems.push(`${where}: ${login.registry} has another password login; one registry has one login in the credentials file`);
                }
                if (typeof login.username !== "string" || login.username === "" || /[\r\n]/.test(login.username)) {
                    problems.push(`${where}.username must be a non-empty single line`);
                }
                if (typeof login.passwordEnv !== "string" || !ENV_NAME.test(login.passwordEnv)) {
                    problems.push(`${where}.passwordEnv must be an environment variable name, got ${JSON.stringify(login.passwordEnv)}`);
                } else if (RESERVED_ENV.has(login.passwordEnv) || (spec.environment && login.passwordEnv in spec.environment)) {
                    problems.push(`${where}.passwordEnv ${login.passwordEnv} clashes with a variable the script sets`);
                }
                break;
            case "ecr":
                if (typeof login.region !== "string" || !/^[a-z0-9-]+$/.test(login.region)) {
                    problems.push(`${where}.region must be an AWS region such as us-east-1, got ${JSON.stringify(login.region)}`);
                }
                break;
            case "ecr-public":
                break;
            default:
                problems.push(`${where}.kind must be password, ecr or ecr-public`);
        }
    });
    return problems;
}

/** Variables the script sets itself; neither the binary's environment nor a password variable may use them. */
const RESERVED_ENV = new Set(["DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "TMPDIR", "SSL_CERT_FILE", "PATH", "HOME"]);

/** For a double-quoted bash string: escape what bash would expand. */
function dq(value: string): string {
    return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

/** `240 minutes`, `90 s`: how the watchdog's limit is written in messages. */
function durationText(seconds: number): string {
    return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? "" : "s"}` : `${seconds} s`;
}

function oneLine(value: string): string {
    return value.replace(/[\r\n]+/g, " ");
}
