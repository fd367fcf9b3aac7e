/**
 * An HTTPS stand-in for Harbor's project API on 127.0.0.1, for the HarborProject tests.
 *
 * - TLS with a self-signed certificate (IP SAN 127.0.0.1) made with the `openssl` CLI in a temp dir.
 * - Basic auth with the username/password given at start (401 with Harbor's `Errors` body otherwise).
 * - In-memory projects and repositories; tests change them behind the client's back.
 * - EVERY request is validated against the swagger (schemas/harbor-swagger-v2.15.2.yaml): the
 *   path (below basePath) and method must exist, path/query/header parameters must be declared
 *   and of the declared type, the JSON body must match the referenced definition (property names
 *   and types; unknown properties are rejected). A request the swagger does not allow is answered
 *   400/404/405 and recorded in `violations`, which tests assert is empty.
 * - Responses are checked against the swagger too (`responseViolations`); a status the swagger
 *   does not declare for the operation but real Harbor sends (404 of getProject) is recorded in
 *   `undeclaredResponses`.
 */
import * as fs from "fs";
import { selfSignedCertificate } from "./selfSignedCertificate";
import * as https from "https";
import type { IncomingMessage, ServerResponse } from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

// ---------------------------------------------------------------------------------------------
// Swagger 2.0 model and validation

type Schema = Record<string, any>;

export interface SwaggerParameter {
    name: string;
    in: "path" | "query" | "header" | "body" | "formData";
    required?: boolean;
    type?: string;
    format?: string;
    maximum?: number;
    minimum?: number;
    minLength?: number;
    maxLength?: number;
    enum?: unknown[];
    schema?: Schema;
}

export interface SwaggerOperation {
    operationId: string;
    method: string;
    /** Path template below basePath, e.g. /projects/{project_name_or_id} */
    template: string;
    parameters: SwaggerParameter[];
    /** Declared responses by status ("200", "default", ...), $refs resolved. */
    responses: Record<string, { schema?: Schema; headers?: Record<string, unknown> }>;
    consumes: string[];
    produces: string[];
}

export interface SwaggerViolation {
    method: string;
    /** Request path (with query) as received. */
    url: string;
    operationId?: string;
    reason: string;
}

/** HTTP headers that are part of the transport, not API parameters. */
const TRANSPORT_HEADERS = new Set(["host", "connection", "content-length", "content-type", "accept", "accept-encoding", "user-agent", "authorization", "transfer-encoding", "keep-alive"]);

export class HarborSwagger {
    readonly basePath: string;
    readonly operations: SwaggerOperation[] = [];
    private readonly document: Schema;

