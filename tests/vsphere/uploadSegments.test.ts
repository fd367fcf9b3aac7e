/**
 * uploadSegments against a server that answers before Node reports the socket drained. vcsim does
 * so once it has an upload's last byte (it answers and closes the connection): the importer then
 * waited for a "drain" that never came (seen in 1 of 15-140 imports on a loaded machine). Here a
 * raw HTTP server answers and closes after reading only the headers, which makes the same wait
 * certain.
 */
import * as assert from "assert";
import * as net from "net";
import { uploadSegments, type UploadSegment } from "../../components/vsphere/soapTransport";

describe("uploadSegments: a server that answers before the upload is complete", function () {
    this.timeout(20_000);
    let server: net.Server;
    let url: string;
    const sockets = new Set<net.Socket>();

    before(async () => {
        server = net.createServer((socket) => {
            sockets.add(socket);
            let head = "";
            const onData = (d: Buffer) => {
                head += d.toString("latin1");
                if (!head.includes("\r\n\r\n")) return;
                socket.off("data", onData);
                socket.pause(); // reads nothing of the body: the client's writes back up
                socket.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            };
            socket.on("data", onData);
            socket.on("error", () => undefined);
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/nfc/disk-0.vmdk`;
    });
    after(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("fails at once, naming the status and how much was sent, instead of waiting for a drain that never comes; every segment is released", async () => {
        const segment = Buffer.alloc(8 * 1024 * 1024, 1);
        let lent = 0;
        let released = 0;
        async function* segments(): AsyncGenerator<UploadSegment> {
            for (let i = 0; i < 8; i++) {
                lent++;
                yield { data: segment, release: () => released++ };
            }
        }
        const started = Date.now();
        await assert.rejects(
            uploadSegments(url, segments(), 8 * segment.length, { rejectUnauthorized: true }, { timeoutMs: 60_000 }),
            /upload \(POST\) to http:\/\/127\.0\.0\.1:\d+\/nfc\/disk-0\.vmdk: the server answered HTTP 200 after \d+ of 67108864 bytes, before the upload was complete/,
        );
        assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
        assert.ok(lent < 8, `${lent} segments lent: the upload should stop at the answer`);
        await new Promise((resolve) => setTimeout(resolve, 100)); // write callbacks of the destroyed socket
        assert.strictEqual(released, lent);
    });
});
