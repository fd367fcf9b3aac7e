/**
 * The checks the procedure's empty "Validate" section should have had, as pure functions over
 * the real services: each returns one `CheckLine` (`{ name, ok, detail }`) and never throws; the
 * detail says what was found (or what is wrong and where). No detail and no error ever contains
 * a password: every secret a check is given is removed from its messages.
 *
 * - checkManifestServer: the file server (Palette's "SCAR") serves `roar/nickfury/versions.yaml`
 *   at its root, listing at least one version.
 * - checkOciBases: an OCI registry (`/v2/_catalog`) holds repositories under the packs base and
 *   under the images base.
 * - checkHarborBases: the same through Harbor's project API (repository counts).
 * - checkEcrBases: the same in ECR / ECR Public through the AWS CLI.
 * - checkTemplate: the `r_` template exists in the templates folder and is a template.
 *
 * Used by the Validation custom resource (validationProvider.ts), at create and at every read,
 * so `pulumi preview --refresh` re-validates. Only Node built-ins, undici, yaml and this
 * package's own clients are used.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import { Agent, request, type Dispatcher } from "undici";
import * as YAML from "yaml";
import { HarborClient, TLS_ERROR_CODES, redactCredentials, type HarborConnection } from "../registry/harborApi";
import { VsphereSoapClient } from "../vsphere/soapClient";
import type { VsphereConnection } from "../vsphere/vimTypes";

/** One line of the validation report. */
export interface CheckLine {
    /** Short name of the check: `manifests`, `registry` or `template`. */
    name: string;
    ok: boolean;
    /** What was found, or what is wrong and where. Never contains a password. */
    detail: string;
}

/** `ok   manifests: 3 versions (...)` / `FAIL registry: spectro-images holds no repository`. */
export function formatCheckLine(line: CheckLine): string {
    return `${(line.ok ? "ok" : "FAIL").padEnd(4)} ${line.name}: ${line.detail}`;
}

/** Where Palette's installer looks for the manifests on the file server (DESIGN.md). */
export const VERSIONS_YAML_PATH = "/roar/nickfury/versions.yaml";

/** Default time allowed for one HTTP exchange or CLI call of a check, ms. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
/** Time allowed for listing a whole registry catalog (every page), ms. */
export const CATALOG_DEADLINE_MS = 5 * 60_000;
/** Catalog pages read at most. */
export const MAX_CATALOG_PAGES = 1000;

/** Versions listed in a detail before "...". */
const MAX_LISTED = 8;

// ---------------------------------------------------------------------------------------------
// Manifests (SCAR)

export interface ManifestServerOptions {
    /** PEM CA of an https file server. Default: the system trust store. */
    caFile?: string;
    /** Skip TLS verification of an https file server. Default false. */
    insecure?: boolean;
    /** Basic-auth user of the file server, when it has auth. Default: none. */
    username?: string;
    /** Basic-auth password (never put in a detail). Default: none. */
    password?: string;
    /** Default DEFAULT_CHECK_TIMEOUT_MS. */
    timeoutMs?: number;
}

/**
 * GET `<scarUrl>/roar/nickfury/versions.yaml`: must answer 200 with YAML listing at least one
 * version. Detail: the versions found, e.g. `3 versions (3.3, 3.4, 4.0) at http://.../versions.yaml`.
 *
 * Shape accepted (see parseManifestVersions): Spectro Cloud's documented file is
 * `versions: [{ version: "4.0", filepath: ..., patchVersionsFilepath: ... }, ...]`; a bare list,
 * list items that are plain strings, and a map keyed by version (`versions: { "4.0": {...} }`)
 * are accepted too, since the file's format is not otherwise specified.
 */