    constructor(file: string) {
        this.document = YAML.parse(fs.readFileSync(file, "utf8"));
        if (this.document.swagger !== "2.0") {
            throw new Error(`${file} is not a Swagger 2.0 document`);
        }
        this.basePath = String(this.document.basePath ?? "");
        const globalConsumes: string[] = this.document.consumes ?? [];
        const globalProduces: string[] = this.document.produces ?? [];
        for (const [template, item] of Object.entries<Schema>(this.document.paths ?? {})) {
            const shared: SwaggerParameter[] = (item.parameters ?? []).map((p: Schema) => this.resolve(p));
            for (const method of ["get", "put", "post", "delete", "options", "head", "patch"]) {
                const op = item[method];
                if (!op) {
                    continue;
                }
                const own: SwaggerParameter[] = (op.parameters ?? []).map((p: Schema) => this.resolve(p));
                const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
                const responses: SwaggerOperation["responses"] = {};
                for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) {
                    responses[status] = this.resolve(response);
                }
                this.operations.push({
                    operationId: op.operationId ?? `${method} ${template}`,
                    method: method.toUpperCase(),
                    template,
                    parameters,
                    responses,
                    consumes: op.consumes ?? globalConsumes,
                    produces: op.produces ?? globalProduces,
                });
            }
        }
    }

    /** A definition by name (e.g. "Project"). */
    definition(name: string): Schema {
        const schema = this.document.definitions?.[name];
        if (!schema) {
            throw new Error(`the swagger has no definition ${name}`);
        }
        return schema;
    }

    /** Follows local `$ref`s (#/parameters/..., #/responses/..., #/definitions/...). */
    resolve<T = Schema>(node: Schema): T {
        let current = node;
        for (let depth = 0; current && typeof current.$ref === "string"; depth++) {
            if (depth > 20) {
                throw new Error(`$ref loop at ${node.$ref}`);
            }
            const ref: string = current.$ref;
            if (!ref.startsWith("#/")) {
                throw new Error(`unsupported $ref ${ref}`);
            }
            let target: any = this.document;
            for (const part of ref.slice(2).split("/")) {
                target = target?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
            }
            if (target === undefined) {
                throw new Error(`unresolved $ref ${ref}`);
            }
            // Sibling keys of a $ref (description) are ignored, as Swagger 2.0 says.
            current = target;
        }
        return current as T;
    }

    /**
     * The operations whose template matches a path below basePath (raw, still URL-encoded),
     * most specific first, with the raw path parameter values.
     */
    match(rawPath: string): { template: string; params: Record<string, string> } | undefined {
        const segments = rawPath.split("/");
        let best: { template: string; params: Record<string, string>; literals: number } | undefined;
        for (const template of new Set(this.operations.map((op) => op.template))) {
            const parts = template.split("/");
            if (parts.length !== segments.length) {
                continue;
            }
            const params: Record<string, string> = {};
            let literals = 0;
            let ok = true;
            for (let i = 0; i < parts.length && ok; i++) {
                const param = /^\{(.+)\}$/.exec(parts[i]);
                if (param) {
                    ok = segments[i] !== "";
                    params[param[1]] = segments[i];
                } else {
                    ok = parts[i] === segments[i];
                    literals++;
                }
            }
            if (ok && (!best || literals > best.literals)) {
                best = { template, params, literals };
            }
        }
        return best ? { template: best.template, params: best.params } : undefined;
    }

    operation(template: string, method: string): SwaggerOperation | undefined {
        return this.operations.find((op) => op.template === template && op.method === method);
    }

    /** Problems of `value` against `schema` (empty when valid). Unknown object properties are problems. */
    validate(value: unknown, schemaOrRef: Schema, where = "body"): string[] {
        const schema = this.resolve(schemaOrRef);
        const problems: string[] = [];
        if (value === null) {
            if (schema["x-nullable"] !== true) {
                problems.push(`${where} is null, which the swagger does not allow (not x-nullable)`);
            }
            return problems;
        }
        for (const part of schema.allOf ?? []) {
            problems.push(...this.validate(value, part, where));
        }
        const type = schema.type ?? (schema.properties || schema.additionalProperties ? "object" : undefined);
        switch (type) {
            case undefined:
                break;
            case "object": {
                if (typeof value !== "object" || Array.isArray(value)) {
                    problems.push(`${where} must be an object, got ${describe(value)}`);
                    break;
                }
                const properties: Record<string, Schema> = schema.properties ?? {};
                for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
                    if (key in properties) {
                        problems.push(...this.validate(item, properties[key], `${where}.${key}`));
                    } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
                        problems.push(...this.validate(item, schema.additionalProperties, `${where}.${key}`));
                    } else if (schema.additionalProperties !== true) {
                        problems.push(`${where}.${key} is not a property of ${definitionName(schemaOrRef) ?? "the schema"}`);
                    }
                }
                for (const key of schema.required ?? []) {
                    if (!(key in (value as Record<string, unknown>))) {
                        problems.push(`${where}.${key} is required`);
                    }
                }
                break;
            }
            case "array":
                if (!Array.isArray(value)) {
                    problems.push(`${where} must be an array, got ${describe(value)}`);
                } else if (schema.items) {
                    value.forEach((item, i) => problems.push(...this.validate(item, schema.items, `${where}[${i}]`)));
                }
                break;
            default:
                problems.push(...checkScalar(value, schema, where));
        }
        return problems;
    }
}

