/**
 * The rules `loadConfig()` applies to single values, as pure functions: each returns a problem
 * (what is wrong and the fix, without the key, which the caller adds) or the normalized value.
 * They are the strictest of what any later consumer accepts (the Harbor API, the setup binary's
 * registry, vSphere, cloud-init, the publish script, the checks), so a value that passes here is
 * never refused later. Values are only ever quoted with `shown()`, which drops credentials.
 */
import * as net from "net";
import * as path from "path";
import { VSPHERE_NAME_MAX } from "./names";
import { AWS_REGION_PATTERN } from "./setup/setupEnvironment";

/** A rule's verdict: the normalized value, or a problem to report. */
export type RuleResult<T = string> = { value: T; problem?: undefined } | { value?: undefined; problem: string };

const ok = <T>(value: T): RuleResult<T> => ({ value });
const bad = (problem: string): RuleResult<never> => ({ problem });

/**
 * True when `value` carries `user:password@` credentials before its host, with or without a scheme
 * (`https://u:PW@mirror/x.ova`, `palette:PW@host:5000`). An image digest (`…@sha256:…`) and a
 * plain `user@host` (an SSH login, a vCenter user) are not credentials.
 */
export function hasUrlCredentials(value: string): boolean {
    const userinfo = credentialPrefix(value);
    return userinfo !== undefined && userinfo.includes(":");
}

/** The `user[:password]` part before the host, or undefined. */
function credentialPrefix(value: string): string | undefined {
    const rest = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    const at = rest.lastIndexOf("@");
    if (at < 0 || /^sha256:/i.test(rest.slice(at + 1))) {
        return undefined;
    }
    const userinfo = rest.slice(0, at);
    if (/\s/.test(userinfo)) {
        return undefined;
    }
    const colon = userinfo.indexOf(":");
    const slash = userinfo.indexOf("/");
    // `mirror/dir/file@2.ova` is a path with an @, `user:pa/ss@host` a password with a slash.
    return slash >= 0 && (colon < 0 || slash < colon) ? undefined : userinfo;
}

/** `value` with any `user:password@` removed, for messages: a password is never repeated. */
export function withoutCredentials(value: string): string {
    if (!hasUrlCredentials(value)) {
        return value;
    }
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? "";
    const rest = value.slice(scheme.length);
    return scheme + rest.slice(rest.lastIndexOf("@") + 1);
}

/** A value quoted for a message: JSON-quoted (control characters visible), credentials removed. */
export function shown(value: string): string {
    return JSON.stringify(withoutCredentials(value));
}

/** Control characters (line breaks, tabs, NUL, DEL): no setting may hold one. */
export function controlCharacterProblem(value: string): string | undefined {
    return /[\u0000-\u001f\u007f]/.test(value) ? `${shown(value)} contains a control character (a line break, tab or NUL); give a single line` : undefined;
}

// --- hosts and endpoints ----------------------------------------------------------------------

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address (`[fd00::10]`). */
function hostProblem(host: string): string | undefined {
    if (host.startsWith("[") && host.endsWith("]")) {
        return net.isIPv6(host.slice(1, -1)) ? undefined : `[${host.slice(1, -1)}] is not an IPv6 address`;
    }
    if (net.isIPv6(host)) {
        return `an IPv6 address goes in brackets, e.g. [${host}]`;
    }
    const labels = host.split(".");
    if (labels.every((label) => /^\d+$/.test(label))) {
        return net.isIPv4(host) ? undefined : `${host} is not an IPv4 address`;
    }
    if (host.length > 253 || !labels.every((label) => HOST_LABEL.test(label))) {
        return `${JSON.stringify(host)} is not a host name (letters, digits and - between dots)`;
    }
    return undefined;
}

/** `port` of `host:port`: a TCP port from 1 to 65535. */
function portProblem(port: string): string | undefined {
    return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535 ? undefined : `port ${port} is not a TCP port (1 to 65535)`;
}

export interface HostPort {
    /** `name`, `10.0.0.1` or `[fd00::10]` (brackets kept, as in a URL). */
    host: string;
    port?: number;
}

