/**
 * A streaming OVA reader: the OVA (a tar of an OVF descriptor, usually a manifest, and
 * streamOptimized disks, gigabytes in all) is read once, front to back, into a few reused shared
 * buffers, and never held in memory.
 *
 * - The whole byte stream is hashed with SHA-256 on a worker thread as the tar framing takes it
 *   (compared with `expectedSha256`), and each entry's bytes, in the same update, with the
 *   manifest's algorithm, from the same buffers, while the caller uploads those same bytes: one
 *   read, no copy. Two SHA-256 digests over the same disk bytes take one SHA-NI pass when the
 *   native module is built, else two OpenSSL passes on two threads side by side (./hashThread).
 * - A local OVA's tar headers are walked first (a few reads at offsets), so that everything that can
 *   be checked without reading the disks is checked before anything is created on vCenter: entry
 *   names and types, every file the descriptor references present with its `ovf:size`, chunked files
 *   complete, the manifest listing every entry. The same checks run again while streaming (and are
 *   the only ones for an http(s) source, before any byte of the entry concerned is handed out).
 * - The descriptor (`*.ovf`, must come first, as the OVF spec requires) is read fully (capped at
 *   16 MiB) and summarised by `parseOvfDescriptor`, which refuses what cannot become one VM template
 *   (a VirtualSystemCollection, OVF 0.9).
 * - Each file the descriptor references is handed to the caller once, in tar order, a chunked file
 *   (`ovf:chunkSize`, entries `<href>.000000000`, `.000000001`, ...) as one file.
 *
 * How the importer uses it (the digest checks cannot be missed):
 *
 * ```ts
 * const ova = await openOva(source, { expectedSha256 });
 * try {
 *   // ... CreateImportSpec(ova.descriptorXml), ImportVApp, wait for the lease ...
 *   for await (const file of ova.files()) {
 *     await upload(url, file.segments(), file.size);  // each segment released once written
 *     await file.verified;                            // rejects with OvaIntegrityError on mismatch
 *   }
 *   await ova.finish();                               // ALWAYS before HttpNfcLeaseComplete
 * } catch (e) {
 *   ova.abort(e as Error);                            // closes the file / connection
 *   // ... HttpNfcLeaseAbort ...
 * }
 * ```
 *
 * - When the manifest is known before a file (it came first, or a local OVA's headers were walked),
 *   a digest mismatch surfaces before the last bytes of that entry are handed out: an upload fed
 *   from it can never send all its bytes, `file.verified` rejects, and moving on throws.
 * - Otherwise (an http(s) source whose manifest comes last) `file.verified` resolves `deferred` and
 *   the comparison happens when the manifest is reached; this is why `finish()` must succeed
 *   before the lease is completed.
 * - Every error names the OVA and the entry (or the descriptor) concerned. Any failure aborts the
 *   reader (the source is closed, the hashing threads stopped); every later call throws it.
 */
import { createHash } from "crypto";
import { Readable } from "stream";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { DigestThreads } from "./hashThread";
import { nativeSha256Path } from "./sha256Native";
import { openOvaSource, OvaByteSource, OvaSourceOptions, redactSource } from "./ovaSource";
import { decodeTarHeader, parsePaxRecords, TAR_BLOCK, TarHeader, tarPadding } from "./ovaTar";

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
    /** `ovf:href`: the entry name inside the OVA (may have directory parts, never `..`). */
    href: string;
    /** `ovf:size` in bytes, when given (the whole file's size when it is chunked). */
    size?: number;
    /** `ovf:chunkSize`: the file is stored as entries `<href>.000000000`, `.000000001`, ... of this size (the last one shorter). */
    chunkSize?: number;
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

/**
 * Sections the summary never reads, kept as raw text instead of being built into objects: a
 * multi-MB descriptor is nearly all of these (hardware items, EULAs, annotations), and building them
 * cost ~135 MB of memory for a 4 MB descriptor. vCenter still gets the whole descriptor.
 */
const UNREAD_SECTIONS = [
    "VirtualHardwareSection",
    "EulaSection",
    "AnnotationSection",
    "OperatingSystemSection",
    "StartupSection",
    "DeploymentOptionSection",
    "ResourceAllocationSection",
    "InstallSection",
    "Info",
    "Description",
    "Annotation",
].map((tag) => `*.${tag}`);

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
 * Why `name` cannot be an entry of an OVA, or undefined when it can: a relative path of plain
 * segments (`disk1.vmdk`, `disks/disk1.vmdk`), no `..`, `.`, empty segment, absolute path,
 * backslash, NUL or URL.
 */
export function unsafeEntryName(name: string): string | undefined {
    if (name === "") return "is empty";
    if (name.includes("\0")) return "contains a NUL character";
    if (name.includes("\\")) return "contains a backslash";
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(name)) return "is a URL (an OVA holds its files itself)";
    if (name.startsWith("/")) return "is an absolute path";
    const parts = name.split("/");
    if (parts.includes("..")) return "escapes the archive (..)";
    if (parts.some((p) => p === "" || p === ".")) return "has an empty or '.' path segment";
    return undefined;
}

const NON_NEGATIVE_INTEGER = /^\d+$/;

/**
 * Summarises an OVF descriptor. Throws OvaFormatError naming `descriptorName` when the XML is
 * malformed or too deeply nested, has no `Envelope`, is OVF 0.9, describes a vApp
 * (VirtualSystemCollection) or not exactly one VirtualSystem, references a file by an unsafe
 * name, a compressed file or a chunked one without `ovf:size`, or a Disk references a File that
 * the References section lacks.
 */
