/**
 * A streaming OVA reader: the OVA (a tar of an OVF descriptor, usually a manifest, and
 * streamOptimized disks, gigabytes in all) is read once, front to back, and never held in memory.
 *
 * - The whole byte stream is hashed with SHA-256 as it flows (compared with `expectedSha256`).
 * - The descriptor (`*.ovf`, must come before the disks, as the OVF spec requires) is read fully
 *   (capped at 16 MiB) and summarised by `parseOvfDescriptor`.
 * - Every entry listed in the manifest (`*.mf`, before or after the disks) is hashed with the
 *   manifest's algorithm while it streams and compared with the manifest.
 * - Each other entry (the disks) is handed to the caller as a `Readable`, in tar order, one at a
 *   time, to be uploaded (HttpNfcLease) as it is read.
 *
 * How the importer uses it (the digest check cannot be missed):
 *
 * ```ts
 * const ova = await openOva(source, { expectedSha256 });
 * try {
 *   // ... CreateImportSpec(ova.descriptorXml), ImportVApp, wait for the lease ...
 *   for await (const file of ova.files()) {
 *     const url = deviceUrlFor(file.name);          // lease.info.deviceUrl[].importKey <-> fileItem.path
 *     await pipeline(file.stream, uploadBody(url)); // or pass file.stream as the request body
 *     const check = await file.verified;            // rejects with OvaIntegrityError on mismatch
 *   }
 *   await ova.finish();                             // ALWAYS before HttpNfcLeaseComplete
 *   // ... HttpNfcLeaseComplete ...
 * } catch (e) {
 *   ova.abort(e as Error);                          // closes the file / connection
 *   // ... HttpNfcLeaseAbort ...
 *   throw e;
 * }
 * ```
 *
 * - When the manifest came before a disk, a digest mismatch of that disk surfaces at the end of
 *   that disk's stream: the stream's last chunk is withheld until the digest has been compared, and
 *   on a mismatch the stream errors instead of ending (so an upload fed from it can never send all
 *   its bytes), `file.verified` rejects, and moving on in `files()` throws.
 * - When the manifest comes after the disks, `file.verified` resolves with `status: "deferred"`
 *   and the comparison happens when the manifest is reached, i.e. in `files()` when moving on, or
 *   in `finish()`. This is why `finish()` must succeed before the lease is completed.
 * - `finish()` reads the rest of the OVA, and throws if any check failed: a digest mismatch, a
 *   file listed in the manifest but absent, a file present but not listed, no manifest when one is
 *   required, a file of the descriptor's References absent, a whole-file SHA-256 different from
 *   `expectedSha256`, a truncated download.
 * - Any failure aborts the reader (the source is closed); every later call throws that failure.
 */
import { createHash, Hash } from "crypto";
import { Readable } from "stream";
import * as tar from "tar-stream";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { openOvaSource, OvaSourceOptions, redactSource } from "./ovaSource";

export type DigestAlgorithm = "sha1" | "sha256" | "sha512";

const ALL_ALGORITHMS: DigestAlgorithm[] = ["sha1", "sha256", "sha512"];
const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha1: 40, sha256: 64, sha512: 128 };

/** Largest descriptor read into memory. */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;
/** Largest manifest or certificate read into memory. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A digest that differs from the one expected (a manifest line, or `expectedSha256` for the whole OVA). */
export class OvaIntegrityError extends Error {
    constructor(
        message: string,
        /** The entry of the OVA whose digest differs, or the OVA source itself for the whole-file check. */
        readonly file: string,
        readonly algorithm: DigestAlgorithm,
        readonly expected: string,
        readonly actual: string,
    ) {
        super(message);
        this.name = "OvaIntegrityError";
    }
}

/** An OVA that is not well formed: bad entry names, missing or unlisted files, no manifest, bad descriptor. */
export class OvaFormatError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "OvaFormatError";
    }
}

// ---------------------------------------------------------------------------------------------
// Manifest

export interface OvaManifestEntry {
    algorithm: DigestAlgorithm;
    /** Lower-case hex. */
    digest: string;
}

const MANIFEST_LINE = /^(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9A-Fa-f]+)$/i;

/**
 * Parses an OVF manifest: lines `SHA256(name)= hex` (also `SHA1`, `SHA512`, and the
 * `SHA256 (name) = hex` spacing). Blank lines are ignored; anything else is an error naming the line.
 */
