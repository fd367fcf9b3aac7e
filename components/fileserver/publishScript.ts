/**
 * The bash scripts that publish (and unpublish) the `spectro-manifests-<epoch>.zip` on the file
 * server, run there over SSH by a `command.remote.Command` after ./copyScript put the zip at
 * `zipPath`.
 *
 * Layout on the server (webRoot `/srv/palette-manifests` as an example):
 *
 * ```
 * /srv/palette-manifests                 symlink -> palette-manifests.releases/<release> (relative)
 * /srv/palette-manifests.releases/
 *     .palette-airgap                    the marker: this directory and the link were made by palette-airgap
 *     <sha256[0:16]>-<epoch>/            one unzipped manifests zip (roar/nickfury/versions.yaml, ...)
 *     <sha256[0:16]>-<epoch>.sha256      the full sha256 of the zip it came from
 *     .staging-<release>/                while unzipping (removed on failure and at the next run)
 * /srv/palette-manifests.palette-airgap-new   the temporary symlink, only during the swap
 * ```
 *
 * It replaces and removes only what it made (issue 9): webRoot must be absent, an empty
 * directory, or a symlink into a releases directory holding the marker (a releases directory of an
 * earlier version, without the marker but holding only releases, is adopted). A webRoot that holds
 * anything else (`/home/ubuntu`, `/bin -> usr/bin`, a directory published by hand) stops the publish
 * with nothing changed, naming what is there; unpublish leaves such paths alone too.
 *
 * Every entry of the zip is checked before anything is unpacked: only regular files and
 * directories with relative names inside the release (no symlink, device, FIFO or socket entry, no
 * absolute name, no `..`), at most MAX_ZIP_ENTRIES of them; the unpacked tree is checked again
 * (nothing but regular files with one link and directories) before it is swapped in. A refused zip
 * names the entry and leaves the current release served.
 *
 * The web server serves webRoot; the swap is `mv -T` of a new symlink over it (one rename(2)),
 * so `roar/nickfury/versions.yaml` is never missing while a new zip is published. The epoch of a
 * release is the publication time, made strictly greater than every existing release's so that
 * pruning by epoch keeps the newest. Publishing the zip that is already current is a no-op.
 *
 * The text is deterministic (same spec, same script): it can be a command's input without
 * causing a diff on every preview. It holds no secrets.
 */
import * as path from "path";

export interface PublishSpec {
    /** Where the copy (./copyScript) put the zip on the server (absolute path). */
    zipPath: string;
    /** Expected sha256 of the zip (the local file's), 64 hex digits. */
    sha256: string;
    /** Directory the web server serves, e.g. /srv/palette-manifests (a symlink managed by this script). */
    webRoot: string;
    /** Releases kept besides the current one (default 1). */
    keepReleases?: number;
    /** Run privileged steps with `sudo -n` (default true): the SSH user needs passwordless sudo. */
    sudo?: boolean;
}

/** What the unpublish script needs: a whole PublishSpec fits. */
export type UnpublishSpec = Pick<PublishSpec, "webRoot" | "sudo"> & {
    /**
     * sha256 of the zip the unpublishing resource published. When the web root serves another
     * release (a newer zip's, published by the resource that replaced this one), only this zip's
     * releases are removed and the web root stays as it is. Default: unpublish whatever is served.
     */
    sha256?: string;
};

/** Prefix of the line the publish script prints last, followed by the release directory. */
export const PUBLISHED_MARKER = "PALETTE_AIRGAP_PUBLISHED ";
/** Prefix of the line the unpublish script prints last, followed by webRoot. */
export const UNPUBLISHED_MARKER = "PALETTE_AIRGAP_UNPUBLISHED ";
/** Prefix of every failure message (on stderr). */
export const PUBLISH_FAILED_MARKER = "PALETTE_AIRGAP_PUBLISH_FAILED: ";
/** Path that Palette fetches to check the file server; must be at the top level of the zip. */
export const VERSIONS_YAML = "roar/nickfury/versions.yaml";
/** Length of the sha256 prefix in release directory names. */
export const RELEASE_SHA_PREFIX_LENGTH = 16;
export const DEFAULT_KEEP_RELEASES = 1;
/** Entries a manifests zip may hold (a real one holds a few thousand); more is refused before unpacking. */
export const MAX_ZIP_ENTRIES = 100_000;
/** The file in the releases directory that says palette-airgap made it (and the webRoot link into it). */
export const OWNER_MARKER = ".palette-airgap";

