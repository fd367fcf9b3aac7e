/**
 * The native SHA-256 addon (native/sha256pair.c, built by `npm run build:native` into
 * native/build/Release/sha256pair.node): SHA-NI, and two digests over the same bytes for about the
 * price of one (`updatePair`), which the OVA import uses for the whole file's digest and the
 * manifest's disk digest. Optional: when it is missing (no g++/make/python3 at build time), fails
 * to load (another platform, an older glibc), the CPU lacks SHA-NI, or
 * PALETTE_AIRGAP_NATIVE_SHA256=0 is set, the loader answers undefined and the caller hashes with
 * node:crypto (OpenSSL), slower.
 *
 * Found by walking up from this file to the package root (the first directory holding
 * package.json): components/vsphere/ under ts-node, dist/components/vsphere/ after
 * `npm run build`, and the unpacked plugin tarball (dist/ beside native/) alike.
 */
import * as fs from "fs";
import * as path from "path";

/** The environment variable that turns the addon off ("0"): the escape hatch, and how tests exercise the fallback. */
export const NATIVE_SHA256_ENV = "PALETTE_AIRGAP_NATIVE_SHA256";
const ADDON_RELATIVE_PATH = path.join("native", "build", "Release", "sha256pair.node");

/** What sha256pair.node exports. A state is a caller-owned Uint8Array of STATE_BYTES bytes. */
export interface Sha256PairModule {
    /** The CPU has SHA-NI, SSE4.1 and SSSE3; every other export throws when it is false. */
    supported(): boolean;
    readonly STATE_BYTES: number;
    /** Resets `state` to a new, empty digest. */
    init(state: Uint8Array): void;
    /** Appends `data` (any length, any split) to the digest in `state`. */
    update(state: Uint8Array, data: Uint8Array): void;
    /** Appends the same `data` to both digests: one pass when both are at the same offset within a 64-byte block. */
    updatePair(stateA: Uint8Array, stateB: Uint8Array, data: Uint8Array): void;
    /** The 32-byte digest; `state` is finished afterwards (update/final throw until init). */
    final(state: Uint8Array): Buffer;
}

export type NativeSha256Probe =
    | { available: true; path: string; module: Sha256PairModule }
    | { available: false; reason: string };

let cached: NativeSha256Probe | undefined;

/** Whether the environment turns the addon off: "0" (documented), or "false"/"off"/"no". */
export function nativeSha256Disabled(env: NodeJS.ProcessEnv = process.env): boolean {
    const value = env[NATIVE_SHA256_ENV]?.trim().toLowerCase();
    return value === "0" || value === "false" || value === "off" || value === "no";
}

/** The addon's file, looked for from `start` up to the package root; undefined when not built. */
export function findNativeSha256File(start: string = __dirname): string | undefined {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, ADDON_RELATIVE_PATH);
        if (fs.existsSync(candidate)) return candidate;
        // The package root is as far as ours can be: never pick up another package's build.
        if (fs.existsSync(path.join(dir, "package.json")) || path.dirname(dir) === dir) return undefined;
    }
}

/**
 * Whether the addon can be used here and, when not, why (for a log line or a test's skip message).
 * The file lookup and load happen once per process (or worker thread); the environment variable is
 * read at every call.
 */
export function probeNativeSha256(): NativeSha256Probe {
    if (nativeSha256Disabled()) return { available: false, reason: `${NATIVE_SHA256_ENV}=${process.env[NATIVE_SHA256_ENV]} turns it off` };
    if (!cached) {
        const file = findNativeSha256File();
        cached = file ? probeNativeSha256File(file) : { available: false, reason: `${ADDON_RELATIVE_PATH} was not built (npm run build:native; needs g++, make and python3)` };
    }
    return cached;
}

/** Loads `file` as the addon and checks the CPU (uncached; probeNativeSha256 caches its answer). */
export function probeNativeSha256File(file: string): NativeSha256Probe {
    let module: Sha256PairModule;
    try {
        module = require(file) as Sha256PairModule;
    } catch (error) {
        return { available: false, reason: `${file} does not load: ${(error as Error).message}` };
    }
    if (typeof module?.supported !== "function" || typeof module.updatePair !== "function") {
        return { available: false, reason: `${file} is not the sha256pair addon (no supported/updatePair exports)` };
    }
    if (!module.supported()) return { available: false, reason: "this CPU lacks the SHA extensions (SHA-NI, SSE4.1, SSSE3)" };
    return { available: true, path: file, module };
}

/** The absolute path of a loadable sha256pair.node for `require()` (in a worker thread, say); undefined: use node:crypto. */
export function nativeSha256Path(): string | undefined {
    const probe = probeNativeSha256();
    return probe.available ? probe.path : undefined;
}

/** The loaded addon; undefined: use node:crypto. */
export function loadNativeSha256(): Sha256PairModule | undefined {
    const probe = probeNativeSha256();
    return probe.available ? probe.module : undefined;
}