export function parseOvaManifest(text: string, manifestName = "manifest"): Map<string, OvaManifestEntry> {
    const out = new Map<string, OvaManifestEntry>();
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    lines.forEach((raw, i) => {
        const line = raw.trim();
        if (line === "") return;
        const m = MANIFEST_LINE.exec(line);
        if (!m) {
            throw new OvaFormatError(
                `${manifestName} line ${i + 1}: expected "SHA256(<file>)= <hex>" (or SHA1/SHA512), got ${JSON.stringify(line.slice(0, 200))}`,
            );
        }
        const algorithm = m[1].toLowerCase() as DigestAlgorithm;
        const name = m[2].trim();
        const digest = m[3].toLowerCase();
        if (digest.length !== HEX_LENGTH[algorithm]) {
            throw new OvaFormatError(
                `${manifestName} line ${i + 1}: a ${m[1].toUpperCase()} digest has ${HEX_LENGTH[algorithm]} hex digits, ${name} has ${digest.length}`,
            );
        }
        if (out.has(name)) throw new OvaFormatError(`${manifestName} line ${i + 1}: ${name} is listed twice`);
        out.set(name, { algorithm, digest });
    });
    return out;
}

// ---------------------------------------------------------------------------------------------
// Descriptor

export interface OvfFileRef {
    /** `ovf:id` of the File element. */
    id: string;
    /** `ovf:href`: the entry name inside the OVA. */
    href: string;
    /** `ovf:size` in bytes, when given. */
    size?: number;
}

export interface OvfDisk {
    diskId: string;
    /** The `id` of the referenced File; absent for an empty disk. */
    fileRef?: string;
    /** `ovf:capacity` as written (a number, or a `${property}` reference). */
    capacity: string;
    /** `ovf:capacityAllocationUnits`, default `byte`. */
    capacityAllocationUnits: string;
    /** Capacity in bytes, when `capacity` is numeric and the units are `byte * 2^N` / `byte * 10^N` / `byte`. */
    capacityBytes?: number;
    format: string;
}

export interface OvfProperty {
    key: string;
    value?: string;
    type?: string;
    userConfigurable?: boolean;
}

export interface OvfProductSection {
    product?: string;
    version?: string;
    properties: OvfProperty[];
}

export interface OvfDescriptorSummary {
    files: OvfFileRef[];
    disks: OvfDisk[];
    /** NetworkSection network names (what a NetworkMapping of the import spec maps). */
    networks: string[];
    /** The VirtualSystem's Name (or its `ovf:id`). */
    virtualSystemName: string;
    /** The first ProductSection of the VirtualSystem (or of the Envelope), if any. */
    productSection?: OvfProductSection;
}

const ARRAY_TAGS = new Set(["File", "Disk", "Network", "Property", "ProductSection", "VirtualSystem", "Category"]);

type XmlNode = Record<string, unknown>;

function asArray<T>(v: T | T[] | undefined): T[] {
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function textOf(v: unknown): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
    if (Array.isArray(v)) return textOf(v[0]);
    if (typeof v === "object") {
        const t = (v as XmlNode)["#text"];
        return t === undefined ? "" : String(t);
    }
    return undefined;
}

function attr(node: XmlNode, name: string): string | undefined {
    const v = node[`@_${name}`];
    return v === undefined ? undefined : String(v);
}

function allocationUnitsToBytes(units: string): number | undefined {
    const u = units.replace(/\s+/g, "").toLowerCase();
    if (u === "byte" || u === "bytes") return 1;
    const m = /^bytes?\*(\d+)\^(\d+)$/.exec(u);
    if (!m) return undefined;
    return Math.pow(Number(m[1]), Number(m[2]));
}

/**
 * Summarises an OVF descriptor. Throws (naming `descriptorName`) when the XML is malformed, has no
 * `Envelope`, or a Disk references a File that the References section lacks.
 */
