/**
 * The bash script that copies the manifests zip from this machine to the file server, run by a
 * `command.local.Command` (`/bin/bash -c`) before the publish step. It replaces pulumi-command's
 * `CopyToRemote`, which has no time limit once a transfer has started (issue 9: every network
 * step has a bound).
 *
 * How it copies: one OpenSSH `ssh` session per attempt whose remote command (POSIX sh) reads the
 * zip from stdin into `<remotePath>.partial.<pid>`, checks its size and sha256, and renames it
 * into place: a broken copy never leaves a half file where the publish looks (the partial file is
 * removed on every exit of the remote side).
 *
 * Bounds:
 *  - connecting: `ConnectTimeout` (TCP connect and the SSH banner; the key exchange and login
 *    after it are bounded by the keepalives below, which ssh applies to them too) per attempt; up to
 *    `connectAttempts` attempts `retryDelaySeconds` apart, for connection failures only (refused,
 *    timed out, unreachable, closed before the login): a new VM's sshd may not be up yet;
 *  - the whole session (login, transfer, check, rename): `transferTimeoutSeconds` under
 *    `timeout` (SIGTERM, SIGKILL `killAfterSeconds` later). A fixed bound like the publish's, not
 *    one derived from the zip's size: a stalled link is noticed much sooner by the keepalives, so
 *    this bound only stops a link that moves but far too slowly (1800 s passes a 1 GiB zip at
 *    0.6 MB/s), and a fixed number is one the README can state;
 *  - a stall: `ServerAliveInterval` x `ServerAliveCountMax` (15 s x 4: 75 s after a freeze, measured) without an
 *    answer from the server ends the session.
 * An authentication failure, a timeout, or a failure once the transfer has started is never
 * retried: the step fails with a `PALETTE_AIRGAP_COPY_FAILED:` line naming the host, the step and
 * the fix.
 *
 * Secrets: the private key reaches the script only through the environment variable
 * SSH_PRIVATE_KEY_ENV (the Command's `environment`, secret). The script writes it to a 0600 file
 * in a private temporary directory, removes the variable from its environment (no child inherits
 * it), passes only the file's path to ssh, deletes the file as soon as the server side has
 * started (the login is done), and removes the directory on every exit (a trap; ssh runs in the
 * background so that SIGTERM/SIGINT reach the trap at once). Only a SIGKILL of bash during the
 * login itself could leave the file, inside the private 0700 directory. Without the variable, ssh uses
 * the SSH agent (`SSH_AUTH_SOCK`) and its default keys, as CopyToRemote used the agent.
 *
 * Host keys are not verified (StrictHostKeyChecking=no, known-hosts files /dev/null): as
 * CopyToRemote and the publish's `command.remote.Command` do. A fresh VM has a host key nobody
 * has seen yet, and a replaced VM keeps its address with a new key; the user's known_hosts is
 * neither read nor written. `-F /dev/null`: the user's ~/.ssh/config does not apply, as it did not
 * to CopyToRemote.
 *
 * Every user-supplied value is single-quoted (shellQuote); the script text is deterministic and
 * holds no secret (it is a command-line argument of bash and is stored in plain state).
 */
import { shellQuote } from "./publishScript";

/** Environment variable of the Command that carries the SSH private key (secret) to the script. */
export const SSH_PRIVATE_KEY_ENV = "PALETTE_AIRGAP_SSH_PRIVATE_KEY";
/** Prefix of every failure message of the copy (on stderr). */
export const COPY_FAILED_MARKER = "PALETTE_AIRGAP_COPY_FAILED: ";
/** Prefix of the line the script prints last on success. */
export const COPIED_MARKER = "PALETTE_AIRGAP_COPIED ";
/** What the remote side prints before it reads the zip: after it, a failure is never retried. */
const STARTED_MARKER = "PALETTE_AIRGAP_COPY_STARTED";

export const DEFAULT_TRANSFER_TIMEOUT_SECONDS = 1800;
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 15;
/** 30 attempts 10 s apart: a new VM's sshd has about 12 minutes to come up (CopyToRemote had dialErrorLimit 30). */
export const DEFAULT_CONNECT_ATTEMPTS = 30;
export const DEFAULT_RETRY_DELAY_SECONDS = 10;
export const DEFAULT_SERVER_ALIVE_INTERVAL_SECONDS = 15;
export const DEFAULT_SERVER_ALIVE_COUNT_MAX = 4;
export const DEFAULT_KILL_AFTER_SECONDS = 10;