/** `<webRoot>.releases`: where the releases are unzipped. */
export function releasesDirOf(webRoot: string): string {
    return `${webRoot}.releases`;
}

/** The release directory from the publish script's stdout, or undefined when it did not finish. */
export function parsePublishedRelease(stdout: string): string | undefined {
    const lines = stdout.split("\n").filter((line) => line.startsWith(PUBLISHED_MARKER));
    return lines.length === 0 ? undefined : lines[lines.length - 1].slice(PUBLISHED_MARKER.length).trim();
}

/** Time limit of one publish or unpublish run on the server: unpacking a few GiB takes minutes. */
export const PUBLISH_TIMEOUT_SECONDS = 1800;
/** Time limit of waiting for cloud-init on a fresh file-server VM before publishing. */
export const CLOUD_INIT_WAIT_SECONDS = 1200;

/**
 * The script as one command string, for a Command's `create`/`delete`: `bash -c '<script>'` under
 * `timeout`, so a step that hangs on the server (a stuck disk, a lock) ends the Command with a
 * message instead of holding `pulumi up` forever.
 */
export function remoteBashCommand(script: string, timeoutSeconds = PUBLISH_TIMEOUT_SECONDS): string {
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
        throw new Error(`remoteBashCommand: timeoutSeconds must be a whole number of at least 1 (got ${JSON.stringify(timeoutSeconds)})`);
    }
    // POSIX sh: the remote user's login shell runs this line.
    const timedOut = `${PUBLISH_FAILED_MARKER}no result within ${timeoutSeconds} s on $(hostname): the script was stopped; see what hangs there`;
    return (
        `timeout --kill-after=30 ${timeoutSeconds} bash -c ${shellQuote(script)} || ` +
        `{ status=$?; if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then printf '%s\\n' "${timedOut}" >&2; fi; exit "$status"; }`
    );
}

/** `cloud-init status --wait`, bounded: the publish waits for the VM's first boot to finish, not forever. */
export function waitForCloudInitCommand(timeoutSeconds = CLOUD_INIT_WAIT_SECONDS): string {
    return `timeout ${timeoutSeconds} cloud-init status --wait >/dev/null 2>&1 || true`;
}