export function parseOvfDescriptor(xml: string, descriptorName = "OVF descriptor"): OvfDescriptorSummary {
    const valid = XMLValidator.validate(xml);
    if (valid !== true) {
        const e = valid.err;
        throw new OvaFormatError(`${descriptorName}: not well-formed XML (line ${e.line}, column ${e.col}: ${e.msg})`);
    }
    const parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "@_",
        removeNSPrefix: true,
        parseTagValue: false,
        parseAttributeValue: false,
        trimValues: true,
        isArray: (tagName, _jpath, _leaf, isAttribute) => !isAttribute && ARRAY_TAGS.has(tagName),
    });
    const doc = parser.parse(xml) as XmlNode;
    const env = doc["Envelope"] as XmlNode | undefined;
    if (!env || typeof env !== "object") {
        throw new OvaFormatError(`${descriptorName}: not an OVF descriptor (no Envelope element)`);
    }

    const refs = (env["References"] ?? {}) as XmlNode;
    const files: OvfFileRef[] = asArray(refs["File"] as XmlNode[]).map((f, i) => {
        const id = attr(f, "id");
        const href = attr(f, "href");
        if (!id || !href) throw new OvaFormatError(`${descriptorName}: References/File #${i + 1} lacks ovf:id or ovf:href`);
        const sizeAttr = attr(f, "size");
        const size = sizeAttr !== undefined && /^\d+$/.test(sizeAttr) ? Number(sizeAttr) : undefined;
        return size === undefined ? { id, href } : { id, href, size };
    });
    const fileIds = new Set(files.map((f) => f.id));

    const diskSection = (env["DiskSection"] ?? {}) as XmlNode;
    const disks: OvfDisk[] = asArray(diskSection["Disk"] as XmlNode[]).map((d, i) => {
        const diskId = attr(d, "diskId");
        const capacity = attr(d, "capacity");
        if (!diskId || capacity === undefined) {
            throw new OvaFormatError(`${descriptorName}: DiskSection/Disk #${i + 1} lacks ovf:diskId or ovf:capacity`);
        }
        const fileRef = attr(d, "fileRef");
        if (fileRef !== undefined && !fileIds.has(fileRef)) {
            throw new OvaFormatError(`${descriptorName}: disk ${diskId} references file id "${fileRef}", which References does not list`);
        }
        const capacityAllocationUnits = attr(d, "capacityAllocationUnits") ?? "byte";
        const mult = allocationUnitsToBytes(capacityAllocationUnits);
        const disk: OvfDisk = { diskId, capacity, capacityAllocationUnits, format: attr(d, "format") ?? "" };
        if (fileRef !== undefined) disk.fileRef = fileRef;
        if (mult !== undefined && /^\d+$/.test(capacity)) disk.capacityBytes = Number(capacity) * mult;
        return disk;
    });

    const networkSection = (env["NetworkSection"] ?? {}) as XmlNode;
    const networks = asArray(networkSection["Network"] as XmlNode[])
        .map((n) => attr(n, "name"))
        .filter((n): n is string => n !== undefined);

    const vs = (asArray(env["VirtualSystem"] as XmlNode[])[0] ?? env["VirtualSystemCollection"]) as XmlNode | undefined;
    if (!vs || typeof vs !== "object") {
        throw new OvaFormatError(`${descriptorName}: no VirtualSystem (or VirtualSystemCollection) in the Envelope`);
    }
    const virtualSystemName = textOf(vs["Name"]) || attr(vs, "id") || "";

    const ps = (asArray(vs["ProductSection"] as XmlNode[])[0] ?? asArray(env["ProductSection"] as XmlNode[])[0]) as
        | XmlNode
        | undefined;
    let productSection: OvfProductSection | undefined;
    if (ps && typeof ps === "object") {
        productSection = {
            product: textOf(ps["Product"]),
            version: textOf(ps["Version"]),
            properties: asArray(ps["Property"] as XmlNode[]).map((p) => {
                const prop: OvfProperty = { key: attr(p, "key") ?? "" };
                const value = attr(p, "value");
                if (value !== undefined) prop.value = value;
                const type = attr(p, "type");
                if (type !== undefined) prop.type = type;
                const uc = attr(p, "userConfigurable");
                if (uc !== undefined) prop.userConfigurable = uc === "true";
                return prop;
            }),
        };
    }
    return { files, disks, networks, virtualSystemName, productSection };
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface OvaFileCheck {
    name: string;
    /**
     * `verified`: compared with the manifest, equal. `deferred`: the manifest has not been read yet
     * (it comes later in the tar, or there is none); `finish()` decides.
     */
    status: "verified" | "deferred";
    /** The manifest algorithm and the digest found, when `verified`. */
    algorithm?: DigestAlgorithm;
    digest?: string;
}

