/**
 * Pushes a tiny real OCI image (one layer, built here: no network) to a test registry with
 * `skopeo copy`, authenticating with an auth file (never a command-line password) and trusting
 * the registry's CA through `--dest-cert-dir` (which must hold only the CA).
 *
 * Debian packages: skopeo (and tar, gzip).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestRegistry } from "./registry";

/** True when skopeo is on PATH. */
export function skopeoAvailable(): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, "skopeo")));
}

/** Writes a one-layer OCI image layout (tag `latest`) to `dir`. */
export function writeTestOciLayout(dir: string, label = "palette-airgap validation test"): void {
    const blobs = path.join(dir, "blobs", "sha256");
    fs.mkdirSync(blobs, { recursive: true });
    const putBlob = (data: Buffer): { digest: string; size: number } => {
        const hex = crypto.createHash("sha256").update(data).digest("hex");
        fs.writeFileSync(path.join(blobs, hex), data);
        return { digest: `sha256:${hex}`, size: data.length };
    };
    const content = fs.mkdtempSync(path.join(os.tmpdir(), "oci-layer-"));
    try {
        fs.writeFileSync(path.join(content, "hello.txt"), `${label}\n`);
        const tar = execFileSync("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", content, "-cf", "-", "hello.txt"]);
        const layer = putBlob(execFileSync("gzip", ["-n", "-c"], { input: tar }));
        const diffId = `sha256:${crypto.createHash("sha256").update(tar).digest("hex")}`;
        const config = putBlob(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [diffId] } })));
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
                manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "latest" } }],
            }),
        );
    } finally {
        fs.rmSync(content, { recursive: true, force: true });
    }
}

/** A pusher for `registry`: push("spectro-packs/cni-calico:3.25.1") copies the test image there. */
export function ociPusher(registry: TestRegistry): { push(reference: string): void; cleanup(): void } {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "oci-push-"));
    const layout = path.join(work, "layout");
    writeTestOciLayout(layout);
    const authFile = path.join(work, "auth.json");
    fs.writeFileSync(authFile, JSON.stringify({ auths: { [registry.endpoint]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString("base64") } } }), { mode: 0o600 });
    return {
        push(reference: string) {
            execFileSync(
                "skopeo",
                ["--insecure-policy", "copy", "--quiet", "--dest-authfile", authFile, "--dest-cert-dir", registry.certDir, `oci:${layout}:latest`, `docker://${registry.endpoint}/${reference}`],
                { stdio: ["ignore", "pipe", "pipe"] },
            );
        },
        cleanup() {
            fs.rmSync(work, { recursive: true, force: true });
        },
    };
}