export interface CopySpec {
    /** The zip on this machine (absolute path). */
    localFile: string;
    /** Its sha256 (64 hex digits): checked on the server before the rename. */
    sha256: string;
    /** File server host name or address. */
    host: string;
    /** SSH user. */
    user: string;
    /** SSH port. Default 22. */
    port?: number;
    /** Where the zip goes on the server (absolute path). */
    remotePath: string;
    /** Config keys to name when the login is refused, e.g. "fileServerSshUser and fileServerSshPrivateKey". */
    credentialKeys: string;
    /** Whole-session bound (login, transfer, check, rename) per attempt. Default 1800. */
    transferTimeoutSeconds?: number;
    /** ssh ConnectTimeout (TCP connect and banner). Default 15. */
    connectTimeoutSeconds?: number;
    /** Attempts when the connection fails. Default 30. */
    connectAttempts?: number;
    /** Seconds between those attempts. Default 10. */
    retryDelaySeconds?: number;
    /** ssh ServerAliveInterval. Default 15. */
    serverAliveIntervalSeconds?: number;
    /** ssh ServerAliveCountMax. Default 4. */
    serverAliveCountMax?: number;
    /** Seconds between timeout's SIGTERM and SIGKILL. Default 10. */
    killAfterSeconds?: number;
}