/** One disk (or other) entry of the OVA, to be consumed once, before asking `files()` for the next. */
export interface OvaFile {
    /** Entry name inside the OVA, the `ovf:href` of the descriptor's References (and `fileItem.path` of the import spec). */
    name: string;
    /** Size in bytes (from the tar header). */
    size: number;
    /**
     * The entry's bytes. Errors (instead of ending) on a digest mismatch when the manifest was read
     * before it; its last chunk is held back until the digest has been compared. Destroying it
     * before its end aborts the whole reader; to skip an entry, move on (it is drained and checked).
     */
    stream: Readable;
    /**
     * Settles once the entry has been read and compared (just before `stream` delivers its last
     * chunk, so it has settled by the time the stream ends); rejects with `OvaIntegrityError` on a
     * mismatch, or with the read error. Never an unhandled rejection: ignoring it is safe because
     * `finish()` throws the same failure.
     */
    verified: Promise<OvaFileCheck>;
}

export interface OvaFinishResult {
    /** SHA-256 (lower-case hex) of the whole OVA byte stream. */
    sha256: string;
    /** Bytes in the OVA. */
    bytes: number;
    /** Entries compared with the manifest, in tar order (empty without a manifest). */
    manifestChecked: string[];
    /** The manifest entry name, when there is one. */
    manifestName?: string;
}

export interface OvaReader {
    /** The OVA source as shown in messages (URL credentials removed). */
    readonly source: string;
    /** Total size in bytes when known (file size, Content-Length). */
    readonly size?: number;
    /**
     * Bytes read from the source so far (at most a few MiB ahead of what the caller consumed):
     * `bytesRead / size` is the percentage to report with HttpNfcLeaseProgress.
     */
    readonly bytesRead: number;
    readonly descriptorName: string;
    readonly descriptorXml: string;
    readonly descriptor: OvfDescriptorSummary;
    /** The entries other than the descriptor, the manifest and the certificate, in tar order. Iterate once. */
    files(): AsyncIterable<OvaFile>;
    /** Reads the rest of the OVA and runs every remaining check; throws if any check failed. */
    finish(): Promise<OvaFinishResult>;
    /** Gives up: closes the source. Idempotent; later calls throw `reason` (or an "aborted" error). */
    abort(reason?: Error): void;
}

export interface OpenOvaOptions extends OvaSourceOptions {
    /** SHA-256 (hex) the whole OVA must have; checked by `finish()`. Default: not checked. */
    expectedSha256?: string;
    /** Fail when the OVA has no manifest (`*.mf`). Default: true. */
    requireManifest?: boolean;
}

type Digests = Partial<Record<DigestAlgorithm, string>>;

// The parts of tar-stream 3's extract that are used here, typed locally (tar-stream ships its own
// index.d.ts over streamx, and @types/tar-stream describes another shape).
interface TarHeader {
    name: string;
    size?: number;
    type?: string | null;
}
interface TarEntry extends AsyncIterable<Buffer> {
    header: TarHeader;
}
interface TarExtract extends AsyncIterable<TarEntry> {
    write(chunk: Buffer): boolean;
    end(): void;
    destroy(err?: Error | null): void;
    readonly destroyed: boolean;
    readonly destroying: boolean;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
    once(event: string, listener: (...args: unknown[]) => void): unknown;
    removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

interface SeenEntry {
    name: string;
    size: number;
    /** Digests computed while streaming; undefined until the entry has been fully read. */
    digests?: Digests;
    checked: boolean;
}

interface CurrentFile {
    name: string;
    stream: Readable;
    /** Settles when the generator behind `stream` is done (never rejects). */
    done: Promise<void>;
}

function isExt(name: string, ext: string): boolean {
    return name.toLowerCase().endsWith(ext);
}

/**
 * Opens an OVA and reads up to and including its descriptor. Throws when the source cannot be
 * opened, the archive is not a tar, an entry name has a directory part or `..`, a disk comes before
 * the descriptor, or the descriptor is not OVF.
 */
export async function openOva(source: string, opts: OpenOvaOptions = {}): Promise<OvaReader> {
    let expected: string | undefined;
    if (opts.expectedSha256 !== undefined) {
        expected = opts.expectedSha256.trim().toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(expected)) {
            throw new Error(`expectedSha256 for OVA ${redactSource(source)} is not 64 hex digits: ${JSON.stringify(opts.expectedSha256)}`);
        }
    }
    const opened = await openOvaSource(source, opts);
    const reader = new StreamingOvaReader(opened.displayName, opened.stream, opened.size, expected, opts.requireManifest ?? true);
    try {
        await reader.init();
    } catch (e) {
        reader.abort(e as Error);
        throw e;
    }
    return reader;
}