/** Bash script that publishes the zip at `spec.zipPath` under `spec.webRoot`. Throws on a bad spec, naming every problem. */
export function publishManifestsScript(spec: PublishSpec): string {
    const problems: string[] = [];
    checkAbsolute("zipPath", spec.zipPath, problems);
    checkWebRoot(spec.webRoot, problems);
    if (typeof spec.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(spec.sha256)) {
        problems.push(`sha256 must be 64 hex digits (got ${JSON.stringify(spec.sha256)})`);
    }
    const keep = spec.keepReleases ?? DEFAULT_KEEP_RELEASES;
    if (!Number.isInteger(keep) || keep < 0 || keep > 1000) {
        problems.push(`keepReleases must be an integer from 0 to 1000 (got ${JSON.stringify(spec.keepReleases)})`);
    }
    throwProblems("publishManifestsScript", problems);

    const sha256 = spec.sha256.toLowerCase();
    const sudo = spec.sudo ?? true;
    return [
        "#!/usr/bin/env bash",
        "# palette-airgap: publish a Palette manifests zip on this file server.",
        "# Generated by publishManifestsScript (components/fileserver/publishScript.ts); do not edit.",
        "set -euo pipefail",
        "umask 022",
        "",
        `zip_path=${shellQuote(spec.zipPath)}`,
        `expected_sha256=${shellQuote(sha256)}`,
        ...layoutVariables(spec.webRoot),
        `keep_releases=${keep}`,
        `versions_yaml=${shellQuote(VERSIONS_YAML)}`,
        `max_entries=${MAX_ZIP_ENTRIES}`,
        "",
        ...commonFunctions(sudo),
        "",
        ...entryCheckFunctions(),
        "",
        ...ownershipFunctions(),
        "",
        "# Releases as '<epoch> <name>' lines, any order.",
        "list_releases() {",
        "  local name",
        `  as_root find "$releases_dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\\n' | while IFS= read -r name; do`,
        `    if [[ "$name" =~ ^[0-9a-f]{${RELEASE_SHA_PREFIX_LENGTH}}-([0-9]+)$ ]]; then`,
        `      printf '%s %s\\n' "\${BASH_REMATCH[1]}" "$name"`,
        "    fi",
        "  done",
        "}",
        "",
        "# Keep the current release and the newest $keep_releases others; remove the rest.",
        "prune_releases() {",
        '  local current_name="$1" kept=0 epoch name sidecar',
        '  while read -r epoch name; do',
        '    [ "$name" = "$current_name" ] && continue',
        '    if [ "$kept" -lt "$keep_releases" ]; then',
        "      kept=$((kept + 1))",
        "      continue",
        "    fi",
        '    as_root rm -rf -- "$releases_dir/$name"',
        '    as_root rm -f -- "$releases_dir/$name.sha256"',
        '    echo "removed old release $releases_dir/$name"',
        "  done < <(list_releases | sort -rn)",
        "  # sidecars whose release is gone (a run stopped between the two removals)",
        `  while IFS= read -r sidecar; do`,
        '    as_root test -d "$releases_dir/${sidecar%.sha256}" || as_root rm -f -- "$releases_dir/$sidecar"',
        `  done < <(as_root find "$releases_dir" -mindepth 1 -maxdepth 1 -type f -name '*.sha256' -printf '%f\\n')`,
        "}",
        "",
        "staging_dir=''",
        "cleanup() {",
        '  if [ -n "$staging_dir" ]; then as_root rm -rf -- "$staging_dir" 2>/dev/null || true; fi',
        '  if as_root test -L "$new_link"; then as_root rm -f -- "$new_link" 2>/dev/null || true; fi',
        "}",
        "trap cleanup EXIT",
        "",
        "preflight sha256sum unzip find mv ln readlink",
        "",
        "# 1. The copy on the server is the local zip.",
        'as_root test -f "$zip_path" || fail "the manifests zip $zip_path is not on the file server (the copy step did not put it there)"',
        'actual_sha256="$(as_root sha256sum -b -- "$zip_path")"',
        'actual_sha256="${actual_sha256#\\\\}"',
        'actual_sha256="${actual_sha256%% *}"',
        'if [ "$actual_sha256" != "$expected_sha256" ]; then',
        '  fail "sha256 mismatch for $zip_path on the file server: expected $expected_sha256 (the local zip), got $actual_sha256; the copy is incomplete or another file; nothing was changed"',
        "fi",
        "",
        "# 2. Only what palette-airgap made is replaced: webRoot absent, an empty directory, or our link.",
        "check_ownership",
        "",
        "# 3. Every entry of the zip is a regular file or a directory with a safe name, and not too many.",
        "check_entries",
        "",
        'if [ -n "$web_parent" ]; then as_root mkdir -p -- "$web_parent"; fi',
        'if ! as_root test -d "$releases_dir"; then',
        '  as_root mkdir -- "$releases_dir"',
        "fi",
        'printf \'%s\\n\' "palette-airgap releases of $web_root; the link $web_root and this directory are managed by palette-airgap" | as_root tee -- "$releases_dir/$owner_marker" >/dev/null',
        'as_root chmod 755 -- "$releases_dir"',
        "# leftovers of a run that was stopped while unzipping",
        `as_root find "$releases_dir" -mindepth 1 -maxdepth 1 -name '.staging-*' -exec rm -rf -- {} +`,
        "",
        `name_prefix="\${expected_sha256:0:${RELEASE_SHA_PREFIX_LENGTH}}"`,
        "current_name=''",
        'if as_root test -L "$web_root"; then',
        '  current_target="$(as_root readlink -- "$web_root")"',
        '  case "$current_target" in',
        '    "$releases_base"/*) current_name="${current_target#"$releases_base"/}" ;;',
        '    "$releases_dir"/*) current_name="${current_target#"$releases_dir"/}" ;;',
        "  esac",
        "fi",
        "",
        "# 4. Idempotent: this zip is already the current release.",
        'if [ -n "$current_name" ] && [[ "$current_name" == "$name_prefix"-* ]] \\',
        '  && as_root test -f "$releases_dir/$current_name/$versions_yaml" \\',
        '  && [ "$(as_root cat -- "$releases_dir/$current_name.sha256" 2>/dev/null || true)" = "$expected_sha256" ]; then',
        '  echo "$zip_path (sha256 $expected_sha256) is already published at $releases_dir/$current_name"',
        '  prune_releases "$current_name"',
        '  echo "PALETTE_AIRGAP_PUBLISHED $releases_dir/$current_name"',
        "  exit 0",
        "fi",
        "",
        "# 5. Unzip into a staging directory of a new release.",
        'epoch="$(date +%s)"',
        "while read -r existing_epoch _; do",
        '  if [ "$existing_epoch" -ge "$epoch" ]; then epoch=$((existing_epoch + 1)); fi',
        "done < <(list_releases)",
        'release_name="$name_prefix-$epoch"',
        'release_dir="$releases_dir/$release_name"',
        'staging_dir="$releases_dir/.staging-$release_name"',
        "",
        "# enough free space for the unzipped files (with 5% to spare)?",
        'zip_summary="$(as_root unzip -Zt "$zip_path" 2>/dev/null || true)"',
        'if [[ "$zip_summary" =~ ([0-9]+)\\ bytes\\ uncompressed ]]; then',
        '  need_kb=$(( BASH_REMATCH[1] / 1024 * 105 / 100 + 1 ))',
        '  free_kb="$(df -Pk -- "$releases_dir" | { read -r _ || true; read -r _ _ _ available _ || true; printf \'%s\' "${available:-}"; })"',
        '  if [[ "$free_kb" =~ ^[0-9]+$ ]] && [ "$free_kb" -lt "$need_kb" ]; then',
        '    fail "not enough free space in $releases_dir: the manifests unzip to $((need_kb / 1024)) MiB, $((free_kb / 1024)) MiB are free (lower keepReleases or grow the disk)"',
        "  fi",
        "fi",
        "",
        'as_root mkdir -- "$staging_dir"',
        'as_root unzip -q -o "$zip_path" -d "$staging_dir" || fail "unzip of $zip_path failed (exit $?); nothing was changed"',
        'if ! as_root test -f "$staging_dir/$versions_yaml"; then',
        `  nested="$(as_root find "$staging_dir" -mindepth 2 -maxdepth 8 -type f -path "*/$versions_yaml" -printf '%P\\n' -quit)"`,
        '  if [ -n "$nested" ]; then',
        '    fail "$zip_path is not laid out as a Palette manifests zip: $versions_yaml must be at its top level, it is at $nested; nothing was changed"',
        "  fi",
        '  fail "$zip_path is not a Palette manifests zip: it has no $versions_yaml; nothing was changed"',
        "fi",
        "# what unzip made: nothing but directories and regular files with a single link",
        'check_unpacked "$staging_dir"',
        "# readable by the web server's user whatever the modes stored in the zip",
        'as_root chmod -R u+rwX,go+rX,go-w -- "$staging_dir"',
        'as_root mv -T -- "$staging_dir" "$release_dir"',
        "staging_dir=''",
        `printf '%s\\n' "$expected_sha256" | as_root tee -- "$release_dir.sha256" >/dev/null`,
        "",
        "# 6. Atomic swap: a new symlink renamed over webRoot (one rename(2)).",
        'as_root rm -f -- "$new_link"',
        'as_root ln -s -- "$releases_base/$release_name" "$new_link"',
        "# an empty directory (checked above) cannot be renamed over: remove it first",
        'if as_root test -d "$web_root" && ! as_root test -L "$web_root"; then',
        '  as_root rmdir -- "$web_root" || fail "$web_root is no longer empty; nothing was changed"',
        "fi",
        'as_root mv -T -- "$new_link" "$web_root"',
        'as_root test -f "$web_root/$versions_yaml" || fail "$web_root/$versions_yaml is missing after the swap"',
        'echo "published $zip_path (sha256 $expected_sha256) at $web_root -> $release_dir"',
        "",
        "# 7. Older releases beyond keep_releases.",
        'prune_releases "$release_name"',
        'echo "PALETTE_AIRGAP_PUBLISHED $release_dir"',
        "",
    ].join("\n");
}

