/**
 * A minimal client of Harbor's API v2.0 (schemas/harbor-swagger-v2.15.2.yaml, basePath
 * `/api/v2.0`): only the project calls the HarborProject custom resource needs, made exactly as
 * the swagger defines them. HTTPS only, basic auth, optional CA file, `insecure` only on request.
 * It holds no secret at module level: the credentials come with each call.
 */
import * as fs from "fs";
import { Agent, request } from "undici";

/** Where Harbor's API lives under the endpoint (the swagger's `basePath`). */
export const HARBOR_API_BASE_PATH = "/api/v2.0";
/** Repositories per page of listRepositories (the swagger's maximum). */
export const REPOSITORY_PAGE_SIZE = 100;
/** Pages listRepositories reads at most (100,000 repositories); a server that keeps saying "next" is stopped. */
export const MAX_REPOSITORY_PAGES = 1000;
/** Time limits of one call: connecting (TCP + TLS), then the response headers, then each read of the body. */
export const HARBOR_CONNECT_TIMEOUT_MS = 30_000;
export const HARBOR_RESPONSE_TIMEOUT_MS = 120_000;

/** How to reach Harbor. */
export interface HarborConnection {
    /** Harbor host[:port]; `https://host[:port]` is accepted, `http://` is refused. */
    endpoint: string;
    username: string;
    password: string;
    /** Absolute path of the PEM CA certificate that signed Harbor's certificate. */
    caFile?: string;
    /** Skip TLS verification (explicit opt-in; HTTPS is still required). Default false. */
    insecure?: boolean;
    /** Time limit of each response (headers, then each read of the body), in ms. Default HARBOR_RESPONSE_TIMEOUT_MS (2 minutes). */
    responseTimeoutMs?: number;
}

/** A Harbor project as this package sees it (from the swagger's `Project`). */
export interface HarborProjectInfo {
    /** `project_id` */
    id: number;
    /** `name` */
    name: string;
    /** `metadata.public == "true"` */
    public: boolean;
    /** `repo_count`, when Harbor sent it. */
    repoCount?: number;
}

/**
 * A failed Harbor call. The message names the call, the project, the HTTP status and Harbor's
 * messages. A plain Error with extra fields rather than a subclass: Pulumi's closure serializer
 * turns classes into constructor functions, and `Error.call(this, message)` there leaves the
 * message of a subclass instance empty (the provider process would report "[object Object]").
 */
export interface HarborApiError extends Error {
    name: "HarborApiError";
    /** The swagger operationId, e.g. "createProject". */
    operation: string;
    /** HTTP status, or undefined for a transport (network/TLS) failure. */
    status?: number;
    /** Harbor's `errors[].message`. */
    harborMessages: string[];
    /** Node's error code of a transport failure (e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
    code?: string;
}

/** Makes a HarborApiError. */
export function harborApiError(message: string, init: { operation: string; status?: number; harborMessages?: string[]; code?: string }): HarborApiError {
    const error = new Error(message) as HarborApiError;
    error.name = "HarborApiError";
    error.operation = init.operation;
    error.status = init.status;
    error.harborMessages = init.harborMessages ?? [];
    error.code = init.code;
    return error;
}

/** True if `error` is a HarborApiError. */
export function isHarborApiError(error: unknown): error is HarborApiError {
    return error instanceof Error && error.name === "HarborApiError";
}

/**
 * The `host[:port]` of a registry endpoint given as `host`, `host:port` or `https://host[:port][/]`.
 * Throws for `http://` (credentials would cross the network in clear text), other schemes,
 * credentials, paths, queries or an empty value.
 */
export function normalizeHarborEndpoint(endpoint: string): string {
    const s = String(endpoint ?? "").trim();
    if (s === "") {
        throw new Error("the Harbor endpoint is empty: give host[:port], e.g. harbor.lab.internal");
    }
    if (/^http:\/\//i.test(s)) {
        throw new Error(
            `the Harbor endpoint "${s}" uses plain http://: Harbor's API is only called over HTTPS (basic-auth ` +
                `credentials would cross the network in clear text); give host[:port] or https://host[:port]`,
        );
    }
    const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
    if (hasScheme && !/^https:\/\//i.test(s)) {
        throw new Error(`the Harbor endpoint "${s}" has an unsupported scheme: give host[:port] or https://host[:port]`);
    }
    let url: URL;
    try {
        url = new URL(hasScheme ? s : `https://${s}`);
    } catch {
        throw new Error(`the Harbor endpoint "${s}" is not host[:port] or https://host[:port]`);
    }
    if (url.username || url.password) {
        throw new Error(`the Harbor endpoint "${url.host}" must not contain credentials: use registryUsername and registryPassword`);
    }
    if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
        throw new Error(`the Harbor endpoint "${s}" must be host[:port] only (no path): the API is always under ${HARBOR_API_BASE_PATH}`);
    }
    // URL drops the default port 443, so "h", "h:443" and "https://h/" all give "h".
    return url.host;
}