class StreamingOvaReader implements OvaReader {
    descriptorName = "";
    descriptorXml = "";
    descriptor!: OvfDescriptorSummary;

    private readonly extract: TarExtract;
    private readonly entries: AsyncIterator<TarEntry>;
    private readonly wholeHash = createHash("sha256");
    private bytes = 0;
    private readonly pumpDone: Promise<void>;

    private readonly seen = new Map<string, SeenEntry>();
    private readonly order: string[] = [];
    private manifestName?: string;
    private manifest?: Map<string, OvaManifestEntry>;
    private readonly manifestChecked: string[] = [];

    private failure?: Error;
    private current?: CurrentFile;
    private entriesDone = false;
    private filesStarted = false;
    private busy = false;
    private finishPromise?: Promise<OvaFinishResult>;

    constructor(
        readonly source: string,
        private readonly input: Readable,
        readonly size: number | undefined,
        private readonly expectedSha256: string | undefined,
        private readonly requireManifest: boolean,
    ) {
        this.extract = tar.extract() as unknown as TarExtract;
        // The iterator registers the extract's error listener: create it before any byte flows.
        this.entries = this.extract[Symbol.asyncIterator]();
        this.extract.on("error", () => undefined);
        this.input.on("error", () => undefined);
        this.pumpDone = this.pump();
    }

    get bytesRead(): number {
        return this.bytes;
    }

    /** Copies the source into the tar parser, hashing every byte (one read, no second pass). */
    private async pump(): Promise<void> {
        const ex = this.extract;
        const gone = () => ex.destroyed || ex.destroying;
        try {
            for await (const chunk of this.input as AsyncIterable<Buffer>) {
                if (gone()) break;
                this.wholeHash.update(chunk);
                this.bytes += chunk.length;
                if (!ex.write(chunk)) {
                    await new Promise<void>((resolve) => {
                        const done = () => {
                            ex.removeListener("drain", done);
                            ex.removeListener("close", done);
                            resolve();
                        };
                        ex.once("drain", done);
                        ex.once("close", done);
                    });
                }
                if (gone()) break;
            }
            if (gone()) return;
            if (this.size !== undefined && this.bytes !== this.size) {
                throw new OvaFormatError(`OVA ${this.source}: read ${this.bytes} bytes, expected ${this.size} (truncated download?)`);
            }
            ex.end();
        } catch (e) {
            const err =
                e instanceof OvaFormatError
                    ? e
                    : new Error(`OVA ${this.source}: reading failed after ${this.bytes} bytes: ${(e as Error).message}`);
            this.fail(err);
        }
    }

    private fail(err: Error): Error {
        if (!this.failure) {
            this.failure = err;
            this.input.destroy();
            this.extract.destroy(err);
        }
        return this.failure;
    }

    private throwIfFailed(): void {
        if (this.failure) throw this.failure;
    }

    abort(reason?: Error): void {
        this.fail(reason ?? new Error(`OVA ${this.source}: reading was aborted`));
    }

    /** Next tar entry that is not the manifest or the certificate (those are handled here), or null at the end. */
    private async nextEntry(): Promise<TarEntry | null> {
        for (;;) {
            this.throwIfFailed();
            if (this.entriesDone) return null;
            let r: IteratorResult<TarEntry>;
            try {
                r = await this.entries.next();
            } catch (e) {
                throw this.fail(this.failure ?? this.wrapTarError(e as Error));
            }
            this.throwIfFailed();
            if (r.done) {
                this.entriesDone = true;
                return null;
            }
            const entry = r.value;
            const name = this.checkEntryName(entry.header);
            if (this.seen.has(name)) throw this.fail(new OvaFormatError(`OVA ${this.source}: entry ${name} appears twice`));
            if (isExt(name, ".mf")) {
                await this.readManifest(entry, name);
                continue;
            }
            if (isExt(name, ".cert")) {
                const buf = await this.readSmall(entry, name, MAX_MANIFEST_BYTES, "certificate");
                this.recordEntry(name, buf.length, digestsOf(buf, ALL_ALGORITHMS));
                continue;
            }
            return entry;
        }
    }

