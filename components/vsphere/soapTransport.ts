/**
 * HTTP side of the vSphere SOAP client: endpoint parsing, TLS settings (CA file, unverified,
 * certificate-thumbprint pinning for ESXi NFC URLs), the SOAP envelope, fault decoding and
 * streaming uploads to HttpNfcLease device URLs. Uses undici; XML through ./soapXml.
 */
import * as fs from "fs";
import { Transform, type Readable } from "stream";
import type { TLSSocket } from "tls";
import { Agent, buildConnector, request } from "undici";
import { child, children, el, parseXml, text, xsiType, type XmlElement, SOAPENV_NS, VIM25_NS, XSD_NS, XSI_NS, buildXml } from "./soapXml";
import type { LocalizedFault, ManagedObjectRef } from "./vimTypes";

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * A vSphere fault: a SOAP fault from a call, a failed task, a failed lease or CreateImportSpec
 * errors. `faultType` is the vim25 fault type ("InvalidLogin", "ManagedObjectNotFound",
 * "DuplicateName", ...), or "" when the server gave none.
 */
export class VsphereFault extends Error {
    readonly method: string;
    readonly faultType: string;
    readonly faultString: string;
    /** The fault's detail element, as sent by the server (only for SOAP faults). */
    readonly detail?: XmlElement;
    /** For CreateImportSpec: every error the server reported. */
    readonly faults?: LocalizedFault[];

    constructor(message: string, init: { method: string; faultType: string; faultString: string; detail?: XmlElement; faults?: LocalizedFault[] }) {
        super(message);
        this.name = "VsphereFault";
        this.method = init.method;
        this.faultType = init.faultType;
        this.faultString = init.faultString;
        this.detail = init.detail;
        this.faults = init.faults;
    }
}

/** True if `err` is a VsphereFault (of one of `types`, when given). */
export function isVsphereFault(err: unknown, ...types: string[]): err is VsphereFault {
    return err instanceof VsphereFault && (types.length === 0 || types.includes(err.faultType));
}

/** True if the object the call was about no longer exists ("already gone" counts as deleted). */
export function isNotFoundFault(err: unknown): boolean {
    return isVsphereFault(err, "ManagedObjectNotFound");
}

/** Replaces every occurrence of `secret` in `s` (no-op for an empty secret). */
export function redact(s: string, secret: string | undefined): string {
    return secret ? s.split(secret).join("********") : s;
}

// ---------------------------------------------------------------------------------------------
// Endpoint and TLS

export interface SoapEndpoint {
    /** e.g. https://vc.example.com/sdk */
    url: string;
    /** host[:port] as in the URL (used to replace the "*" host of NFC device URLs). */
    host: string;
}

/** Accepts "host", "host:port", "[v6]:port" or "http(s)://host[:port][/path]"; path defaults to /sdk. */
export function parseServer(server: string): SoapEndpoint {
    const s = server.trim();
    if (s === "") {
        throw new Error("vSphere server is empty: give a host name, host:port or https://host/sdk");
    }
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`;
    let u: URL;
    try {
        u = new URL(withScheme);
    } catch {
        throw new Error(`vSphere server "${s}" is not a host name, host:port or https://host/sdk URL`);
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") {
        throw new Error(`vSphere server "${s}": only https:// (or http://) URLs are supported`);
    }
    if (u.username || u.password) {
        throw new Error(`vSphere server "${u.host}": do not put credentials in the server URL; use user and password`);
    }
    if (u.pathname === "" || u.pathname === "/") {
        u.pathname = "/sdk";
    }
    u.search = "";
    u.hash = "";
    return { url: u.toString(), host: u.host };
}

export interface TlsSettings {
    /** PEM CA bundle (contents, not a path). */
    ca?: string;
    rejectUnauthorized: boolean;
    /** Where the CA came from, for error messages. */
    caFile?: string;
}

