/**
 * A server that accepts connections and never answers: with `tls`, it completes the TLS handshake
 * (a self-signed certificate for 127.0.0.1, given as `caFile`) and then reads and says nothing,
 * as a hung registry, Harbor or file server does. Every network step must give up on it within its
 * bound. Node's own net/tls servers on 127.0.0.1: no Debian package beyond openssl.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { selfSignedCertificate } from "./selfSignedCertificate";

export interface SilentServer {
    /** `127.0.0.1:PORT` */
    endpoint: string;
    port: number;
    /** The certificate (its own CA), with `tls`. */
    caFile?: string;
    /** Connections accepted so far (TLS: handshakes completed). */
    connections(): number;
    /** Bytes received after the handshake (the requests nobody answers). */
    received(): number;
    stop(): Promise<void>;
}

export async function startSilentServer(options: { tls: boolean }): Promise<SilentServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "silent-server-"));
    const sockets = new Set<net.Socket>();
    let connections = 0;
    let received = 0;
    const hold = (socket: net.Socket) => {
        connections += 1;
        sockets.add(socket);
        socket.on("data", (chunk) => (received += chunk.length));
        socket.on("error", () => undefined);
        socket.on("close", () => sockets.delete(socket));
    };
    let server: net.Server;
    let caFile: string | undefined;
    if (options.tls) {
        const cert = selfSignedCertificate(dir, "silent");
        caFile = cert.certFile;
        server = tls.createServer({ key: fs.readFileSync(cert.keyFile), cert: fs.readFileSync(cert.certFile) });
        server.on("secureConnection", hold);
        server.on("tlsClientError", () => undefined);
    } else {
        server = net.createServer(hold);
    }
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    return {
        endpoint: `127.0.0.1:${port}`,
        port,
        caFile,
        connections: () => connections,
        received: () => received,
        stop: async () => {
            for (const socket of sockets) {
                socket.destroy();
            }
            await new Promise<void>((resolve) => server.close(() => resolve()));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