/** Bash script that removes the webRoot symlink and every release (for the Command's delete). Idempotent. */
export function unpublishManifestsScript(spec: UnpublishSpec): string {
    const problems: string[] = [];
    checkWebRoot(spec.webRoot, problems);
    if (spec.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(spec.sha256)) {
        problems.push(`sha256 must be 64 hex digits (got ${JSON.stringify(spec.sha256)})`);
    }
    throwProblems("unpublishManifestsScript", problems);
    const sudo = spec.sudo ?? true;
    const ownPrefix = spec.sha256 === undefined ? "" : spec.sha256.toLowerCase().slice(0, RELEASE_SHA_PREFIX_LENGTH);
    return [
        "#!/usr/bin/env bash",
        "# palette-airgap: unpublish the Palette manifests from this file server.",
        "# Generated by unpublishManifestsScript (components/fileserver/publishScript.ts); do not edit.",
        "set -euo pipefail",
        "",
        ...layoutVariables(spec.webRoot),
        "",
        ...commonFunctions(sudo),
        "",
        ...ownershipFunctions(),
        "",
        "preflight find readlink",
        "",
        "# Replaced by a newer publish (created before this one is deleted): it serves its own release,",
        "# which stays; only this zip's releases go.",
        `own_prefix=${shellQuote(ownPrefix)}`,
        'if [ -n "$own_prefix" ] && as_root test -L "$web_root"; then',
        '  current_target="$(as_root readlink -- "$web_root")"',
        '  current_name="${current_target##*/}"',
        '  if [[ "$current_name" != "$own_prefix"-* ]]; then',
        '    if releases_dir_is_ours; then',
        '      as_root find "$releases_dir" -mindepth 1 -maxdepth 1 \\( -name "$own_prefix-*" -o -name "$own_prefix-*.sha256" \\) -exec rm -rf -- {} +',
        "    fi",
        '    echo "left $web_root in place: it serves $current_name, a newer release than this one ($own_prefix)"',
        '    echo "PALETTE_AIRGAP_UNPUBLISHED $web_root"',
        "    exit 0",
        "  fi",
        "fi",
        "",
        "# Only what palette-airgap made is removed; anything else at these paths is left as it is.",
        'if web_root_is_our_link; then',
        '  as_root rm -f -- "$web_root"',
        '  echo "removed $web_root"',
        'elif as_root test -L "$web_root"; then',
        '  echo "left $web_root in place: it points to $(as_root readlink -- "$web_root"), not to a palette-airgap release" >&2',
        'elif as_root test -e "$web_root"; then',
        '  echo "left $web_root in place: it is not a symlink made by palette-airgap" >&2',
        "fi",
        'if as_root test -L "$new_link"; then as_root rm -f -- "$new_link"; fi',
        'if releases_dir_is_ours; then',
        '  as_root rm -rf -- "$releases_dir"',
        '  echo "removed $releases_dir"',
        'elif as_root test -e "$releases_dir" || as_root test -L "$releases_dir"; then',
        '  echo "left $releases_dir in place: it was not made by palette-airgap (no $owner_marker in it)" >&2',
        "fi",
        'echo "PALETTE_AIRGAP_UNPUBLISHED $web_root"',
        "",
    ].join("\n");
}

