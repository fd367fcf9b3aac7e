/**
 * Opening an OVA source (a local path, a `file:` URL, or an http(s) URL of an internal mirror inside
 * the air gap) as a Node `Readable`, without reading it into memory.
 *
 * The OVA is gigabytes: the stream returned here is consumed once, by `openOva()` (ovaArchive.ts),
 * which hashes it as it flows and splits it into the tar entries that are uploaded to vSphere.
 */
import * as fs from "fs";
import { Readable } from "stream";
import { fileURLToPath } from "url";
import { Agent, request } from "undici";

/** How to reach an OVA source. */
export interface OvaSourceOptions {
    /** PEM file with the CA certificate(s) that sign the mirror's TLS certificate (https only). Default: the system trust store. */
    caFile?: string;
    /** Accept any TLS certificate from the mirror (https only). Default: false. */
    allowUnverifiedSsl?: boolean;
    /** Redirects followed for http(s) sources. Default: 5. */
    maxRedirections?: number;
    /** Milliseconds to wait for the response headers, and then between two body chunks (http(s) only). Default: 300000. */
    timeoutMs?: number;
    /**
     * Secret `Authorization` header value for the mirror (`Basic …` or `Bearer …`); https only.
     * Never printed; not sent on along a redirect to another origin (undici drops it there).
     */
    authorization?: string;
}

/** An opened OVA source. */
export interface OpenedOvaSource {
    /** The bytes of the OVA; consumed once. Destroy it to give up early (closes the file / connection). */
    stream: Readable;
    /** Total size in bytes when known (the file size, or the Content-Length of the response). */
    size?: number;
    /** The source as it may be shown in messages (URL credentials removed). */
    displayName: string;
}

const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** `source` with any `user:password@` of a URL removed, for messages and logs. */
export function redactSource(source: string): string {
    if (!SCHEME_RE.test(source)) return source;
    try {
        const u = new URL(source);
        if (u.username || u.password) {
            u.username = "";
            u.password = "";
        }
        return u.toString();
    } catch {
        return source.replace(/\/\/[^/@]*@/, "//");
    }
}

/**
 * Opens `source` for streaming. Errors name the source: a missing local file, an http error status
 * (404 ...), an unreadable CA file, an unsupported scheme.
 */
export async function openOvaSource(source: string, opts: OvaSourceOptions = {}): Promise<OpenedOvaSource> {
    const display = redactSource(source);
    const m = SCHEME_RE.exec(source);
    if (!m) return openLocal(source, source);
    const scheme = m[1].toLowerCase();
    if (scheme === "file") {
        let p: string;
        try {
            p = fileURLToPath(source);
        } catch (e) {
            throw new Error(`OVA source ${display}: not a valid file URL (${(e as Error).message})`);
        }
        return openLocal(p, display);
    }
    if (scheme === "http" || scheme === "https") return openHttp(source, display, scheme === "https", opts);
    throw new Error(
        `OVA source ${display}: unsupported scheme "${scheme}:"; use a local path, a file: URL, or an http(s) URL`,
    );
}

async function openLocal(p: string, display: string): Promise<OpenedOvaSource> {
    let st: fs.Stats;
    try {
        st = await fs.promises.stat(p);
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "ENOENT") throw new Error(`OVA source ${display}: no such file${display === p ? "" : ` (${p})`}`);
        throw new Error(`OVA source ${display}: cannot read ${p}: ${err.message}`);
    }
    if (!st.isFile()) throw new Error(`OVA source ${display}: ${p} is not a regular file`);
    // Open the descriptor now so that a permission problem is reported here, naming the path,
    // rather than as a stream error later.
    let handle: fs.promises.FileHandle;
    try {
        handle = await fs.promises.open(p, "r");
    } catch (e) {
        throw new Error(`OVA source ${display}: cannot open ${p}: ${(e as Error).message}`);
    }
    const stream = fs.createReadStream(p, { fd: handle, autoClose: true, highWaterMark: 1024 * 1024 });
    return { stream, size: st.size, displayName: display };
}

async function openHttp(url: string, display: string, https: boolean, opts: OvaSourceOptions): Promise<OpenedOvaSource> {
    let ca: string | undefined;
    if (https && opts.caFile) {
        try {
            ca = await fs.promises.readFile(opts.caFile, "utf8");
        } catch (e) {
            throw new Error(`OVA source ${display}: cannot read the CA file ${opts.caFile}: ${(e as Error).message}`);
        }
    }
    if (opts.authorization && !https) {
        throw new Error(`OVA source ${display}: refusing to send the mirror's credentials over plain http://; serve the OVA over https://`);
    }
    const timeout = opts.timeoutMs ?? 300_000;
    // A dedicated agent: its TLS settings apply to this download only, and closing it when the
    // body ends releases the connection.
    const agent = new Agent({
        connect: https ? { ca, rejectUnauthorized: !opts.allowUnverifiedSsl } : undefined,
        headersTimeout: timeout,
        bodyTimeout: timeout,
    });
    const closeAgent = () => {
        agent.close().catch(() => agent.destroy().catch(() => undefined));
    };
    let res: Awaited<ReturnType<typeof request>>;
    try {
        res = await request(url, {
            method: "GET",
            dispatcher: agent,
            maxRedirections: opts.maxRedirections ?? 5,
            ...(opts.authorization ? { headers: { authorization: opts.authorization } } : {}),
            highWaterMark: 1024 * 1024,
        });
    } catch (e) {
        await agent.destroy().catch(() => undefined);
        const err = e as Error & { code?: string; cause?: Error };
        const why = [err.code, err.message, err.cause?.message].filter(Boolean).join(": ");
        throw new Error(`OVA source ${display}: request failed: ${why}`);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        await agent.destroy().catch(() => undefined);
        const where = res.statusCode >= 300 && res.statusCode < 400 ? ` (redirect to ${res.headers.location ?? "?"} not followed)` : "";
        throw new Error(`OVA source ${display}: HTTP ${res.statusCode}${where}${authenticationHint(res.statusCode, Boolean(opts.authorization))}`);
    }
    const lenHeader = res.headers["content-length"];
    const len = typeof lenHeader === "string" && /^\d+$/.test(lenHeader) ? Number(lenHeader) : undefined;
    const body = res.body as unknown as Readable;
    body.once("close", closeAgent);
    return { stream: body, size: len, displayName: display };
}

/** What a 401/403 from the mirror means for the configuration (the credentials themselves are never shown). */
function authenticationHint(status: number, sentCredentials: boolean): string {
    if (status !== 401 && status !== 403) {
        return "";
    }
    return sentCredentials
        ? ": the mirror refused the credentials (check ovaSourceUsername and ovaSourcePassword, or ovaSourceToken)"
        : ": the mirror needs authentication: set ovaSourceUsername and ovaSourcePassword (--secret), or ovaSourceToken (--secret)";
}