export function tlsSettingsFor(conn: { allowUnverifiedSsl?: boolean; caFile?: string }): TlsSettings {
    let ca: string | undefined;
    if (conn.caFile) {
        try {
            ca = fs.readFileSync(conn.caFile, "utf8");
        } catch (e) {
            throw new Error(`cannot read the vSphere CA file ${conn.caFile}: ${(e as Error).message}`);
        }
        if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
            throw new Error(`the vSphere CA file ${conn.caFile} holds no PEM certificate`);
        }
    }
    return { ca, rejectUnauthorized: !conn.allowUnverifiedSsl, caFile: conn.caFile };
}

function normaliseThumbprint(t: string): string {
    return t.replace(/[^0-9a-f]/gi, "").toUpperCase();
}

/**
 * An undici Agent with the given TLS settings. With `sslThumbprint` (the SHA-1 thumbprint vCenter
 * gives for an ESXi host in an NFC device URL), a certificate that fails CA verification is still
 * accepted if its SHA-1 fingerprint matches, as govc does.
 */
export function createAgent(tlsSettings: TlsSettings, sslThumbprint?: string): Agent {
    const base = { ca: tlsSettings.ca, rejectUnauthorized: tlsSettings.rejectUnauthorized };
    if (!sslThumbprint || !tlsSettings.rejectUnauthorized) {
        return new Agent({ connect: base });
    }
    const expected = normaliseThumbprint(sslThumbprint);
    const connector = buildConnector({ ...base, rejectUnauthorized: false });
    return new Agent({
        connect: (options, callback) => {
            connector(options, (err, socket) => {
                if (err || !socket) {
                    callback(err ?? new Error("TLS connection failed"), null);
                    return;
                }
                const tlsSocket = socket as TLSSocket;
                if (tlsSocket.authorized) {
                    callback(null, tlsSocket);
                    return;
                }
                const mismatch = thumbprintMismatch(options.hostname, tlsSocket, expected);
                if (!mismatch) {
                    callback(null, tlsSocket);
                    return;
                }
                tlsSocket.destroy();
                callback(mismatch, null);
            });
        },
    });
}

/** The error for a peer whose certificate is unverified and whose SHA-1 thumbprint is not `expected`, or undefined if it matches. */
function thumbprintMismatch(hostname: string, tlsSocket: TLSSocket, expected: string): Error | undefined {
    const actual = normaliseThumbprint(tlsSocket.getPeerCertificate()?.fingerprint ?? "");
    if (actual !== "" && actual === expected) return undefined;
    const e = new Error(
        `TLS certificate of ${hostname} is not trusted (${String(tlsSocket.authorizationError)}) ` +
            `and its SHA-1 thumbprint ${actual} does not match the expected ${expected}`,
    ) as Error & { code?: string };
    e.code = "ERR_TLS_THUMBPRINT_MISMATCH";
    return e;
}

const TLS_CODES = new Set([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "ERR_TLS_THUMBPRINT_MISMATCH",
    "CERT_SIGNATURE_FAILURE",
    "CERT_UNTRUSTED",
]);

/** Wraps a network/TLS error with what was being done and, for certificate errors, the fix. */
export function transportError(what: string, url: string, err: unknown, tlsSettings: TlsSettings): Error {
    const e = err as Error & { code?: string; cause?: Error & { code?: string } };
    const code = e?.code ?? e?.cause?.code;
    const detail = e?.cause && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : e?.message ?? String(err);
    let hint = "";
    if (code && TLS_CODES.has(code)) {
        hint = tlsSettings.caFile
            ? ` (the certificate is not signed by a CA in ${tlsSettings.caFile})`
            : " (set caFile to the PEM of the CA that signed vCenter's certificate, or allowUnverifiedSsl: true to skip verification)";
    }
    const wrapped = new Error(`${what} ${url} failed: ${detail}${code ? ` [${code}]` : ""}${hint}`) as Error & { code?: string; cause?: unknown };
    wrapped.code = code;
    wrapped.cause = err;
    return wrapped;
}

// ---------------------------------------------------------------------------------------------
// SOAP envelope

export function moRefElement(name: string, ref: ManagedObjectRef): XmlElement {
    return el(name, ref.value, { type: ref.type });
}

