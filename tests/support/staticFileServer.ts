/**
 * A static file server on 127.0.0.1 for the validation tests: serves a directory (the unzipped
 * manifests) over HTTP, or HTTPS with a self-signed certificate (IP SAN 127.0.0.1, made by the
 * openssl CLI) when `tls` is set. Node's own http/https server: no Debian package needed.
 */
import * as fs from "fs";
import { selfSignedCertificate } from "./selfSignedCertificate";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";

export interface StaticFileServer {
    /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` */
    url: string;
    /** The directory served. */
    root: string;
    /** With tls: the self-signed certificate (its own CA), PEM. */
    caFile?: string;
    /** Request paths received, in order. */
    requests: string[];
    stop(): Promise<void>;
}

const TYPES: Record<string, string> = { ".yaml": "application/yaml", ".yml": "application/yaml", ".json": "application/json", ".txt": "text/plain" };

export async function startStaticFileServer(root: string, options: { tls?: boolean } = {}): Promise<StaticFileServer> {
    const requests: string[] = [];
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
        requests.push(urlPath);
        const file = path.resolve(root, `.${urlPath}`);
        if (req.method !== "GET" && req.method !== "HEAD") {
            res.writeHead(405).end();
            return;
        }
        if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
            res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
            return;
        }
        const body = fs.readFileSync(file);
        res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "content-length": body.length });
        res.end(req.method === "HEAD" ? undefined : body);
    };
    let caFile: string | undefined;
    let certDir: string | undefined;
    let server: http.Server | https.Server;
    if (options.tls) {
        certDir = fs.mkdtempSync(path.join(os.tmpdir(), "static-file-server-"));
        const cert = selfSignedCertificate(certDir);
        const keyFile = cert.keyFile;
        caFile = cert.certFile;
        server = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(caFile) }, handler);
    } else {
        server = http.createServer(handler);
    }
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return {
        url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
        root,
        caFile,
        requests,
        stop: async () => {
            server.closeAllConnections?.();
            await new Promise<void>((resolve) => server.close(() => resolve()));
            if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
        },
    };
}

/** Writes a manifests tree like the unzipped spectro-manifests zip: roar/nickfury/versions.yaml (documented shape) and one version.yaml per version. */
export function writeManifestsTree(root: string, versions: string[]): void {
    const dir = path.join(root, "roar", "nickfury");
    fs.mkdirSync(dir, { recursive: true });
    const lines = ["versions:"];
    for (const version of versions) {
        lines.push(`  - version: "${version}"`, `    filepath: "/roar/nickfury/${version}/version.yaml"`, `    patchVersionsFilepath: "/roar/nickfury/${version}/versions.yaml"`);
        fs.mkdirSync(path.join(dir, version), { recursive: true });
        fs.writeFileSync(path.join(dir, version, "version.yaml"), `version: "${version}"\n`);
    }
    fs.writeFileSync(path.join(dir, "versions.yaml"), lines.join("\n") + "\n");
}
