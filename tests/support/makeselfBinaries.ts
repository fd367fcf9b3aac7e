/**
 * Fake airgap setup and pack binaries for the tests, built with Debian's `makeself` so that they
 * behave like the real ones: `Verifying archive integrity... MD5 checksums are OK. All good.`
 * (part of it on stderr), `Uncompressing Airgap Setup - Version X`, then the payload script:
 *
 *   Setting up Packs
 *   - Pushing Pack cni-calico:3.25.1
 *   Setting up Images
 *   - Pushing image docker.io/kindest/kindnetd:v20230227-15197099
 *   Manifests are available in /tmp/spectro-manifests-<epoch>.zip
 *   Setup Completed
 *
 * The payload reads the documented variables (OCI_IMAGE_REGISTRY, OCI_IMAGE_BASE,
 * OCI_PACK_REGISTRY, OCI_PACK_BASE, or the ECR_* ones) and pushes a small real OCI image (an
 * `oci:` layout built here, no network) with `skopeo copy` to
 * `<pack registry>/<pack base>/<pack>:<version>` and `<image registry>/<image base>/<image ref>`,
 * authenticating with `$DOCKER_CONFIG/config.json` (what the login wrote). TLS trust: the system
 * store, which includes `SSL_CERT_FILE` when set, plus `--dest-cert-dir $FAKE_AIRGAP_CERT_DIR`
 * when that variable is set.
 *
 * Faults are baked into the archive (see FakeFaults); a counter file counts the runs.
 *
 * Debian packages: makeself, skopeo, zip (and tar, gzip, coreutils).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface FakePack {
    name: string;
    version: string;
}

export interface FakeFaults {
    /** Exit 1 at the Nth push (1-based, packs first then images)... */
    failAtPush?: number;
    /** ...during the first K runs of this binary (default: every run). */
    failRuns?: number;
    /** Exit 0 without printing `Setup Completed`. */
    noCompleted?: boolean;
    /** Write the manifests zip but do not print `Manifests are available in ...`. */
    noManifestsLine?: boolean;
    /** Write `ps -eo args` and the content of every /proc/<pid>/cmdline to this file at the first push. */
    psDump?: string;
    /** Write the payload's environment (`env`) to this file. */
    envDump?: string;
    /** Copy $DOCKER_CONFIG's path and its config.json to this file (to check which login the run used). */
    authDump?: string;
    /** Sleep this many seconds before the first push (to observe a running binary). */
    sleepBeforePush?: number;
    /**
     * Hang: after `Setting up Packs`, start a child (`sleep`) and wait forever, writing the payload's
     * pid and the child's pid to this file (to check that the whole process group was stopped).
     */
    hangPidFile?: string;
    /** With hangPidFile: ignore SIGTERM (only SIGKILL stops it). */
    hangIgnoresTerm?: boolean;
    /** Print this many MiB of 100-character lines before the pushes. */
    printMib?: number;
    /** Print one line of this many MiB (no newline until its end) before the pushes. */
    printLongLineMib?: number;
}

export interface FakeBinaryOptions {
    /** Directory the .bin is written to. */
    outDir: string;
    /** Directory the manifests zip is written to (setup binary). Default /tmp (as the real binary). */
    manifestsDir?: string;
    faults?: FakeFaults;
}

export interface FakeSetupOptions extends FakeBinaryOptions {
    /** Version in the makeself label `Airgap Setup - Version X`. Default 4.0.17. */
    version?: string;
    /** Packs pushed by the setup binary. */
    packs?: FakePack[];
    /** Image references pushed by the setup binary. */
    images?: string[];
}

export interface FakeBinary {
    /** Absolute path of the .bin. */
    path: string;
    /** File counting the runs (one line: the number of runs so far). */
    counterFile: string;
    /** What it pushes: repository paths under the pack base and the image base, with tags. */
    packs: FakePack[];
    images: string[];
}

export const DEFAULT_PACKS: FakePack[] = [
    { name: "cni-calico", version: "3.25.1" },
    { name: "kubernetes", version: "1.26.4" },
];
export const DEFAULT_IMAGES: string[] = [
    "docker.io/kindest/kindnetd:v20230227-15197099",
    "gcr.io/cloud-provider-vsphere/cpi/release/manager:v1.22.8",
];

/** True when makeself, skopeo and zip are installed. */
export function fakeBinariesAvailable(): boolean {
    return ["makeself", "skopeo", "zip"].every((tool) =>
        (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, tool))),
    );
}

/** Builds `airgap-v<version>.bin`, a fake setup binary. */
export function buildFakeSetupBinary(options: FakeSetupOptions): FakeBinary {
    const version = options.version ?? "4.0.17";
    const packs = options.packs ?? DEFAULT_PACKS;
    const images = options.images ?? DEFAULT_IMAGES;
    return build(options, `airgap-v${version}.bin`, `Airgap Setup - Version ${version}`, {
        MODE: "setup",
        VERSION: version,
        PACKS: packs.map((p) => `${p.name}:${p.version}`).join(" "),
        IMAGES: images.join(" "),
    }, packs, images);
}