export function toMoRef(e: XmlElement | undefined): ManagedObjectRef | undefined {
    if (!e || e.attrs.type === undefined) {
        return undefined;
    }
    return { type: e.attrs.type, value: text(e) };
}

/** `<soapenv:Envelope><soapenv:Body><Method xmlns="urn:vim25"><_this/>params...</Method></soapenv:Body></soapenv:Envelope>` */
export function buildRequest(method: string, thisRef: ManagedObjectRef, params: XmlElement[]): string {
    const call = el(method, [moRefElement("_this", thisRef), ...params], { xmlns: VIM25_NS });
    const envelope = el("soapenv:Envelope", [el("soapenv:Body", [call])], {
        "xmlns:soapenv": SOAPENV_NS,
        "xmlns:xsd": XSD_NS,
        "xmlns:xsi": XSI_NS,
    });
    return buildXml(envelope);
}

/** Decodes a SOAP response: the `returnval` elements of `<MethodResponse>`, or throws VsphereFault. */
export function parseResponse(method: string, status: number, body: string): XmlElement[] {
    let root: XmlElement;
    try {
        root = parseXml(body);
    } catch (e) {
        throw new Error(`vSphere ${method}: HTTP ${status}, response is not XML (${(e as Error).message}): ${body.slice(0, 200)}`);
    }
    const bodyEl = child(root, "Body");
    if (root.name !== "Envelope" || !bodyEl) {
        throw new Error(`vSphere ${method}: HTTP ${status}, response is not a SOAP envelope: ${body.slice(0, 200)}`);
    }
    const fault = child(bodyEl, "Fault");
    if (fault) {
        throw faultFromSoap(method, fault);
    }
    if (status !== 200) {
        throw new Error(`vSphere ${method}: HTTP ${status}: ${body.slice(0, 200)}`);
    }
    const response = children(bodyEl)[0];
    if (!response) {
        throw new Error(`vSphere ${method}: empty SOAP body`);
    }
    return children(response, "returnval");
}

function faultTypeOf(detailChild: XmlElement | undefined): string {
    if (!detailChild) {
        return "";
    }
    const t = xsiType(detailChild);
    if (t) {
        return t;
    }
    return detailChild.name.endsWith("Fault") ? detailChild.name.slice(0, -"Fault".length) : detailChild.name;
}

export function faultFromSoap(method: string, fault: XmlElement): VsphereFault {
    const faultString = text(child(fault, "faultstring")).trim();
    const detail = child(fault, "detail");
    const faultType = faultTypeOf(children(detail)[0]);
    const what = faultString || faultType || "unknown fault";
    const message = `vSphere ${method} failed: ${what}${faultType && faultType !== what ? ` (${faultType})` : ""}`;
    return new VsphereFault(message, { method, faultType, faultString, detail });
}

/** vim25 LocalizedMethodFault element -> { faultType, localizedMessage }. */
export function localizedFault(e: XmlElement | undefined): LocalizedFault | undefined {
    if (!e) {
        return undefined;
    }
    const fault = child(e, "fault");
    return {
        faultType: xsiType(fault) ?? fault?.name ?? "",
        localizedMessage: text(child(e, "localizedMessage")),
    };
}

// ---------------------------------------------------------------------------------------------
// Uploads

export interface UploadOptions {
    /** Default: POST for *.vmdk (stream-optimized disk), PUT otherwise (as govc's nfc.Lease.Upload). */
    method?: "POST" | "PUT";
    /** Default: application/x-vnd.vmware-streamVmdk for POST, application/octet-stream for PUT. */
    contentType?: string;
    /** Called as bytes go out (cumulative count). */
    onProgress?: (bytesSent: number) => void;
    /** SHA-1 thumbprint of the target host (HttpNfcLeaseDeviceUrl.sslThumbprint), for pinning. */
    sslThumbprint?: string;
    /** Session cookie to send (only sent when the URL's host is the vCenter host). */
    cookie?: string;
    signal?: AbortSignal;
    /** Milliseconds of inactivity (no response headers / body) before failing; default 0 (none). */
    timeoutMs?: number;
}