function definitionName(schema: Schema): string | undefined {
    return typeof schema.$ref === "string" ? schema.$ref.split("/").pop() : undefined;
}

function describe(value: unknown): string {
    return Array.isArray(value) ? "an array" : value === null ? "null" : `${typeof value} ${JSON.stringify(value)}`;
}

/** Checks a JSON scalar against a Swagger scalar schema/parameter. */
function checkScalar(value: unknown, schema: Schema, where: string): string[] {
    const problems: string[] = [];
    switch (schema.type) {
        case "string":
            if (typeof value !== "string") {
                return [`${where} must be a string, got ${describe(value)}`];
            }
            if (schema.maxLength !== undefined && value.length > schema.maxLength) {
                problems.push(`${where} is longer than ${schema.maxLength}`);
            }
            if (schema.minLength !== undefined && value.length < schema.minLength) {
                problems.push(`${where} is shorter than ${schema.minLength}`);
            }
            if (schema.format === "date-time" && Number.isNaN(Date.parse(value))) {
                problems.push(`${where} is not a date-time`);
            }
            break;
        case "integer":
            if (typeof value !== "number" || !Number.isInteger(value)) {
                return [`${where} must be an integer, got ${describe(value)}`];
            }
            if (schema.format === "int32" && (value > 2 ** 31 - 1 || value < -(2 ** 31))) {
                problems.push(`${where} is out of the int32 range`);
            }
            break;
        case "number":
            if (typeof value !== "number") {
                return [`${where} must be a number, got ${describe(value)}`];
            }
            break;
        case "boolean":
            if (typeof value !== "boolean") {
                return [`${where} must be a boolean, got ${describe(value)}`];
            }
            break;
        default:
            problems.push(`${where}: unsupported schema type ${schema.type}`);
    }
    if (typeof value === "number") {
        if (schema.maximum !== undefined && value > schema.maximum) {
            problems.push(`${where} is above the maximum ${schema.maximum}`);
        }
        if (schema.minimum !== undefined && value < schema.minimum) {
            problems.push(`${where} is below the minimum ${schema.minimum}`);
        }
    }
    if (schema.enum && !schema.enum.includes(value)) {
        problems.push(`${where} is not one of ${JSON.stringify(schema.enum)}`);
    }
    return problems;
}

/** A parameter value (a string from the URL or a header) converted to its declared type, or problems. */
function checkParameterString(raw: string, parameter: SwaggerParameter, where: string): string[] {
    let value: unknown = raw;
    if (parameter.type === "integer" || parameter.type === "number") {
        if (!/^-?\d+(\.\d+)?$/.test(raw)) {
            return [`${where} must be ${parameter.type === "integer" ? "an integer" : "a number"}, got "${raw}"`];
        }
        value = Number(raw);
    } else if (parameter.type === "boolean") {
        if (raw !== "true" && raw !== "false") {
            return [`${where} must be "true" or "false", got "${raw}"`];
        }
        value = raw === "true";
    }
    return checkScalar(value, parameter as Schema, where);
}

// ---------------------------------------------------------------------------------------------
// The stand-in

export interface StandInProject {
    id: number;
    name: string;
    public: boolean;
    /** Repository names relative to the project (e.g. "foo/bar"). */
    repositories: string[];
    creationTime: string;
    updateTime: string;
}

export interface StandInRequest {
    method: string;
    url: string;
    operationId?: string;
    status: number;
}

export interface HarborStandInOptions {
    swaggerFile: string;
    username: string;
    password: string;
    /**
     * A real registry (docker-registry, tests/support/registry.ts) that `/v2/...` is forwarded to,
     * as one Harbor serves its API and its registry on one endpoint; the registry's own users and
     * CA are used. Default: none (`/v2/` answers 404).
     */
    registry?: { endpoint: string; caFile: string };
}

