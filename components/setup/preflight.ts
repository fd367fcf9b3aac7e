/**
 * Checks made before the setup run starts (the procedure's prerequisites), so that an hour-long
 * upload does not fail at minute one, or at minute fifty. Every problem is collected and thrown as
 * ONE Error; each line names the config key (or PATH) and the fix.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Agent, request } from "undici";
import { LoginTool } from "./runScript";

/** Free space the procedure asks for: 30 GB (the content unpacks to about 20 GB). */
export const DEFAULT_MIN_FREE_BYTES = 30 * 1000 * 1000 * 1000;

export interface PreflightSpec {
    /** harbor, generic (any OCI registry) or ecr. */
    registryKind: "harbor" | "generic" | "ecr";
    /** Tool the run script logs in with (must be on PATH). */
    loginTool: LoginTool;
    /** ECR: images go to ECR Public, whose login needs docker. Default true (as the config key ecrPublicImages). */
    ecrPublicImages?: boolean;
    /** Tools the setup binary itself calls. Default ["oras"] (the procedure: "Oras - Required for the setup script"). */
    binaryTools?: string[];
    /** The manifests zip goes to the file server over SSH (vm mode, or an ssh:// Docker host): `ssh` must be on PATH. Default false. */
    fileServerOverSsh?: boolean;
    /** Working directory of the run (config key workDir); it or its nearest existing parent is checked for space. */
    workDir: string;
    /** Free bytes needed in workDir. Default 30 GB. */
    minFreeBytes?: number;
    /** Setup binary (config key setupBinary). */
    setupBinary: string;
    /** Pack binaries (config key packBinaries). Default none. */
    packBinaries?: string[];
    /** Harbor/generic registry host[:port] (config key registryEndpoint): GET https://<it>/v2/ must answer (200 or 401). */
    registryEndpoint?: string;
    /** CA certificate of the registry (config key registryCaFile). */
    registryCaFile?: string;
    /** Skip TLS verification of the registry (config key registryInsecure). */
    registryInsecure?: boolean;
    /**
     * PEM files read later by the run, the import or the file server (vsphereCaFile, ovaCaFile,
     * fileServerTlsCertFile/KeyFile): each must exist, be readable and hold a PEM block of its label.
     */
    pemFiles?: PemFileSpec[];
    /** A local OVA (config key ovaSource, when it is a path): must be a readable regular file. */
    localOva?: string;
    /** Harbor/generic: the images registry when it is not the packs registry (config keys imageRegistryEndpoint, imageRegistryCaFile, imageRegistryInsecure): checked the same way. */
    imageRegistry?: { endpoint: string; caFile?: string; insecure?: boolean };
    /** PATH to search for tools. Default process.env.PATH. */
    pathEnv?: string;
    /** Timeout of the registry probe and of `aws --version`, in ms. Default 10000. */
    timeoutMs?: number;
}

export interface PemFileSpec {
    /** Config key, e.g. vsphereCaFile. */
    key: string;
    file: string;
    label: "CERTIFICATE" | "PRIVATE KEY";
    /** What the file should be, e.g. "vCenter's CA certificate". */
    what: string;
}