/** `host[:port]` where host is a name, an IPv4 address or a bracketed IPv6 address. */
export function parseHostPort(value: string): RuleResult<HostPort> {
    const match = /^(\[[^\]]*\]|[^:[\]]*)(?::([^:]*))?$/.exec(value);
    if (!match || match[1] === "") {
        return bad(net.isIPv6(value) ? `an IPv6 address goes in brackets, e.g. [${value}]` : `${shown(value)} is not host[:port]`);
    }
    const problem = hostProblem(match[1]) ?? (match[2] !== undefined ? portProblem(match[2]) : undefined);
    return problem ? bad(problem) : ok({ host: match[1], ...(match[2] !== undefined ? { port: Number(match[2]) } : {}) });
}

/**
 * A registry endpoint: `host[:port]` or `https://host[:port][/]` (the setup binary, the login
 * tools, Harbor's API and the registry checks all need exactly a host and port). Refused: http://
 * (the procedure requires HTTPS), other schemes, credentials, a path, a query or a fragment.
 * Returns `host[:port]`.
 */
export function registryEndpointRule(value: string, secretKeys: string): RuleResult {
    if (hasUrlCredentials(value)) {
        return bad(credentialsProblem(secretKeys));
    }
    if (/^http:\/\//i.test(value)) {
        return bad(`${shown(value)} uses http://; the setup binary and Palette need an HTTPS registry: give ${withoutCredentials(value).replace(/^http:\/\//i, "")}`);
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/^https:\/\//i.test(value)) {
        return bad(`${shown(value)} has an unsupported scheme; give host[:port] (https:// is implied)`);
    }
    const rest = value.replace(/^https:\/\//i, "").replace(/\/$/, "");
    const cut = rest.search(/[/?#]/);
    if (cut >= 0) {
        return bad(`${shown(value)} has a ${{ "/": "path", "?": "query", "#": "fragment" }[rest[cut]]} (${shown(rest.slice(cut))}); give host[:port] only, e.g. harbor.lab.internal or 10.10.100.48:5000`);
    }
    const parsed = parseHostPort(rest);
    return parsed.problem !== undefined ? bad(`${parsed.problem}; give host[:port], e.g. harbor.lab.internal or 10.10.100.48:5000`) : ok(rest);
}

/** The message for credentials found inside a URL or endpoint: names the keys to use instead. */
export function credentialsProblem(secretKeys: string): string {
    return `holds credentials (user:password@, not repeated here): they would be stored in plain state and printed in logs; remove them and use ${secretKeys}`;
}

/** A user name a registry login can carry: basic auth splits user and password at the first colon. */
export function registryUsernameProblem(value: string): string | undefined {
    return value.includes(":") ? `${shown(value)} contains ":", which basic authentication cannot carry in a user name` : undefined;
}

// --- repository bases -------------------------------------------------------------------------

/** Harbor's project name rule (src/server: restrictedNameChars, 1 to 255 characters). */
const HARBOR_PROJECT = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** ECR repository names (CreateRepository's repositoryName pattern), up to 256 characters. */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** OCI distribution path components (docker/distribution reference grammar). */
const OCI_PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * A repository base for `kind`. Harbor: the first path segment is a project, whose name Harbor
 * restricts further (no `__` or `--`, at most 255 characters). ECR: a repository name prefix (at
 * most 256 with the image path; kept to 200 here to leave room for it). Generic: any OCI path, at
 * most 200 characters (the whole repository name may not exceed 255).
 */
export function repositoryBaseProblem(value: string, kind: "harbor" | "ecr" | "generic" | string): string | undefined {
    const fix = `lower-case letters and digits, separated by one of . _ - (and / between path segments), e.g. spectro-packs`;
    if (!OCI_PATH.test(value)) {
        return `${shown(value)} is not a repository base: ${fix}`;
    }
    if (value.length > 200) {
        return `is ${value.length} characters long; keep it to 200 at most (a repository name, base and image path together, may not exceed 255)`;
    }
    if (kind === "harbor") {
        const project = value.split("/")[0];
        if (!HARBOR_PROJECT.test(project)) {
            return `${shown(project)} is not a Harbor project name: Harbor allows single . _ - between letters and digits (no __ or --), e.g. spectro-packs`;
        }
    }
    if (kind === "ecr" && !ECR_REPOSITORY.test(value)) {
        return `${shown(value)} is not an ECR repository name: ECR allows single . _ - between letters and digits (no __ or --), e.g. spectro-packs`;
    }
    if (kind === "ecr" && value.length < 2) {
        return `${shown(value)} is shorter than the 2 characters ECR requires of a repository name, e.g. spectro-packs`;
    }
    return undefined;
}

// --- paths ------------------------------------------------------------------------------------

/** An absolute, normalized path: no `.`/`..` segments, no `//`, no trailing `/`. */
export function normalizedAbsolutePathProblem(value: string): string | undefined {
    if (!path.posix.isAbsolute(value)) {
        return `${shown(value)} is not an absolute path`;
    }
    if (value !== "/" && value.endsWith("/")) {
        return `${shown(value)} ends with /; give ${shown(value.replace(/\/+$/, "") || "/")}`;
    }
    if (path.posix.normalize(value) !== value || value.split("/").some((part) => part === "." || part === "..")) {
        return `${shown(value)} is not a normalized path (no . or .. segments, no //)`;
    }
    return undefined;
}

/**
 * Directories of the operating system (and everything below them), where a publish that swaps a
 * link into place would replace system files: `/bin` on Ubuntu is the `usr/bin` link `/bin/sh` goes
 * through, `/etc/nginx` holds the web server's own configuration.
 */
const SYSTEM_DIRECTORIES = [
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found", "/proc", "/root", "/run", "/sbin", "/snap", "/sys",
    "/tmp", "/usr", "/var/backups", "/var/cache", "/var/crash", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
    "/var/run", "/var/snap", "/var/spool", "/var/tmp",
];

/**
 * The file server's web root: a directory of its own. An absolute normalized path of letters,
 * digits and `/ . _ -`, at least two levels deep, not inside a system directory, not a home
 * directory itself nor a hidden directory (`/home/ubuntu` holds `.ssh`).
 */
export function webRootProblem(value: string): string | undefined {
    const example = "e.g. /srv/palette-manifests";
    const shape = normalizedAbsolutePathProblem(value);
    if (shape) {
        return `${shape}; ${example}`;
    }
    if (!/^[A-Za-z0-9/._-]+$/.test(value)) {
        return `${shown(value)} has characters other than letters, digits and / . _ - (the web server's configuration quotes none); ${example}`;
    }
    const segments = value.split("/").slice(1);
    const system = SYSTEM_DIRECTORIES.find((dir) => value === dir || value.startsWith(`${dir}/`));
    if (system) {
        return `${shown(value)} is ${value === system ? "" : "inside "}the system directory ${system}: publishing replaces the web root, which would break the system; give a directory of its own, ${example}`;
    }
    if (segments.length < 2) {
        return `${shown(value)} is a top-level directory; give a directory of its own at least two levels deep, ${example}`;
    }
    if (segments[0] === "home" && segments.length === 2) {
        return `${shown(value)} is a home directory (it holds .ssh/authorized_keys); give a directory of its own, e.g. ${value}/palette-manifests or /srv/palette-manifests`;
    }
    if (segments.some((segment) => segment.startsWith("."))) {
        return `${shown(value)} goes through a hidden directory; give a directory of its own, ${example}`;
    }
    return undefined;
}

// --- vSphere names ----------------------------------------------------------------------------

/** vSphere's escapes in inventory paths: a `/`, `\` or `%` inside a name is written %2f, %5c, %25. */
const VSPHERE_ESCAPE = /%(2f|5c|25)/gi;

export interface VsphereNameOptions {
    /**
     * Accept vSphere's escapes (%2f, %5c, %25) inside a name: for objects that exist already and are
     * looked up by inventory path (a port group named `VLAN 10/24` is found as `VLAN 10%2f24`).
     * Names this package creates (folders, templates) take no escapes.
     */
    escapes?: boolean;
}

/** One vSphere inventory name (a datacenter, a folder, a datastore, a network). */
export function vsphereNameProblem(value: string, options: VsphereNameOptions = {}): string | undefined {
    const bare = options.escapes ? value.replace(VSPHERE_ESCAPE, "") : value;
    if (/[/\\%]/.test(bare)) {
        return options.escapes
            ? `${shown(value)} contains / \\ or % inside a name; write them as vSphere does in inventory paths: %2f, %5c, %25`
            : `${shown(value)} contains / \\ or %, which vSphere escapes in inventory paths (so it would not be found under this name); give the name without them`;
    }
    const length = options.escapes ? value.replace(VSPHERE_ESCAPE, "x").length : value.length;
    if (length > VSPHERE_NAME_MAX) {
        return `${shown(value.slice(0, 20) + "…")} is ${length} characters long; vSphere names have at most ${VSPHERE_NAME_MAX}`;
    }
    if (value !== value.trim()) {
        return `${shown(value)} starts or ends with a space`;
    }
    return undefined;
}

/** A path relative to the datacenter's folder of its kind: names separated by single `/`, no `.` or `..`. */
export function inventoryPathProblem(value: string, options: VsphereNameOptions = {}): string | undefined {
    if (value.startsWith("/") || value.endsWith("/") || value.includes("//")) {
        return `${shown(value)} must be relative to the datacenter, without leading, trailing or double /`;
    }
    for (const segment of value.split("/")) {
        if (segment === "." || segment === "..") {
            return `${shown(value)} has a ${segment} segment; vSphere folders have no parent or self links: give the path from the datacenter, e.g. spectro-templates or infra/palette`;
        }
        const problem = vsphereNameProblem(segment, options);
        if (problem) {
            return problem;
        }
    }
    return undefined;
}

// --- the file server's VM ---------------------------------------------------------------------

/** A Linux user name cloud-init can create and SSH can log in as (not root: cloud images refuse its login). */
export function linuxUserProblem(value: string): string | undefined {
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(value)) {
        return `${shown(value)} is not a Linux user name (lower-case letters, digits, _ and -, at most 32, starting with a letter or _), e.g. ubuntu`;
    }
    if (value === "root") {
        return `is root: cloud images refuse root's SSH login and publishing runs with sudo; give an ordinary user, e.g. ubuntu`;
    }
    return undefined;
}

/** `a.b.c.d` as a 32-bit number, or undefined. */
export function ipv4Number(value: string): number | undefined {
    return net.isIPv4(value) ? value.split(".").reduce((sum, part) => sum * 256 + Number(part), 0) : undefined;
}

/**
 * A static address `a.b.c.d/prefix` with its gateway: the gateway must be inside the subnet and
 * differ from the address; neither may be the subnet's network or broadcast address.
 */
export function staticAddressProblems(cidr: string, gateway: string | undefined): { cidr?: string; gateway?: string } {
    const [address, prefixText, ...rest] = cidr.split("/");
    const ip = ipv4Number(address ?? "");
    const prefix = /^\d{1,2}$/.test(prefixText ?? "") ? Number(prefixText) : NaN;
    if (rest.length > 0 || ip === undefined || !(prefix >= 1 && prefix <= 32)) {
        return { cidr: `${shown(cidr)} is not an IPv4 address in CIDR form (a.b.c.d/prefix, prefix 1 to 32)` };
    }
    const size = 2 ** (32 - prefix);
    const network = Math.floor(ip / size) * size;
    const broadcast = network + size - 1;
    const subnet = `${numberToIpv4(network)}/${prefix}`;
    const problems: { cidr?: string; gateway?: string } = {};
    if (prefix <= 30 && (ip === network || ip === broadcast)) {
        problems.cidr = `${address} is the ${ip === network ? "network" : "broadcast"} address of ${subnet}; give a host address`;
    }
    if (gateway !== undefined) {
        const gw = ipv4Number(gateway);
        if (gw === undefined) {
            problems.gateway = `${shown(gateway)} is not an IPv4 address`;
        } else if (gw === ip) {
            problems.gateway = `${gateway} is fileServerIp's own address; give the subnet's router`;
        } else if (gw < network || gw > broadcast) {
            problems.gateway = `${gateway} is outside fileServerIp's subnet ${subnet}: the VM could not reach it; give the router of ${subnet}`;
        } else if (prefix <= 30 && (gw === network || gw === broadcast)) {
            problems.gateway = `${gateway} is the ${gw === network ? "network" : "broadcast"} address of ${subnet}; give the subnet's router`;
        }
    }
    return problems;
}

function numberToIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

// --- the Docker host and image ----------------------------------------------------------------

/**
 * The Docker host of docker mode: `unix:///path` (this machine) or `ssh://user@host[:port]`
 * (publishing copies the zip over SSH as that user). `tcp://` is refused: it gives no SSH login to
 * publish with, and an unauthenticated TCP Docker socket is root on the host for anyone.
 */
export function dockerHostProblem(value: string): string | undefined {
    const example = "e.g. ssh://ops@docker01.lab.internal or unix:///var/run/docker.sock";
    if (/^tcp:\/\//i.test(value)) {
        return `${shown(value)} is a TCP Docker endpoint: the manifests are published over SSH, which it gives no login for; use ssh://<user>@<host>, ${example}`;
    }
    const unix = /^unix:\/\/(.*)$/.exec(value);
    if (unix) {
        return unix[1] === "" || path.posix.isAbsolute(unix[1]) ? undefined : `${shown(value)} does not name an absolute socket path; ${example}`;
    }
    const ssh = /^ssh:\/\/(?:([^@/]*)@)?([^/]*)\/?$/.exec(value);
    if (!ssh) {
        return `${shown(value)} must be ssh://<user>@<host>[:port] or unix:///<socket>; ${example}`;
    }
    if (!ssh[1]) {
        return `${shown(value)} names no SSH user (publishing logs in over SSH); give ssh://<user>@<host>, ${example}`;
    }
    const user = linuxUserProblem(decodeURIComponent(ssh[1]));
    if (user && !user.startsWith("is root")) {
        return `the SSH user ${user}`;
    }
    const hostPort = parseHostPort(ssh[2]);
    if (hostPort.problem !== undefined) {
        return `${hostPort.problem}; ${example}`;
    }
    // The SCAR URL Palette is given is built from this host (and the container publishes on it).
    return hostPort.value.host.startsWith("[") ? `${shown(value)} names an IPv6 address; give the Docker host's name or IPv4 address, ${example}` : undefined;
}

/** docker/distribution's reference grammar: `[host[:port]/]path[:tag][@sha256:digest]`. */
const IMAGE_REFERENCE =
    /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/;

/** An image reference Docker can pull. */
export function imageReferenceProblem(value: string): string | undefined {
    return IMAGE_REFERENCE.test(value) && value.length <= 255 ? undefined : `${shown(value)} is not an image reference ([registry/]path[:tag][@sha256:digest]), e.g. harbor.lab.internal/library/nginx:1.27`;
}

// --- rules the provider plugin's Check applies too (per resource property) ---------------------

/** `host[:port]` of a server (vCenter): no scheme, no path; `example` is the valid example shown. */
export function serverAddressProblem(value: string, example: string): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /[/?#]/.test(value)) {
        return `${shown(value)} is not host[:port] (no scheme, no path); e.g. ${example}, 10.10.100.10:443 or [fd00::10]`;
    }
    const parsed = parseHostPort(value);
    return parsed.problem !== undefined ? `${parsed.problem}; e.g. ${example}, 10.10.100.10:443 or [fd00::10]` : undefined;
}

/**
 * Where the OVA comes from: an absolute local path or a plain http(s) URL (a query or fragment
 * would be a credential in plain state). The template name derived from it is checked apart.
 */
export function ovaSourceProblem(source: string, example: string): string | undefined {
    const isUrl = /^https?:\/\//i.test(source);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !isUrl) {
        return `${shown(source)} is neither an http(s) URL nor an absolute path; e.g. ${example}`;
    }
    if (!isUrl && !path.isAbsolute(source)) {
        return `${shown(source)} is a relative path; give an absolute path such as /srv/ova/u-2204-0-k-12510-0.ova or a URL`;
    }
    if (isUrl && /[?#]/.test(source)) {
        return (
            `${shown(source.replace(/[?#].*$/s, "") + "?…")} has a query or fragment: it would be stored in plain state and logs (a signed URL's query is a credential); ` +
            `serve the OVA at a plain URL and authenticate with ovaSourceUsername + ovaSourcePassword or ovaSourceToken (secrets)`
        );
    }
    return undefined;
}

export function sha256Problem(value: string): string | undefined {
    return /^[0-9a-fA-F]{64}$/.test(value) ? undefined : `"${value}" is not a sha256 digest (64 hex digits, as printed by sha256sum)`;
}

export function absolutePathProblem(value: string, example: string): string | undefined {
    return path.isAbsolute(value) ? undefined : `"${value}" is not an absolute path; e.g. ${example}`;
}

/** One of a closed set; `value` undefined or empty is "required". */
export function oneOfProblem(value: unknown, allowed: readonly string[], example: string): string | undefined {
    if (typeof value === "string" && allowed.includes(value)) {
        return undefined;
    }
    return `${value === undefined || value === "" ? "is required" : `${JSON.stringify(value)} is not allowed`}; use one of ${allowed.join(", ")}, e.g. ${example}`;
}

export function awsRegionProblem(value: string | undefined, example: string): string | undefined {
    return value !== undefined && value !== "" && AWS_REGION_PATTERN.test(value)
        ? undefined
        : `${value === undefined || value === "" ? "is required with registryKind ecr" : `"${value}" is not an AWS region`}; e.g. ${example}`;
}
