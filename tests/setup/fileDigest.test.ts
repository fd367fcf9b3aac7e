/**
 * fileSha256: streaming sha256 equal to coreutils' sha256sum, with a cache keyed by path, size,
 * mtime, ctime, inode and device.
 */
import * as assert from "assert";
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultDigestCacheFile, fileDigest, fileSha256, HASH_CHUNK_BYTES } from "../../components/setup/fileDigest";

function sha256sum(file: string): string {
    return execFileSync("sha256sum", [file], { encoding: "utf8" }).split(/\s+/)[0];
}

/** Counts opens of `file` (fileDigest reads through fs.promises.open) while `fn` runs. */
async function countReads<T>(file: string, fn: () => Promise<T>): Promise<{ value: T; reads: number }> {
    const original = fs.promises.open;
    let reads = 0;
    fs.promises.open = ((p: fs.PathLike, ...rest: unknown[]) => {
        if (path.resolve(String(p)) === path.resolve(file)) {
            reads += 1;
        }
        return (original as (...args: unknown[]) => Promise<fs.promises.FileHandle>)(p, ...rest);
    }) as typeof fs.promises.open;
    try {
        return { value: await fn(), reads };
    } finally {
        fs.promises.open = original;
    }
}

describe("fileSha256", () => {
    let dir: string;
    let cacheFile: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-digest "));
        cacheFile = path.join(dir, "cache dir", "digests.json");
        fs.mkdirSync(path.dirname(cacheFile));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("equals sha256sum for a file larger than several read chunks, and for an empty file", async () => {
        const big = path.join(dir, "airgap big.bin");
        fs.writeFileSync(big, crypto.randomBytes(3 * HASH_CHUNK_BYTES + 12345));
        assert.strictEqual(await fileSha256(big, { cacheFile }), sha256sum(big));
        const empty = path.join(dir, "empty.bin");
        fs.writeFileSync(empty, "");
        assert.strictEqual(await fileSha256(empty, { cacheFile }), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });

    it("answers a repeat from the cache without reading the file", async () => {
        const file = path.join(dir, "setup.bin");
        fs.writeFileSync(file, crypto.randomBytes(HASH_CHUNK_BYTES + 1));
        const first = await countReads(file, () => fileDigest(file, { cacheFile }));
        assert.strictEqual(first.reads, 1);
        assert.strictEqual(first.value.cached, false);
        const again = await countReads(file, () => fileDigest(file, { cacheFile }));
        assert.strictEqual(again.reads, 0, "the cached repeat does not read the file");
        assert.strictEqual(again.value.cached, true);
        assert.strictEqual(again.value.sha256, sha256sum(file));
        // A relative path to the same file hits the same entry.
        const relative = path.relative(process.cwd(), file);
        assert.strictEqual((await fileDigest(relative, { cacheFile })).cached, true);
        const cache = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
        assert.strictEqual(cache.version, 1);
        assert.ok(cache.entries[file], "keyed by absolute path");
        assert.deepStrictEqual(Object.keys(cache.entries[file]).sort(), ["ctimeNs", "dev", "hashedAt", "ino", "mtimeNs", "sha256", "size"]);
    });

    it("re-hashes after a touch (same content) and after an append (new digest)", async () => {
        const file = path.join(dir, "setup.bin");
        fs.writeFileSync(file, "first content\n");
        const original = await fileSha256(file, { cacheFile });
        const later = new Date(Date.now() + 5000);
        fs.utimesSync(file, later, later);
        const touched = await fileDigest(file, { cacheFile });
        assert.strictEqual(touched.cached, false);
        assert.strictEqual(touched.sha256, original);
        fs.appendFileSync(file, "appended\n");
        const appended = await fileDigest(file, { cacheFile });
        assert.strictEqual(appended.cached, false);
        assert.notStrictEqual(appended.sha256, original);
        assert.strictEqual(appended.sha256, sha256sum(file));
        assert.strictEqual((await fileDigest(file, { cacheFile })).cached, true);
    });

    it("re-hashes a file replaced by another of the same size and mtime (inode and ctime differ)", async () => {
        const file = path.join(dir, "setup.bin");
        fs.writeFileSync(file, "AAAA");
        await fileSha256(file, { cacheFile });
        const stat = fs.statSync(file);
        const replacement = path.join(dir, "new.bin");
        fs.writeFileSync(replacement, "BBBB");
        fs.utimesSync(replacement, stat.atime, stat.mtime);
        fs.renameSync(replacement, file);
        const digest = await fileDigest(file, { cacheFile });
        assert.strictEqual(digest.cached, false);
        assert.strictEqual(digest.sha256, sha256sum(file));
    });

    it("ignores a corrupt cache file and rewrites it", async () => {
        const file = path.join(dir, "setup.bin");
        fs.writeFileSync(file, "content");
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(cacheFile, "{ not json");
        assert.strictEqual(await fileSha256(file, { cacheFile }), sha256sum(file));
        assert.strictEqual(JSON.parse(fs.readFileSync(cacheFile, "utf8")).version, 1);
    });

    it("rejects a directory and a missing file", async () => {
        await assert.rejects(fileSha256(dir, { cacheFile }), /not a regular file/);
        await assert.rejects(fileSha256(path.join(dir, "missing.bin"), { cacheFile }), /ENOENT/);
    });

    it("keeps the cache valid JSON with concurrent writers (several processes)", async function () {
        this.timeout(60_000);
        const files: string[] = [];
        for (let i = 0; i < 24; i++) {
            const file = path.join(dir, `pack-${i}.bin`);
            fs.writeFileSync(file, crypto.randomBytes(64 * 1024 + i));
            files.push(file);
        }
        const module = path.resolve(__dirname, "../../components/setup/fileDigest.ts");
        const worker = (slice: string[]) =>
            new Promise<void>((resolve, reject) => {
                const code = `const { fileSha256 } = require(${JSON.stringify(module)});
                    (async () => { for (let round = 0; round < 3; round++) await Promise.all(${JSON.stringify(slice)}.map((f) => fileSha256(f, { cacheFile: ${JSON.stringify(cacheFile)} }))); })()
                    .catch((e) => { console.error(e); process.exit(1); });`;
                const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], { stdio: ["ignore", "inherit", "inherit"] });
                child.on("error", reject);
                child.on("exit", (status) => (status === 0 ? resolve() : reject(new Error(`worker exited ${status}`))));
            });
        await Promise.all([0, 1, 2, 3].map((w) => worker(files.filter((_, i) => i % 4 === w))));
        // In this process too, at the same time as nothing else: every entry that survived is right.
        const cache = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
        assert.ok(Object.keys(cache.entries).length > 0);
        for (const [file, entry] of Object.entries(cache.entries) as [string, { sha256: string }][]) {
            assert.strictEqual(entry.sha256, sha256sum(file));
        }
        assert.deepStrictEqual(fs.readdirSync(path.dirname(cacheFile)).filter((f) => f.endsWith(".tmp")), [], "no temp files left");
        for (const file of files) {
            assert.strictEqual(await fileSha256(file, { cacheFile }), sha256sum(file));
        }
    });

    it("never creates a configured cache directory, and writes nothing once the caller removed its folder", async () => {
        const file = path.join(dir, "big.bin");
        fs.writeFileSync(file, crypto.randomBytes(8 * HASH_CHUNK_BYTES));
        const missing = path.join(dir, "no such dir", "digests.json");
        assert.strictEqual(await fileSha256(file, { cacheFile: missing }), sha256sum(file));
        assert.ok(!fs.existsSync(path.dirname(missing)), "the configured directory was created");
        // The finding: a hash still running when its caller's cleanup removed the folder wrote the
        // cache afterwards, recreating the folder with a digests.json in it.
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "palette-digest-scratch-"));
        const hashing = fileDigest(file, { cacheFile: path.join(scratch, "digests.json") });
        fs.rmSync(scratch, { recursive: true, force: true });
        assert.strictEqual((await hashing).sha256, sha256sum(file));
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(!fs.existsSync(scratch), `${scratch} came back: ${fs.existsSync(scratch) ? fs.readdirSync(scratch).join(", ") : ""}`);
    });

    it("creates the default cache directory under the home directory", async () => {
        const savedHome = process.env.HOME;
        const savedCache = process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        process.env.HOME = dir;
        delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        try {
            const file = path.join(dir, "x.bin");
            fs.writeFileSync(file, "x");
            await fileSha256(file);
            const cache = JSON.parse(fs.readFileSync(path.join(dir, ".cache", "palette-airgap", "digests.json"), "utf8"));
            assert.ok(cache.entries[file]);
        } finally {
            process.env.HOME = savedHome;
            if (savedCache === undefined) delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
            else process.env.PALETTE_AIRGAP_DIGEST_CACHE = savedCache;
        }
    });

    it("defaults the cache under the home directory, overridable by PALETTE_AIRGAP_DIGEST_CACHE", () => {
        const saved = process.env.PALETTE_AIRGAP_DIGEST_CACHE;
        try {
            delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
            assert.strictEqual(defaultDigestCacheFile(), path.join(os.homedir(), ".cache", "palette-airgap", "digests.json"));
            process.env.PALETTE_AIRGAP_DIGEST_CACHE = "/srv/cache/digests.json";
            assert.strictEqual(defaultDigestCacheFile(), "/srv/cache/digests.json");
        } finally {
            if (saved === undefined) {
                delete process.env.PALETTE_AIRGAP_DIGEST_CACHE;
            } else {
                process.env.PALETTE_AIRGAP_DIGEST_CACHE = saved;
            }
        }
    });
});