export async function checkManifestServer(scarUrl: string, options: ManifestServerOptions = {}): Promise<CheckLine> {
    const name = "manifests";
    const secrets = [options.password];
    let url: URL;
    try {
        url = manifestUrl(scarUrl);
    } catch (error) {
        return fail(name, (error as Error).message, secrets);
    }
    let username = options.username;
    let password = options.password;
    if (url.username || url.password) {
        // Credentials in the URL: sent as basic auth, never shown.
        username ??= decodeURIComponent(url.username);
        password ??= decodeURIComponent(url.password);
        secrets.push(decodeURIComponent(url.password));
        url.username = "";
        url.password = "";
    }
    const shown = displayUrl(url);
    let agent: Agent | undefined;
    try {
        agent = httpAgent({ caFile: options.caFile, insecure: options.insecure, timeoutMs: options.timeoutMs, what: "the file server's CA file (scarCaFile)" });
        const headers: Record<string, string> = { accept: "application/yaml, text/yaml, text/plain, */*" };
        if (username || password) {
            headers.authorization = basicAuth(username ?? "", password ?? "");
        }
        const response = await request(url, { method: "GET", headers, dispatcher: agent });
        const body = await readLimited(response.body, 4 * 1024 * 1024);
        if (response.statusCode !== 200) {
            const hint =
                response.statusCode === 404
                    ? ": unzip the spectro-manifests zip so that roar/ is at the web root"
                    : response.statusCode === 401 || response.statusCode === 403
                      ? ": the file server refused the request (check its credentials)"
                      : "";
            return fail(name, `GET ${shown}: HTTP ${response.statusCode}${hint}`, secrets);
        }
        let document: unknown;
        try {
            document = YAML.parse(body);
        } catch (error) {
            return fail(name, `GET ${shown}: HTTP 200 but not YAML (${firstLine((error as Error).message)})`, secrets);
        }
        const versions = parseManifestVersions(document);
        if (versions.length === 0) {
            return fail(name, `GET ${shown}: HTTP 200 but lists no version (expected "versions:" with "- version: <x.y>" entries)`, secrets);
        }
        return pass(name, `${plural(versions.length, "version")} (${listed(versions)}) at ${shown}`, secrets);
    } catch (error) {
        return fail(name, `GET ${shown}: ${transportDetail(error, { caFile: options.caFile, caKey: "the file server's CA (scarCaFile)", timeoutMs: options.timeoutMs })}`, secrets);
    } finally {
        await agent?.close().catch(() => undefined);
    }
}

/**
 * The version strings of a parsed versions.yaml, in file order, without duplicates:
 * - `{ versions: [ { version: "4.0", ... } | "4.0" | 4.0, ... ] }` (the documented shape);
 * - `{ versions: { "4.0": {...}, ... } }` (a map keyed by version);
 * - `[ ... ]` (a bare list of the same items).
 * Anything else gives [].
 */
export function parseManifestVersions(document: unknown): string[] {
    const list = (document as { versions?: unknown } | null)?.versions ?? (Array.isArray(document) ? document : undefined);
    const found: string[] = [];
    if (Array.isArray(list)) {
        for (const item of list) {
            const value = typeof item === "object" && item !== null ? (item as { version?: unknown }).version : item;
            if ((typeof value === "string" && value.trim() !== "") || typeof value === "number") {
                found.push(String(value).trim());
            }
        }
    } else if (typeof list === "object" && list !== null) {
        found.push(...Object.keys(list).filter((key) => key.trim() !== ""));
    }
    return [...new Set(found)];
}

/** `<scarUrl>/roar/nickfury/versions.yaml` of an http(s) base URL (a path prefix is kept). */
export function manifestUrl(scarUrl: string): URL {
    const raw = String(scarUrl ?? "").trim();
    if (!/^https?:\/\//i.test(raw)) {
        throw new Error(`the SCAR URL "${raw}" is not an http:// or https:// URL, e.g. http://10.10.100.50:8080`);
    }
    const url = new URL(raw);
    url.pathname = `${url.pathname.replace(/\/+$/, "")}${VERSIONS_YAML_PATH}`;
    url.search = "";
    url.hash = "";
    return url;
}

// ---------------------------------------------------------------------------------------------
// OCI registry (/v2/_catalog)