/** Bash script (for `/bin/bash -c`) that copies `spec.localFile` to `spec.remotePath` on the server. Throws on a bad spec, naming every problem. */
export function copyToServerScript(spec: CopySpec): string {
    const problems: string[] = [];
    for (const [name, value] of [["localFile", spec.localFile], ["remotePath", spec.remotePath]] as const) {
        if (typeof value !== "string" || !value.startsWith("/") || value.endsWith("/") || /[\0\n\r]/.test(value)) {
            problems.push(`${name} must be an absolute file path without newlines (got ${JSON.stringify(value)})`);
        }
    }
    if (typeof spec.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(spec.sha256)) {
        problems.push(`sha256 must be 64 hex digits (got ${JSON.stringify(spec.sha256)})`);
    }
    // ssh would read a leading "-" as an option, and "user@" or whitespace in a host as something else.
    if (typeof spec.host !== "string" || !/^[A-Za-z0-9_.:%-]+$/.test(spec.host) || spec.host.startsWith("-")) {
        problems.push(`host must be a host name or address (got ${JSON.stringify(spec.host)})`);
    }
    if (typeof spec.user !== "string" || spec.user === "" || /[\0\n\r]/.test(spec.user) || spec.user.startsWith("-")) {
        problems.push(`user must be a user name (got ${JSON.stringify(spec.user)})`);
    }
    const port = spec.port ?? 22;
    const numbers: [string, number, number, number][] = [
        ["port", port, 1, 65535],
        ["transferTimeoutSeconds", spec.transferTimeoutSeconds ?? DEFAULT_TRANSFER_TIMEOUT_SECONDS, 1, 7 * 24 * 3600],
        ["connectTimeoutSeconds", spec.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, 1, 3600],
        ["connectAttempts", spec.connectAttempts ?? DEFAULT_CONNECT_ATTEMPTS, 1, 1000],
        ["retryDelaySeconds", spec.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS, 0, 3600],
        ["serverAliveIntervalSeconds", spec.serverAliveIntervalSeconds ?? DEFAULT_SERVER_ALIVE_INTERVAL_SECONDS, 1, 3600],
        ["serverAliveCountMax", spec.serverAliveCountMax ?? DEFAULT_SERVER_ALIVE_COUNT_MAX, 1, 100],
        ["killAfterSeconds", spec.killAfterSeconds ?? DEFAULT_KILL_AFTER_SECONDS, 1, 3600],
    ];
    for (const [name, value, min, max] of numbers) {
        if (!Number.isInteger(value) || value < min || value > max) {
            problems.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
        }
    }
    if (problems.length > 0) {
        throw new Error(`copyToServerScript: ${problems.join("; ")}`);
    }
    const [, transferTimeout, connectTimeout, connectAttempts, retryDelay, aliveInterval, aliveCount, killAfter] = numbers.map(([, value]) => value);
    const q = shellQuote;
    const sha256 = spec.sha256.toLowerCase();
    const where = `${spec.user}@${spec.host} (port ${port})`;

    return [
        "#!/usr/bin/env bash",
        "# palette-airgap: copy the manifests zip to the file server over SSH, bounded.",
        "# Generated by copyToServerScript (components/fileserver/copyScript.ts); do not edit.",
        "set -euo pipefail",
        "",
        `local_file=${q(spec.localFile)}`,
        `host=${q(spec.host)}`,
        `user=${q(spec.user)}`,
        `port=${port}`,
        `where=${q(where)}`,
        `remote_path=${q(spec.remotePath)}`,
        `credential_keys=${q(spec.credentialKeys)}`,
        `transfer_timeout=${transferTimeout}`,
        `kill_after=${killAfter}`,
        `connect_attempts=${connectAttempts}`,
        `retry_delay=${retryDelay}`,
        `stall_seconds=${aliveInterval * aliveCount}`,
        `remote_command=${q(remoteCopyCommand(spec.remotePath, sha256))}`,
        "",
        `fail() { printf '${COPY_FAILED_MARKER}%s\\n' "$*" >&2; exit 1; }`,
        "",
        'command -v ssh >/dev/null 2>&1 || fail "ssh not found on this machine (copying the manifests zip to $host): install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client)"',
        'command -v timeout >/dev/null 2>&1 || fail "timeout not found on this machine: install GNU coreutils"',
        '[ -f "$local_file" ] && [ -r "$local_file" ] || fail "the manifests zip $local_file is not a readable file on this machine: restore it (or run the setup again)"',
        'size=$(stat -c %s -- "$local_file")',
        "",
        "# Private working directory: the key file and ssh's output; removed on every exit. ssh runs in",
        "# the background so that a signal reaches the traps at once (bash defers traps until a",
        "# foreground command ends); cleanup stops it first.",
        'work=$(mktemp -d "${TMPDIR:-/tmp}/palette-airgap-copy.XXXXXX")',
        "copy_pid=",
        'cleanup() { if [ -n "$copy_pid" ]; then kill -TERM "$copy_pid" 2>/dev/null || true; wait "$copy_pid" 2>/dev/null || true; fi; rm -rf -- "$work"; }',
        "trap cleanup EXIT",
        "trap 'exit 129' HUP",
        "trap 'exit 130' INT",
        "trap 'exit 143' TERM",
        "",
        "options=(",
        "  -F /dev/null -p \"$port\" -l \"$user\"",
        "  -o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no",
        `  -o ConnectTimeout=${connectTimeout} -o ConnectionAttempts=1`,
        `  -o ServerAliveInterval=${aliveInterval} -o ServerAliveCountMax=${aliveCount}`,
        "  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null",
        "  -o ClearAllForwardings=yes -o ForwardAgent=no -o RequestTTY=no -o LogLevel=INFO",
        ")",
        `if [ -n "\${${SSH_PRIVATE_KEY_ENV}:-}" ]; then`,
        "  # The key goes from the environment to a 0600 file through bash builtins only: never argv.",
        `  key=$${SSH_PRIVATE_KEY_ENV}`,
        `  unset ${SSH_PRIVATE_KEY_ENV}`,
        "  key=${key//$'\\r'/}",
        "  while [[ $key == *$'\\n' ]]; do key=${key%$'\\n'}; done",
        "  (umask 077 && printf '%s\\n' \"$key\" > \"$work/key\")",
        "  unset key",
        '  options+=(-i "$work/key" -o IdentitiesOnly=yes -o IdentityAgent=none)',
        '  login_with="the private key ($credential_keys)"',
        "else",
        `  unset ${SSH_PRIVATE_KEY_ENV}`,
        '  login_with="the SSH agent (no private key set; $credential_keys)"',
        "fi",
        "",
        "attempt=1",
        "started=$SECONDS",
        "while :; do",
        "  status=0",
        '  timeout --kill-after="$kill_after" "$transfer_timeout" ssh "${options[@]}" -- "$host" "$remote_command $size" \\',
        '    <"$local_file" >"$work/out" 2>"$work/err" &',
        "  copy_pid=$!",
        "  # The key file lives only until the login is done (the server side has started): whatever",
        "  # stops this script later, even SIGKILL, leaves no key behind.",
        '  while [ -f "$work/key" ] && kill -0 "$copy_pid" 2>/dev/null; do',
        `    if grep -q '^${STARTED_MARKER}$' "$work/out"; then rm -f -- "$work/key"; fi`,
        "    sleep 0.1",
        "  done",
        '  wait "$copy_pid" || status=$?',
        "  copy_pid=",
        '  [ "$status" -eq 0 ] && break',
        "  # ssh's own messages (LogLevel INFO: a keepalive timeout is one), without the known-hosts notice.",
        "  reason=$({ grep -v '^Warning: Permanently added' \"$work/err\" || true; } | tail -n 5 | tr -d '\\r' | tr '\\n' ' ' | sed 's/ *$//')",
        '  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then',
        '    fail "copying $local_file to $remote_path on $where gave no result within $transfer_timeout s (the copy of the manifests zip to the file server was stopped; nothing was published): the server $host accepts data too slowly or stopped answering; check its disk, load and network, then run pulumi up again"',
        "  fi",
        `  if grep -q '^${STARTED_MARKER}$' "$work/out"; then`,
        '    if [ "$status" -eq 255 ]; then',
        '      fail "the connection to $where dropped during the copy of the manifests zip to the file server (no answer for $stall_seconds s, or closed): ${reason:-no message}; nothing was published; check the network to $host and run pulumi up again"',
        "    fi",
        '    fail "the file server $host could not store the manifests zip at $remote_path: ${reason:-exit status $status}; fix that on $host (disk space, /tmp) and run pulumi up again"',
        "  fi",
        '  case "$reason" in',
        "    *'Permission denied'* | *'Too many authentication failures'* | *'Load key'* | *'invalid format'* | *'no mutual signature'*)",
        '      fail "the file server $where refused the login for the copy of the manifests zip with $login_with: $reason; check $credential_keys (the user must exist there and authorise the key)" ;;',
        "    *'Could not resolve hostname'*)",
        '      fail "the file server host $host does not resolve (copy of the manifests zip): $reason; check the host name" ;;',
        "    # Before the login: refused, unreachable, no banner, or a key exchange that stalls (ssh's keepalives",
        "    # apply to it: 'Connection to <host> port <port> timed out').",
        "    *'Connection refused'* | *'Connection timed out'* | *' timed out'* | *'No route to host'* | *'Network is unreachable'* | *'Connection reset'* | *'Connection closed'* | *'kex_exchange_identification'* | *'banner exchange'*)",
        '      if [ "$status" -eq 255 ] && [ "$attempt" -lt "$connect_attempts" ]; then',
        '        printf \'cannot connect to %s yet (attempt %d of %d: %s); next attempt in %d s\\n\' "$where" "$attempt" "$connect_attempts" "$reason" "$retry_delay" >&2',
        "        attempt=$((attempt + 1))",
        '        sleep "$retry_delay"',
        "        continue",
        "      fi",
        '      fail "cannot connect to the file server $where to copy the manifests zip after $attempt attempt(s) in $((SECONDS - started)) s: $reason; check that $host is up, runs sshd on port $port and is reachable from this machine" ;;',
        "  esac",
        '  fail "copying the manifests zip to the file server $where failed (ssh exit status $status): ${reason:-no message}"',
        "done",
        `printf '${COPIED_MARKER}%s bytes to %s on %s in %d s\\n' "$size" "$remote_path" "$where" "$((SECONDS - started))"`,
        "",
    ].join("\n");
}