/** Resolves when every check passes; otherwise rejects with one Error listing every problem. */
export async function preflight(spec: PreflightSpec): Promise<void> {
    const problems = await preflightProblems(spec);
    if (problems.length > 0) {
        throw new Error(
            `preflight: ${problems.length} problem${problems.length === 1 ? "" : "s"} before the setup run:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
}

/** The list of problems (empty when everything is ready). */
export async function preflightProblems(spec: PreflightSpec): Promise<string[]> {
    const pathEnv = spec.pathEnv ?? process.env.PATH ?? "";
    const timeoutMs = spec.timeoutMs ?? 10_000;
    const checks = await Promise.all([
        checkTools(spec, pathEnv, timeoutMs),
        checkFreeSpace(spec.workDir, spec.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES),
        checkBinary("setupBinary", spec.setupBinary),
        ...(spec.packBinaries ?? []).map((binary, i) => checkBinary(`packBinaries[${i}]`, binary)),
        checkRegistry(spec, timeoutMs),
        ...(spec.imageRegistry && spec.registryKind !== "ecr"
            ? [
                  checkRegistry(
                      { ...spec, registryEndpoint: spec.imageRegistry.endpoint, registryCaFile: spec.imageRegistry.caFile, registryInsecure: spec.imageRegistry.insecure },
                      timeoutMs,
                      IMAGE_REGISTRY_KEYS,
                  ),
              ]
            : []),
        ...(spec.pemFiles ?? []).map(checkPemFile),
        checkLocalOva(spec.localOva),
    ]);
    return checks.flat();
}

/** The tools needed for this registry kind and login tool. */
export function requiredTools(spec: Pick<PreflightSpec, "registryKind" | "loginTool" | "ecrPublicImages" | "binaryTools" | "fileServerOverSsh">): { tool: string; why: string }[] {
    const tools: { tool: string; why: string }[] = [];
    const add = (tool: string, why: string) => {
        if (!tools.some((t) => t.tool === tool)) {
            tools.push({ tool, why });
        }
    };
    for (const tool of spec.binaryTools ?? ["oras"]) {
        add(tool, "the setup binary calls it");
    }
    add(spec.loginTool, "the registry login uses it");
    add("jq", "the procedure's prerequisites; the run script writes its result with it");
    add("unzip", "the manifests zip is unpacked with it");
    add("zip", "the manifests are handled as zip files");
    if (spec.registryKind === "ecr") {
        add("aws", "ECR logins use `aws ecr get-login-password`");
        if (spec.ecrPublicImages ?? true) {
            add("docker", "the ECR Public login uses `docker login` (as the procedure does)");
        }
    }
    if (spec.fileServerOverSsh) {
        add("ssh", SSH_WHY);
    }
    return tools;
}

const SSH_WHY = "the manifests zip is copied to the file server with it, under time limits";

/** What the file server alone needs on this machine (ManifestFileServer constructed on its own): ssh when the zip goes over SSH, and its TLS files. */
export async function fileServerProblems(spec: { fileServerOverSsh: boolean; pemFiles: PemFileSpec[]; pathEnv?: string }): Promise<string[]> {
    const pathEnv = spec.pathEnv ?? process.env.PATH ?? "";
    const ssh = spec.fileServerOverSsh && !(await findOnPath("ssh", pathEnv)) ? [missingToolProblem("ssh", SSH_WHY)] : [];
    return [...ssh, ...(await Promise.all(spec.pemFiles.map(checkPemFile))).flat()];
}

function missingToolProblem(tool: string, why: string, loginTool?: string): string {
    const key = tool === loginTool ? " (login tool)" : "";
    const alternative = tool === loginTool ? `, or set loginTool to another of oras, docker, skopeo` : "";
    return `PATH: ${tool}${key} not found (${why}): ${INSTALL_HINT[tool] ?? `install ${tool} and put it on PATH`}${alternative}`;
}

const INSTALL_HINT: Record<string, string> = {
    oras: "install the ORAS CLI (https://oras.land) and put it on PATH",
    skopeo: "install skopeo (Debian: apt-get install skopeo)",
    docker: "install the Docker CLI and make sure its daemon runs",
    jq: "install jq (Debian: apt-get install jq)",
    unzip: "install unzip (Debian: apt-get install unzip)",
    zip: "install zip (Debian: apt-get install zip)",
    ssh: "install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client; RHEL: dnf install openssh-clients)",
    aws: "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)",
};

async function checkTools(spec: PreflightSpec, pathEnv: string, timeoutMs: number): Promise<string[]> {
    const problems: string[] = [];
    for (const { tool, why } of requiredTools(spec)) {
        const found = await findOnPath(tool, pathEnv);
        if (!found) {
            problems.push(missingToolProblem(tool, why, spec.loginTool));
            continue;
        }
        if (tool === "aws") {
            const version = await commandOutput(found, ["--version"], pathEnv, timeoutMs);
            if (!/aws-cli\/2\./.test(version)) {
                const said = version.trim().split("\n")[0] || "no version";
                problems.push(`PATH: ${found} is not the AWS CLI v2 (\`aws --version\` says ${JSON.stringify(said)}): ${INSTALL_HINT.aws}`);
            }
        }
    }
    return problems;
}

