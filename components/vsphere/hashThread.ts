/**
 * Hashing on a worker thread, over shared buffers: the caller reads into a few SharedArrayBuffers
 * and posts (slot, offset, length) updates; the thread hashes those bytes in place (no copy) and
 * acknowledges each update, after which the caller may reuse the buffer.
 *
 * One update may feed several hashes at once (the OVA reader's whole-file SHA-256 and the current
 * entry's manifest digest over the same disk bytes). When both are SHA-256 and the native module
 * (native/sha256pair.c, located by ./sha256Native) is available, the thread computes the two with
 * SHA-NI in one interleaved pass that costs about as much as one digest; otherwise each goes
 * through Node's crypto (OpenSSL) in turn, which is why DigestThreads (below) then gives each
 * digest a thread of its own.
 */
import { Worker } from "worker_threads";

// Plain JavaScript, evaluated in the thread: no file to locate, the same under ts-node and node.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("worker_threads");
const crypto = require("crypto");
const native = workerData.nativePath ? require(workerData.nativePath) : null;
const slots = workerData.slots.map((s) => Buffer.from(s));
// id -> [{ algorithm, state }]: state is a native SHA-256 state (a Uint8Array) or an OpenSSL Hash.
const hashes = new Map();
const isNative = (h) => h.state instanceof Uint8Array;
function start(algorithm) {
    if (native && algorithm === "sha256") {
        const state = new Uint8Array(native.STATE_BYTES);
        native.init(state);
        return { algorithm, state };
    }
    return { algorithm, state: crypto.createHash(algorithm) };
}
function feed(h, bytes) {
    if (isNative(h)) native.update(h.state, bytes);
    else h.state.update(bytes);
}
parentPort.on("message", (m) => {
    try {
        if (m.t === "begin") hashes.set(m.id, m.algorithms.map(start));
        else if (m.t === "update") {
            const bytes = slots[m.slot].subarray(m.off, m.off + m.len);
            const targets = m.ids.flatMap((id) => hashes.get(id));
            const [a, b] = targets;
            // Two SHA-256 states over the same bytes: one interleaved SHA-NI pass.
            if (targets.length === 2 && isNative(a) && isNative(b)) native.updatePair(a.state, b.state, bytes);
            else for (const h of targets) feed(h, bytes);
            parentPort.postMessage({ t: "ack", seq: m.seq });
        } else if (m.t === "end") {
            const digests = {};
            for (const h of hashes.get(m.id)) digests[h.algorithm] = isNative(h) ? native.final(h.state).toString("hex") : h.state.digest("hex");
            hashes.delete(m.id);
            parentPort.postMessage({ t: "digests", seq: m.seq, digests });
        }
    } catch (e) {
        parentPort.postMessage({ t: "error", message: String(e && e.message || e) });
    }
});
`;

type Digests = Record<string, string>;
type Pending = { kind: "ack"; done: () => void } | { kind: "digests"; resolve: (d: Digests) => void; reject: (e: Error) => void };

export class HashThread {
    private readonly worker: Worker;
    private seq = 0;
    private nextId = 0;
    private readonly pending = new Map<number, Pending>();
    private failure?: Error;
    private stopped = false;

    /**
     * `slots`: every buffer that updates will refer to, by index. `nativePath`: the native SHA-256
     * module (./sha256Native's nativeSha256Path()), or undefined for OpenSSL alone.
     */
    constructor(slots: SharedArrayBuffer[], private readonly onError: (e: Error) => void, nativePath?: string) {
        this.worker = new Worker(THREAD_SOURCE, {
            eval: true,
            workerData: { slots, nativePath },
            // Not the parent's flags: under `node -r ts-node/register` each thread would load TypeScript (~50 MB).
            execArgv: [],
            resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
        });
        this.worker.on("message", (m: { t: string; seq?: number; digests?: Digests; message?: string }) => {
            if (m.t === "error") {
                this.fail(new Error(`hashing thread: ${m.message}`));
                return;
            }
            const p = this.pending.get(m.seq!);
            if (!p) return;
            this.pending.delete(m.seq!);
            if (p.kind === "ack") p.done();
            else p.resolve(m.digests!);
        });
        this.worker.on("error", (e) => this.fail(e));
        this.worker.on("exit", (code) => {
            if (this.pending.size > 0) this.fail(new Error(`hashing thread exited (code ${code}) with work pending`));
        });
    }

    private fail(e: Error): void {
        if (this.failure) return;
        this.failure = e;
        for (const p of this.pending.values()) if (p.kind === "digests") p.reject(e);
        this.pending.clear();
        this.onError(e);
    }

    /** Starts a hash over the given algorithms; returns its id. */
    begin(algorithms: string[]): number {
        const id = this.nextId++;
        this.worker.postMessage({ t: "begin", id, algorithms });
        return id;
    }

    /** Feeds `len` bytes of slot `slot` at `off` to each hash of `ids`; `done` runs once the thread no longer reads them. */
    update(ids: number | number[], slot: number, off: number, len: number, done: () => void): void {
        if (this.failure || this.stopped) return;
        const seq = this.seq++;
        this.pending.set(seq, { kind: "ack", done });
        this.worker.postMessage({ t: "update", ids: Array.isArray(ids) ? ids : [ids], slot, off, len, seq });
    }

    /** The hex digests, after every update posted before. Rejects once the thread has failed or been stopped. */
    end(id: number): Promise<Digests> {
        if (this.failure) return Promise.reject(this.failure);
        if (this.stopped) return Promise.reject(new Error("hashing thread stopped"));
        const seq = this.seq++;
        return new Promise((resolve, reject) => {
            this.pending.set(seq, { kind: "digests", resolve, reject });
            this.worker.postMessage({ t: "end", id, seq });
        });
    }

    /** Stops the thread; pending updates are dropped and pending digests rejected (a waiter never hangs). */
    async stop(): Promise<void> {
        this.stopped = true;
        const stopped = new Error("hashing thread stopped");
        for (const p of this.pending.values()) if (p.kind === "digests") p.reject(stopped);
        this.pending.clear();
        await this.worker.terminate().catch(() => undefined);
    }
}

/**
 * The OVA reader's digests: the whole file's SHA-256 (lane "whole") and each entry's manifest
 * digest (lane "entry"), fed together by one update per range. With the native module one thread
 * computes both in a single SHA-NI pass; without it (no compiler at install time, or a CPU without
 * SHA-NI, such as Xeons before Ice Lake) each lane gets its own thread, so the two OpenSSL passes
 * still run side by side.
 */
export class DigestThreads {
    private readonly threads: HashThread[];
    private readonly owners = new Map<number, { thread: HashThread; id: number }>();
    private nextId = 0;

    constructor(slots: SharedArrayBuffer[], onError: (e: Error) => void, nativePath: string | undefined) {
        this.threads = nativePath ? [new HashThread(slots, onError, nativePath)] : [new HashThread(slots, onError), new HashThread(slots, onError)];
    }

    /** Whether both lanes share one thread (the native module is in use). */
    get shared(): boolean {
        return this.threads.length === 1;
    }

    begin(algorithms: string[], lane: "whole" | "entry"): number {
        const thread = this.threads[lane === "whole" ? 0 : this.threads.length - 1];
        const id = this.nextId++;
        this.owners.set(id, { thread, id: thread.begin(algorithms) });
        return id;
    }

    /** Feeds the range to every hash of `ids`; `done` runs once no thread reads it any more. */
    update(ids: number[], slot: number, off: number, len: number, done: () => void): void {
        const byThread = new Map<HashThread, number[]>();
        for (const id of ids) {
            const owner = this.owner(id);
            byThread.set(owner.thread, [...(byThread.get(owner.thread) ?? []), owner.id]);
        }
        let waiting = byThread.size;
        for (const [thread, threadIds] of byThread) thread.update(threadIds, slot, off, len, () => --waiting === 0 && done());
    }

    end(id: number): Promise<Record<string, string>> {
        const owner = this.owner(id);
        this.owners.delete(id);
        return owner.thread.end(owner.id);
    }

    async stop(): Promise<void> {
        await Promise.all(this.threads.map((t) => t.stop()));
    }

    private owner(id: number): { thread: HashThread; id: number } {
        const owner = this.owners.get(id);
        if (!owner) throw new Error(`hashing: no digest ${id} in progress`);
        return owner;
    }
}