/**
 * The remote side (POSIX sh, run by the login shell through `sh -c`), followed by the expected
 * size as its one argument: read stdin into a partial file next to the destination, check size
 * and sha256, rename into place; the partial file is removed on every exit.
 */
export function remoteCopyCommand(remotePath: string, sha256: string): string {
    const script = [
        "set -u",
        "umask 077",
        `dest=${shellQuote(remotePath)}`,
        "expected_size=$1",
        `expected_sha256=${sha256}`,
        'tmp="$dest.partial.$$"',
        "trap 'rm -f -- \"$tmp\"' EXIT",
        "trap 'exit 1' HUP INT TERM PIPE",
        `say() { printf '${COPY_FAILED_MARKER}%s\\n' "$*" >&2; exit 1; }`,
        `echo ${STARTED_MARKER}`,
        'cat >"$tmp" || say "writing $tmp on $(hostname) failed"',
        'size=$(wc -c <"$tmp" | tr -d " ")',
        '[ "$size" = "$expected_size" ] || say "received $size of $expected_size bytes at $tmp on $(hostname): the transfer broke off"',
        'sum=$(sha256sum <"$tmp") || say "sha256sum failed on $(hostname)"',
        'sum=${sum%% *}',
        '[ "$sum" = "$expected_sha256" ] || say "the copy on $(hostname) has sha256 $sum, not $expected_sha256: the transfer corrupted it"',
        'mv -f -- "$tmp" "$dest" || say "cannot rename $tmp to $dest on $(hostname)"',
    ].join("\n");
    return `sh -c ${shellQuote(script)} palette-airgap-copy`;
}