/**
 * check_entries and check_unpacked: every zip entry (from `unzip -Z -s`, one line per entry, control
 * characters shown as ^X) must be a regular file or a directory whose name stays inside the
 * release; the unpacked tree must hold nothing else either (a second line of defence, and hard
 * links, which a zip listing cannot show).
 */
function entryCheckFunctions(): string[] {
    return `refuse_zip() { # what, entries...
  local what=$1 shown; shift
  shown=$(printf '%s; ' "\${@:1:10}")
  if [ "$#" -gt 10 ]; then shown="$shown... and $(($# - 10)) more"; fi
  fail "$zip_path holds $what, which palette-airgap does not publish: \${shown%; }. Nothing was changed: the current release stays served; check where the zip came from"
}

check_entries() {
  local listing line type name plain declared='' count=0
  local -a refused=()
  listing="$(as_root unzip -Z -s -- "$zip_path" 2>&1)" || fail "unzip cannot list $zip_path: \${listing:0:300}; nothing was changed"
  while IFS= read -r line; do
    if [[ "$line" =~ ^Zip\\ file\\ size:.*number\\ of\\ entries:\\ *([0-9]+) ]]; then
      declared=\${BASH_REMATCH[1]}
      if [ "$declared" -gt "$max_entries" ]; then
        fail "$zip_path holds $declared entries, more than the $max_entries a manifests zip may hold; nothing was changed: the current release stays served"
      fi
      continue
    fi
    # <type+mode> <version> <os> <size> <tx/bx> <method> <date> <time> <name>
    [[ "$line" =~ ^(.)[^\\ ]*\\ +[^\\ ]+\\ +[^\\ ]+\\ +[0-9]+\\ +[^\\ ]+\\ +[^\\ ]+\\ +[^\\ ]+\\ +[^\\ ]+\\ (.*)$ ]] || continue
    count=$((count + 1))
    type=\${BASH_REMATCH[1]}
    name=\${BASH_REMATCH[2]}
    case $type in
      -|d) ;;
      l) refused+=("$name (a symbolic link)") ;;
      c|b) refused+=("$name (a device file)") ;;
      p) refused+=("$name (a FIFO)") ;;
      s) refused+=("$name (a socket)") ;;
      *) refused+=("$name (neither a regular file nor a directory)") ;;
    esac
    plain=\${name//\\\\//}
    case $plain in
      /*) refused+=("$name (an absolute name)") ;;
      *) case "/$plain/" in */../*) refused+=("$name (a name that climbs out with ..)") ;; esac ;;
    esac
  done <<<"$listing"
  if [ -z "$declared" ] || [ "$count" -ne "$declared" ]; then
    fail "cannot read every entry of $zip_path (listed $count of \${declared:-an unknown number}); nothing was changed"
  fi
  if [ "\${#refused[@]}" -gt 0 ]; then refuse_zip "links, special files or unsafe names" "\${refused[@]}"; fi
}

check_unpacked() { # directory
  local odd
  local -a entries
  odd="$(as_root find "$1" -mindepth 1 \\( ! -type f ! -type d -printf '%P (type %y)\\n' \\) -o \\( -type f -links +1 -printf '%P (a hard link)\\n' \\) | head -n 10 || true)"
  if [ -n "$odd" ]; then
    mapfile -t entries <<<"$odd"
    refuse_zip "entries that unpack to links or special files" "\${entries[@]}"
  fi
}`.split("\n");
}