export interface OciBasesOptions {
    /** Registry host[:port]; https://host[:port] is accepted, http:// is refused. */
    endpoint: string;
    username: string;
    /** Never put in a detail. */
    password: string;
    /** PEM CA of the registry. Default: the system trust store. */
    caFile?: string;
    /** Skip TLS verification (HTTPS is still used). Default false. */
    insecure?: boolean;
    /** Repository base of the packs, e.g. spectro-packs. */
    packBase: string;
    /** Repository base of the images, e.g. spectro-images. */
    imageBase: string;
    /** `n` of each catalog page. Default 1000. */
    pageSize?: number;
    /** Default DEFAULT_CHECK_TIMEOUT_MS per request. */
    timeoutMs?: number;
    /** Time allowed for the whole catalog (every page), ms. Default CATALOG_DEADLINE_MS (5 minutes). */
    deadlineMs?: number;
    /** Pages followed at most. Default MAX_CATALOG_PAGES. */
    maxPages?: number;
}

/**
 * Lists `/v2/_catalog` (every page, following the `Link: <...>; rel="next"` header) with basic
 * auth, or with a bearer token when the registry answers 401 with a `Bearer` challenge (Harbor,
 * distribution with token auth: the token is requested from the challenge's realm with scope
 * `registry:catalog:*`). At least one repository must be under each base (`<base>/...`).
 * Detail: the count per base.
 */
export async function checkOciBases(options: OciBasesOptions): Promise<CheckLine> {
    const name = "registry";
    const secrets = [options.password];
    let host: string;
    try {
        host = registryEndpointHost(options.endpoint);
    } catch (error) {
        return fail(name, (error as Error).message, secrets);
    }
    let repositories: string[];
    try {
        repositories = await listCatalog(host, options);
    } catch (error) {
        return fail(name, (error as Error).message, secrets);
    }
    // One base when packs and images are checked on registries of their own (packBase === imageBase).
    const bases = [...new Set([options.packBase, options.imageBase])];
    return basesLine(name, bases.map((base) => ({ base, where: `https://${host}`, names: repositories })), secrets, `${plural(repositories.length, "repository", "repositories")} in the catalog of ${host}`);
}