/** Node/OpenSSL codes of certificate verification failures (the registry checks use them too). */
export const TLS_ERROR_CODES = [
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "CERT_SIGNATURE_FAILURE",
    "CERT_UNTRUSTED",
    "CERT_REJECTED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
];

interface CallOptions {
    /** swagger operationId, for messages */
    operation: string;
    /** what the call is about, for messages, e.g. `project "spectro-packs"` */
    subject: string;
    method: "GET" | "POST" | "PUT" | "DELETE";
    /** path below the base path, already encoded */
    path: string;
    query?: Record<string, string | number>;
    headers?: Record<string, string>;
    body?: unknown;
    /** status codes that are success */
    expect: number[];
    /** status codes returned to the caller instead of thrown (e.g. 404 for "gone") */
    tolerate?: number[];
    /** what a 403 means for this call, for messages */
    needs?: string;
}

interface CallResult {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    json: unknown;
}

/**
 * One connection to Harbor. Holds the password only in memory (in the Authorization header it
 * sends) and removes it from every message it produces. Call close() when done.
 */
export class HarborClient {
    /** `https://host[:port]` */
    readonly baseUrl: string;
    readonly username: string;
    private readonly authorization: string;
    private readonly secret: string;
    private readonly caFile?: string;
    private readonly insecure: boolean;
    private readonly agent: Agent;
    private readonly responseTimeoutMs: number;