    private wrapTarError(e: Error): Error {
        return new OvaFormatError(`OVA ${this.source}: not a valid tar archive after ${this.bytes} bytes: ${e.message}`);
    }

    private checkEntryName(h: TarHeader): string {
        const name = h.name;
        if (h.type === "directory" || name.endsWith("/")) {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: entry "${name}" is a directory; an OVA holds plain files only`));
        }
        if (name === "" || name === "." || name === ".." || /[/\\]/.test(name) || name.includes("\0")) {
            const why = name.split(/[/\\]/).includes("..") || name === ".." ? "escapes the archive (..)" : "has a directory part";
            throw this.fail(new OvaFormatError(`OVA ${this.source}: entry name "${name}" ${why}; OVA entries must be plain file names`));
        }
        if (h.type && h.type !== "file" && h.type !== "contiguous-file") {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: entry ${name} is a ${h.type}; an OVA holds plain files only`));
        }
        return name;
    }

    private async readSmall(entry: TarEntry, name: string, cap: number, what: string): Promise<Buffer> {
        const size = entry.header.size ?? 0;
        if (size > cap) {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: the ${what} ${name} is ${size} bytes, more than the ${cap}-byte limit`));
        }
        const chunks: Buffer[] = [];
        try {
            for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        } catch (e) {
            throw this.fail(this.failure ?? this.wrapTarError(e as Error));
        }
        return Buffer.concat(chunks);
    }

    async init(): Promise<void> {
        const entry = await this.nextEntry();
        if (!entry) throw this.fail(new OvaFormatError(`OVA ${this.source}: no OVF descriptor (*.ovf) in the archive`));
        const name = entry.header.name;
        if (!isExt(name, ".ovf")) {
            throw this.fail(
                new OvaFormatError(`OVA ${this.source}: the first entry is ${name}; the OVF descriptor (*.ovf) must come before the disks`),
            );
        }
        const buf = await this.readSmall(entry, name, MAX_DESCRIPTOR_BYTES, "descriptor");
        this.descriptorName = name;
        this.descriptorXml = buf.toString("utf8").replace(/^\uFEFF/, "");
        try {
            this.descriptor = parseOvfDescriptor(this.descriptorXml, `OVA ${this.source}: descriptor ${name}`);
        } catch (e) {
            throw this.fail(e as Error);
        }
        this.recordEntry(name, buf.length, digestsOf(buf, ALL_ALGORITHMS));
        this.throwIfFailed();
    }

    private async readManifest(entry: TarEntry, name: string): Promise<void> {
        if (this.manifest) {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: two manifests, ${this.manifestName} and ${name}`));
        }
        const buf = await this.readSmall(entry, name, MAX_MANIFEST_BYTES, "manifest");
        let parsed: Map<string, OvaManifestEntry>;
        try {
            parsed = parseOvaManifest(buf.toString("utf8"), `OVA ${this.source}: manifest ${name}`);
        } catch (e) {
            throw this.fail(e as Error);
        }
        this.manifest = parsed;
        this.manifestName = name;
        this.seen.set(name, { name, size: buf.length, checked: true });
        this.order.push(name);
        // The manifest came after some entries: compare what they hashed to while streaming.
        for (const n of this.order) {
            const s = this.seen.get(n)!;
            if (n !== name && !s.checked && s.digests) this.check(s);
        }
        this.throwIfFailed();
    }

    /** Records a fully read entry and, when the manifest is known, compares it. */
    private recordEntry(name: string, size: number, digests: Digests): SeenEntry {
        let s = this.seen.get(name);
        if (!s) {
            s = { name, size, checked: false };
            this.seen.set(name, s);
            this.order.push(name);
        }
        s.size = size;
        s.digests = digests;
        if (this.manifest) this.check(s);
        return s;
    }

    /** Compares an entry with the manifest; records and returns the failure, if any. */
    private check(s: SeenEntry): Error | undefined {
        const m = this.manifest!;
        const want = m.get(s.name);
        if (!want) {
            // The certificate signs the manifest; it is not listed in it.
            if (isExt(s.name, ".cert")) {
                s.checked = true;
                return undefined;
            }
            return this.fail(
                new OvaFormatError(`OVA ${this.source}: ${s.name} is in the archive but not listed in the manifest ${this.manifestName}`),
            );
        }
        const actual = s.digests?.[want.algorithm];
        if (actual === undefined) {
            return this.fail(new Error(`OVA ${this.source}: internal error: no ${want.algorithm} digest computed for ${s.name}`));
        }
        s.checked = true;
        if (actual !== want.digest) {
            return this.fail(
                new OvaIntegrityError(
                    `OVA ${this.source}: ${want.algorithm.toUpperCase()} digest mismatch for ${s.name}: ` +
                        `the manifest ${this.manifestName} expects ${want.digest}, the archive has ${actual}`,
                    s.name,
                    want.algorithm,
                    want.digest,
                    actual,
                ),
            );
        }
        this.manifestChecked.push(s.name);
        return undefined;
    }

    /**
     * Algorithms to compute for an entry about to stream. Manifest already read: the one it lists
     * (an unlisted entry is an error right away). Manifest not read yet (it comes last in this
     * OVA): all of SHA-1, SHA-256 and SHA-512, since the algorithm is not known until the manifest
     * arrives; only 40 to 128 hex digits are kept per entry.
     */
    private algorithmsFor(name: string): DigestAlgorithm[] {
        if (!this.manifest) return ALL_ALGORITHMS;
        const want = this.manifest.get(name);
        if (!want) {
            throw this.fail(
                new OvaFormatError(`OVA ${this.source}: ${name} is in the archive but not listed in the manifest ${this.manifestName}`),
            );
        }
        return [want.algorithm];
    }

    private startFile(entry: TarEntry): OvaFile {
        const name = entry.header.name;
        const size = entry.header.size ?? 0;
        if (isExt(name, ".ovf")) {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: a second descriptor ${name} (the first is ${this.descriptorName})`));
        }
        const algorithms = this.algorithmsFor(name);
        const hashers = algorithms.map((a) => [a, createHash(a)] as [DigestAlgorithm, Hash]);
        let settle!: { resolve(c: OvaFileCheck): void; reject(e: Error): void };
        const verified = new Promise<OvaFileCheck>((resolve, reject) => (settle = { resolve, reject }));
        verified.catch(() => undefined); // the failure is also recorded; finish() throws it
        const self = this;

        async function* chunks(): AsyncGenerator<Buffer> {
            let held: Buffer | undefined;
            let got = 0;
            let complete = false;
            let atYield = false; // an error thrown in at a yield comes from the consumer (stream destroyed with an error)
            try {
                for await (const c of entry as AsyncIterable<Buffer>) {
                    for (const [, h] of hashers) h.update(c);
                    got += c.length;
                    if (held) {
                        atYield = true;
                        yield held;
                        atYield = false;
                    }
                    held = c;
                }
                complete = true;
                const digests: Digests = {};
                for (const [a, h] of hashers) digests[a] = h.digest("hex");
                const s = self.recordEntry(name, got, digests);
                self.throwIfFailed();
                const want = self.manifest?.get(name);
                settle.resolve(
                    s.checked && want
                        ? { name, status: "verified", algorithm: want.algorithm, digest: want.digest }
                        : { name, status: "deferred" },
                );
                if (held) yield held;
            } catch (e) {
                let err: Error;
                if (self.failure) err = self.failure;
                else if (atYield) {
                    err = self.fail(
                        new Error(
                            `OVA ${self.source}: the stream of ${name} was destroyed after ${got} of ${size} bytes ` +
                                `(${(e as Error).message}); reading is aborted`,
                        ),
                    );
                } else err = self.fail(complete ? (e as Error) : self.wrapTarError(e as Error));
                settle.reject(err);
                throw err;
            } finally {
                if (!complete && !self.failure) {
                    const err = self.fail(
                        new Error(`OVA ${self.source}: the stream of ${name} was closed after ${got} of ${size} bytes; reading is aborted`),
                    );
                    settle.reject(err);
                }
            }
        }

        const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: 64 * 1024 });
        stream.on("error", () => undefined); // surfaced through `verified`, files() and finish()
        const done = new Promise<void>((resolve) => {
            let n = 0;
            const once = () => {
                if (++n === 1) resolve();
            };
            stream.once("close", once);
            stream.once("end", once);
            stream.once("error", once);
        });
        this.current = { name, stream, done };
        return { name, size, stream, verified };
    }

    /** Makes sure the file handed out last has been read to its end (draining it if the caller did not). */
    private async settleCurrent(): Promise<void> {
        const cur = this.current;
        if (!cur) return;
        if (!cur.stream.readableEnded && !cur.stream.destroyed) cur.stream.resume();
        await cur.done;
        this.current = undefined;
    }

    private async drainEntry(entry: TarEntry): Promise<void> {
        const name = entry.header.name;
        if (isExt(name, ".ovf")) {
            throw this.fail(new OvaFormatError(`OVA ${this.source}: a second descriptor ${name} (the first is ${this.descriptorName})`));
        }
        const algorithms = this.algorithmsFor(name);
        const hashers = algorithms.map((a) => [a, createHash(a)] as [DigestAlgorithm, Hash]);
        let got = 0;
        try {
            for await (const c of entry as AsyncIterable<Buffer>) {
                for (const [, h] of hashers) h.update(c);
                got += c.length;
            }
        } catch (e) {
            throw this.fail(this.failure ?? this.wrapTarError(e as Error));
        }
        const digests: Digests = {};
        for (const [a, h] of hashers) digests[a] = h.digest("hex");
        this.recordEntry(name, got, digests);
        this.throwIfFailed();
    }

    private enter(what: string): void {
        if (this.busy) throw new Error(`OVA ${this.source}: ${what} called while the reader is busy (files() and finish() must not run concurrently)`);
        this.busy = true;
    }

    files(): AsyncIterable<OvaFile> {
        if (this.filesStarted) throw new Error(`OVA ${this.source}: files() can be iterated only once`);
        this.filesStarted = true;
        const self = this;
        async function* gen(): AsyncGenerator<OvaFile> {
            for (;;) {
                self.enter("files()");
                let file: OvaFile | undefined;
                try {
                    await self.settleCurrent();
                    self.throwIfFailed();
                    const entry = await self.nextEntry();
                    if (entry) file = self.startFile(entry);
                } finally {
                    self.busy = false;
                }
                if (!file) return;
                yield file;
            }
        }
        return gen();
    }

    finish(): Promise<OvaFinishResult> {
        if (!this.finishPromise) {
            this.finishPromise = this.doFinish();
            this.finishPromise.catch(() => undefined);
        }
        return this.finishPromise;
    }

    private async doFinish(): Promise<OvaFinishResult> {
        this.enter("finish()");
        try {
            await this.settleCurrent();
            for (;;) {
                const entry = await this.nextEntry();
                if (!entry) break;
                await this.drainEntry(entry);
            }
            await this.pumpDone;
            this.throwIfFailed();

            if (this.manifest) {
                for (const name of this.manifest.keys()) {
                    if (!this.seen.has(name)) {
                        throw this.fail(
                            new OvaFormatError(`OVA ${this.source}: ${name} is listed in the manifest ${this.manifestName} but missing from the archive`),
                        );
                    }
                }
            } else if (this.requireManifest) {
                throw this.fail(
                    new OvaFormatError(
                        `OVA ${this.source}: no manifest (*.mf) in the archive, so its files cannot be verified (set requireManifest: false to accept it)`,
                    ),
                );
            }
            for (const f of this.descriptor.files) {
                if (!this.seen.has(f.href)) {
                    throw this.fail(
                        new OvaFormatError(
                            `OVA ${this.source}: the descriptor ${this.descriptorName} references ${f.href} (file id ${f.id}), which the archive lacks`,
                        ),
                    );
                }
            }
            const sha256 = this.wholeHash.digest("hex");
            if (this.expectedSha256 !== undefined && sha256 !== this.expectedSha256) {
                throw this.fail(
                    new OvaIntegrityError(
                        `OVA ${this.source}: SHA-256 mismatch for the whole file: expected ${this.expectedSha256}, actual ${sha256}`,
                        this.source,
                        "sha256",
                        this.expectedSha256,
                        sha256,
                    ),
                );
            }
            const result: OvaFinishResult = { sha256, bytes: this.bytes, manifestChecked: [...this.manifestChecked] };
            if (this.manifestName) result.manifestName = this.manifestName;
            return result;
        } catch (e) {
            throw this.fail(e as Error);
        } finally {
            this.busy = false;
        }
    }
}

function digestsOf(buf: Buffer, algorithms: DigestAlgorithm[]): Digests {
    const d: Digests = {};
    for (const a of algorithms) d[a] = createHash(a).update(buf).digest("hex");
    return d;
}
