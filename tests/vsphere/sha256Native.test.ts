/**
 * The native SHA-256 addon (native/sha256pair.c) and its loader (components/vsphere/sha256Native.ts),
 * against node:crypto as the reference. The addon is built by tests/run-all.sh (npm run
 * build:native). Under CI=true an unavailable addon fails these tests (no silent fallback in CI);
 * elsewhere the tests that need it skip, saying why.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import {
    findNativeSha256File,
    loadNativeSha256,
    NATIVE_SHA256_ENV,
    nativeSha256Path,
    probeNativeSha256,
    probeNativeSha256File,
    type Sha256PairModule,
} from "../../components/vsphere/sha256Native";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const ADDON = path.join(PROJECT_ROOT, "native", "build", "Release", "sha256pair.node");
const MIB = 1024 * 1024;

function sha256(...parts: Uint8Array[]): string {
    const hash = createHash("sha256");
    for (const part of parts) hash.update(part);
    return hash.digest("hex");
}

/** A seeded generator (mulberry32), so a failing random case can be replayed with SHA256_TEST_SEED. */
function random(seed: number): (below: number) => number {
    let a = seed >>> 0;
    return (below) => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
    };
}
const SEED = Number(process.env.SHA256_TEST_SEED ?? Date.now() % 1_000_000_007);
const seedNote = `(replay with SHA256_TEST_SEED=${SEED})`;

/** Cuts `data` into pieces of random sizes: empty ones, single bytes, sub-block, multi-block and large. */
function randomPieces(data: Buffer, next: (below: number) => number): Buffer[] {
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; ) {
        const kind = next(5);
        const size = kind === 0 ? 0 : kind === 1 ? 1 : kind === 2 ? next(64) : kind === 3 ? 64 * next(8) + next(3) : next(512 * 1024);
        pieces.push(data.subarray(at, at + size));
        at += size;
    }
    return pieces;
}