/** Faults a test can switch on and off (issue 9: what a faulty Harbor or a proxy in front of it does). */
export interface HarborStandInFaults {
    /**
     * listRepositories answers every page with a full page and `Link: rel="next"`, forever:
     * "repeat" the same 100 names, "fresh" new names each page (no X-Total-Count), "lying-total" new
     * names with X-Total-Count 3.
     */
    endlessPages?: "repeat" | "fresh" | "lying-total";
    /** getProject by name answers with this project instead (e.g. "library"), as a path-rewriting proxy would. */
    getProjectAnswersWith?: string;
    /** createProject answers 409 (the name exists) without creating anything. */
    createConflicts?: boolean;
    /**
     * Every call fails (HTTP 500) echoing the credentials back: "body" the Authorization header in the
     * error message, "header" in X-Request-Id, "bearer" the password as a Bearer token and in a URL.
     */
    echoCredentials?: "body" | "header" | "bearer";
}

export interface HarborStandIn {
    /** Faults in effect (mutable; empty by default). */
    faults: HarborStandInFaults;
    /** `https://127.0.0.1:<port>` */
    url: string;
    /** `127.0.0.1:<port>` (what registryEndpoint holds) */
    endpoint: string;
    /** PEM file of the self-signed certificate (its own CA). */
    caFile: string;
    swagger: HarborSwagger;
    /** Requests the swagger does not allow. Tests assert this is empty. */
    violations: SwaggerViolation[];
    /** Responses of the stand-in that do not match the swagger (a bug of the stand-in). */
    responseViolations: SwaggerViolation[];
    /** Responses with a status the swagger does not declare for the operation (real Harbor behaviour). */
    undeclaredResponses: StandInRequest[];
    /** Every request (method, path, operationId, status); never the Authorization header. */
    requests: StandInRequest[];
    project(name: string): StandInProject | undefined;
    /** Behind the client's back: a project created in Harbor's UI. */
    addProject(name: string, isPublic: boolean): StandInProject;
    /** Behind the client's back: a project deleted in Harbor's UI. */
    removeProject(name: string): void;
    /** Behind the client's back: the project's public flag changed in Harbor's UI. */
    setPublic(name: string, isPublic: boolean): void;
    /** Behind the client's back: a repository pushed to the project. */
    addRepository(projectName: string, repository: string): void;
    stop(): Promise<void>;
}

const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Forwards one registry request (headers, body, streaming both ways) to the registry behind the stand-in. */
function forwardToRegistry(req: IncomingMessage, res: ServerResponse, registry: { endpoint: string; caFile: string }, onPushed: (repository: string) => void): void {
    const [hostname, port] = registry.endpoint.split(":");
    // The Host header stays the stand-in's: the registry builds upload Locations from it.
    const headers = { ...req.headers };
    const upstream = https.request(
        { hostname, port: Number(port), method: req.method, path: req.url, headers, ca: fs.readFileSync(registry.caFile) },
        (answer) => {
            // A manifest stored is a repository pushed: Harbor lists it under its project.
            const pushed = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(req.url ?? "");
            if (req.method === "PUT" && answer.statusCode === 201 && pushed) onPushed(pushed[1]);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
        },
    );
    upstream.on("error", (error) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`stand-in: registry ${registry.endpoint} unreachable: ${error.message}`);
    });
    req.pipe(upstream);
}