export function parseOvfDescriptor(xml: string, descriptorName = "OVF descriptor"): OvfDescriptorSummary {
    const fail = (message: string) => new OvaFormatError(`${descriptorName}: ${message}`);
    const valid = XMLValidator.validate(xml);
    if (valid !== true) {
        const e = valid.err;
        throw fail(`not well-formed XML (line ${e.line}, column ${e.col}: ${e.msg})`);
    }
    const parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "@_",
        removeNSPrefix: true,
        parseTagValue: false,
        parseAttributeValue: false,
        trimValues: true,
        stopNodes: UNREAD_SECTIONS,
        // No isArray callback: a repeated element becomes an array anyway and asArray() takes either
        // form; the callback cost ~40% of the parse of a descriptor with 30,000 properties.
    });
    let doc: XmlNode;
    try {
        doc = parser.parse(xml) as XmlNode;
    } catch (e) {
        const why = (e as Error).message;
        const hint = /nested/i.test(why) ? " (its elements nest deeper than the parser's limit of 100; no OVF descriptor needs that)" : "";
        throw fail(`cannot be parsed: ${why}${hint}`);
    }
    const env = doc["Envelope"] as XmlNode | undefined;
    if (!env || typeof env !== "object") {
        throw fail("not an OVF descriptor (no Envelope element)");
    }
    const version = attr(env, "version");
    if (env["Section"] !== undefined || env["Content"] !== undefined || (version !== undefined && version.startsWith("0."))) {
        throw fail(
            "is an OVF 0.9 descriptor (<Content xsi:type=...>, <Section xsi:type=...>), which this importer and vCenter's " +
                "OVF 1.x import do not read; convert it with VMware ovftool, which writes OVF 1.0: " +
                "`ovftool --lax <old>.ova <new>.ova`, then point ovaSource at the new OVA",
        );
    }
    if (env["VirtualSystemCollection"] !== undefined) {
        throw fail(
            "describes a vApp (VirtualSystemCollection); Palette clones one VM template, so import an OVA of a single " +
                "VirtualSystem (export the VM alone, not its vApp)",
        );
    }
    const systems = asArray(env["VirtualSystem"] as XmlNode[]);
    if (systems.length !== 1) {
        throw fail(systems.length === 0 ? "no VirtualSystem in the Envelope" : `${systems.length} VirtualSystems; a template is one VM`);
    }
    const vs = systems[0];

    const refs = (env["References"] ?? {}) as XmlNode;
    const files: OvfFileRef[] = asArray(refs["File"] as XmlNode[]).map((f, i) => {
        const id = attr(f, "id");
        const href = attr(f, "href");
        if (!id || !href) throw fail(`References/File #${i + 1} lacks ovf:id or ovf:href`);
        const unsafe = unsafeEntryName(href);
        if (unsafe) throw fail(`file ${id} has ovf:href "${href}", which ${unsafe}`);
        const ref: OvfFileRef = { id, href };
        const size = attr(f, "size");
        if (size !== undefined) {
            if (!NON_NEGATIVE_INTEGER.test(size)) throw fail(`ovf:size of ${href} is "${size}", not a number of bytes`);
            ref.size = Number(size);
        }
        const chunkSize = attr(f, "chunkSize");
        if (chunkSize !== undefined) {
            if (!NON_NEGATIVE_INTEGER.test(chunkSize) || Number(chunkSize) === 0) {
                throw fail(`ovf:chunkSize of ${href} is "${chunkSize}", not a positive number of bytes`);
            }
            if (ref.size === undefined) throw fail(`${href} is chunked (ovf:chunkSize) but has no ovf:size, so its chunks cannot be checked`);
            ref.chunkSize = Number(chunkSize);
        }
        const compression = attr(f, "compression");
        if (compression !== undefined && compression !== "identity") {
            throw fail(`${href} is compressed (ovf:compression="${compression}"); re-export the OVA without compression`);
        }
        return ref;
    });
    const fileIds = new Set(files.map((f) => f.id));
    const hrefs = new Set<string>();
    for (const f of files) {
        if (hrefs.has(f.href)) throw fail(`${f.href} is referenced by two File elements`);
        hrefs.add(f.href);
    }

    const diskSection = (env["DiskSection"] ?? {}) as XmlNode;
    const disks: OvfDisk[] = asArray(diskSection["Disk"] as XmlNode[]).map((d, i) => {
        const diskId = attr(d, "diskId");
        const capacity = attr(d, "capacity");
        if (!diskId || capacity === undefined) throw fail(`DiskSection/Disk #${i + 1} lacks ovf:diskId or ovf:capacity`);
        const fileRef = attr(d, "fileRef");
        if (fileRef !== undefined && !fileIds.has(fileRef)) {
            throw fail(`disk ${diskId} references file id "${fileRef}", which References does not list`);
        }
        const capacityAllocationUnits = attr(d, "capacityAllocationUnits") ?? "byte";
        const mult = allocationUnitsToBytes(capacityAllocationUnits);
        const disk: OvfDisk = { diskId, capacity, capacityAllocationUnits, format: attr(d, "format") ?? "" };
        if (fileRef !== undefined) disk.fileRef = fileRef;
        if (mult !== undefined && NON_NEGATIVE_INTEGER.test(capacity)) disk.capacityBytes = Number(capacity) * mult;
        return disk;
    });

    const networkSection = (env["NetworkSection"] ?? {}) as XmlNode;
    const networks = asArray(networkSection["Network"] as XmlNode[])
        .map((n) => attr(n, "name"))
        .filter((n): n is string => n !== undefined);

    const virtualSystemName = textOf(vs["Name"]) || attr(vs, "id") || "";
    const ps = (asArray(vs["ProductSection"] as XmlNode[])[0] ?? asArray(env["ProductSection"] as XmlNode[])[0]) as XmlNode | undefined;
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

/** `<href>.000000000`: the name of chunk `index` of a chunked file. */
export function chunkEntryName(href: string, index: number): string {
    return `${href}.${String(index).padStart(9, "0")}`;
}

