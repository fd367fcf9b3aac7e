/**
 * Opening an OVA source (a local path, a `file:` URL, or an http(s) URL of an internal mirror inside
 * the air gap) for reading into caller-owned buffers, without reading it into memory.
 *
 * The OVA is gigabytes: `openOva()` (ovaArchive.ts) fills a few reused buffers from the source
 * (`fill`) and hashes and uploads from them. A local file is read with `fs.read` straight into those
 * buffers (no stream, no per-chunk allocation); it can also be read at an offset (`readAt`), which
 * lets the reader walk the tar headers before anything is created on vCenter.
 */
import * as fs from "fs";
import type { Readable } from "stream";
import { fileURLToPath } from "url";

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
export interface OvaByteSource {
    /** Total size in bytes when known (the file size, or the Content-Length of the response). */
    size?: number;
    /** The source as it may be shown in messages (URL credentials removed). */
    displayName: string;
    /**
     * Reads the next bytes into `buf`, filling it completely unless the source ends first; returns
     * the count (0 at the end). Calls must not overlap.
     */
    fill(buf: Buffer): Promise<number>;
    /** Local files only: reads `buf.length` bytes (fewer at the end) at `position`, independently of `fill`. */
    readAt?(buf: Buffer, position: number): Promise<number>;
    /** Releases the file or the connection. Idempotent. */
    close(): Promise<void>;
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
 * Opens `source`. Errors name the source: a missing local file, an http error status (404 ...),
 * an unreadable CA file, an unsupported scheme.
 */
export async function openOvaSource(source: string, opts: OvaSourceOptions = {}): Promise<OvaByteSource> {
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
    throw new Error(`OVA source ${display}: unsupported scheme "${scheme}:"; use a local path, a file: URL, or an http(s) URL`);
}

async function openLocal(p: string, display: string): Promise<OvaByteSource> {
    let handle: fs.promises.FileHandle;
    try {
        handle = await fs.promises.open(p, "r");
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === "ENOENT") throw new Error(`OVA source ${display}: no such file${display === p ? "" : ` (${p})`}`);
        throw new Error(`OVA source ${display}: cannot open ${p}: ${err.message}`);
    }
    const st = await handle.stat();
    if (!st.isFile()) {
        await handle.close();
        throw new Error(`OVA source ${display}: ${p} is not a regular file`);
    }
    let position = 0;
    let closed = false;
    const readFully = async (buf: Buffer, at: number): Promise<number> => {
        let got = 0;
        while (got < buf.length) {
            const { bytesRead } = await handle.read(buf, got, buf.length - got, at + got);
            if (bytesRead === 0) break;
            got += bytesRead;
        }
        return got;
    };
    return {
        size: st.size,
        displayName: display,
        async fill(buf) {
            const n = await readFully(buf, position);
            position += n;
            return n;
        },
        readAt: readFully,
        async close() {
            if (closed) return;
            closed = true;
            await handle.close().catch(() => undefined);
        },
    };
}

async function openHttp(url: string, display: string, https: boolean, opts: OvaSourceOptions): Promise<OvaByteSource> {
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
    // undici only for http(s) sources: it is not loaded for a local OVA.
    const { Agent, request } = await import("undici");
    const timeout = opts.timeoutMs ?? 300_000;
    // A dedicated agent: its TLS settings apply to this download only, and closing it releases the connection.
    const agent = new Agent({
        connect: https ? { ca, rejectUnauthorized: !opts.allowUnverifiedSsl } : undefined,
        headersTimeout: timeout,
        bodyTimeout: timeout,
    });
    let res: Awaited<ReturnType<typeof request>>;
    try {
        res = await request(url, {
            method: "GET",
            dispatcher: agent,
            ...(opts.authorization ? { headers: { authorization: opts.authorization } } : {}),
            maxRedirections: opts.maxRedirections ?? 5,
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
        const where = res.statusCode >= 300 && res.statusCode < 400 ? ` (redirect to ${redactSource(String(res.headers.location ?? "?"))} not followed)` : "";
        throw new Error(`OVA source ${display}: HTTP ${res.statusCode}${where}${authenticationHint(res.statusCode, Boolean(opts.authorization))}`);
    }
    const lenHeader = res.headers["content-length"];
    const size = typeof lenHeader === "string" && /^\d+$/.test(lenHeader) ? Number(lenHeader) : undefined;
    const body = res.body as unknown as Readable;
    body.on("error", () => undefined); // surfaced by the iterator below
    const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let pending: Buffer | undefined;
    let ended = false;
    let closed = false;
    const close = async () => {
        if (closed) return;
        closed = true;
        body.destroy();
        await agent.destroy().catch(() => undefined);
    };
    return {
        size,
        displayName: display,
        async fill(buf) {
            let got = 0;
            while (got < buf.length) {
                if (!pending || pending.length === 0) {
                    if (ended) break;
                    let r: IteratorResult<Buffer>;
                    try {
                        r = await chunks.next();
                    } catch (e) {
                        const err = e as Error & { code?: string };
                        throw new Error(`OVA source ${display}: download failed: ${[err.code, err.message].filter(Boolean).join(": ")}`);
                    }
                    if (r.done) {
                        ended = true;
                        void close();
                        break;
                    }
                    pending = r.value;
                }
                const n = pending.copy(buf, got, 0, Math.min(pending.length, buf.length - got));
                pending = pending.subarray(n);
                got += n;
            }
            return got;
        },
        close,
    };
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