/** Starts the stand-in on 127.0.0.1 (ephemeral port). */
export async function startHarborStandIn(options: HarborStandInOptions): Promise<HarborStandIn> {
    const swagger = new HarborSwagger(options.swaggerFile);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-standin-"));
    const { certFile, keyFile } = selfSignedCertificate(dir, "harbor-ca");

    const projects = new Map<number, StandInProject>();
    let nextProjectId = 2; // 1 is Harbor's "library"
    const expectedAuthorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;

    const standIn: HarborStandIn = {
        faults: {},
        url: "",
        endpoint: "",
        caFile: certFile,
        swagger,
        violations: [],
        responseViolations: [],
        undeclaredResponses: [],
        requests: [],
        project: (name) => [...projects.values()].find((p) => p.name === name),
        addProject(name, isPublic) {
            if (standIn.project(name)) {
                throw new Error(`stand-in: project ${name} exists`);
            }
            const now = new Date().toISOString();
            const project = { id: nextProjectId++, name, public: isPublic, repositories: [], creationTime: now, updateTime: now };
            projects.set(project.id, project);
            return project;
        },
        removeProject(name) {
            const project = mustFind(name);
            projects.delete(project.id);
        },
        setPublic(name, isPublic) {
            mustFind(name).public = isPublic;
        },
        addRepository(projectName, repository) {
            mustFind(projectName).repositories.push(repository);
        },
        stop: async () => {
            await new Promise<void>((resolve) => server.close(() => resolve()));
            server.closeAllConnections();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };

    function mustFind(name: string): StandInProject {
        const project = standIn.project(name);
        if (!project) {
            throw new Error(`stand-in: no project ${name}`);
        }
        return project;
    }

    // --- responses ------------------------------------------------------------------------

    function send(req: IncomingMessage, res: ServerResponse, op: SwaggerOperation | undefined, status: number, body?: unknown, headers: Record<string, string> = {}, rejected = false): void {
        const url = req.url ?? "";
        const entry: StandInRequest = { method: req.method ?? "", url, operationId: op?.operationId, status };
        standIn.requests.push(entry);
        if (op) {
            const declared = op.responses[String(status)] ?? op.responses.default;
            if (!declared) {
                // A rejection of a request that breaks the swagger is recorded as a violation instead.
                if (!rejected) {
                    standIn.undeclaredResponses.push(entry);
                }
            } else if (declared.schema && body !== undefined) {
                for (const problem of swagger.validate(body, declared.schema, "response")) {
                    standIn.responseViolations.push({ method: entry.method, url, operationId: op.operationId, reason: `${status}: ${problem}` });
                }
            }
        }
        const text = body === undefined ? "" : JSON.stringify(body);
        res.writeHead(status, {
            "x-request-id": `standin-${standIn.requests.length}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            "content-length": String(Buffer.byteLength(text)),
            ...headers,
        });
        res.end(text);
    }

    function errors(code: string, message: string): unknown {
        return { errors: [{ code, message }] };
    }

    function violation(req: IncomingMessage, op: SwaggerOperation | undefined, reason: string): void {
        standIn.violations.push({ method: req.method ?? "", url: req.url ?? "", operationId: op?.operationId, reason });
    }

    function projectBody(project: StandInProject): unknown {
        const allowlist = { id: project.id, project_id: project.id, items: [], creation_time: project.creationTime, update_time: project.updateTime };
        return {
            project_id: project.id,
            owner_id: 1,
            name: project.name,
            creation_time: project.creationTime,
            update_time: project.updateTime,
            deleted: false,
            owner_name: options.username,
            togglable: true,
            current_user_role_id: 1,
            current_user_role_ids: [1],
            repo_count: project.repositories.length,
            metadata: { public: project.public ? "true" : "false" },
            cve_allowlist: allowlist,
        };
    }

    // --- request handling -----------------------------------------------------------------

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const rawBody = await new Promise<string>((resolve) => {
            let data = "";
            req.setEncoding("utf8");
            req.on("data", (chunk) => (data += chunk));
            req.on("end", () => resolve(data));
        });
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const method = (req.method ?? "").toUpperCase();
        const rawPath = (req.url ?? "/").split("?")[0];
        if (!rawPath.startsWith(`${swagger.basePath}/`)) {
            violation(req, undefined, `path is not under the swagger's basePath ${swagger.basePath}`);
            return send(req, res, undefined, 404, errors("NOT_FOUND", "not found"));
        }
        const matched = swagger.match(rawPath.slice(swagger.basePath.length));
        if (!matched) {
            violation(req, undefined, `no path of the swagger matches ${rawPath}`);
            return send(req, res, undefined, 404, errors("NOT_FOUND", "not found"));
        }
        const op = swagger.operation(matched.template, method);
        if (!op) {
            violation(req, undefined, `${method} is not an operation of ${matched.template} in the swagger`);
            return send(req, res, undefined, 405, errors("METHOD_NOT_ALLOWED", "method not allowed"));
        }

        // Parameters, headers and body against the swagger.
        const problems: string[] = [];
        const declared = (where: string) => op.parameters.filter((p) => p.in === where);
        const pathParams: Record<string, string> = {};
        for (const [name, raw] of Object.entries(matched.params)) {
            const parameter = declared("path").find((p) => p.name === name);
            let value: string;
            try {
                value = decodeURIComponent(raw);
            } catch {
                problems.push(`path parameter ${name} is not valid URL encoding`);
                continue;
            }
            if (!parameter) {
                problems.push(`path parameter ${name} is not declared`);
                continue;
            }
            problems.push(...checkParameterString(value, parameter, `path parameter ${name}`));
            pathParams[name] = value;
        }
        const seenQuery = new Set<string>();
        for (const [name, value] of url.searchParams) {
            const parameter = declared("query").find((p) => p.name === name);
            if (!parameter) {
                problems.push(`query parameter ${name} is not declared for ${op.operationId}`);
            } else if (seenQuery.has(name)) {
                problems.push(`query parameter ${name} is repeated`);
            } else {
                problems.push(...checkParameterString(value, parameter, `query parameter ${name}`));
            }
            seenQuery.add(name);
        }
        for (const parameter of declared("query").filter((p) => p.required)) {
            if (!url.searchParams.has(parameter.name)) {
                problems.push(`required query parameter ${parameter.name} is missing`);
            }
        }
        for (const [name, value] of Object.entries(req.headers)) {
            const parameter = declared("header").find((p) => p.name.toLowerCase() === name);
            if (parameter) {
                problems.push(...checkParameterString(String(value), parameter, `header ${parameter.name}`));
            } else if (!TRANSPORT_HEADERS.has(name)) {
                problems.push(`header ${name} is not declared for ${op.operationId}`);
            }
        }
        for (const parameter of declared("header").filter((p) => p.required)) {
            if (req.headers[parameter.name.toLowerCase()] === undefined) {
                problems.push(`required header ${parameter.name} is missing`);
            }
        }
        const accept = req.headers.accept;
        if (accept && !accept.split(",").some((type) => /^\s*(\*\/\*|application\/\*|application\/json)\s*(;.*)?$/i.test(type)) && op.produces.length > 0) {
            problems.push(`Accept ${accept} does not accept what ${op.operationId} produces (${op.produces.join(", ")})`);
        }
        if (req.headers.authorization !== undefined && !/^Basic [A-Za-z0-9+/=]+$/.test(req.headers.authorization)) {
            problems.push("Authorization is not the swagger's basic security scheme");
        }
        const bodyParameter = declared("body")[0];
        let body: unknown = undefined;
        if (rawBody !== "") {
            if (!bodyParameter) {
                problems.push(`${op.operationId} takes no body, got ${rawBody.length} bytes`);
            } else {
                const contentType = String(req.headers["content-type"] ?? "");
                if (!op.consumes.some((type) => contentType.split(";")[0].trim().toLowerCase() === type)) {
                    problems.push(`Content-Type "${contentType}" is not one of ${op.consumes.join(", ")}`);
                }
                try {
                    body = JSON.parse(rawBody);
                    problems.push(...swagger.validate(body, bodyParameter.schema ?? {}, `body (${bodyParameter.name})`));
                } catch {
                    problems.push("the body is not JSON");
                }
            }
        } else if (bodyParameter?.required) {
            problems.push(`${op.operationId} requires a body (${bodyParameter.name})`);
        }
        if (problems.length > 0) {
            for (const problem of problems) {
                violation(req, op, problem);
            }
            return send(req, res, op, 400, errors("BAD_REQUEST", problems.join("; ")), {}, true);
        }

        // Authentication (Harbor answers 401 with an Errors body for bad basic-auth credentials).
        if (req.headers.authorization !== expectedAuthorization) {
            return send(req, res, op, 401, errors("UNAUTHORIZED", "unauthorized"));
        }

        const echo = standIn.faults.echoCredentials;
        if (echo !== undefined) {
            const authorization = String(req.headers.authorization);
            const message =
                echo === "body"
                    ? `internal error handling request with Authorization: ${authorization}`
                    : echo === "bearer"
                      ? `token exchange failed for Bearer ${options.password} at https://${options.username}:${options.password}@harbor.internal/service/token`
                      : "internal error";
            return send(req, res, op, 500, errors("INTERNAL_SERVER_ERROR", message), echo === "header" ? { "x-request-id": authorization } : {});
        }
        return route(req, res, op, pathParams, url.searchParams, body as Record<string, any> | undefined);
    }

    /** Harbor's rule for {project_name_or_id}: a name when X-Is-Resource-Name is true or the value is not an integer. */
    function findProject(req: IncomingMessage, nameOrId: string, nameOnly = false): StandInProject | undefined {
        const isName = nameOnly || req.headers["x-is-resource-name"] === "true" || !/^\d+$/.test(nameOrId);
        return isName ? standIn.project(nameOrId) : projects.get(Number(nameOrId));
    }

    function route(req: IncomingMessage, res: ServerResponse, op: SwaggerOperation, params: Record<string, string>, query: URLSearchParams, body: Record<string, any> | undefined): void {
        const notFound = (what: string) => send(req, res, op, 404, errors("NOT_FOUND", `${what} not found`));
        switch (op.operationId) {
            case "getProject": {
                const other = standIn.faults.getProjectAnswersWith;
                const isName = req.headers["x-is-resource-name"] === "true" || !/^\d+$/.test(params.project_name_or_id);
                const project = other !== undefined && isName ? standIn.project(other) : findProject(req, params.project_name_or_id);
                return project ? send(req, res, op, 200, projectBody(project)) : notFound(`project ${params.project_name_or_id}`);
            }
            case "createProject": {
                const name = body?.project_name;
                if (typeof name !== "string" || name === "") {
                    violation(req, op, "ProjectReq.project_name is missing (Harbor answers 400)");
                    return send(req, res, op, 400, errors("BAD_REQUEST", "project_name is required"));
                }
                if (!PROJECT_NAME.test(name)) {
                    violation(req, op, `project_name ${name} breaks Harbor's name rule`);
                    return send(req, res, op, 400, errors("BAD_REQUEST", `project name ${name} is not valid`));
                }
                const publicFlag = body?.metadata?.public;
                if (publicFlag !== undefined && publicFlag !== "true" && publicFlag !== "false") {
                    violation(req, op, `ProjectMetadata.public must be "true" or "false", got ${JSON.stringify(publicFlag)}`);
                    return send(req, res, op, 400, errors("BAD_REQUEST", "invalid metadata.public"));
                }
                if (standIn.project(name) || standIn.faults.createConflicts) {
                    return send(req, res, op, 409, errors("CONFLICT", `The project named ${name} already exists`));
                }
                const project = standIn.addProject(name, publicFlag === "true");
                const location = req.headers["x-resource-name-in-location"] === "true" ? project.name : String(project.id);
                return send(req, res, op, 201, undefined, { location: `${swagger.basePath}/projects/${location}` });
            }
            case "updateProject": {
                const project = findProject(req, params.project_name_or_id);
                if (!project) {
                    return notFound(`project ${params.project_name_or_id}`);
                }
                const publicFlag = body?.metadata?.public;
                if (publicFlag !== undefined && publicFlag !== "true" && publicFlag !== "false") {
                    violation(req, op, `ProjectMetadata.public must be "true" or "false", got ${JSON.stringify(publicFlag)}`);
                    return send(req, res, op, 400, errors("BAD_REQUEST", "invalid metadata.public"));
                }
                if (publicFlag !== undefined) {
                    project.public = publicFlag === "true";
                    project.updateTime = new Date().toISOString();
                }
                return send(req, res, op, 200);
            }
            case "deleteProject": {
                const project = findProject(req, params.project_name_or_id);
                if (!project) {
                    return notFound(`project ${params.project_name_or_id}`);
                }
                if (project.repositories.length > 0) {
                    return send(req, res, op, 412, errors("PRECONDITION", "the project contains repositories, can not be deleted"));
                }
                projects.delete(project.id);
                return send(req, res, op, 200);
            }
            case "getProjectSummary": {
                const project = findProject(req, params.project_name_or_id);
                if (!project) {
                    return notFound(`project ${params.project_name_or_id}`);
                }
                return send(req, res, op, 200, {
                    repo_count: project.repositories.length,
                    project_admin_count: 1,
                    maintainer_count: 0,
                    developer_count: 0,
                    guest_count: 0,
                    limited_guest_count: 0,
                    quota: { hard: { storage: -1 }, used: { storage: 0 } },
                });
            }
            case "listRepositories": {
                const project = findProject(req, params.project_name, true);
                if (!project) {
                    return notFound(`project ${params.project_name}`);
                }
                const page = Number(query.get("page") ?? 1);
                const pageSize = Number(query.get("page_size") ?? 10);
                const endless = standIn.faults.endlessPages;
                if (endless !== undefined) {
                    const start = endless === "repeat" ? 0 : (page - 1) * pageSize;
                    const items = Array.from({ length: pageSize }, (_, i) => ({
                        id: start + i + 1,
                        project_id: project.id,
                        name: `${project.name}/endless-${start + i}`,
                        artifact_count: 1,
                        pull_count: 0,
                        creation_time: project.creationTime,
                        update_time: project.updateTime,
                    }));
                    const next = `<${swagger.basePath}/projects/${project.name}/repositories?page=${page + 1}&page_size=${pageSize}>; rel="next"`;
                    return send(req, res, op, 200, items, { link: next, ...(endless === "lying-total" ? { "x-total-count": "3" } : {}) });
                }
                const items = project.repositories.slice((page - 1) * pageSize, page * pageSize).map((name, i) => ({
                    id: (page - 1) * pageSize + i + 1,
                    project_id: project.id,
                    name: `${project.name}/${name}`,
                    artifact_count: 1,
                    pull_count: 0,
                    creation_time: project.creationTime,
                    update_time: project.updateTime,
                }));
                return send(req, res, op, 200, items, { "x-total-count": String(project.repositories.length) });
            }
            case "deleteRepository": {
                const project = findProject(req, params.project_name, true);
                if (!project) {
                    return notFound(`project ${params.project_name}`);
                }
                // The path parameter was decoded once; a name with a slash must have been encoded twice.
                const once = params.repository_name;
                if (once.includes("/")) {
                    violation(req, op, `repository_name "${once}" holds a slash after one decoding: the swagger asks to encode it twice (a/b -> a%252Fb)`);
                    return notFound(`repository ${once}`);
                }
                const name = decodeURIComponent(once);
                const index = project.repositories.indexOf(name);
                if (index < 0) {
                    return notFound(`repository ${project.name}/${name}`);
                }
                project.repositories.splice(index, 1);
                return send(req, res, op, 200);
            }
            default:
                violation(req, op, `${op.operationId} is allowed by the swagger but the client was not expected to call it`);
                return send(req, res, op, 501, errors("NOT_IMPLEMENTED", `${op.operationId} is not implemented by the stand-in`));
        }
    }

    const server = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
        if (options.registry && /^\/v2(\/|$)/.test(req.url ?? "")) {
            forwardToRegistry(req, res, options.registry, (repository) => {
                const [projectName, ...rest] = repository.split("/");
                const project = standIn.project(projectName);
                if (project && rest.length > 0 && !project.repositories.includes(rest.join("/"))) project.repositories.push(rest.join("/"));
            });
            return;
        }
        handle(req, res).catch((error) => {
            standIn.responseViolations.push({ method: req.method ?? "", url: req.url ?? "", reason: `stand-in crashed: ${(error as Error).stack}` });
            if (!res.headersSent) {
                res.writeHead(500, { "content-type": "application/json" });
            }
            res.end(JSON.stringify(errors("INTERNAL_SERVER_ERROR", "stand-in error")));
        });
    });
    // TLS handshakes a client aborts (untrusted certificate) are expected in the tests.
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    standIn.endpoint = `127.0.0.1:${port}`;
    standIn.url = `https://${standIn.endpoint}`;
    return standIn;
}
