/**
 * Decoding of tar headers (POSIX ustar, pax extended headers, GNU long names and base-256 sizes),
 * the part of tar an OVA reader needs. The OVA reader frames the archive itself, over a few reused
 * buffers that are hashed and uploaded without copies; tar-stream and node-tar only offer streams
 * that own their buffers (and node-tar costs ~100 ms to load), so only this 512-byte header
 * decoding is ours. tests/vsphere/ovaArchive.test.ts reads archives written by GNU tar in its
 * ustar, pax and gnu formats through it.
 */

export const TAR_BLOCK = 512;

/** Entry types by their typeflag. */
export type TarEntryType =
    | "file"
    | "directory"
    | "symlink"
    | "hardlink"
    | "device"
    | "fifo"
    | "pax"
    | "pax-global"
    | "gnu-long-name"
    | "gnu-long-link"
    | "unknown";

export interface TarHeader {
    name: string;
    size: number;
    type: TarEntryType;
    /** The typeflag character, for messages. */
    flag: string;
    linkName: string;
}

const TYPES: Record<string, TarEntryType> = {
    "0": "file",
    "\0": "file",
    "7": "file",
    "1": "hardlink",
    "2": "symlink",
    "3": "device",
    "4": "device",
    "5": "directory",
    "6": "fifo",
    x: "pax",
    g: "pax-global",
    L: "gnu-long-name",
    K: "gnu-long-link",
};

function cString(b: Buffer, off: number, len: number): string {
    const end = b.indexOf(0, off);
    return b.toString("utf8", off, end === -1 || end > off + len ? off + len : end);
}

/** An octal number field, or a GNU base-256 one (high bit set), as used for sizes over 8 GiB. */
function numberField(b: Buffer, off: number, len: number): number {
    if (b[off] & 0x80) {
        let v = b[off] & 0x7f;
        for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
        return v;
    }
    const s = b.toString("latin1", off, off + len).replace(/[\0 ]+$/, "").trim();
    if (s === "") return 0;
    if (!/^[0-7]+$/.test(s)) return NaN;
    return parseInt(s, 8);
}

function isZeroBlock(b: Buffer): boolean {
    for (let i = 0; i < TAR_BLOCK; i++) if (b[i] !== 0) return false;
    return true;
}

/**
 * Decodes one 512-byte header block. Returns null for an all-zero block (the end of the archive);
 * throws on a bad checksum or an unreadable size.
 */
export function decodeTarHeader(block: Buffer): TarHeader | null {
    if (block.length < TAR_BLOCK) throw new Error(`a tar header needs ${TAR_BLOCK} bytes, got ${block.length}`);
    if (isZeroBlock(block)) return null;
    let unsigned = 8 * 0x20;
    let signed = 8 * 0x20;
    for (let i = 0; i < TAR_BLOCK; i++) {
        if (i >= 148 && i < 156) continue;
        unsigned += block[i];
        signed += (block[i] << 24) >> 24;
    }
    const stored = numberField(block, 148, 8);
    if (stored !== unsigned && stored !== signed) {
        throw new Error("not a tar header (checksum mismatch)");
    }
    const flag = String.fromCharCode(block[156]);
    let name = cString(block, 0, 100);
    if (block.toString("latin1", 257, 263) === "ustar\0") {
        const prefix = cString(block, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
    }
    const size = numberField(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar header of ${name}: unreadable size`);
    return { name, size, type: TYPES[flag] ?? "unknown", flag, linkName: cString(block, 157, 100) };
}

/** The records of a pax extended header body (`<length> <key>=<value>\n`). */
export function parsePaxRecords(body: Buffer): Record<string, string> {
    const out: Record<string, string> = {};
    let off = 0;
    while (off < body.length) {
        const space = body.indexOf(0x20, off);
        if (space === -1) break;
        const len = Number(body.toString("latin1", off, space));
        if (!Number.isSafeInteger(len) || len <= 0 || off + len > body.length) throw new Error("malformed pax header record");
        const record = body.toString("utf8", space + 1, off + len - 1);
        const eq = record.indexOf("=");
        if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
        off += len;
    }
    return out;
}

/** Bytes of padding after an entry of `size` bytes. */
export function tarPadding(size: number): number {
    return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}