describe("native SHA-256 (sha256pair.node) against node:crypto", function () {
    this.timeout(120_000);
    const probe = probeNativeSha256();
    let native: Sha256PairModule;
    const fresh = () => {
        const state = new Uint8Array(native.STATE_BYTES);
        native.init(state);
        return state;
    };
    const hex = (state: Uint8Array) => native.final(state).toString("hex");

    before(function () {
        if (probe.available) {
            native = probe.module;
            return;
        }
        const message = `the native SHA-256 addon is unavailable: ${probe.reason}`;
        if (process.env.CI === "true") throw new Error(`${message} (CI must not fall back to OpenSSL silently)`);
        console.log(`    skipped: ${message}`);
        this.skip();
    });

    it("is the addon this checkout built, and the CPU supports it", function () {
        assert.ok(probe.available);
        assert.strictEqual(probe.path, ADDON);
        assert.strictEqual(native.supported(), true);
        assert.strictEqual(native.STATE_BYTES, 112);
    });

    it("matches node:crypto for every length from 0 to 300 bytes, with update and with updatePair", function () {
        const data = randomBytes(300);
        for (let length = 0; length <= 300; length++) {
            const expected = sha256(data.subarray(0, length));
            const single = fresh();
            native.update(single, data.subarray(0, length));
            assert.strictEqual(hex(single), expected, `update, ${length} bytes`);
            const a = fresh();
            const b = fresh();
            native.updatePair(a, b, data.subarray(0, length));
            assert.strictEqual(hex(a), expected, `updatePair A, ${length} bytes`);
            assert.strictEqual(hex(b), expected, `updatePair B, ${length} bytes`);
        }
        assert.strictEqual(hex(fresh()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });

    it("matches node:crypto for random sizes up to 8 MiB fed in pieces split at random points", function () {
        const next = random(SEED);
        const data = randomBytes(8 * MIB);
        for (let round = 0; round < 24; round++) {
            const size = round % 3 === 0 ? 64 * next((8 * MIB) / 64) : next(8 * MIB + 1);
            const message = data.subarray(0, size);
            const state = fresh();
            const pieces = randomPieces(message, next);
            for (const piece of pieces) native.update(state, piece);
            assert.strictEqual(hex(state), sha256(message), `round ${round}: ${size} bytes in ${pieces.length} pieces ${seedNote}`);
        }
    });

    /** A and B fed different prefixes with update, then the same message in random pieces with updatePair. */
    function pairAfterPrefixes(prefixA: Buffer, prefixB: Buffer, message: Buffer, next: (below: number) => number, label: string): void {
        const a = fresh();
        const b = fresh();
        native.update(a, prefixA);
        native.update(b, prefixB);
        for (const piece of randomPieces(message, next)) native.updatePair(a, b, piece);
        const context = `${label}, prefixes of ${prefixA.length} and ${prefixB.length} bytes, message of ${message.length} ${seedNote}`;
        assert.strictEqual(hex(a), sha256(prefixA, message), `A, ${context}`);
        assert.strictEqual(hex(b), sha256(prefixB, message), `B, ${context}`);
    }

    it("updatePair in phase: both digests right, also when the two tails hold different bytes of the same length", function () {
        const next = random(SEED + 1);
        const data = randomBytes(3 * MIB);
        for (let round = 0; round < 16; round++) {
            // A and B start with different prefixes whose lengths agree modulo 64 (0 and 0, 5 and 69,
            // 63 and 127...): the same block boundaries, different bytes in the buffered tails.
            const offset = next(64);
            const prefixA = randomBytes(offset + 64 * next(3));
            const prefixB = randomBytes(offset + 64 * next(3));
            pairAfterPrefixes(prefixA, prefixB, data.subarray(0, next(data.length + 1)), next, `round ${round}`);
        }
    });

    it("updatePair out of phase (tails of different lengths) falls back to two updates and stays right", function () {
        const next = random(SEED + 2);
        const data = randomBytes(2 * MIB);
        for (let round = 0; round < 16; round++) {
            const prefixA = randomBytes(next(200));
            let prefixB = randomBytes(next(200));
            if (prefixB.length % 64 === prefixA.length % 64) prefixB = randomBytes(prefixB.length + 1);
            pairAfterPrefixes(prefixA, prefixB, data.subarray(0, next(data.length + 1)), next, `round ${round}`);
        }
    });

    it("any mix of update(A), update(B) and updatePair, moving in and out of phase, stays right", function () {
        const next = random(SEED + 3);
        const data = randomBytes(4 * MIB);
        for (let round = 0; round < 12; round++) {
            const a = fresh();
            const b = fresh();
            const fedA: Buffer[] = [];
            const fedB: Buffer[] = [];
            for (const piece of randomPieces(data.subarray(0, next(data.length + 1)), next)) {
                const op = next(4);
                if (op === 0) {
                    native.update(a, piece);
                    fedA.push(piece);
                } else if (op === 1) {
                    native.update(b, piece);
                    fedB.push(piece);
                } else {
                    native.updatePair(a, b, piece);
                    fedA.push(piece);
                    fedB.push(piece);
                }
            }
            assert.strictEqual(hex(a), sha256(...fedA), `A, round ${round} ${seedNote}`);
            assert.strictEqual(hex(b), sha256(...fedB), `B, round ${round} ${seedNote}`);
        }
    });

    it("hashes views into a SharedArrayBuffer, at odd offsets, for data and states alike", function () {
        const sab = new SharedArrayBuffer(MIB + 1000);
        const bytes = Buffer.from(sab);
        randomBytes(MIB + 1000).copy(bytes);
        const stateSab = new SharedArrayBuffer(2 * 112 + 7);
        const a = new Uint8Array(stateSab, 3, native.STATE_BYTES);
        const b = Buffer.from(stateSab).subarray(3 + 112, 3 + 224);
        native.init(a);
        native.init(b);
        native.update(a, bytes.subarray(1, 6));
        native.update(b, bytes.subarray(2, 7));
        const message = bytes.subarray(7, 7 + MIB - 13);
        native.updatePair(a, b, message.subarray(0, 100_001));
        native.updatePair(a, b, message.subarray(100_001));
        assert.strictEqual(hex(a), sha256(bytes.subarray(1, 6), message));
        assert.strictEqual(hex(b), sha256(bytes.subarray(2, 7), message));
        const single = fresh();
        native.update(single, new Uint8Array(sab, 999, 4097));
        assert.strictEqual(hex(single), sha256(bytes.subarray(999, 999 + 4097)));
    });

    it("loads in worker threads too (context-aware), hashing a SharedArrayBuffer the main thread filled", async function () {
        const sab = new SharedArrayBuffer(3 * MIB + 5);
        randomBytes(sab.byteLength).copy(Buffer.from(sab));
        const code = `
            const { parentPort, workerData } = require("worker_threads");
            const native = require(workerData.addon);
            const a = new Uint8Array(native.STATE_BYTES), b = new Uint8Array(native.STATE_BYTES);
            native.init(a); native.init(b);
            const data = Buffer.from(workerData.sab);
            for (let at = 0; at < data.length; at += 65536) native.updatePair(a, b, data.subarray(at, at + 65536));
            parentPort.postMessage([native.final(a).toString("hex"), native.final(b).toString("hex")]);`;
        const run = () =>
            new Promise<string[]>((resolve, reject) => {
                const worker = new Worker(code, { eval: true, workerData: { addon: probe.available ? probe.path : "", sab } });
                worker.once("message", resolve);
                worker.once("error", reject);
                worker.once("exit", (exitCode) => exitCode === 0 || reject(new Error(`worker exited with ${exitCode}`)));
            });
        const expected = sha256(Buffer.from(sab));
        for (const digests of await Promise.all([run(), run()])) assert.deepStrictEqual(digests, [expected, expected]);
    });

    it("a copied state forks the digest: both copies continue independently", function () {
        const data = randomBytes(1000);
        const state = fresh();
        native.update(state, data.subarray(0, 333));
        const copy = Uint8Array.from(state);
        native.update(state, data.subarray(333));
        native.update(copy, data.subarray(333, 500));
        assert.strictEqual(hex(state), sha256(data));
        assert.strictEqual(hex(copy), sha256(data.subarray(0, 500)));
    });

    it("final twice, update or updatePair after final, and a never-initialized state throw; init starts over", function () {
        const state = fresh();
        native.update(state, Buffer.from("abc"));
        assert.strictEqual(hex(state), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        const finished = { code: "ERR_SHA256PAIR_FINISHED", message: /state is finished: final\(\) was already called on it; call init\(state\)/ };
        assert.throws(() => native.final(state), finished);
        assert.throws(() => native.update(state, Buffer.from("x")), finished);
        const other = fresh();
        native.update(other, Buffer.from("ab"));
        assert.throws(() => native.updatePair(other, state, Buffer.from("c")), { code: "ERR_SHA256PAIR_FINISHED", message: /^stateB is finished/ });
        // The failed call changed neither state: `other` continues from "ab".
        native.update(other, Buffer.from("c"));
        assert.strictEqual(hex(other), sha256(Buffer.from("abc")));
        assert.throws(() => native.updatePair(state, fresh(), Buffer.from("c")), { code: "ERR_SHA256PAIR_FINISHED", message: /^stateA is finished/ });
        native.init(state);
        native.update(state, Buffer.from("x"));
        assert.strictEqual(hex(state), sha256(Buffer.from("x")));
        for (const blank of [new Uint8Array(112), new Uint8Array(112).fill(0xff)]) {
            assert.throws(() => native.update(blank, Buffer.from("x")), { code: "ERR_SHA256PAIR_BAD_STATE", message: /state is not an initialized sha256pair state \(call init\(state\) first\)/ });
            assert.throws(() => native.final(blank), { code: "ERR_SHA256PAIR_BAD_STATE" });
        }
    });

    it("refuses a message longer than SHA-256's 2^64-bit limit with a RangeError", function () {
        const state = fresh();
        // The state's total length (a u64 at byte 104, host order) set just below 2^61 bytes.
        Buffer.from(state.buffer, state.byteOffset, state.byteLength).writeBigUInt64LE((1n << 61n) - 10n, 104);
        assert.throws(() => native.update(state, new Uint8Array(10)), { name: "RangeError", message: /state would exceed SHA-256's message limit of 2\^64 bits/ });
        native.update(state, new Uint8Array(9));
    });

    it("bad arguments throw a TypeError naming the argument", function () {
        const good = fresh();
        const cases: [() => unknown, RegExp][] = [
            [() => (native.init as (s?: unknown) => void)(), /^state must be a Uint8Array \(or Buffer\), got undefined$/],
            [() => native.init("state" as unknown as Uint8Array), /^state must be a Uint8Array \(or Buffer\), got a string$/],
            [() => native.init(new Uint16Array(56) as unknown as Uint8Array), /^state must be a Uint8Array \(or Buffer\), got a Uint16Array$/],
            [() => native.init(new ArrayBuffer(112) as unknown as Uint8Array), /^state must be a Uint8Array \(or Buffer\), got an ArrayBuffer$/],
            [() => native.init(new DataView(new ArrayBuffer(112)) as unknown as Uint8Array), /^state must be a Uint8Array \(or Buffer\), got a DataView$/],
            [() => native.init(new Uint8Array(111)), /^state must be a Uint8Array of STATE_BYTES \(112\) bytes, got 111 bytes$/],
            [() => native.update(new Uint8Array(113), Buffer.alloc(1)), /^state must be a Uint8Array of STATE_BYTES \(112\) bytes, got 113 bytes$/],
            [() => native.final({} as Uint8Array), /^state must be a Uint8Array \(or Buffer\), got an object$/],
            [() => native.update(good, "abc" as unknown as Uint8Array), /^data must be a Uint8Array \(or Buffer\), got a string$/],
            [() => native.update(good, 7 as unknown as Uint8Array), /^data must be a Uint8Array \(or Buffer\), got a number$/],
            [() => (native.update as (s: Uint8Array) => void)(good), /^data must be a Uint8Array \(or Buffer\), got undefined$/],
            [() => native.update(good, new Float64Array(2) as unknown as Uint8Array), /^data must be a Uint8Array \(or Buffer\), got a Float64Array$/],
            [() => native.updatePair(good, null as unknown as Uint8Array, Buffer.alloc(1)), /^stateB must be a Uint8Array \(or Buffer\), got null$/],
            [() => native.updatePair([] as unknown as Uint8Array, good, Buffer.alloc(1)), /^stateA must be a Uint8Array \(or Buffer\), got an Array$/],
            [() => native.updatePair(good, fresh(), [1, 2] as unknown as Uint8Array), /^data must be a Uint8Array \(or Buffer\), got an Array$/],
            [() => native.updatePair(good, good, Buffer.alloc(1)), /^stateA and stateB must be two different states \(they share memory\)$/],
        ];
        for (const [call, message] of cases) assert.throws(call, (error: Error) => error instanceof TypeError && message.test(error.message), `expected a TypeError matching ${message}`);
        // Two views overlapping by one byte are the same memory too.
        const backing = new Uint8Array(2 * 112 - 1);
        const first = backing.subarray(0, 112);
        const second = backing.subarray(111, 223);
        native.init(first);
        native.init(second);
        assert.throws(() => native.updatePair(first, second, Buffer.alloc(1)), TypeError);
        // None of the refused calls touched the good state.
        native.update(good, Buffer.from("abc"));
        assert.strictEqual(hex(good), sha256(Buffer.from("abc")));
    });
});

describe("native SHA-256 loader (sha256Native.ts)", function () {
    let work: string;
    before(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), "sha256-native-"))));
    after(() => fs.rmSync(work, { recursive: true, force: true }));

    /** A package directory laid out like the checkout or the unpacked plugin tarball. */
    function packageDir(name: string, withAddon: Buffer | undefined): string {
        const root = path.join(work, name);
        fs.mkdirSync(path.join(root, "dist", "components", "vsphere"), { recursive: true });
        fs.writeFileSync(path.join(root, "package.json"), "{}");
        if (withAddon) {
            fs.mkdirSync(path.join(root, "native", "build", "Release"), { recursive: true });
            fs.writeFileSync(path.join(root, "native", "build", "Release", "sha256pair.node"), withAddon);
        }
        return root;
    }

    it(`${NATIVE_SHA256_ENV}=0 turns the addon off (path and module undefined, the reason names the variable); unset, it is back`, function () {
        const saved = process.env[NATIVE_SHA256_ENV];
        try {
            for (const off of ["0", "false", "OFF", " no "]) {
                process.env[NATIVE_SHA256_ENV] = off;
                assert.strictEqual(nativeSha256Path(), undefined, off);
                assert.strictEqual(loadNativeSha256(), undefined, off);
                const probe = probeNativeSha256();
                assert.ok(!probe.available && probe.reason.includes(`${NATIVE_SHA256_ENV}=${off} turns it off`), off);
            }
            for (const on of [undefined, "1"]) {
                if (on === undefined) delete process.env[NATIVE_SHA256_ENV];
                else process.env[NATIVE_SHA256_ENV] = on;
                const probe = probeNativeSha256();
                if (!probe.available) {
                    if (process.env.CI === "true") assert.fail(`the native SHA-256 addon is unavailable in CI: ${probe.reason}`);
                    console.log(`    (the on half is not checked: ${probe.reason})`);
                    return;
                }
                assert.strictEqual(nativeSha256Path(), ADDON);
                assert.strictEqual(loadNativeSha256(), probe.module);
            }
        } finally {
            if (saved === undefined) delete process.env[NATIVE_SHA256_ENV];
            else process.env[NATIVE_SHA256_ENV] = saved;
        }
    });

    it("finds the addon from components/vsphere (ts-node) and dist/components/vsphere (built, or the unpacked tarball)", function () {
        assert.strictEqual(findNativeSha256File(path.join(PROJECT_ROOT, "components", "vsphere")), fs.existsSync(ADDON) ? ADDON : undefined);
        const root = packageDir("unpacked", Buffer.from("stand-in"));
        const expected = path.join(root, "native", "build", "Release", "sha256pair.node");
        assert.strictEqual(findNativeSha256File(path.join(root, "dist", "components", "vsphere")), expected);
        assert.strictEqual(findNativeSha256File(path.join(root, "components", "vsphere")), expected);
    });

    it("stops at the package root: an addon built above it (another package's) is not picked up", function () {
        const outer = packageDir("outer", Buffer.from("stand-in"));
        fs.mkdirSync(path.join(outer, "inner", "dist", "components", "vsphere"), { recursive: true });
        fs.writeFileSync(path.join(outer, "inner", "package.json"), "{}");
        assert.strictEqual(findNativeSha256File(path.join(outer, "inner", "dist", "components", "vsphere")), undefined);
    });

    it("a file that does not load, is not the addon, or reports an unsupported CPU gives undefined with the reason", function () {
        const broken = path.join(packageDir("broken", Buffer.from("not an ELF file")), "native", "build", "Release", "sha256pair.node");
        const notLoading = probeNativeSha256File(broken);
        assert.ok(!notLoading.available && notLoading.reason.startsWith(`${broken} does not load:`), JSON.stringify(notLoading));

        const other = path.join(work, "other.js");
        fs.writeFileSync(other, "module.exports = { hello: 1 };");
        const notAddon = probeNativeSha256File(other);
        assert.ok(!notAddon.available && /is not the sha256pair addon/.test(notAddon.reason), JSON.stringify(notAddon));

        const oldCpu = path.join(work, "oldCpu.js");
        fs.writeFileSync(oldCpu, "module.exports = { supported: () => false, updatePair() { throw new Error('unsupported'); } };");
        const unsupported = probeNativeSha256File(oldCpu);
        assert.ok(!unsupported.available && /this CPU lacks the SHA extensions/.test(unsupported.reason), JSON.stringify(unsupported));
    });

    it("in a fresh process (nothing cached): =0 gives no path and no module, unset gives the addon", function () {
        const script = `const l = require(${JSON.stringify(path.join(PROJECT_ROOT, "components", "vsphere", "sha256Native.ts"))}); console.log(JSON.stringify({ path: l.nativeSha256Path() ?? null, loaded: !!l.loadNativeSha256() }));`;
        const run = (env: NodeJS.ProcessEnv) => JSON.parse(execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: PROJECT_ROOT, env, encoding: "utf8" }));
        assert.deepStrictEqual(run({ ...process.env, [NATIVE_SHA256_ENV]: "0" }), { path: null, loaded: false });
        const on = run({ ...process.env, [NATIVE_SHA256_ENV]: "" });
        if (probeNativeSha256File(ADDON).available) assert.deepStrictEqual(on, { path: ADDON, loaded: true });
    });
});