async function listCatalog(host: string, options: OciBasesOptions): Promise<string[]> {
    const agent = httpAgent({ caFile: options.caFile, insecure: options.insecure, timeoutMs: options.timeoutMs, what: "the registry CA file (registryCaFile)" });
    const origin = `https://${host}`;
    let authorization = basicAuth(options.username, options.password);
    let triedToken = false;
    const names: string[] = [];
    const seen = new Set<string>();
    const started = Date.now();
    const deadline = options.deadlineMs ?? CATALOG_DEADLINE_MS;
    const maxPages = options.maxPages ?? MAX_CATALOG_PAGES;
    let next: string | undefined = `/v2/_catalog?n=${options.pageSize ?? 1000}`;
    try {
        for (let page = 0; next !== undefined; page++) {
            if (page >= maxPages) {
                throw new Error(`GET ${origin}/v2/_catalog: more than ${maxPages} pages, giving up`);
            }
            if (Date.now() - started > deadline) {
                throw new Error(`GET ${origin}/v2/_catalog: not done after ${Math.round(deadline / 1000)} s (${page} pages), giving up`);
            }
            const url: URL = new URL(next, origin);
            if (url.origin !== origin) {
                throw new Error(`GET ${origin}/v2/_catalog: the registry's next page is on another origin (${url.origin}); not following it`);
            }
            const shown = `GET ${origin}${url.pathname}${url.search}`;
            let response: Dispatcher.ResponseData;
            try {
                response = await request(url, { method: "GET", headers: { authorization, accept: "application/json" }, dispatcher: agent });
            } catch (error) {
                throw new Error(`${shown}: ${transportDetail(error, { caFile: options.caFile, caKey: "the registry CA (registryCaFile)", timeoutMs: options.timeoutMs })}`);
            }
            const text = await readLimited(response.body, 64 * 1024 * 1024);
            if (response.statusCode === 401 && !triedToken) {
                const challenge = parseBearerChallenge(headerValue(response.headers["www-authenticate"]));
                if (challenge) {
                    triedToken = true;
                    authorization = `Bearer ${await fetchToken(challenge, options, agent)}`;
                    page--;
                    continue; // the same page again, with the token
                }
            }
            if (response.statusCode === 401) {
                throw new Error(`${shown}: HTTP 401: the registry rejected the credentials of user "${options.username}" (check registryUsername and registryPassword)`);
            }
            if (response.statusCode === 403) {
                throw new Error(`${shown}: HTTP 403: user "${options.username}" may not list the catalog (Harbor: only system administrators can)`);
            }
            if (response.statusCode !== 200) {
                throw new Error(`${shown}: HTTP ${response.statusCode}${registryErrors(text)}`);
            }
            let json: { repositories?: unknown };
            try {
                json = JSON.parse(text);
            } catch {
                throw new Error(`${shown}: HTTP 200 but the body is not JSON`);
            }
            if (json.repositories !== null && json.repositories !== undefined && !Array.isArray(json.repositories)) {
                throw new Error(`${shown}: HTTP 200 but "repositories" is not a list`);
            }
            let fresh = 0;
            for (const repository of ((json.repositories as unknown[] | null | undefined) ?? []).filter((n): n is string => typeof n === "string")) {
                if (!seen.has(repository)) {
                    seen.add(repository);
                    names.push(repository);
                    fresh += 1;
                }
            }
            next = nextLink(headerValue(response.headers.link));
            if (next !== undefined && fresh === 0) {
                throw new Error(`${shown}: the registry sends a next page but this page listed no new repository; not following it`);
            }
        }
    } finally {
        await agent.close().catch(() => undefined);
    }
    return names;
}

interface BearerChallenge {
    realm: string;
    service?: string;
}