/** The first executable regular file named `tool` in `pathEnv`, or undefined. */
export async function findOnPath(tool: string, pathEnv: string): Promise<string | undefined> {
    for (const dir of pathEnv.split(path.delimiter)) {
        if (dir === "") {
            continue;
        }
        const candidate = path.join(dir, tool);
        try {
            const stat = await fs.promises.stat(candidate);
            if (stat.isFile()) {
                await fs.promises.access(candidate, fs.constants.X_OK);
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

function commandOutput(file: string, args: string[], pathEnv: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve) => {
        execFile(file, args, { timeout: timeoutMs, env: { ...process.env, PATH: pathEnv } }, (_error, stdout, stderr) => {
            // aws CLI v1 prints its version on stderr, v2 on stdout.
            resolve(`${stdout ?? ""}${stderr ?? ""}`);
        });
    });
}

async function checkFreeSpace(workDir: string, minFreeBytes: number): Promise<string[]> {
    if (typeof workDir !== "string" || !path.isAbsolute(workDir)) {
        return [`workDir: ${JSON.stringify(workDir)} is not an absolute path: give one such as /var/tmp/palette-airgap`];
    }
    // The directory may not exist yet: check the filesystem of its nearest existing parent.
    let dir = workDir;
    for (;;) {
        try {
            const stat = await fs.promises.stat(dir);
            if (!stat.isDirectory()) {
                return [`workDir: ${dir} exists and is not a directory: point workDir at a directory`];
            }
            break;
        } catch {
            const parent = path.dirname(dir);
            if (parent === dir) {
                break;
            }
            dir = parent;
        }
    }
    try {
        const stats = await fs.promises.statfs(dir);
        const free = Number(stats.bavail) * Number(stats.bsize);
        if (free < minFreeBytes) {
            return [
                `workDir: ${workDir} has ${formatBytes(free)} free (filesystem of ${dir}), ${formatBytes(minFreeBytes)} needed ` +
                    `(the setup binary unpacks about 20 GB): free space there or point workDir at a larger filesystem`,
            ];
        }
        return [];
    } catch (error) {
        return [`workDir: cannot read the free space of ${dir}: ${(error as Error).message}`];
    }
}

async function checkBinary(key: string, file: string): Promise<string[]> {
    if (typeof file !== "string" || !path.isAbsolute(file)) {
        return [`${key}: ${JSON.stringify(file)} is not an absolute path: give the absolute path of the .bin file`];
    }
    let stat: fs.Stats;
    try {
        stat = await fs.promises.stat(file);
    } catch {
        return [`${key}: ${file} does not exist: copy the binary there or fix ${key}`];
    }
    if (!stat.isFile()) {
        return [`${key}: ${file} is not a regular file: give the path of the .bin file`];
    }
    if ((stat.mode & 0o111) === 0) {
        return [`${key}: ${file} is not executable: chmod +x ${shellWord(file)}`];
    }
    try {
        await fs.promises.access(file, fs.constants.X_OK | fs.constants.R_OK);
    } catch {
        return [`${key}: ${file} is not readable and executable by this user: fix its owner or mode (chmod +x)`];
    }
    return [];
}

/** The text of a PEM file, or the problem with it (named by its config key). */
async function readPemFile(spec: PemFileSpec): Promise<{ pem?: string; problem?: string }> {
    let text: string;
    try {
        text = await fs.promises.readFile(spec.file, "utf8");
    } catch {
        return { problem: `${spec.key}: ${spec.file} does not exist or is unreadable: give the absolute path of ${spec.what} (PEM)` };
    }
    const begin = spec.label === "CERTIFICATE" ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;
    if (!begin.test(text)) {
        return { problem: `${spec.key}: ${spec.file} is not a PEM ${spec.label === "CERTIFICATE" ? "certificate" : "private key"}: give ${spec.what} in PEM form` };
    }
    return { pem: text };
}

async function checkPemFile(spec: PemFileSpec): Promise<string[]> {
    const { problem } = await readPemFile(spec);
    return problem ? [problem] : [];
}

async function checkLocalOva(file: string | undefined): Promise<string[]> {
    if (file === undefined || file === "") {
        return [];
    }
    try {
        const stat = await fs.promises.stat(file);
        if (!stat.isFile()) {
            return [`ovaSource: ${file} is not a regular file: give the path of the .ova file`];
        }
        await fs.promises.access(file, fs.constants.R_OK);
        return [];
    } catch (error) {
        return [
            (error as NodeJS.ErrnoException).code === "ENOENT"
                ? `ovaSource: ${file} does not exist: copy the OVA there (the import reads it from this machine) or fix ovaSource`
                : `ovaSource: ${file} is not readable by this user: fix its owner or mode`,
        ];
    }
}

/** The config keys a registry's problems name: the packs registry's, or the images registry's. */
interface RegistryKeys {
    endpoint: string;
    caFile: string;
    insecure: string;
}
const REGISTRY_KEYS: RegistryKeys = { endpoint: "registryEndpoint", caFile: "registryCaFile", insecure: "registryInsecure" };
const IMAGE_REGISTRY_KEYS: RegistryKeys = { endpoint: "imageRegistryEndpoint", caFile: "imageRegistryCaFile", insecure: "imageRegistryInsecure" };

async function checkRegistry(spec: PreflightSpec, timeoutMs: number, keys: RegistryKeys = REGISTRY_KEYS): Promise<string[]> {
    const problems: string[] = [];
    let ca: string | undefined;
    if (spec.registryCaFile !== undefined && spec.registryCaFile !== "") {
        const read = await readPemFile({ key: keys.caFile, file: spec.registryCaFile, label: "CERTIFICATE", what: "the registry's CA certificate" });
        if (read.problem) problems.push(read.problem);
        ca = read.pem;
    }
    const caUnusable = problems.length > 0;
    if (spec.registryKind === "ecr" || spec.registryEndpoint === undefined || spec.registryEndpoint === "") {
        if (spec.registryKind !== "ecr") {
            problems.push(`${keys.endpoint}: not set: give the ${spec.registryKind} registry host, e.g. harbor.lab.internal`);
        }
        return problems;
    }
    const endpoint = spec.registryEndpoint.trim();
    if (/^http:\/\//i.test(endpoint)) {
        problems.push(`${keys.endpoint}: ${endpoint} uses http://; the setup needs HTTPS: give ${endpoint.replace(/^http:\/\//i, "")}`);
        return problems;
    }
    const host = endpoint.replace(/^https:\/\//i, "").replace(/\/+$/, "");
    const url = `https://${host}/v2/`;
    const dispatcher = new Agent({
        connect: { ca, rejectUnauthorized: spec.registryInsecure !== true, timeout: timeoutMs },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
    });
    try {
        const response = await request(url, { method: "GET", dispatcher, signal: AbortSignal.timeout(timeoutMs) });
        await response.body.dump();
        if (response.statusCode !== 200 && response.statusCode !== 401) {
            problems.push(`${keys.endpoint}: ${url} answered HTTP ${response.statusCode}, not an OCI registry's 200 or 401: check ${keys.endpoint}`);
        }
    } catch (error) {
        if (isTimeout(error)) {
            problems.push(
                `${keys.endpoint}: ${url} gave no answer within ${timeoutMs / 1000} s (the registry accepted the connection or the ` +
                    `handshake and then said nothing, or nothing answered at all): check that the registry at ${host} is up and not hung`,
            );
        } else if (!(caUnusable && isCertificateError(error))) {
            // Without its CA the certificate cannot verify: that is the registryCaFile problem, not another one.
            problems.push(`${keys.endpoint}: ${url} does not answer (${describeError(error)}): ${registryHint(error, spec, keys)}`);
        }
    } finally {
        await dispatcher.close().catch(() => undefined);
    }
    return problems;
}

function describeError(error: unknown): string {
    const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const inner = e.cause ?? e;
    // One line: some TLS errors end in a newline, which would break the one-problem-per-line message.
    return ([inner.code, inner.message].filter((x) => x).join(": ") || String(error)).replace(/\s+/g, " ").trim();
}

/** undici's connect/headers/body timeouts and the request's own AbortSignal.timeout. */
function isTimeout(error: unknown): boolean {
    const e = error as { name?: string; code?: string; cause?: { name?: string; code?: string } };
    const names = [e.name, e.code, e.cause?.name, e.cause?.code];
    return names.some((n) => n === "TimeoutError" || n === "AbortError" || (typeof n === "string" && /^UND_ERR_(CONNECT|HEADERS|BODY)_TIMEOUT$/.test(n)));
}

function isCertificateError(error: unknown): boolean {
    return /CERT|certificate|self.signed|UNABLE_TO_VERIFY|unable to get/i.test(describeError(error));
}

function registryHint(error: unknown, spec: PreflightSpec, keys: RegistryKeys): string {
    if (isCertificateError(error)) {
        return spec.registryCaFile
            ? `the certificate does not verify against ${keys.caFile}: give the CA that signed the registry's certificate`
            : `the certificate is not trusted: set ${keys.caFile} to the registry's CA certificate (or, for a lab only, ${keys.insecure}: true)`;
    }
    return `check ${keys.endpoint} (host and port) and that the registry serves HTTPS and is reachable from here`;
}

function formatBytes(bytes: number): string {
    const units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit += 1;
    }
    return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function shellWord(value: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