export interface UploadResult {
    statusCode: number;
    bytesSent: number;
}

/** Method and headers of an NFC upload, as govc's nfc.Lease.Upload sends them. */
function uploadRequest(url: string, size: number, opts: UploadOptions): { method: "POST" | "PUT"; headers: Record<string, string> } {
    if (!Number.isSafeInteger(size) || size < 0) {
        throw new Error(`upload to ${url}: invalid size ${size}`);
    }
    const method = opts.method ?? (/\.vmdk$/i.test(new URL(url).pathname) ? "POST" : "PUT");
    const headers: Record<string, string> = {
        "content-type": opts.contentType ?? (method === "POST" ? "application/x-vnd.vmware-streamVmdk" : "application/octet-stream"),
        "content-length": String(size),
    };
    if (method === "PUT") headers.overwrite = "t";
    if (opts.cookie) headers.cookie = opts.cookie;
    return { method, headers };
}

/**
 * Streams `size` bytes from `stream` to an NFC device URL with Content-Length (never buffers the
 * whole file). Throws on a non-2xx status, on a size mismatch and on transport/TLS errors.
 */
export async function uploadStream(
    url: string,
    stream: Readable,
    size: number,
    tlsSettings: TlsSettings,
    opts: UploadOptions = {},
): Promise<UploadResult> {
    const { method, headers } = uploadRequest(url, size, opts);
    let bytesSent = 0;
    const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
            bytesSent += chunk.length;
            opts.onProgress?.(bytesSent);
            cb(null, chunk);
        },
    });
    stream.on("error", (e) => counter.destroy(e));
    stream.pipe(counter);
    const agent = createAgent(tlsSettings, opts.sslThumbprint);
    try {
        let res;
        try {
            res = await request(url, {
                method,
                headers,
                body: counter,
                dispatcher: agent,
                signal: opts.signal,
                headersTimeout: opts.timeoutMs ?? 0,
                bodyTimeout: opts.timeoutMs ?? 0,
            });
        } catch (e) {
            const err = e as Error & { code?: string };
            if (err.code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH") {
                throw new Error(`upload to ${url}: the stream gave ${bytesSent} bytes but the size is ${size}`);
            }
            throw transportError(`upload (${method}) to`, url, e, tlsSettings);
        }
        const body = await res.body.text();
        if (res.statusCode < 200 || res.statusCode > 299) {
            throw new Error(`upload (${method}) to ${url} failed: HTTP ${res.statusCode}${body ? `: ${body.slice(0, 200)}` : ""}`);
        }
        if (bytesSent !== size) {
            throw new Error(`upload to ${url}: sent ${bytesSent} bytes but the size is ${size}`);
        }
        return { statusCode: res.statusCode, bytesSent };
    } finally {
        stream.unpipe(counter);
        await agent.close().catch(() => undefined);
    }
}

/** Bytes lent by the caller: `release()` is called once they have been written (or dropped). */
export interface UploadSegment {
    data: Buffer;
    release(): void;
}

/** Default for uploads: fail after this long without any progress on the connection. */
export const UPLOAD_IDLE_TIMEOUT_MS = 300_000;

/**
 * Uploads `size` bytes given as lent segments (the OVA reader's shared buffers) to an NFC device
 * URL, with Content-Length. Each segment is released only once the socket has taken it (the write
 * callback), so the caller may reuse the buffer: no copy of the disk is made here. Node's http(s)
 * client rather than undici, because only it reports when a written buffer is free again.
 * Nothing (not even the headers) is sent before the server's certificate is accepted (CA, or the
 * pinned thumbprint). If the segments fail (a digest mismatch) the request is destroyed, so the
 * server never receives the whole body. Throws on a non-2xx status, a size mismatch, no progress
 * for `timeoutMs` (default UPLOAD_IDLE_TIMEOUT_MS) and transport/TLS errors.
 */