/** The tar entries a File element stands for, with their sizes (one entry unless chunked). */
export function expectedEntries(f: OvfFileRef): { name: string; size?: number }[] {
    const { href, size, chunkSize } = f;
    if (chunkSize === undefined || size === undefined) return [{ name: href, size }];
    const count = Math.max(1, Math.ceil(size / chunkSize));
    return Array.from({ length: count }, (_, i) => ({
        name: chunkEntryName(href, i),
        size: i < count - 1 ? chunkSize : size - chunkSize * (count - 1),
    }));
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
    /** The manifest algorithm and the digest found, when `verified` (the last chunk's, for a chunked file). */
    algorithm?: DigestAlgorithm;
    digest?: string;
}

/** Bytes of the OVA on loan to the caller: valid until `release()`, which must be called once. */
export interface OvaSegment {
    data: Buffer;
    release(): void;
}

/** One file of the OVA (a disk, an ISO, an NVRAM file...), to be consumed once, before asking `files()` for the next. */
export interface OvaFile {
    /** The `ovf:href` of the descriptor's References (and `fileItem.path` of the import spec); the entry name for an unreferenced entry. */
    name: string;
    /** Size in bytes (of all chunks, for a chunked file). */
    size: number;
    /** The tar entries it is stored in: `[name]`, or its chunks in order. */
    entries: string[];
    /**
     * The bytes, without copies: each segment is a view of a shared read buffer, lent until its
     * `release()`. Errors (instead of ending) on a digest mismatch when the manifest is known; the
     * last segment of each entry is handed out only once its digest has been compared. Use this
     * or `stream`, once.
     */
    segments(): AsyncIterable<OvaSegment>;
    /** The same bytes as a Readable of copies (for consumers that keep chunks). Destroying it before its end aborts the reader. */
    readonly stream: Readable;
    /**
     * Settles once every entry of the file has been read and compared; rejects with
     * `OvaIntegrityError` on a mismatch, or with the read error. Never an unhandled rejection:
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
    /** Bytes read from the source so far (at most a few MiB ahead of what the caller consumed). */
    readonly bytesRead: number;
    readonly descriptorName: string;
    readonly descriptorXml: string;
    readonly descriptor: OvfDescriptorSummary;
    /** The files other than the descriptor, the manifest and the certificate, in tar order. Iterate once. */
    files(): AsyncIterable<OvaFile>;
    /** Reads the rest of the OVA and runs every remaining check; throws if any check failed. */
    finish(): Promise<OvaFinishResult>;
    /** Gives up: closes the source and stops the hashing threads. Idempotent; later calls throw `reason`. */
    abort(reason?: Error): void;
}

export interface OpenOvaOptions extends OvaSourceOptions {
    /** SHA-256 (hex) the whole OVA must have; checked by `finish()`. Default: not checked. */
    expectedSha256?: string;
    /** Fail when the OVA has no manifest (`*.mf`). Default: true. */
    requireManifest?: boolean;
}

type Digests = Partial<Record<DigestAlgorithm, string>>;

/** Read buffer size: a multiple of the tar block, so that no header straddles two buffers. */
const SLOT_BYTES = 1024 * 1024;
/** Read buffers in flight (read ahead, being hashed, being uploaded): 6 MiB (8 x 2 MiB measured no faster, 15 MiB more RSS). */
const SLOT_COUNT = 6;
/** Most entries a local OVA's header walk accepts (a real OVA has a handful). */
const MAX_ENTRIES = 10_000;
/** Largest pax or GNU long-name header body read. */
const MAX_EXTENDED_HEADER = 64 * 1024;

interface Slot {
    index: number;
    buf: Buffer;
    len: number;
    refs: number;
}

/** The shared read buffers: handed out for reading, back once every user released them. */
class SlotPool {
    readonly shared: SharedArrayBuffer[] = [];
    private readonly free: Slot[] = [];
    private readonly waiters: ((slot: Slot | undefined) => void)[] = [];
    private closed = false;

    constructor(count: number, bytes: number) {
        for (let i = 0; i < count; i++) {
            const sab = new SharedArrayBuffer(bytes);
            this.shared.push(sab);
            this.free.push({ index: i, buf: Buffer.from(sab), len: 0, refs: 0 });
        }
    }

    /** A free buffer, or undefined once closed. */
    acquire(): Promise<Slot | undefined> {
        if (this.closed) return Promise.resolve(undefined);
        const slot = this.free.pop();
        if (slot) return Promise.resolve(slot);
        return new Promise((resolve) => this.waiters.push(resolve));
    }

    release(slot: Slot): void {
        if (--slot.refs > 0) return;
        const waiter = this.waiters.shift();
        if (waiter) waiter(slot);
        else this.free.push(slot);
    }

    close(): void {
        this.closed = true;
        for (const w of this.waiters.splice(0)) w(undefined);
    }
}

/** Filled buffers, in order, from the reading loop to the tar framing. */
class SlotQueue {
    private readonly items: Slot[] = [];
    private ended = false;
    private error?: Error;
    private waiter?: { resolve(s: Slot | null): void; reject(e: Error): void };

    push(slot: Slot): void {
        if (this.waiter) {
            const w = this.waiter;
            this.waiter = undefined;
            w.resolve(slot);
        } else this.items.push(slot);
    }

    end(): void {
        this.ended = true;
        this.wake();
    }

    fail(e: Error): void {
        this.error = e;
        this.wake();
    }

    private wake(): void {
        const w = this.waiter;
        if (!w) return;
        this.waiter = undefined;
        if (this.error) w.reject(this.error);
        else w.resolve(null);
    }

    next(): Promise<Slot | null> {
        if (this.error) return Promise.reject(this.error);
        const s = this.items.shift();
        if (s) return Promise.resolve(s);
        if (this.ended) return Promise.resolve(null);
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
    }
}

interface TarEntry {
    name: string;
    size: number;
}

interface IndexedEntry extends TarEntry {
    /** Offset of the entry's data in the OVA. */
    dataOffset: number;
}

interface SeenEntry {
    name: string;
    size: number;
    /** Digests computed while streaming; undefined until the entry has been fully read. */
    digests?: Digests;
    checked: boolean;
}

