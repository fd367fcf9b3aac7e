/**
 * Streaming sha256 of a file, with a small on-disk cache so that an unchanged multi-GB binary is
 * not re-hashed on every `pulumi preview`.
 *
 * The cache is keyed by the absolute path; an entry is used only when the file's size, mtime,
 * ctime, inode and device are all unchanged (nanosecond timestamps). Any change (touch, append,
 * rewrite, replace by rename) invalidates it. The cache file is rewritten through a temporary
 * file and a rename, so concurrent writers never leave it corrupt (the last writer wins; a lost
 * entry only costs one more hash later).
 *
 * Only the default cache directory is created. A cache file given by option or by
 * PALETTE_AIRGAP_DIGEST_CACHE is written only while its directory exists: a hash that finishes after
 * its caller removed that directory (a test's temporary folder, a stand-in directory) must not
 * bring the folder back with a digests.json in it.
 *
 * The file is read with `fs.read` into two reused buffers, the next read running while the
 * current buffer is hashed: no stream, no allocation per chunk (see bench/sha256.ts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Read size: large reads keep the hash, not the syscalls, the bottleneck. */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

/** At most this many entries are kept (the most recently hashed). */
const MAX_ENTRIES = 500;
const CACHE_VERSION = 1;

export interface FileDigestOptions {
    /** Cache file, in an existing directory. Default `~/.cache/palette-airgap/digests.json` (created); set `PALETTE_AIRGAP_DIGEST_CACHE` to override. */
    cacheFile?: string;
}

export interface FileDigest {
    /** Lower-case hex sha256 of the file's content. */
    sha256: string;
    /** True when the digest came from the cache (the file was not read). */
    cached: boolean;
    /** Size of the file in bytes. */
    size: number;
}

interface CacheEntry {
    size: string;
    mtimeNs: string;
    ctimeNs: string;
    ino: string;
    dev: string;
    sha256: string;
    hashedAt: string;
}

interface CacheFile {
    version: number;
    entries: Record<string, CacheEntry>;
}

/** The default cache file: `$PALETTE_AIRGAP_DIGEST_CACHE`, else `~/.cache/palette-airgap/digests.json`. */
export function defaultDigestCacheFile(): string {
    return process.env.PALETTE_AIRGAP_DIGEST_CACHE || path.join(os.homedir(), ".cache", "palette-airgap", "digests.json");
}

/** The sha256 (hex) of the file at `file`, from the cache when the file is unchanged. */
export async function fileSha256(file: string, opts?: FileDigestOptions): Promise<string> {
    return (await fileDigest(file, opts)).sha256;
}

/** Like fileSha256, and says whether the cache answered. */
export async function fileDigest(file: string, opts?: FileDigestOptions): Promise<FileDigest> {
    const absolute = path.resolve(file);
    const configured = opts?.cacheFile ?? process.env.PALETTE_AIRGAP_DIGEST_CACHE;
    const cacheFile = path.resolve(configured || defaultDigestCacheFile());
    const before = await fs.promises.stat(absolute, { bigint: true });
    if (!before.isFile()) {
        throw new Error(`fileSha256: ${absolute} is not a regular file`);
    }
    const key = statKey(before);
    const cache = await readCache(cacheFile);
    const hit = cache.entries[absolute];
    if (hit && sameKey(hit, key) && /^[0-9a-f]{64}$/.test(hit.sha256)) {
        return { sha256: hit.sha256, cached: true, size: Number(before.size) };
    }

    const sha256 = await hashFile(absolute);

    // Cache only when the file did not change while it was read.
    const after = await fs.promises.stat(absolute, { bigint: true });
    if (sameKey(statKey(after), key)) {
        await updateCache(cacheFile, absolute, { ...key, sha256, hashedAt: new Date().toISOString() }, !configured).catch(() => {
            // A cache that cannot be written only costs a re-hash next time.
        });
    }
    return { sha256, cached: false, size: Number(before.size) };
}

/** sha256 of the whole file: HASH_CHUNK_BYTES reads into two reused buffers, reading one while hashing the other. */
export async function hashFile(file: string): Promise<string> {
    const hash = crypto.createHash("sha256");
    const handle = await fs.promises.open(file, "r");
    try {
        const buffers = [Buffer.allocUnsafeSlow(HASH_CHUNK_BYTES), Buffer.allocUnsafeSlow(HASH_CHUNK_BYTES)];
        let position = 0;
        let current = 0;
        let pending = handle.read(buffers[current], 0, HASH_CHUNK_BYTES, position);
        for (;;) {
            const { bytesRead } = await pending;
            if (bytesRead === 0) break;
            position += bytesRead;
            const filled = buffers[current];
            current ^= 1;
            pending = handle.read(buffers[current], 0, HASH_CHUNK_BYTES, position);
            hash.update(filled.subarray(0, bytesRead));
        }
    } finally {
        await handle.close();
    }
    return hash.digest("hex");
}

type StatKey = Omit<CacheEntry, "sha256" | "hashedAt">;

function statKey(stat: fs.BigIntStats): StatKey {
    return {
        size: stat.size.toString(),
        mtimeNs: stat.mtimeNs.toString(),
        ctimeNs: stat.ctimeNs.toString(),
        ino: stat.ino.toString(),
        dev: stat.dev.toString(),
    };
}

function sameKey(a: StatKey, b: StatKey): boolean {
    return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

async function readCache(cacheFile: string): Promise<CacheFile> {
    try {
        const data = JSON.parse(await fs.promises.readFile(cacheFile, "utf8")) as CacheFile;
        if (data && data.version === CACHE_VERSION && data.entries && typeof data.entries === "object") {
            return data;
        }
    } catch {
        // Missing or unreadable: start afresh.
    }
    return { version: CACHE_VERSION, entries: {} };
}

async function updateCache(cacheFile: string, key: string, entry: CacheEntry, createDirectory: boolean): Promise<void> {
    if (createDirectory) {
        await fs.promises.mkdir(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    } else if (!fs.existsSync(path.dirname(cacheFile))) {
        return; // the caller's folder is gone: recreating it would leave a digests.json behind
    }
    // Re-read just before writing so entries other processes wrote meanwhile are kept.
    const cache = await readCache(cacheFile);
    delete cache.entries[key];
    cache.entries[key] = entry;
    const keys = Object.keys(cache.entries);
    if (keys.length > MAX_ENTRIES) {
        keys.sort((a, b) => (cache.entries[a].hashedAt < cache.entries[b].hashedAt ? -1 : 1));
        for (const old of keys.slice(0, keys.length - MAX_ENTRIES)) {
            delete cache.entries[old];
        }
    }
    const temporary = `${cacheFile}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
    try {
        await fs.promises.writeFile(temporary, JSON.stringify(cache, null, 1) + "\n", { mode: 0o600 });
        await fs.promises.rename(temporary, cacheFile);
    } catch (error) {
        await fs.promises.rm(temporary, { force: true });
        throw error;
    }
}