export async function uploadSegments(
    url: string,
    segments: AsyncIterable<UploadSegment>,
    size: number,
    tlsSettings: TlsSettings,
    opts: UploadOptions = {},
): Promise<UploadResult> {
    const { method, headers } = uploadRequest(url, size, opts);
    const target = new URL(url);
    const isHttps = target.protocol === "https:";
    const pinned = Boolean(opts.sslThumbprint && tlsSettings.rejectUnauthorized);
    const timeoutMs = opts.timeoutMs || UPLOAD_IDLE_TIMEOUT_MS;
    const { request: send } = isHttps ? await import("https") : await import("http");
    const req = send({
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method,
        headers,
        agent: false,
        ...(isHttps ? { ca: tlsSettings.ca, rejectUnauthorized: tlsSettings.rejectUnauthorized && !pinned } : {}),
    });
    let failure: Error | undefined;
    const failed = new Promise<never>((_, reject) => {
        req.once("error", (e) => reject((failure ??= transportError(`upload (${method}) to`, url, e, tlsSettings))));
    });
    failed.catch(() => undefined);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no progress for ${Math.round(timeoutMs / 1000)} s`)));
    opts.signal?.addEventListener("abort", () => req.destroy(new Error("aborted")), { once: true });
    const response = new Promise<import("http").IncomingMessage>((resolve) => req.once("response", resolve));
    response.catch(() => undefined);
    let answered: import("http").IncomingMessage | undefined;
    void response.then((res) => (answered = res));

    // Send nothing before the peer is accepted (with pinning, its thumbprint is checked here).
    const connected = new Promise<void>((resolve, reject) => {
        req.once("socket", (socket) => {
            if (!isHttps) {
                if ((socket as import("net").Socket).connecting) socket.once("connect", () => resolve());
                else resolve();
                return;
            }
            const tlsSocket = socket as TLSSocket;
            tlsSocket.once("secureConnect", () => {
                const mismatch = pinned && !tlsSocket.authorized ? thumbprintMismatch(target.hostname, tlsSocket, normaliseThumbprint(opts.sslThumbprint!)) : undefined;
                if (mismatch) {
                    req.destroy(mismatch);
                    reject(mismatch);
                    return;
                }
                resolve();
            });
        });
    });
    let bytesSent = 0;
    const iterator = segments[Symbol.asyncIterator]();
    try {
        await Promise.race([connected, failed]);
        for (;;) {
            const next = await Promise.race([iterator.next(), failed]);
            if (next.done) break;
            const segment = next.value;
            if (failure) {
                segment.release();
                throw failure;
            }
            bytesSent += segment.data.length;
            if (bytesSent > size) {
                segment.release();
                throw new Error(`upload to ${url}: the source gave more than the ${size} bytes announced`);
            }
            req.write(segment.data, () => segment.release());
            opts.onProgress?.(bytesSent);
            if (req.writableNeedDrain) {
                // A server that answers and closes the connection (vcsim does, once it has the last
                // byte) can do so before Node reports the drain, which then never comes: stop waiting.
                await Promise.race([new Promise((resolve) => req.once("drain", resolve)), failed, response]);
            }
            if (answered && bytesSent < size) {
                throw new Error(`upload (${method}) to ${url}: the server answered HTTP ${answered.statusCode} after ${bytesSent} of ${size} bytes, before the upload was complete`);
            }
        }
        if (bytesSent !== size) {
            throw new Error(`upload to ${url}: the source gave ${bytesSent} bytes but the size is ${size}`);
        }
        req.end();
        const res = await Promise.race([response, failed]);
        const chunks: Buffer[] = [];
        let kept = 0;
        for await (const c of res as AsyncIterable<Buffer>) {
            if (kept < 4096) chunks.push(c);
            kept += c.length;
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
            const body = Buffer.concat(chunks).toString("utf8").slice(0, 200);
            throw new Error(`upload (${method}) to ${url} failed: HTTP ${status}${body ? `: ${body}` : ""}`);
        }
        return { statusCode: status, bytesSent };
    } catch (e) {
        req.destroy();
        await iterator.return?.().catch(() => undefined);
        throw e;
    }
}