/** Where a tar entry belongs in the descriptor's References. */
interface EntryRole {
    file: OvfFileRef;
    /** Chunk index, for a chunked file. */
    chunk?: number;
    /** Expected size of this entry, when the descriptor says. */
    size?: number;
}

interface CurrentFile {
    name: string;
    generator: AsyncGenerator<OvaSegment>;
    started: boolean;
    complete: boolean;
    stream?: Readable;
}

function isExt(name: string, ext: string): boolean {
    return name.toLowerCase().endsWith(ext);
}

/**
 * Opens an OVA and reads up to and including its descriptor (and, for a local file, walks every
 * tar header and reads the manifest). Throws, naming the OVA and the entry, when the source cannot
 * be opened, the archive is not a tar, an entry name is unsafe or an entry is not a plain file, a
 * disk comes before the descriptor, the descriptor is refused (see parseOvfDescriptor), or (local
 * file) a referenced file is missing, its size differs from `ovf:size`, or the manifest and the
 * archive disagree on the entries.
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
    const reader = new StreamingOvaReader(opened, expected, opts.requireManifest ?? true);
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
    readonly source: string;
    readonly size?: number;

    private readonly pool = new SlotPool(SLOT_COUNT, SLOT_BYTES);
    private readonly filled = new SlotQueue();
    /** Hashes every byte the framing takes into the whole-file SHA-256, and an entry's bytes also into its manifest digest. */
    private readonly digests: DigestThreads;
    private readonly wholeHashId: number;
    private bytes = 0;
    private pumpDone!: Promise<void>;

    // Tar framing
    private slot?: Slot;
    private pos = 0;
    /** Archive offset of the next byte the framing reads. */
    private offset = 0;
    private archiveEnded = false;
    /** The entry whose header the framing read last: named by errors of the source itself (a download that breaks). */
    private readingEntry?: string;

    /** A local OVA's entries from the header walk, checked against what the streaming pass meets. */
    private index?: IndexedEntry[];
    private indexPosition = 0;
    private prescannedManifest?: Buffer;
    private roles = new Map<string, EntryRole>();

    private readonly seen = new Map<string, SeenEntry>();
    private readonly order: string[] = [];
    private manifestName?: string;
    private manifest?: Map<string, OvaManifestEntry>;
    private readonly manifestChecked: string[] = [];

    private failure?: Error;
    private current?: CurrentFile;
    private filesStarted = false;
    private busy = false;
    private finishPromise?: Promise<OvaFinishResult>;

    constructor(
        private readonly input: OvaByteSource,
        private readonly expectedSha256: string | undefined,
        private readonly requireManifest: boolean,
    ) {
        this.source = input.displayName;
        this.size = input.size;
        const onThreadError = (e: Error) => this.fail(new Error(`OVA ${this.source}: ${e.message}`));
        this.digests = new DigestThreads(this.pool.shared, onThreadError, nativeSha256Path());
        this.wholeHashId = this.digests.begin(["sha256"], "whole");
    }

    get bytesRead(): number {
        return this.bytes;
    }

    private formatError(entry: string | undefined, message: string): OvaFormatError {
        return new OvaFormatError(`OVA ${this.source}: ${entry ? `${entry}: ` : ""}${message}`);
    }

    private fail(err: Error): Error {
        if (!this.failure) {
            this.failure = err;
            this.pool.close();
            this.filled.fail(err);
            void this.input.close();
            void this.digests.stop();
        }
        return this.failure;
    }

    private throwIfFailed(): void {
        if (this.failure) throw this.failure;
    }

    abort(reason?: Error): void {
        this.fail(reason ?? new Error(`OVA ${this.source}: reading was aborted`));
    }

    // --- reading ---------------------------------------------------------------------------------

    /** Fills free buffers from the source, in order, and hashes each one whole (one read of every byte). */
    private async pump(): Promise<void> {
        try {
            for (;;) {
                const slot = await this.pool.acquire();
                if (!slot || this.failure) return;
                const n = await this.input.fill(slot.buf);
                if (this.failure) return;
                if (n === 0) {
                    slot.refs = 1;
                    this.pool.release(slot);
                    break;
                }
                this.bytes += n;
                slot.len = n;
                slot.refs = 1; // the framing (it adds one per range it hands to the hash thread)
                this.filled.push(slot);
                if (n < slot.buf.length) break;
            }
            if (this.size !== undefined && this.bytes !== this.size) {
                throw this.formatError(this.readingEntry, `read ${this.bytes} bytes, expected ${this.size} (truncated download?)`);
            }
            this.filled.end();
        } catch (e) {
            const entry = this.readingEntry ? `${this.readingEntry}: ` : "";
            this.fail(e instanceof OvaFormatError ? e : new Error(`OVA ${this.source}: ${entry}reading failed after ${this.bytes} bytes: ${(e as Error).message}`));
        }
    }

    /**
     * Up to `max` bytes of the current buffer (moving to the next one as needed); null at the end
     * of the OVA. Every byte of the OVA passes here once, in order, so this is where the
     * whole-file SHA-256 is fed; `entryHashId` also feeds those bytes to an entry's digest, in the
     * same update (one SHA-NI pass for both when native hashing is available).
     */
    private async take(max: number, entryHashId?: number): Promise<{ slot: Slot; off: number; len: number } | null> {
        while (!this.slot || this.pos >= this.slot.len) {
            if (this.slot) {
                this.pool.release(this.slot);
                this.slot = undefined;
            }
            const next = await this.filled.next();
            this.throwIfFailed();
            if (!next) return null;
            this.slot = next;
            this.pos = 0;
        }
        const off = this.pos;
        const len = Math.min(max, this.slot.len - off);
        this.pos += len;
        this.offset += len;
        const slot = this.slot;
        slot.refs++; // released once the hash thread has read the range
        this.digests.update(entryHashId === undefined ? [this.wholeHashId] : [this.wholeHashId, entryHashId], slot.index, off, len, () => this.pool.release(slot));
        return { slot, off, len };
    }

    /** `n` bytes copied out of the buffers (headers, descriptor, manifest); fewer only at the end. */
    private async readBytes(n: number): Promise<Buffer> {
        const out = Buffer.allocUnsafe(n);
        let got = 0;
        while (got < n) {
            const part = await this.take(n - got);
            if (!part) break;
            part.slot.buf.copy(out, got, part.off, part.off + part.len);
            got += part.len;
        }
        return got === n ? out : out.subarray(0, got);
    }

    private async skip(n: number, entry: string): Promise<void> {
        let left = n;
        while (left > 0) {
            const part = await this.take(left);
            if (!part) throw this.truncated(entry);
            left -= part.len;
        }
    }

    private truncated(entry: string): Error {
        return this.fail(this.formatError(entry, `the archive ends inside this entry, after ${this.offset} bytes (truncated OVA?)`));
    }

    /** Checks what a tar header says about an entry; returns the entry when it is a plain file. */
    private checkHeader(name: string, header: TarHeader): boolean {
        const unsafe = unsafeEntryName(name.replace(/\/$/, ""));
        if (unsafe) throw this.fail(this.formatError(name, `entry name ${unsafe}; OVA entries must be relative paths inside the archive`));
        if (header.type === "directory") {
            if (header.size !== 0) throw this.fail(this.formatError(name, `a directory entry with ${header.size} bytes of data`));
            return false;
        }
        if (header.type !== "file") {
            const what = header.type === "unknown" ? `an entry of tar type '${header.flag}'` : `a ${header.type}${header.linkName ? ` (to ${header.linkName})` : ""}`;
            throw this.fail(this.formatError(name, `is ${what}; an OVA holds plain files only`));
        }
        if (name.endsWith("/")) throw this.fail(this.formatError(name, "a file entry whose name ends with /"));
        return true;
    }

    /**
     * The next plain-file entry's header (pax and GNU long-name headers applied, directories
     * skipped), or null at the end of the archive. Cross-checked against the header walk.
     */
    private async nextHeader(): Promise<TarEntry | null> {
        let pax: Record<string, string> = {};
        let longName: string | undefined;
        for (;;) {
            this.throwIfFailed();
            if (this.archiveEnded) return null;
            const at = this.offset;
            const block = await this.readBytes(TAR_BLOCK);
            if (block.length === 0) {
                this.archiveEnded = true; // no end-of-archive blocks: tolerated, like GNU tar
                return this.checkIndexEnd();
            }
            if (block.length < TAR_BLOCK) throw this.fail(this.formatError(undefined, `the archive ends inside a tar header at byte ${at} (truncated OVA?)`));
            let header: TarHeader | null;
            try {
                header = decodeTarHeader(block);
            } catch (e) {
                throw this.fail(this.formatError(undefined, `not a valid tar archive at byte ${at}: ${(e as Error).message}`));
            }
            if (!header) {
                this.archiveEnded = true;
                return this.checkIndexEnd();
            }
            if (header.type === "pax" || header.type === "pax-global" || header.type === "gnu-long-name" || header.type === "gnu-long-link") {
                if (header.size > MAX_EXTENDED_HEADER) {
                    throw this.fail(this.formatError(header.name, `a ${header.type} header of ${header.size} bytes (limit ${MAX_EXTENDED_HEADER})`));
                }
                const body = await this.readBytes(header.size);
                if (body.length < header.size) throw this.truncated(header.name);
                await this.skip(tarPadding(header.size), header.name);
                if (header.type === "gnu-long-name") longName = body.toString("utf8").replace(/\0+$/, "");
                else if (header.type === "pax") {
                    try {
                        pax = { ...pax, ...parsePaxRecords(body) };
                    } catch (e) {
                        throw this.fail(this.formatError(header.name, (e as Error).message));
                    }
                }
                continue;
            }
            const name = longName ?? pax.path ?? header.name;
            const size = pax.size !== undefined ? Number(pax.size) : header.size;
            if (!Number.isSafeInteger(size) || size < 0) throw this.fail(this.formatError(name, `unreadable size "${pax.size}" in its pax header`));
            pax = {};
            longName = undefined;
            const isFile = this.checkHeader(name, { ...header, size });
            if (!isFile) continue;
            this.readingEntry = name;
            if (this.index) {
                const expected = this.index[this.indexPosition++];
                if (!expected || expected.name !== name || expected.size !== size) {
                    throw this.fail(this.formatError(name, "the OVA file changed while it was being read (its entries differ from the first pass)"));
                }
            }
            return { name, size };
        }
    }

    private checkIndexEnd(): null {
        if (this.index && this.indexPosition !== this.index.length) {
            throw this.fail(this.formatError(undefined, "the OVA file changed while it was being read (it ended before the entries of the first pass)"));
        }
        return null;
    }

    // --- header walk (local files) ---------------------------------------------------------------

    /** Reads every tar header of a local OVA at its offset (a few small reads), without reading the data. */
    private async walkHeaders(readAt: (buf: Buffer, position: number) => Promise<number>): Promise<IndexedEntry[]> {
        const entries: IndexedEntry[] = [];
        const total = this.size ?? 0;
        let position = 0;
        let pax: Record<string, string> = {};
        let longName: string | undefined;
        const block = Buffer.alloc(TAR_BLOCK);
        for (;;) {
            const got = await readAt(block, position);
            if (got === 0) break;
            if (got < TAR_BLOCK) throw this.formatError(undefined, `the archive ends inside a tar header at byte ${position} (truncated OVA?)`);
            let header: TarHeader | null;
            try {
                header = decodeTarHeader(block);
            } catch (e) {
                throw this.formatError(undefined, `not a valid tar archive at byte ${position}: ${(e as Error).message}`);
            }
            if (!header) break;
            const dataOffset = position + TAR_BLOCK;
            const end = dataOffset + header.size;
            if (end > total) {
                throw this.formatError(header.name, `the entry claims ${header.size} bytes but the archive ends ${total - dataOffset} bytes after its header (truncated OVA?)`);
            }
            position = end + tarPadding(header.size);
            if (header.type === "pax" || header.type === "gnu-long-name" || header.type === "pax-global" || header.type === "gnu-long-link") {
                if (header.size > MAX_EXTENDED_HEADER) throw this.formatError(header.name, `a ${header.type} header of ${header.size} bytes (limit ${MAX_EXTENDED_HEADER})`);
                const body = Buffer.alloc(header.size);
                await readAt(body, dataOffset);
                if (header.type === "gnu-long-name") longName = body.toString("utf8").replace(/\0+$/, "");
                else if (header.type === "pax") pax = { ...pax, ...parsePaxRecords(body) };
                continue;
            }
            const name = longName ?? pax.path ?? header.name;
            const size = pax.size !== undefined ? Number(pax.size) : header.size;
            pax = {};
            longName = undefined;
            if (!Number.isSafeInteger(size) || size < 0) throw this.formatError(name, `unreadable size "${size}" in its pax header`);
            if (size !== header.size) position = dataOffset + size + tarPadding(size);
            if (!this.checkHeader(name, { ...header, size })) continue;
            entries.push({ name, size, dataOffset });
            if (entries.length > MAX_ENTRIES) throw this.formatError(undefined, `more than ${MAX_ENTRIES} entries; an OVA holds a handful`);
        }
        return entries;
    }

    /** Everything a local OVA's header walk can check before any disk is read. */
    private async checkIndex(index: IndexedEntry[], readAt: (buf: Buffer, position: number) => Promise<number>): Promise<void> {
        const names = new Set<string>();
        for (const e of index) {
            if (names.has(e.name)) throw this.formatError(e.name, "appears twice in the archive");
            names.add(e.name);
        }
        const manifests = index.filter((e) => isExt(e.name, ".mf"));
        if (manifests.length > 1) throw this.formatError(undefined, `two manifests, ${manifests[0].name} and ${manifests[1].name}`);
        const mf = manifests[0];
        if (mf) {
            if (mf.size > MAX_MANIFEST_BYTES) throw this.formatError(mf.name, `the manifest is ${mf.size} bytes, more than the ${MAX_MANIFEST_BYTES}-byte limit`);
            const buf = Buffer.alloc(mf.size);
            await readAt(buf, mf.dataOffset);
            this.prescannedManifest = buf;
            this.manifest = parseOvaManifest(buf.toString("utf8"), `OVA ${this.source}: manifest ${mf.name}`);
            this.manifestName = mf.name;
            for (const e of index) {
                if (e !== mf && !isExt(e.name, ".cert") && !this.manifest.has(e.name)) {
                    throw this.formatError(e.name, `is in the archive but not listed in the manifest ${mf.name}`);
                }
            }
            for (const listed of this.manifest.keys()) {
                if (!names.has(listed)) throw this.formatError(listed, `is listed in the manifest ${mf.name} but missing from the archive`);
            }
        } else if (this.requireManifest) {
            throw this.noManifest();
        }
        const sizes = new Map(index.map((e) => [e.name, e.size]));
        for (const f of this.descriptor.files) {
            for (const want of expectedEntries(f)) {
                const actual = sizes.get(want.name);
                if (actual === undefined) {
                    throw this.formatError(want.name, `the descriptor ${this.descriptorName} references it (file id ${f.id}), but the archive lacks it`);
                }
                this.checkEntrySize(want.name, actual);
            }
            if (f.chunkSize !== undefined) {
                const extra = chunkEntryName(f.href, expectedEntries(f).length);
                if (sizes.has(extra)) throw this.formatError(extra, `a chunk beyond the ${expectedEntries(f).length} that ovf:size ${f.size} and ovf:chunkSize ${f.chunkSize} of ${f.href} make`);
            }
        }
    }

    private noManifest(): OvaFormatError {
        return this.formatError(undefined, "no manifest (*.mf) in the archive, so its files cannot be verified (set requireManifest: false to accept it)");
    }

    /** Refuses an entry whose size differs from what the descriptor says (`ovf:size`, chunk sizes). */
    private checkEntrySize(name: string, size: number): void {
        const role = this.roles.get(name);
        if (!role || role.size === undefined || role.size === size) return;
        const f = role.file;
        const what =
            role.chunk === undefined
                ? `ovf:size of ${f.href} in the descriptor ${this.descriptorName} says ${f.size} bytes`
                : `chunk ${role.chunk} of ${f.href} should hold ${role.size} bytes (ovf:size ${f.size}, ovf:chunkSize ${f.chunkSize} in ${this.descriptorName})`;
        throw this.fail(this.formatError(name, `${what}, but the archive's entry has ${size} bytes`));
    }

    // --- opening -----------------------------------------------------------------------------------

    async init(): Promise<void> {
        this.pumpDone = this.pump();
        const first = await this.nextHeader();
        if (!first) throw this.fail(this.formatError(undefined, "no OVF descriptor (*.ovf) in the archive"));
        const name = first.name;
        if (!isExt(name, ".ovf") || name.includes("/")) {
            throw this.fail(this.formatError(name, "the first entry must be the OVF descriptor (*.ovf, at the top of the archive), as the OVF standard requires"));
        }
        if (first.size > MAX_DESCRIPTOR_BYTES) {
            throw this.fail(this.formatError(name, `the descriptor is ${first.size} bytes, more than the ${MAX_DESCRIPTOR_BYTES}-byte limit`));
        }
        const buf = await this.readBytes(first.size);
        if (buf.length < first.size) throw this.truncated(name);
        await this.skip(tarPadding(first.size), name);
        this.descriptorName = name;
        this.descriptorXml = buf.toString("utf8").replace(/^\uFEFF/, "");
        try {
            this.descriptor = parseOvfDescriptor(this.descriptorXml, `OVA ${this.source}: descriptor ${name}`);
        } catch (e) {
            throw this.fail(e as Error);
        }
        for (const f of this.descriptor.files) {
            expectedEntries(f).forEach((want, i) => this.roles.set(want.name, { file: f, chunk: f.chunkSize === undefined ? undefined : i, size: want.size }));
        }
        if (this.input.readAt) {
            try {
                const index = await this.walkHeaders(this.input.readAt);
                if (index[0]?.name !== name) throw this.formatError(name, "the OVA file changed while it was being read");
                await this.checkIndex(index, this.input.readAt);
                this.index = index;
                this.indexPosition = 1;
            } catch (e) {
                throw this.fail(e as Error);
            }
        }
        this.recordEntry(name, buf.length, digestsOf(buf, this.manifest ? [this.manifest.get(name)?.algorithm ?? "sha256"] : ALL_ALGORITHMS));
        this.throwIfFailed();
    }

    // --- entries -----------------------------------------------------------------------------------

    /** Next entry that is not the manifest or the certificate (those are handled here), or null at the end. */
    private async nextEntry(): Promise<TarEntry | null> {
        for (;;) {
            const entry = await this.nextHeader();
            if (!entry) return null;
            const name = entry.name;
            if (this.seen.has(name)) throw this.fail(this.formatError(name, "appears twice in the archive"));
            if (isExt(name, ".ovf")) throw this.fail(this.formatError(name, `a second descriptor (the first is ${this.descriptorName})`));
            if (isExt(name, ".mf")) {
                await this.readManifest(entry);
                continue;
            }
            if (isExt(name, ".cert")) {
                const buf = await this.readSmall(entry, MAX_MANIFEST_BYTES, "certificate");
                this.recordEntry(name, buf.length, digestsOf(buf, this.algorithmsFor(name, true)));
                continue;
            }
            this.checkEntrySize(name, entry.size);
            this.algorithmsFor(name); // an entry the manifest does not list is refused before it is handed out
            return entry;
        }
    }

    private async readSmall(entry: TarEntry, cap: number, what: string): Promise<Buffer> {
        if (entry.size > cap) throw this.fail(this.formatError(entry.name, `the ${what} is ${entry.size} bytes, more than the ${cap}-byte limit`));
        const buf = await this.readBytes(entry.size);
        if (buf.length < entry.size) throw this.truncated(entry.name);
        await this.skip(tarPadding(entry.size), entry.name);
        return buf;
    }

    private async readManifest(entry: TarEntry): Promise<void> {
        const name = entry.name;
        const buf = await this.readSmall(entry, MAX_MANIFEST_BYTES, "manifest");
        if (this.prescannedManifest) {
            if (!buf.equals(this.prescannedManifest)) throw this.fail(this.formatError(name, "the manifest changed while the OVA was being read"));
        } else {
            if (this.manifest) throw this.fail(this.formatError(name, `a second manifest (the first is ${this.manifestName})`));
            try {
                this.manifest = parseOvaManifest(buf.toString("utf8"), `OVA ${this.source}: manifest ${name}`);
            } catch (e) {
                throw this.fail(e as Error);
            }
            this.manifestName = name;
        }
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
        const want = this.manifest!.get(s.name);
        if (!want) {
            // The certificate signs the manifest; it is not listed in it.
            if (isExt(s.name, ".cert")) {
                s.checked = true;
                return undefined;
            }
            return this.fail(this.formatError(s.name, `is in the archive but not listed in the manifest ${this.manifestName}`));
        }
        const actual = s.digests?.[want.algorithm];
        if (actual === undefined) return this.fail(new Error(`OVA ${this.source}: ${s.name}: internal error: no ${want.algorithm} digest computed`));
        s.checked = true;
        if (actual !== want.digest) {
            return this.fail(
                new OvaIntegrityError(
                    `OVA ${this.source}: ${s.name}: ${want.algorithm.toUpperCase()} digest mismatch: ` +
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
     * Algorithms to compute for an entry. Manifest known: the one it lists (an unlisted entry is an
     * error right away, unless `lenient` for the certificate). Manifest not read yet (it comes last
     * in an http(s) OVA): all of SHA-1, SHA-256 and SHA-512, since the algorithm is not known yet.
     */
    private algorithmsFor(name: string, lenient = false): DigestAlgorithm[] {
        if (!this.manifest) return ALL_ALGORITHMS;
        const want = this.manifest.get(name);
        if (!want) {
            if (lenient) return ["sha256"];
            throw this.fail(this.formatError(name, `is in the archive but not listed in the manifest ${this.manifestName}`));
        }
        return [want.algorithm];
    }

    /** Streams one entry's data as lent segments, hashing it on the entry thread; the last segment waits for the digest check. */
    private async *entrySegments(entry: TarEntry, progress: { bytes: number }): AsyncGenerator<OvaSegment> {
        const algorithms = this.algorithmsFor(entry.name);
        const id = this.digests.begin(algorithms, "entry");
        let left = entry.size;
        if (left === 0) this.recordEntry(entry.name, 0, await this.digests.end(id));
        while (left > 0) {
            const part = await this.take(left, id);
            if (!part) throw this.truncated(entry.name);
            const { slot, off, len } = part;
            left -= len;
            slot.refs++; // the caller, until it releases the segment
            if (left === 0) {
                const digests = (await this.digests.end(id)) as Digests;
                this.throwIfFailed();
                this.recordEntry(entry.name, entry.size, digests);
                this.throwIfFailed();
            }
            progress.bytes += len;
            let released = false;
            yield {
                data: slot.buf.subarray(off, off + len),
                release: () => {
                    if (released) return;
                    released = true;
                    this.pool.release(slot);
                },
            };
        }
        await this.skip(tarPadding(entry.size), entry.name);
    }

    private startFile(first: TarEntry): { file: OvaFile; current: CurrentFile } {
        const role = this.roles.get(first.name);
        if (role?.chunk !== undefined && role.chunk !== 0) {
            throw this.fail(this.formatError(first.name, `chunk ${role.chunk} of ${role.file.href} comes before its chunk 0`));
        }
        const chunks = role?.chunk === 0 ? expectedEntries(role.file) : [{ name: first.name, size: first.size }];
        const name = role ? role.file.href : first.name;
        const size = role?.chunk === 0 ? role.file.size! : first.size;
        let settle!: { resolve(c: OvaFileCheck): void; reject(e: Error): void };
        const verified = new Promise<OvaFileCheck>((resolve, reject) => (settle = { resolve, reject }));
        verified.catch(() => undefined); // the failure is also recorded; finish() throws it
        const self = this;
        const progress = { bytes: 0 };
        const current: CurrentFile = { name, generator: undefined as unknown as AsyncGenerator<OvaSegment>, started: false, complete: false };

        async function* all(): AsyncGenerator<OvaSegment> {
            try {
                for (let i = 0; i < chunks.length; i++) {
                    const entry = i === 0 ? first : await self.nextChunk(chunks[i].name);
                    yield* self.entrySegments(entry, progress);
                }
                current.complete = true;
                const last = self.seen.get(chunks[chunks.length - 1].name)!;
                const want = self.manifest?.get(last.name);
                const allChecked = chunks.every((c) => self.seen.get(c.name)?.checked);
                settle.resolve(
                    allChecked && want
                        ? { name, status: "verified", algorithm: want.algorithm, digest: want.digest }
                        : { name, status: "deferred" },
                );
            } catch (e) {
                const err = self.failure ?? self.fail(e as Error);
                settle.reject(err);
                throw err;
            } finally {
                if (!current.complete && !self.failure) {
                    settle.reject(self.fail(new Error(`OVA ${self.source}: ${name}: reading was stopped after ${progress.bytes} of ${size} bytes; the reader is aborted`)));
                }
            }
        }
        current.generator = all();
        const file: OvaFile = {
            name,
            size,
            entries: chunks.map((c) => c.name),
            segments: () => {
                if (current.started) throw new Error(`OVA ${self.source}: ${name}: its bytes can be read only once`);
                current.started = true;
                return { [Symbol.asyncIterator]: () => current.generator };
            },
            get stream(): Readable {
                if (current.stream) return current.stream;
                if (current.started) throw new Error(`OVA ${self.source}: ${name}: its bytes can be read only once`);
                current.started = true;
                async function* copies(): AsyncGenerator<Buffer> {
                    for await (const seg of { [Symbol.asyncIterator]: () => current.generator }) {
                        const copy = Buffer.from(seg.data);
                        seg.release();
                        yield copy;
                    }
                }
                const stream = Readable.from(copies(), { objectMode: false, highWaterMark: 1024 * 1024 });
                stream.on("error", () => undefined); // surfaced through `verified`, files() and finish()
                stream.on("close", () => {
                    if (!current.complete && !self.failure) {
                        self.fail(new Error(`OVA ${self.source}: ${name}: the stream was closed after ${progress.bytes} of ${size} bytes; the reader is aborted`));
                    }
                });
                current.stream = stream;
                return stream;
            },
            verified,
        };
        return { file, current };
    }

    /** The header of chunk `name`, which must come next. */
    private async nextChunk(name: string): Promise<TarEntry> {
        const entry = await this.nextHeader();
        if (!entry) throw this.fail(this.formatError(name, "the archive ends before this chunk"));
        if (entry.name !== name) throw this.fail(this.formatError(entry.name, `found where chunk ${name} was expected; chunks must follow each other in order`));
        if (this.seen.has(entry.name)) throw this.fail(this.formatError(entry.name, "appears twice in the archive"));
        this.checkEntrySize(entry.name, entry.size);
        this.algorithmsFor(entry.name);
        return entry;
    }

    /** Makes sure the file handed out last has been read to its end (draining it if the caller did not). */
    private async settleCurrent(): Promise<void> {
        const cur = this.current;
        if (!cur) return;
        this.current = undefined;
        if (cur.complete) return;
        if (cur.stream) {
            if (!cur.stream.destroyed && !cur.stream.readableEnded) {
                await new Promise<void>((resolve) => {
                    cur.stream!.once("end", resolve).once("close", resolve).once("error", () => resolve());
                    cur.stream!.resume();
                });
            }
            return;
        }
        cur.started = true;
        for (;;) {
            const r = await cur.generator.next();
            if (r.done) break;
            r.value.release();
        }
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
                    if (entry) {
                        const started = self.startFile(entry);
                        self.current = started.current;
                        file = started.file;
                    }
                } catch (e) {
                    throw self.failure ?? self.fail(e as Error);
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
                const { current } = this.startFile(entry);
                this.current = current;
                await this.settleCurrent();
            }
            // The end-of-archive blocks and anything after them: read (and hashed) to the end.
            while (await this.take(Number.MAX_SAFE_INTEGER));
            await this.pumpDone;
            this.throwIfFailed();

            if (this.manifest) {
                for (const name of this.manifest.keys()) {
                    if (!this.seen.has(name)) throw this.fail(this.formatError(name, `is listed in the manifest ${this.manifestName} but missing from the archive`));
                }
            } else if (this.requireManifest) {
                throw this.fail(this.noManifest());
            }
            for (const f of this.descriptor.files) {
                for (const want of expectedEntries(f)) {
                    if (!this.seen.has(want.name)) {
                        throw this.fail(this.formatError(want.name, `the descriptor ${this.descriptorName} references it (file id ${f.id}), but the archive lacks it`));
                    }
                }
            }
            const sha256 = (await this.digests.end(this.wholeHashId)).sha256;
            this.throwIfFailed();
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
            await this.close();
            return result;
        } catch (e) {
            throw this.fail(e as Error);
        } finally {
            this.busy = false;
        }
    }

    private async close(): Promise<void> {
        this.pool.close();
        await Promise.all([this.input.close(), this.digests.stop()]);
    }
}

function digestsOf(buf: Buffer, algorithms: DigestAlgorithm[]): Digests {
    const d: Digests = {};
    for (const a of algorithms) d[a] = createHash(a).update(buf).digest("hex");
    return d;
}