/**
 * check_ownership (publish) and releases_dir_is_ours: what palette-airgap made is a releases
 * directory holding the marker (or, from an earlier version, only releases, their sidecars and
 * staging leftovers) and a webRoot link into it. Anything else at those paths is left untouched.
 */
function ownershipFunctions(): string[] {
    const release = `[0-9a-f]{${RELEASE_SHA_PREFIX_LENGTH}}-[0-9]+`;
    return `# The releases directory is ours: it holds the marker, or (an earlier version made it) only releases.
releases_dir_is_ours() {
  as_root test -d "$releases_dir" && ! as_root test -L "$releases_dir" || return 1
  as_root test -f "$releases_dir/$owner_marker" && return 0
  [ -z "$(foreign_in_releases_dir)" ]
}
foreign_in_releases_dir() {
  as_root find "$releases_dir" -mindepth 1 -maxdepth 1 -regextype posix-extended ! -regex '.*/(RELEASE(\\.sha256)?|\\.staging-.*)' -printf '%f ' | head -c 300 || true
}
# webRoot is a link into our releases directory (relative or absolute, never through ..).
web_root_is_our_link() {
  local target
  as_root test -L "$web_root" || return 1
  target="$(as_root readlink -- "$web_root")"
  case "/$target/" in */../*) return 1 ;; esac
  case "$target" in "$releases_base"/*|"$releases_dir"/*) return 0 ;; esac
  return 1
}
check_ownership() {
  local what=''
  if as_root test -e "$new_link" && ! as_root test -L "$new_link"; then
    fail "$new_link exists and is not the temporary link palette-airgap makes; nothing was changed: move it away"
  fi
  if as_root test -e "$releases_dir" || as_root test -L "$releases_dir"; then
    releases_dir_is_ours || fail "$releases_dir exists and was not made by palette-airgap (no $owner_marker in it; it holds: $(foreign_in_releases_dir)); nothing was changed: choose a dedicated fileServerWebRoot, or move $releases_dir away"
  fi
  if as_root test -L "$web_root"; then
    web_root_is_our_link || fail "$web_root is a link to $(as_root readlink -- "$web_root"), which palette-airgap did not make; nothing was changed: choose a dedicated fileServerWebRoot (e.g. /srv/palette-manifests)"
  elif as_root test -d "$web_root"; then
    what="$(as_root find "$web_root" -mindepth 1 -maxdepth 1 -printf '%f ' | head -c 300 || true)"
    if [ -n "$what" ]; then
      fail "$web_root is a directory holding files palette-airgap did not put there ($what); nothing was changed: give fileServerWebRoot a dedicated directory (absent or empty), or move that content away yourself"
    fi
  elif as_root test -e "$web_root"; then
    fail "$web_root exists and is neither a directory nor a link made by palette-airgap; nothing was changed: move it away or choose another fileServerWebRoot"
  fi
}`
        .replace("RELEASE", release)
        .split("\n");
}