/** Builds `airgap-pack-<name>-<version>.bin`, a fake pack binary pushing one pack. */
export function buildFakePackBinary(pack: FakePack, options: FakeBinaryOptions): FakeBinary {
    return build(options, `airgap-pack-${pack.name}-${pack.version}.bin`, `Airgap Pack ${pack.name} - Version ${pack.version}`, {
        MODE: "pack",
        VERSION: pack.version,
        PACKS: `${pack.name}:${pack.version}`,
        IMAGES: "",
    }, [pack], []);
}

function build(
    options: FakeBinaryOptions,
    fileName: string,
    label: string,
    settings: Record<string, string>,
    packs: FakePack[],
    images: string[],
): FakeBinary {
    fs.mkdirSync(options.outDir, { recursive: true });
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "palette-fake-bin-"));
    try {
        const payload = path.join(stage, "payload");
        fs.mkdirSync(payload);
        writeOciLayout(path.join(payload, "oci"), fileName);
        const binary = path.join(path.resolve(options.outDir), fileName);
        const counterFile = `${binary}.runs`;
        fs.rmSync(counterFile, { force: true });
        const faults = options.faults ?? {};
        const env: Record<string, string> = {
            ...settings,
            MANIFESTS_DIR: options.manifestsDir ?? "/tmp",
            COUNTER_FILE: counterFile,
            FAIL_AT_PUSH: String(faults.failAtPush ?? 0),
            FAIL_RUNS: String(faults.failRuns ?? 1_000_000),
            NO_COMPLETED: faults.noCompleted ? "1" : "",
            NO_MANIFESTS_LINE: faults.noManifestsLine ? "1" : "",
            PS_DUMP: faults.psDump ?? "",
            ENV_DUMP: faults.envDump ?? "",
            AUTH_DUMP: faults.authDump ?? "",
            SLEEP_BEFORE_PUSH: String(faults.sleepBeforePush ?? 0),
            HANG_PID_FILE: faults.hangPidFile ?? "",
            HANG_IGNORES_TERM: faults.hangIgnoresTerm ? "1" : "",
            PRINT_MIB: String(faults.printMib ?? 0),
            PRINT_LONG_LINE_MIB: String(faults.printLongLineMib ?? 0),
        };
        fs.writeFileSync(
            path.join(payload, "fake.env"),
            Object.entries(env)
                .map(([k, v]) => `${k}=${shellQuote(v)}`)
                .join("\n") + "\n",
        );
        fs.copyFileSync(PAYLOAD_SCRIPT_FILE, path.join(payload, "run.sh"));
        fs.chmodSync(path.join(payload, "run.sh"), 0o755);
        execFileSync("makeself", ["--nox11", "--quiet", payload, binary, label, "./run.sh"], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        fs.chmodSync(binary, 0o755);
        return { path: binary, counterFile, packs, images };
    } finally {
        fs.rmSync(stage, { recursive: true, force: true });
    }
}

/** The payload script: behaves like the real setup/pack binary's script. */
const PAYLOAD_SCRIPT_FILE = path.join(__dirname, "fakeAirgapPayload.sh");

/** A one-layer OCI image layout (tag `latest`) whose single file names the binary. */
function writeOciLayout(dir: string, name: string): void {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const putBlob = (data: Buffer): { digest: string; size: number } => {
        const hex = crypto.createHash("sha256").update(data).digest("hex");
        fs.writeFileSync(path.join(blobs, hex), data);
        return { digest: `sha256:${hex}`, size: data.length };
    };
    const content = fs.mkdtempSync(path.join(os.tmpdir(), "palette-layer-"));
    try {
        fs.writeFileSync(path.join(content, "hello.txt"), `palette-airgap test image from ${name}\n`);
        const tar = execFileSync("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", content, "-cf", "-", "hello.txt"]);
        const gz = execFileSync("gzip", ["-n", "-c"], { input: tar });
        const layer = putBlob(gz);
        const diffId = `sha256:${crypto.createHash("sha256").update(tar).digest("hex")}`;
        const config = putBlob(
            Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [diffId] } })),
        );
        const manifest = putBlob(
            Buffer.from(
                JSON.stringify({
                    schemaVersion: 2,
                    mediaType: "application/vnd.oci.image.manifest.v1+json",
                    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
                    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
                }),
            ),
        );
        fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
        fs.writeFileSync(
            path.join(dir, "index.json"),
            JSON.stringify({
                schemaVersion: 2,
                manifests: [
                    {
                        mediaType: "application/vnd.oci.image.manifest.v1+json",
                        ...manifest,
                        annotations: { "org.opencontainers.image.ref.name": "latest" },
                    },
                ],
            }),
        );
    } finally {
        fs.rmSync(content, { recursive: true, force: true });
    }
}

function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
