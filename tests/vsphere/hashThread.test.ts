import * as assert from "assert";
import { createHash, randomBytes } from "crypto";
import { DigestThreads, HashThread } from "../../components/vsphere/hashThread";
import { nativeSha256Path } from "../../components/vsphere/sha256Native";

const SLOT_BYTES = 64 * 1024;

function slots(count: number): { shared: SharedArrayBuffer[]; bufs: Buffer[] } {
    const shared = Array.from({ length: count }, () => new SharedArrayBuffer(SLOT_BYTES));
    return { shared, bufs: shared.map((s) => Buffer.from(s)) };
}

function digest(algorithm: string, ...parts: Buffer[]): string {
    const h = createHash(algorithm);
    for (const p of parts) h.update(p);
    return h.digest("hex");
}

describe("HashThread: hashing on a worker thread over shared buffers", function () {
    this.timeout(30_000);
    const threads: HashThread[] = [];
    const errors: Error[] = [];
    const open = (shared: SharedArrayBuffer[]) => {
        const t = new HashThread(shared, (e) => errors.push(e));
        threads.push(t);
        return t;
    };
    afterEach(async () => {
        await Promise.all(threads.splice(0).map((t) => t.stop()));
        errors.length = 0;
    });

    it("hashes the bytes of each update in order, with every algorithm asked for, and releases a buffer only after the thread read it", async () => {
        const { shared, bufs } = slots(3);
        const thread = open(shared);
        const id = thread.begin(["sha1", "sha256", "sha512"]);
        const sent: Buffer[] = [];
        const free: number[] = [0, 1, 2];
        let waiting: (() => void) | undefined;
        for (let i = 0; i < 60; i++) {
            while (free.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
            const slot = free.shift()!;
            const data = randomBytes(1 + ((i * 7919) % SLOT_BYTES));
            data.copy(bufs[slot]);
            sent.push(data);
            const off = i % 3 === 0 ? 0 : Math.min(17, data.length - 1);
            thread.update(id, slot, off, data.length - off, () => {
                // Overwrite at once: a buffer released before the thread read it would change the digest.
                bufs[slot].fill(0xee);
                free.push(slot);
                waiting?.();
            });
            sent[sent.length - 1] = data.subarray(off);
        }
        const digests = await thread.end(id);
        assert.deepStrictEqual(digests, { sha1: digest("sha1", ...sent), sha256: digest("sha256", ...sent), sha512: digest("sha512", ...sent) });
        assert.deepStrictEqual(errors, []);
    });

    it("keeps several hashes apart, and an empty one gives the digest of nothing", async () => {
        const { shared, bufs } = slots(2);
        const thread = open(shared);
        const a = thread.begin(["sha256"]);
        const b = thread.begin(["sha1"]);
        const empty = thread.begin(["sha512"]);
        bufs[0].fill(1);
        bufs[1].fill(2);
        let released = 0;
        thread.update(a, 0, 0, 100, () => released++);
        thread.update(b, 1, 0, 200, () => released++);
        thread.update(a, 1, 10, 5, () => released++);
        const [da, db, de] = await Promise.all([thread.end(a), thread.end(b), thread.end(empty)]);
        assert.strictEqual(da.sha256, digest("sha256", Buffer.alloc(100, 1), Buffer.alloc(5, 2)));
        assert.strictEqual(db.sha1, digest("sha1", Buffer.alloc(200, 2)));
        assert.strictEqual(de.sha512, digest("sha512"));
        assert.strictEqual(released, 3, "every update's callback ran once its digest was given");
    });

    it("5,000 updates queued at once are all hashed, in order, and each buffer callback runs once", async () => {
        const { shared, bufs } = slots(1);
        bufs[0].set(randomBytes(SLOT_BYTES));
        const thread = open(shared);
        const id = thread.begin(["sha256"]);
        const expected = createHash("sha256");
        let released = 0;
        for (let i = 0; i < 5000; i++) {
            const off = (i * 31) % SLOT_BYTES;
            expected.update(bufs[0].subarray(off, off + 1));
            thread.update(id, 0, off, 1, () => released++);
        }
        assert.strictEqual((await thread.end(id)).sha256, expected.digest("hex"));
        assert.strictEqual(released, 5000);
    });

    it("stop() rejects every pending digest and returns although the thread is idle: nothing waits forever", async () => {
        const { shared } = slots(1);
        const thread = open(shared);
        const idle = thread.begin(["sha256"]);
        await thread.end(idle); // the thread is idle, waiting for work
        const id = thread.begin(["sha256"]);
        for (let i = 0; i < 1000; i++) thread.update(id, 0, 0, SLOT_BYTES, () => undefined);
        const pending = assert.rejects(thread.end(id), /hashing thread stopped/);
        const started = Date.now();
        await thread.stop();
        await pending;
        await assert.rejects(thread.end(thread.begin(["sha256"])), /stopped/);
        assert.ok(Date.now() - started < 5000, `stop() took ${Date.now() - started} ms`);
    });

    it("a thread that dies fails pending digests and reports the error once", async () => {
        const { shared } = slots(1);
        const thread = open(shared);
        const id = thread.begin(["sha256"]);
        // A slot that does not exist makes the thread throw on that update; it reports and goes on.
        thread.update(id, 7, 0, 10, () => undefined);
        await assert.rejects(thread.end(id), /hashing thread/);
        assert.strictEqual(errors.length, 1);
        assert.match(errors[0].message, /hashing thread/);
    });
});

describe("DigestThreads: one update feeding the whole-file SHA-256 and an entry's digest, with the native SHA-256 module (one thread) and without it (two threads)", function () {
    this.timeout(30_000);
    const nativePath = nativeSha256Path();
    const modes: [string, string | undefined][] = [["OpenSSL on two threads", undefined]];
    if (nativePath) modes.push(["native SHA-NI on one thread", nativePath]);
    else if (process.env.CI === "true") throw new Error("the native SHA-256 module is not built (npm run build:native): CI must test it");
    else it("native SHA-NI mode: skipped, the native module is not built here (npm run build:native)", function () {
        this.skip();
    });

    for (const [mode, path] of modes) {
        it(`${mode}: a whole-file SHA-256 and entry digests (SHA-256, SHA-1, SHA-512) over shared ranges, at any offsets and phases, equal Node's crypto`, async () => {
            const { shared, bufs } = slots(4);
            const data = randomBytes(4 * SLOT_BYTES);
            for (let i = 0; i < 4; i++) data.copy(bufs[i], 0, i * SLOT_BYTES, (i + 1) * SLOT_BYTES);
            const errors: Error[] = [];
            const thread = new DigestThreads(shared, (e) => errors.push(e), path);
            assert.strictEqual(thread.shared, path !== undefined);
            try {
                const whole = thread.begin(["sha256"], "whole");
                // Entries as a tar lays them out (512-byte aligned) and, to cover every case, some that are not.
                const entries: { start: number; end: number; algorithms: string[] }[] = [
                    { start: 512, end: 512 + 1000, algorithms: ["sha256"] },
                    { start: 2048, end: 2048 + SLOT_BYTES + 4096 + 7, algorithms: ["sha256"] },
                    { start: 2 * SLOT_BYTES + 4608, end: 2 * SLOT_BYTES + 4608 + 33, algorithms: ["sha1"] },
                    { start: 2 * SLOT_BYTES + 5003, end: 3 * SLOT_BYTES + 100, algorithms: ["sha256"] }, // not 64-byte aligned
                    { start: 3 * SLOT_BYTES + 512, end: 4 * SLOT_BYTES - 512, algorithms: ["sha512", "sha256"] },
                ];
                const ids = entries.map((e) => thread.begin(e.algorithms, "entry"));
                let released = 0;
                // Walk the file in ranges split at slot and entry boundaries and at odd points, as the framing does.
                const cuts = new Set<number>([0, data.length, 100, 3 * SLOT_BYTES - 1]);
                for (let i = 1; i < 4; i++) cuts.add(i * SLOT_BYTES);
                for (const e of entries) {
                    cuts.add(e.start);
                    cuts.add(e.end);
                    cuts.add(e.start + Math.floor((e.end - e.start) / 3));
                }
                const points = [...cuts].sort((a, b) => a - b);
                let updates = 0;
                for (let i = 0; i + 1 < points.length; i++) {
                    const [from, to] = [points[i], points[i + 1]];
                    const inEntry = entries.findIndex((e) => from >= e.start && to <= e.end);
                    const slot = Math.floor(from / SLOT_BYTES);
                    thread.update(inEntry >= 0 ? [whole, ids[inEntry]] : [whole], slot, from - slot * SLOT_BYTES, to - from, () => released++);
                    updates++;
                }
                for (let i = 0; i < entries.length; i++) {
                    const e = entries[i];
                    const got = await thread.end(ids[i]);
                    for (const a of e.algorithms) assert.strictEqual(got[a], digest(a, data.subarray(e.start, e.end)), `${mode}: entry ${i} ${a}`);
                }
                assert.strictEqual((await thread.end(whole)).sha256, digest("sha256", data), `${mode}: whole file`);
                assert.strictEqual(released, updates);
                assert.deepStrictEqual(errors, []);
            } finally {
                await thread.stop();
            }
        });
    }
});