    constructor(connection: HarborConnection) {
        this.baseUrl = `https://${normalizeHarborEndpoint(connection.endpoint)}`;
        if (!connection.username) {
            throw new Error(`no Harbor user given for ${this.baseUrl}: set registryUsername`);
        }
        if (!connection.password) {
            throw new Error(`no Harbor password given for user "${connection.username}" at ${this.baseUrl}: set registryPassword (as a secret)`);
        }
        this.username = connection.username;
        this.secret = connection.password;
        this.authorization = `Basic ${Buffer.from(`${connection.username}:${connection.password}`, "utf8").toString("base64")}`;
        this.caFile = connection.caFile || undefined;
        this.insecure = connection.insecure === true;
        this.responseTimeoutMs = connection.responseTimeoutMs ?? HARBOR_RESPONSE_TIMEOUT_MS;
        let ca: string | undefined;
        if (this.caFile) {
            try {
                ca = fs.readFileSync(this.caFile, "utf8");
            } catch (error) {
                throw new Error(`cannot read registryCaFile ${this.caFile}: ${(error as Error).message}`);
            }
            if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
                throw new Error(`registryCaFile ${this.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
            }
        }
        this.agent = new Agent({
            connect: { ca, rejectUnauthorized: !this.insecure, timeout: HARBOR_CONNECT_TIMEOUT_MS },
            headersTimeout: this.responseTimeoutMs,
            bodyTimeout: this.responseTimeoutMs,
        });
    }

    /** Closes the connections. */
    async close(): Promise<void> {
        await this.agent.close();
    }

    /**
     * getProject: GET /projects/{project_name_or_id}. A string is a project name (sent with
     * `X-Is-Resource-Name: true` so that a numeric-looking name is not taken for an id), a number
     * an id. Returns undefined when Harbor answers 404 (Harbor does, although the swagger declares
     * no 404 for this operation). Throws when Harbor returns a project of another name (or, by id,
     * another id, or a name other than `expectedName`).
     */
    async getProject(nameOrId: string | number, expectedName?: string): Promise<HarborProjectInfo | undefined> {
        const result = await this.call({
            operation: "getProject",
            subject: projectSubject(nameOrId),
            method: "GET",
            path: `/projects/${encodeURIComponent(String(nameOrId))}`,
            headers: resourceNameHeader(nameOrId),
            expect: [200],
            tolerate: [404],
            needs: "read the project",
        });
        if (result.status === 404) {
            return undefined;
        }
        const project = toProjectInfo(result.json, "getProject", projectSubject(nameOrId));
        // Adopting or changing a project Harbor returned for another name would flip another
        // project's flag (a proxy or a faulty Harbor answering with `library`): names must match exactly.
        const wanted = typeof nameOrId === "string" ? nameOrId : expectedName;
        if ((wanted !== undefined && project.name !== wanted) || (typeof nameOrId === "number" && project.id !== nameOrId)) {
            throw this.error(
                `Harbor getProject for ${projectSubject(nameOrId)} at ${this.baseUrl} returned another project, "${project.name}" (id ${project.id}): ` +
                    `refusing to use it (nothing was changed); check that registryEndpoint is Harbor itself and not a proxy that rewrites paths`,
                { operation: "getProject" },
            );
        }
        return project;
    }

    /**
     * createProject: POST /projects with a `ProjectReq` (`project_name`, `metadata.public` as the
     * string "true"/"false"). Expects 201 and returns the new project's id from the Location
     * header (`/api/v2.0/projects/<id>`), or undefined when Harbor sent none.
     * A 409 (the name exists) is thrown as a HarborApiError with status 409.
     */
    async createProject(name: string, isPublic: boolean): Promise<number | undefined> {
        const result = await this.call({
            operation: "createProject",
            subject: projectSubject(name),
            method: "POST",
            path: "/projects",
            body: { project_name: name, metadata: { public: isPublic ? "true" : "false" } },
            expect: [201],
            needs: "create projects (a Harbor administrator, or any user when project creation is not restricted to admins)",
        });
        const location = headerValue(result.headers.location);
        const match = location ? /\/projects\/(\d+)\/?$/.exec(location) : null;
        return match ? Number(match[1]) : undefined;
    }

    /** updateProject: PUT /projects/{project_name_or_id} with `{ metadata: { public: "true"|"false" } }`; expects 200. */
    async setProjectPublic(nameOrId: string | number, isPublic: boolean): Promise<void> {
        await this.call({
            operation: "updateProject",
            subject: projectSubject(nameOrId),
            method: "PUT",
            path: `/projects/${encodeURIComponent(String(nameOrId))}`,
            headers: resourceNameHeader(nameOrId),
            body: { metadata: { public: isPublic ? "true" : "false" } },
            expect: [200],
            needs: "update the project (project admin or Harbor administrator)",
        });
    }

    /**
     * deleteProject: DELETE /projects/{project_name_or_id}; expects 200. Returns false when the
     * project was already gone (404). Harbor answers 412 while the project holds repositories.
     */
    async deleteProject(nameOrId: string | number): Promise<boolean> {
        const result = await this.call({
            operation: "deleteProject",
            subject: projectSubject(nameOrId),
            method: "DELETE",
            path: `/projects/${encodeURIComponent(String(nameOrId))}`,
            headers: resourceNameHeader(nameOrId),
            expect: [200],
            tolerate: [404],
            needs: "delete the project (project admin or Harbor administrator)",
        });
        return result.status !== 404;
    }

    /**
     * getProjectSummary: GET /projects/{project_name_or_id}/summary, its `repo_count` (declared
     * `x-omitempty: false`, so present even when 0). Undefined when the project is gone (404).
     */
    async countRepositories(nameOrId: string | number): Promise<number | undefined> {
        const subject = projectSubject(nameOrId);
        const result = await this.call({
            operation: "getProjectSummary",
            subject,
            method: "GET",
            path: `/projects/${encodeURIComponent(String(nameOrId))}/summary`,
            headers: resourceNameHeader(nameOrId),
            expect: [200],
            tolerate: [404],
            needs: "read the project's summary",
        });
        if (result.status === 404) {
            return undefined;
        }
        const count = (result.json as { repo_count?: unknown } | null)?.repo_count;
        if (typeof count !== "number") {
            throw this.error(`Harbor getProjectSummary for ${subject} at ${this.baseUrl} returned no repo_count`, { operation: "getProjectSummary" });
        }
        return count;
    }

    /**
     * listRepositories: GET /projects/{project_name}/repositories, every page (page_size 100, the
     * swagger's maximum). Returns the names relative to the project (Harbor returns
     * `<project>/<repository>`). Bounded: it stops at the last page (fewer than 100 items, or as
     * many names as X-Total-Count), and fails on a page that brings no new name, on more pages than
     * X-Total-Count allows, and after MAX_REPOSITORY_PAGES pages.
     */
    async listRepositories(projectName: string): Promise<string[]> {
        const subject = projectSubject(projectName);
        const prefix = `${projectName}/`;
        const seen = new Set<string>();
        const names: string[] = [];
        const stop = (why: string) =>
            this.error(`Harbor listRepositories for ${subject} at ${this.baseUrl}: ${why}; stopped listing (a faulty Harbor or a proxy in between)`, {
                operation: "listRepositories",
            });
        for (let page = 1; page <= MAX_REPOSITORY_PAGES; page++) {
            const result = await this.call({
                operation: "listRepositories",
                subject,
                method: "GET",
                path: `/projects/${encodeURIComponent(projectName)}/repositories`,
                query: { page, page_size: REPOSITORY_PAGE_SIZE },
                expect: [200],
                tolerate: [404],
                needs: "list the project's repositories",
            });
            if (result.status === 404) {
                return names;
            }
            const items = Array.isArray(result.json) ? (result.json as { name?: unknown }[]) : [];
            let fresh = 0;
            for (const item of items.slice(0, REPOSITORY_PAGE_SIZE)) {
                if (typeof item?.name === "string" && !seen.has(item.name)) {
                    seen.add(item.name);
                    names.push(item.name.startsWith(prefix) ? item.name.slice(prefix.length) : item.name);
                    fresh += 1;
                }
            }
            const total = Number(headerValue(result.headers["x-total-count"]));
            if (items.length < REPOSITORY_PAGE_SIZE || (Number.isFinite(total) && names.length >= total)) {
                return names;
            }
            if (fresh === 0) {
                throw stop(`page ${page} lists only repositories of earlier pages`);
            }
            if (Number.isFinite(total) && page >= Math.ceil(total / REPOSITORY_PAGE_SIZE) + 1) {
                throw stop(`page ${page} goes past the ${total} repositories Harbor counts (X-Total-Count)`);
            }
        }
        throw stop(`more than ${MAX_REPOSITORY_PAGES} pages of ${REPOSITORY_PAGE_SIZE} repositories`);
    }

    /**
     * deleteRepository: DELETE /projects/{project_name}/repositories/{repository_name}; the
     * repository name is URL-encoded twice, as the swagger asks for names with a slash
     * (a/b -> a%252Fb). Returns false when it was already gone.
     */
    async deleteRepository(projectName: string, repositoryName: string): Promise<boolean> {
        const result = await this.call({
            operation: "deleteRepository",
            subject: `repository "${projectName}/${repositoryName}"`,
            method: "DELETE",
            path: `/projects/${encodeURIComponent(projectName)}/repositories/${encodeURIComponent(encodeURIComponent(repositoryName))}`,
            expect: [200],
            tolerate: [404],
            needs: "delete repositories of the project",
        });
        return result.status !== 404;
    }

    // -----------------------------------------------------------------------------------------

    private async call(options: CallOptions): Promise<CallResult> {
        const url = new URL(`${this.baseUrl}${HARBOR_API_BASE_PATH}${options.path}`);
        for (const [key, value] of Object.entries(options.query ?? {})) {
            url.searchParams.set(key, String(value));
        }
        const headers: Record<string, string> = {
            authorization: this.authorization,
            accept: "application/json",
            ...(options.headers ?? {}),
        };
        let body: string | undefined;
        if (options.body !== undefined) {
            body = JSON.stringify(options.body);
            headers["content-type"] = "application/json";
        }
        const what = `Harbor ${options.operation} (${options.method} ${HARBOR_API_BASE_PATH}${options.path}) for ${options.subject} at ${this.baseUrl}`;
        let response;
        try {
            response = await request(url, { method: options.method, headers, body, dispatcher: this.agent });
        } catch (error) {
            throw this.transportError(what, options.operation, error);
        }
        const text = await response.body.text();
        let json: unknown = undefined;
        if (text.trim() !== "") {
            try {
                json = JSON.parse(text);
            } catch {
                json = undefined;
            }
        }
        const status = response.statusCode;
        if (options.expect.includes(status) || (options.tolerate ?? []).includes(status)) {
            return { status, headers: response.headers, json };
        }
        const messages = harborMessages(json);
        const requestId = headerValue(response.headers["x-request-id"]);
        const detail = `${messages.length > 0 ? `: ${messages.join("; ")}` : ""}${requestId ? ` (X-Request-Id ${requestId})` : ""}`;
        if (status === 401) {
            throw this.error(
                `Harbor at ${this.baseUrl} rejected the credentials of user "${this.username}" (HTTP 401 on ${options.operation} for ${options.subject})${detail}. ` +
                    `Check registryUsername and registryPassword.`,
                { operation: options.operation, status, harborMessages: messages },
            );
        }
        if (status === 403) {
            throw this.error(
                `${what} failed with HTTP 403${detail}: user "${this.username}" is not allowed to ${options.needs ?? "do this"}.`,
                { operation: options.operation, status, harborMessages: messages },
            );
        }
        throw this.error(`${what} failed with HTTP ${status}${detail}`, { operation: options.operation, status, harborMessages: messages });
    }

    private transportError(what: string, operation: string, error: unknown): HarborApiError {
        const e = error as Error & { code?: string; cause?: Error & { code?: string } };
        const code = e?.code ?? e?.cause?.code;
        const detail = e?.cause && e.cause.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : (e?.message ?? String(error));
        let hint = "";
        if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
            hint = ` Harbor accepted the connection and gave no answer within ${this.responseTimeoutMs / 1000} s: check that registryEndpoint is Harbor and that it is not hung.`;
        } else if (code === "UND_ERR_CONNECT_TIMEOUT") {
            hint = ` No TCP/TLS connection within ${HARBOR_CONNECT_TIMEOUT_MS / 1000} s: check registryEndpoint and the network path to it.`;
        } else if (code && TLS_ERROR_CODES.includes(code)) {
            hint =
                code === "ERR_TLS_CERT_ALTNAME_INVALID"
                    ? ` Harbor's certificate is not valid for this host name: use the name (or IP) the certificate was issued for in registryEndpoint.`
                    : this.caFile
                      ? ` Harbor's certificate is not signed by the CA in registryCaFile (${this.caFile}): set registryCaFile to the CA that signed it.`
                      : ` Harbor's certificate is not trusted: set registryCaFile to the absolute path of the CA certificate (PEM) that signed it ` +
                        `(or, for a lab only, registryInsecure: true).`;
        }
        return this.error(`${what} failed: cannot connect (${detail}${code ? ` [${code}]` : ""}).${hint}`, { operation, code });
    }

    /** A HarborApiError whose message never contains a credential (see redactCredentials). */
    private error(message: string, init: { operation: string; status?: number; harborMessages?: string[]; code?: string }): HarborApiError {
        const redact = (text: string) => redactCredentials(text, { username: this.username, password: this.secret });
        return harborApiError(redact(message), { ...init, harborMessages: (init.harborMessages ?? []).map(redact) });
    }
}

/**
 * `text` with every credential removed: any `Basic`/`Bearer` authorization value, whoever's it is,
 * and the password in every form a server may echo it back in (as is, base64 alone or as
 * `user:password`, URL-encoded, JSON-escaped, hex), and `user:password@` in URLs. Used for every message built from what a
 * server sent (bodies, headers, TLS and socket errors).
 */
export function redactCredentials(text: string, credentials?: { username?: string; password?: string }): string {
    let out = text
        .replace(/\b(Basic|Bearer)(\s+|%20|\+)[A-Za-z0-9+/=._~%-]{4,}/gi, "$1 ********")
        // user:password@ in a URL
        .replace(/(\/\/)[^\s/@:]+:[^\s/@]+@/g, "$1********@");
    const password = credentials?.password;
    if (password) {
        const utf8 = Buffer.from(password, "utf8");
        const forms = new Set([
            password,
            encodeURIComponent(password),
            JSON.stringify(password).slice(1, -1),
            utf8.toString("base64"),
            utf8.toString("base64").replace(/=+$/, ""),
            utf8.toString("hex"),
        ]);
        if (credentials?.username !== undefined) {
            const pair = Buffer.from(`${credentials.username}:${password}`, "utf8").toString("base64");
            forms.add(pair);
            forms.add(pair.replace(/=+$/, ""));
        }
        for (const form of [...forms].filter((f) => f.length >= 3).sort((a, b) => b.length - a.length)) {
            out = out.split(form).join("********");
        }
    }
    return out;
}

/** True if `error` is a HarborApiError with one of `statuses`. */
export function isHarborStatus(error: unknown, ...statuses: number[]): error is HarborApiError {
    return isHarborApiError(error) && error.status !== undefined && statuses.includes(error.status);
}

function projectSubject(nameOrId: string | number): string {
    return typeof nameOrId === "number" ? `project id ${nameOrId}` : `project "${nameOrId}"`;
}

/** `X-Is-Resource-Name: true` when addressing a project by name (swagger parameter isResourceName). */
function resourceNameHeader(nameOrId: string | number): Record<string, string> {
    return typeof nameOrId === "number" ? {} : { "x-is-resource-name": "true" };
}

function headerValue(value: string | string[] | undefined): string | undefined {
    return Array.isArray(value) ? value[0] : value;
}

/** Harbor's `Errors` body: `{ errors: [{ code, message }] }`. */
function harborMessages(json: unknown): string[] {
    const errors = (json as { errors?: unknown } | null | undefined)?.errors;
    if (!Array.isArray(errors)) {
        return [];
    }
    return errors
        .map((item) => (item as { message?: unknown; code?: unknown })?.message ?? (item as { code?: unknown })?.code)
        .filter((message): message is string => typeof message === "string" && message !== "");
}

function toProjectInfo(json: unknown, operation: string, subject: string): HarborProjectInfo {
    const project = json as { project_id?: unknown; name?: unknown; metadata?: { public?: unknown }; repo_count?: unknown } | null;
    if (!project || typeof project.project_id !== "number" || typeof project.name !== "string") {
        throw harborApiError(`Harbor ${operation} for ${subject} returned no project (project_id and name missing)`, { operation });
    }
    return {
        id: project.project_id,
        name: project.name,
        // ProjectMetadata.public is a string: "true" or "false".
        public: String(project.metadata?.public ?? "false").toLowerCase() === "true",
        repoCount: typeof project.repo_count === "number" ? project.repo_count : undefined,
    };
}