function layoutVariables(webRoot: string): string[] {
    const releasesDir = releasesDirOf(webRoot);
    return [
        `web_root=${shellQuote(webRoot)}`,
        `web_parent=${shellQuote(path.posix.dirname(webRoot) === "/" ? "" : path.posix.dirname(webRoot))}`,
        `releases_dir=${shellQuote(releasesDir)}`,
        "# the symlink's target, relative to webRoot's directory (still valid if that directory is mounted elsewhere)",
        `releases_base=${shellQuote(path.posix.basename(releasesDir))}`,
        `new_link=${shellQuote(`${webRoot}.palette-airgap-new`)}`,
        `owner_marker=${shellQuote(OWNER_MARKER)}`,
    ];
}

function commonFunctions(sudo: boolean): string[] {
    const lines = [
        `fail() { printf '${PUBLISH_FAILED_MARKER}%s\\n' "$*" >&2; exit 1; }`,
    ];
    if (sudo) {
        lines.push(
            "# privileged steps run through passwordless sudo",
            'as_root() { sudo -n -- "$@"; }',
            "preflight() {",
            "  local tool",
            "  command -v sudo >/dev/null 2>&1 || fail \"sudo is not installed on $(hostname); install it or publish with sudo: false as a user that owns the web root\"",
            "  sudo -n true >/dev/null 2>&1 || fail \"user $(id -un) cannot run sudo without a password on $(hostname); give it NOPASSWD sudo (cloud-init: sudo: ALL=(ALL) NOPASSWD:ALL)\"",
            '  for tool in "$@"; do',
            '    as_root sh -c \'command -v "$1"\' sh "$tool" >/dev/null 2>&1 || fail "$tool is not installed on $(hostname)"',
            "  done",
            "}",
        );
    } else {
        lines.push(
            "# sudo: false, every step runs as the SSH user",
            'as_root() { "$@"; }',
            "preflight() {",
            "  local tool",
            '  for tool in "$@"; do',
            '    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed on $(hostname)"',
            "  done",
            "}",
        );
    }
    return lines;
}

function checkAbsolute(name: string, value: unknown, problems: string[]): void {
    if (typeof value !== "string" || value === "") {
        problems.push(`${name} must be a non-empty absolute path`);
        return;
    }
    if (/[\u0000-\u001f\u007f]/.test(value)) {
        problems.push(`${name} must not contain control characters (got ${JSON.stringify(value)})`);
    }
    if (!value.startsWith("/")) {
        problems.push(`${name} must be an absolute path (got ${JSON.stringify(value)})`);
    }
    if (value.endsWith("/")) {
        problems.push(`${name} must not end with / (got ${JSON.stringify(value)})`);
    }
}

function checkWebRoot(value: unknown, problems: string[]): void {
    const before = problems.length;
    checkAbsolute("webRoot", value, problems);
    if (problems.length > before || typeof value !== "string") {
        return;
    }
    if (path.posix.normalize(value) !== value || value.split("/").some((part) => part === "." || part === "..")) {
        problems.push(`webRoot must be a normalized path without . or .. (got ${JSON.stringify(value)}, normalized ${path.posix.normalize(value)})`);
    }
    if (path.posix.dirname(value) === "/" && ["srv", "var", "usr", "etc", "home", "opt", "tmp", "root"].includes(path.posix.basename(value))) {
        problems.push(`webRoot must be a directory of its own, not a top-level system directory (got ${JSON.stringify(value)}); e.g. /srv/palette-manifests`);
    }
}

function throwProblems(what: string, problems: string[]): void {
    if (problems.length > 0) {
        throw new Error(`${what}: ${problems.join("; ")}`);
    }
}

/** Bash (and POSIX sh) single-quoted word, safe for any string without NUL. */
export function shellQuote(value: string): string {
    if (value.includes("\0")) {
        throw new Error(`publishScript: a value contains a NUL byte: ${JSON.stringify(value)}`);
    }
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