/** `Bearer realm="https://h/service/token",service="harbor-registry",scope="..."` -> realm and service. */
export function parseBearerChallenge(header: string | undefined): BearerChallenge | undefined {
    if (!header || !/^\s*bearer\s/i.test(header)) {
        return undefined;
    }
    const params: Record<string, string> = {};
    for (const match of header.replace(/^\s*bearer\s+/i, "").matchAll(/([a-z_]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/gi)) {
        params[match[1].toLowerCase()] = match[2] ?? match[3] ?? "";
    }
    return params.realm ? { realm: params.realm, service: params.service } : undefined;
}

async function fetchToken(challenge: BearerChallenge, options: OciBasesOptions, agent: Agent): Promise<string> {
    let realm: URL;
    try {
        realm = new URL(challenge.realm);
    } catch {
        throw new Error(`the registry's token realm "${challenge.realm}" is not a URL`);
    }
    if (realm.protocol !== "https:") {
        throw new Error(`the registry's token realm ${realm.origin} is not https: not sending credentials there`);
    }
    if (challenge.service) realm.searchParams.set("service", challenge.service);
    realm.searchParams.set("scope", "registry:catalog:*");
    const shown = `GET ${realm.origin}${realm.pathname}`;
    let response: Dispatcher.ResponseData;
    try {
        response = await request(realm, { method: "GET", headers: { authorization: basicAuth(options.username, options.password), accept: "application/json" }, dispatcher: agent });
    } catch (error) {
        throw new Error(`${shown} (token): ${transportDetail(error, { caFile: options.caFile, caKey: "the registry CA (registryCaFile)", timeoutMs: options.timeoutMs })}`);
    }
    const text = await readLimited(response.body, 1024 * 1024);
    if (response.statusCode === 401 || response.statusCode === 403) {
        throw new Error(`${shown} (token): HTTP ${response.statusCode}: the registry rejected the credentials of user "${options.username}" (check registryUsername and registryPassword)`);
    }
    if (response.statusCode !== 200) {
        throw new Error(`${shown} (token): HTTP ${response.statusCode}`);
    }
    let token: unknown;
    try {
        const json = JSON.parse(text) as { token?: unknown; access_token?: unknown };
        token = json.token ?? json.access_token;
    } catch {
        token = undefined;
    }
    if (typeof token !== "string" || token === "") {
        throw new Error(`${shown} (token): HTTP 200 but no token in the answer`);
    }
    return token;
}

/** The target of `Link: </v2/_catalog?last=x&n=100>; rel="next"`, if any. */
export function nextLink(header: string | undefined): string | undefined {
    if (!header) {
        return undefined;
    }
    for (const part of header.split(/,(?=\s*<)/)) {
        const match = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
        if (match && /(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(match[2])) {
            return match[1];
        }
    }
    return undefined;
}

/** `host[:port]` of a registry endpoint given as `host[:port]` or `https://host[:port][/]`. */
export function registryEndpointHost(endpoint: string): string {
    const raw = String(endpoint ?? "").trim();
    if (raw === "") {
        throw new Error("the registry endpoint is empty: give host[:port], e.g. harbor.lab.internal");
    }
    if (/^http:\/\//i.test(raw)) {
        throw new Error(`the registry endpoint "${raw}" uses plain http://: registries are only checked over HTTPS`);
    }
    const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
    if (hasScheme && !/^https:\/\//i.test(raw)) {
        throw new Error(`the registry endpoint "${raw}" has an unsupported scheme: give host[:port] or https://host[:port]`);
    }
    let url: URL;
    try {
        url = new URL(hasScheme ? raw : `https://${raw}`);
    } catch {
        throw new Error(`the registry endpoint "${raw}" is not host[:port]`);
    }
    if (url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search) {
        throw new Error(`the registry endpoint "${url.host}${url.pathname === "/" ? "" : url.pathname}" must be host[:port] only`);
    }
    return url.host;
}

/** Names strictly under `<base>/` (the base's own name does not count: ECR creates it empty). */
export function repositoriesUnder(names: string[], base: string): string[] {
    const prefix = `${base.replace(/\/+$/, "")}/`;
    return names.filter((n) => n.startsWith(prefix));
}

// ---------------------------------------------------------------------------------------------
// Harbor (project API)

/**
 * The bases through Harbor's project API (what HarborProject manages): the project is the
 * base's first path segment; a base that is a whole project counts the project's repositories
 * (getProjectSummary `repo_count`), a nested base (`palette/packs`) those of the project under it.
 */
export async function checkHarborBases(connection: HarborConnection, packBase: string, imageBase: string): Promise<CheckLine> {
    const name = "registry";
    const secrets = [connection.password];
    let client: HarborClient;
    try {
        client = new HarborClient(connection);
    } catch (error) {
        return fail(name, (error as Error).message, secrets);
    }
    try {
        const counts: BaseCount[] = [];
        // One base when packs and images are checked on registries of their own (packBase === imageBase).
        for (const base of new Set([packBase, imageBase])) {
            const [project, ...rest] = base.split("/");
            if (rest.length === 0) {
                const count = await client.countRepositories(project);
                counts.push({ base, where: `Harbor ${client.baseUrl}`, count, missing: count === undefined ? `Harbor project "${project}" does not exist` : undefined });
            } else {
                const info = await client.getProject(project);
                if (!info) {
                    counts.push({ base, where: `Harbor ${client.baseUrl}`, count: undefined, missing: `Harbor project "${project}" does not exist` });
                } else {
                    const under = repositoriesUnder(await client.listRepositories(project), rest.join("/"));
                    counts.push({ base, where: `Harbor ${client.baseUrl}`, count: under.length });
                }
            }
        }
        return countsLine(name, counts, secrets, `Harbor ${client.baseUrl}`);
    } catch (error) {
        return fail(name, (error as Error).message, secrets);
    } finally {
        await client.close().catch(() => undefined);
    }
}

// ---------------------------------------------------------------------------------------------
// ECR (AWS CLI)

/** ECR Public exists only in this region. */
export const ECR_PUBLIC_REGION = "us-east-1";

export interface EcrBasesOptions {
    /** Region of the private registry (packs, and images when publicImages is false). */
    region: string;
    packBase: string;
    imageBase: string;
    /** Images in ECR Public (us-east-1). Default true. */
    publicImages?: boolean;
    /** Region of the private images registry when publicImages is false (config ecrImageRegion). Default: region. */
    imageRegion?: string;
    /** The AWS CLI executable. Default "aws" (from PATH). */
    awsCli?: string;
    /** Environment of the CLI (credentials, profile). Default: this process's. */
    env?: NodeJS.ProcessEnv;
    /** Default 120000 per CLI call (the CLI pages through every repository). */
    timeoutMs?: number;
}

/**
 * `aws ecr describe-repositories --region R --output json` (and, for public images,
 * `aws ecr-public describe-repositories --region us-east-1 --output json`), run with execFile
 * (no shell; the CLI v2 pages through every repository itself), parsed as JSON: at least one
 * repository under each base (`<base>/...`: ECR has one repository per path, the base repository
 * itself is created empty).
 */
export async function checkEcrBases(options: EcrBasesOptions): Promise<CheckLine> {
    const name = "registry";
    const publicImages = options.publicImages ?? true;
    try {
        const privateNames = await describeRepositories(options, ["ecr", "describe-repositories", "--region", options.region, "--output", "json"]);
        const imageRegion = options.imageRegion || options.region;
        const imageNames = publicImages
            ? await describeRepositories(options, ["ecr-public", "describe-repositories", "--region", ECR_PUBLIC_REGION, "--output", "json"])
            : imageRegion === options.region
              ? privateNames
              : await describeRepositories(options, ["ecr", "describe-repositories", "--region", imageRegion, "--output", "json"]);
        return basesLine(name, [
            { base: options.packBase, where: `ECR ${options.region}`, names: privateNames },
            { base: options.imageBase, where: publicImages ? "ECR Public" : `ECR ${imageRegion}`, names: imageNames },
        ], []);
    } catch (error) {
        return fail(name, (error as Error).message, []);
    }
}

/** The `repositoryName`s of `describe-repositories` output (ECR and ECR Public have the same shape). */
export function parseDescribeRepositories(stdout: string, command = "aws ecr describe-repositories"): string[] {
    let json: { repositories?: unknown };
    try {
        json = JSON.parse(stdout);
    } catch {
        throw new Error(`${command}: the output is not JSON (was --output json honoured?)`);
    }
    if (!json || typeof json !== "object" || !Array.isArray(json.repositories)) {
        throw new Error(`${command}: the output has no "repositories" list`);
    }
    return json.repositories
        .map((r) => (r as { repositoryName?: unknown })?.repositoryName)
        .filter((n): n is string => typeof n === "string");
}

function describeRepositories(options: EcrBasesOptions, args: string[]): Promise<string[]> {
    const cli = options.awsCli ?? "aws";
    const command = `${cli} ${args.slice(0, 4).join(" ")}`;
    return new Promise((resolve, reject) => {
        execFile(
            cli,
            args,
            {
                env: { ...(options.env ?? process.env), AWS_PAGER: "" },
                timeout: options.timeoutMs ?? 120_000,
                maxBuffer: 256 * 1024 * 1024,
                encoding: "utf8",
            },
            (error, stdout, stderr) => {
                if (error) {
                    const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
                    if (e.code === "ENOENT") {
                        reject(new Error(`${command}: the AWS CLI (${cli}) is not installed or not on PATH (install AWS CLI v2)`));
                    } else if (e.killed) {
                        reject(new Error(`${command}: no answer within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`));
                    } else {
                        const lines = String(stderr ?? "").trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" | ");
                        reject(new Error(`${command}: exit ${e.code ?? "?"}${lines ? `: ${lines}` : ""}`));
                    }
                    return;
                }
                try {
                    resolve(parseDescribeRepositories(stdout, command));
                } catch (parseError) {
                    reject(parseError);
                }
            },
        );
    });
}

// ---------------------------------------------------------------------------------------------
// vSphere template

export interface TemplateCheckOptions {
    /** Default 60000 per SOAP call. */
    timeoutMs?: number;
}

/**
 * The `r_` template exists as `<datacenter>/vm/<folderPath>/<templateName>` and is a template
 * (config.template). Detail: its managed object id and folder, or what is wrong.
 */
export async function checkTemplate(
    connection: VsphereConnection,
    datacenter: string,
    folderPath: string,
    templateName: string,
    options: TemplateCheckOptions = {},
): Promise<CheckLine> {
    const name = "template";
    const secrets = [connection.password];
    const folder = `/${[datacenter, "vm", ...folderPath.split("/")].filter((p) => p !== "").join("/")}`;
    if (!templateName.startsWith("r_")) {
        return fail(name, `"${templateName}" does not start with r_: Palette only finds templates named r_<name>`, secrets);
    }
    let client: VsphereSoapClient;
    try {
        client = await VsphereSoapClient.login(connection, { callTimeoutMs: options.timeoutMs ?? 60_000, pollIntervalMs: 500 });
    } catch (error) {
        return fail(name, `cannot log in to vCenter ${connection.server} as "${connection.user}": ${firstLine((error as Error).message)}`, secrets);
    }
    try {
        if (!(await client.findVmFolder(datacenter, folderPath))) {
            return fail(name, `folder ${folder} does not exist`, secrets);
        }
        const vm = await client.findVm(datacenter, folderPath, templateName);
        if (!vm) {
            return fail(name, `no ${templateName} in ${folder}`, secrets);
        }
        const summary = await client.getVmSummary(vm);
        if (!summary) {
            return fail(name, `${templateName} (${vm.value}) in ${folder} disappeared while being read`, secrets);
        }
        if (!summary.template) {
            return fail(name, `${templateName} (${vm.value}) in ${folder} is a VM, not a template (mark it as a template)`, secrets);
        }
        return pass(name, `${templateName} (${vm.value}) is a template in ${folder}`, secrets);
    } catch (error) {
        return fail(name, `${folder}/${templateName}: ${firstLine((error as Error).message)}`, secrets);
    } finally {
        await client.logout().catch(() => undefined);
    }
}

// ---------------------------------------------------------------------------------------------
// helpers

interface BaseNames {
    base: string;
    where: string;
    names: string[];
}

interface BaseCount {
    base: string;
    where: string;
    /** undefined with `missing` set: the base's container does not exist. */
    count: number | undefined;
    missing?: string;
}

function basesLine(name: string, bases: BaseNames[], secrets: (string | undefined)[], context?: string): CheckLine {
    return countsLine(name, bases.map((b) => ({ base: b.base, where: b.where, count: repositoriesUnder(b.names, b.base).length })), secrets, context);
}

function countsLine(name: string, counts: BaseCount[], secrets: (string | undefined)[], context?: string): CheckLine {
    const problems = counts
        .filter((c) => c.count === undefined || c.count === 0)
        .map((c) => (c.missing ? `${c.base}: ${c.missing}` : `${c.base} holds no repository (${c.where})`));
    const found = counts
        .filter((c) => c.count !== undefined && c.count > 0)
        .map((c) => `${c.base}: ${plural(c.count!, "repository", "repositories")}`);
    if (problems.length > 0) {
        return fail(name, [...problems, ...found].join("; "), secrets);
    }
    const where = [...new Set(counts.map((c) => c.where))].join(", ");
    return pass(name, `${found.join(", ")} (${context ?? where})`, secrets);
}

function pass(name: string, detail: string, secrets: (string | undefined)[]): CheckLine {
    return { name, ok: true, detail: redact(detail, secrets) };
}

function fail(name: string, detail: string, secrets: (string | undefined)[]): CheckLine {
    return { name, ok: false, detail: redact(detail, secrets) };
}

/**
 * Replaces every secret by ******** in every form a server may echo it back in (as is, URL-encoded,
 * base64, JSON-escaped), and any Basic/Bearer value or `user:password@` (redactCredentials).
 */
export function redact(text: string, secrets: (string | undefined)[]): string {
    let out = redactCredentials(text);
    for (const secret of secrets) {
        if (secret && secret.length > 0) {
            out = redactCredentials(out, { password: secret });
        }
    }
    return out;
}

function httpAgent(options: { caFile?: string; insecure?: boolean; timeoutMs?: number; what: string }): Agent {
    let ca: string | undefined;
    if (options.caFile) {
        try {
            ca = fs.readFileSync(options.caFile, "utf8");
        } catch (error) {
            throw new Error(`cannot read ${options.what} ${options.caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
            throw new Error(`${options.what} ${options.caFile} holds no PEM certificate`);
        }
    }
    const timeout = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    return new Agent({ connect: { ca, rejectUnauthorized: options.insecure !== true, timeout }, headersTimeout: timeout, bodyTimeout: timeout });
}

function basicAuth(username: string, password: string): string {
    return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

async function readLimited(body: Dispatcher.ResponseData["body"], limit: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > limit) {
            body.destroy();
            throw new Error(`the answer is larger than ${Math.round(limit / 1024 / 1024)} MiB`);
        }
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
}

function headerValue(value: string | string[] | undefined): string | undefined {
    return Array.isArray(value) ? value.join(", ") : value;
}

/** The registry's `{ errors: [{ code, message }] }`, as `: CODE message; ...`. */
function registryErrors(text: string): string {
    try {
        const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
        const parts = errors.map((e) => [e.code, e.message].filter(Boolean).join(" ")).filter((s) => s !== "");
        return parts.length > 0 ? `: ${parts.join("; ")}` : "";
    } catch {
        return "";
    }
}

const TLS_CODES = new Set(TLS_ERROR_CODES);

/** `cannot connect (ECONNREFUSED ...)` with a hint for certificate failures. */
function transportDetail(error: unknown, tls: { caFile?: string; caKey: string; timeoutMs?: number }): string {
    const e = error as Error & { code?: string; cause?: Error & { code?: string } };
    const code = e?.cause?.code ?? e?.code;
    const message = e?.cause?.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : (e?.message ?? String(error));
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
        return `no answer within ${Math.round((tls.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS) / 100) / 10} s (the server accepted the connection and then said nothing) [${code}]`;
    }
    if (code === "UND_ERR_CONNECT_TIMEOUT") {
        return `no connection within ${Math.round((tls.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS) / 100) / 10} s (TCP or TLS handshake) [${code}]`;
    }
    if (code && TLS_CODES.has(code)) {
        const hint =
            code === "ERR_TLS_CERT_ALTNAME_INVALID"
                ? "the certificate is not valid for this host name"
                : tls.caFile
                  ? `the certificate is not signed by ${tls.caKey} ${tls.caFile}`
                  : `the certificate is not trusted: set ${tls.caKey}`;
        return `TLS failure [${code}]: ${hint}`;
    }
    return `cannot connect (${firstLine(message)}${code && !message.includes(code) ? ` [${code}]` : ""})`;
}

/** A URL without its credentials, for messages. */
function displayUrl(url: URL): string {
    const copy = new URL(url.toString());
    copy.username = "";
    copy.password = "";
    return copy.toString();
}

function firstLine(text: string): string {
    return String(text).split("\n")[0].trim();
}

function plural(n: number, one: string, many = `${one}s`): string {
    return `${n} ${n === 1 ? one : many}`;
}

function listed(values: string[]): string {
    return values.length > MAX_LISTED ? `${values.slice(0, MAX_LISTED).join(", ")}, ...` : values.join(", ");
}
