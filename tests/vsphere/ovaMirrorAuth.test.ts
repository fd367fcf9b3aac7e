/**
 * An OVA mirror that requires authentication: the credentials come from ovaSourceUsername +
 * ovaSourcePassword (or ovaSourceToken), travel as a secret input and leave only as the
 * Authorization header of the https request. Against a real local HTTPS server (Node's https, a
 * self-signed certificate for 127.0.0.1) that answers 401 without the right header, and vcsim for
 * the whole import. Neither the password nor the header may appear in an error, a log line or a
 * plain input.
 *
 * Debian packages: openssl (the certificate); vcsim from scripts/toolchain/govmomi (Go >= 1.25).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { importOvaTemplate } from "../../components/vsphere/ovaImport";
import { openOvaSource, type OvaByteSource } from "../../components/vsphere/ovaSource";
import { VsphereSoapClient } from "../../components/vsphere/soapClient";
import { buildTestOva, TestOva } from "../support/ovaBuilder";
import { selfSignedCertificate } from "../support/selfSignedCertificate";
import { withoutSecrets } from "../support/secretWire";
import { TEST_SECRETS, runStack } from "../support/stackHarness";
import { startVcsim, Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

const USER = "palette-mirror";
const PASSWORD = "Mirror-Pa55-SECRET-5";
const TOKEN = "mirror-TOKEN-SECRET-6";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
const BEARER = `Bearer ${TOKEN}`;
const OVA_PATH = "/palette/u-2204-0-k-12510-0.ova";

interface Mirror {
    url: string;
    /** The Authorization header of every request, in order ("" when absent). */
    authorizations: string[];
    stop(): Promise<void>;
}

/** An https mirror serving `file` at OVA_PATH to requests carrying `accepted`; `redirectTo` sends it elsewhere instead. */
async function startMirror(certDir: string, file: string, options: { accepted?: string; redirectTo?: string }): Promise<Mirror> {
    const cert = selfSignedCertificate(certDir, `mirror-${Math.random().toString(36).slice(2)}`);
    const authorizations: string[] = [];
    const server = https.createServer({ key: fs.readFileSync(cert.keyFile), cert: fs.readFileSync(cert.certFile) }, (request, response) => {
        authorizations.push(request.headers.authorization ?? "");
        if (options.redirectTo) {
            response.writeHead(302, { location: `${options.redirectTo}${request.url}` }).end();
            return;
        }
        if (options.accepted !== undefined && request.headers.authorization !== options.accepted) {
            response.writeHead(401, { "www-authenticate": 'Basic realm="mirror"' }).end("unauthorized\n");
            return;
        }
        if (request.url !== OVA_PATH) {
            response.writeHead(404).end();
            return;
        }
        response.writeHead(200, { "content-length": String(fs.statSync(file).size), "content-type": "application/octet-stream" });
        fs.createReadStream(file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `https://127.0.0.1:${port}`,
        authorizations,
        stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

async function readAll(source: OvaByteSource): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(1024 * 1024);
    for (let n = await source.fill(buffer); n > 0; n = await source.fill(buffer)) chunks.push(Buffer.from(buffer.subarray(0, n)));
    await source.close();
    return Buffer.concat(chunks);
}

function assertNoCredentials(text: string, where: string): void {
    for (const secret of [PASSWORD, TOKEN, BASIC.slice(6), "Basic ", "Bearer "]) {
        assert.ok(!text.includes(secret), `${where} contains ${JSON.stringify(secret.slice(0, 12))}…:\n${text}`);
    }
}

describe("OVA mirror authentication (a local HTTPS mirror requiring credentials; vcsim)", function () {
    this.timeout(180_000);
    let dir: string;
    let ova: TestOva;
    let caFile: string;
    const mirrors: Mirror[] = [];

    async function mirror(options: { accepted?: string; redirectTo?: string }): Promise<Mirror> {
        const started = await startMirror(dir, ova.path, options);
        mirrors.push(started);
        return started;
    }

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ova-mirror-auth-"));
        ova = await buildTestOva(dir, { diskBytes: 1024 * 1024, network: "nic-net" });
        // One CA file trusting every mirror of this test: each has its own self-signed certificate.
        caFile = path.join(dir, "mirrors-ca.pem");
    });

    after(async () => {
        for (const started of mirrors) await started.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The CA bundle with every mirror certificate made so far. */
    function trustAll(): string {
        const pems = fs.readdirSync(dir).filter((file) => /^mirror-.*\.crt$/.test(file)).map((file) => fs.readFileSync(path.join(dir, file), "utf8"));
        fs.writeFileSync(caFile, pems.join(""));
        return caFile;
    }

    describe("openOvaSource", () => {
        it("sends the basic credentials as the Authorization header and streams the OVA", async () => {
            const server = await mirror({ accepted: BASIC });
            const opened = await openOvaSource(`${server.url}${OVA_PATH}`, { caFile: trustAll(), authorization: BASIC });
            assert.ok((await readAll(opened)).equals(fs.readFileSync(ova.path)));
            assert.deepStrictEqual(server.authorizations, [BASIC]);
        });

        it("sends a bearer token the same way", async () => {
            const server = await mirror({ accepted: BEARER });
            const opened = await openOvaSource(`${server.url}${OVA_PATH}`, { caFile: trustAll(), authorization: BEARER });
            assert.strictEqual((await readAll(opened)).length, ova.size);
            assert.deepStrictEqual(server.authorizations, [BEARER]);
        });

        it("without credentials, the 401 names the keys to set", async () => {
            const server = await mirror({ accepted: BASIC });
            await assert.rejects(openOvaSource(`${server.url}${OVA_PATH}`, { caFile: trustAll() }), (error: Error) => {
                assert.match(error.message, /HTTP 401: the mirror needs authentication: set ovaSourceUsername and ovaSourcePassword \(--secret\), or ovaSourceToken/);
                return true;
            });
        });

        it("refused credentials give a 401 that repeats neither the password nor the header", async () => {
            const server = await mirror({ accepted: "Basic bm9ib2R5Om5vdGhpbmc=" });
            await assert.rejects(openOvaSource(`${server.url}${OVA_PATH}`, { caFile: trustAll(), authorization: BASIC }), (error: Error) => {
                assert.match(error.message, /HTTP 401: the mirror refused the credentials \(check ovaSourceUsername and ovaSourcePassword, or ovaSourceToken\)/);
                assertNoCredentials(`${error.message}\n${error.stack}`, "the error");
                return true;
            });
            assert.deepStrictEqual(server.authorizations, [BASIC]);
        });

        it("a redirect to another origin does not carry the credentials there", async () => {
            const elsewhere = await mirror({});
            const first = await mirror({ redirectTo: elsewhere.url });
            const opened = await openOvaSource(`${first.url}${OVA_PATH}`, { caFile: trustAll(), authorization: BASIC });
            assert.strictEqual((await readAll(opened)).length, ova.size);
            assert.deepStrictEqual(first.authorizations, [BASIC]);
            assert.deepStrictEqual(elsewhere.authorizations, [""], "the other origin received the Authorization header");
        });

        it("never sends credentials over plain http://, not even a first request", async () => {
            const server = await mirror({ accepted: BASIC });
            const plain = server.url.replace(/^https:/, "http:");
            await assert.rejects(openOvaSource(`${plain}${OVA_PATH}`, { authorization: BASIC }), /refusing to send the mirror's credentials over plain http:\/\//);
            assert.deepStrictEqual(server.authorizations, []);
        });
    });

    describe("through the program and the import", () => {
        let vc: Vcsim;
        let client: VsphereSoapClient;

        before(async function () {
            this.timeout(VCSIM_HOOK_TIMEOUT_MS);
            vc = await startVcsim();
            client = await VsphereSoapClient.login(vc.connection());
            await client.createFolder((await client.findVmFolder("DC0"))!, "spectro-templates");
        });

        after(async () => {
            await client?.logout();
            await vc?.stop();
        });

        it("the program passes the credentials only as a secret input; the import sends them and logs neither", async () => {
            const server = await mirror({ accepted: BASIC });
            const run = await runStack("harbor-lab", {
                overrides: { ovaSource: `${server.url}${OVA_PATH}`, ovaCaFile: trustAll(), ovaSha256: ova.sha256, ovaSourceUsername: USER },
                secrets: {
                    vspherePassword: vc.password,
                    registryPassword: TEST_SECRETS.registryPassword,
                    fileServerSshPrivateKey: TEST_SECRETS.fileServerSshPrivateKey,
                    ovaSourcePassword: PASSWORD,
                },
            });
            const withAuth = run.resources.filter((resource) => "sourceAuthorization" in resource.inputs);
            assert.strictEqual(withAuth.length, 1, "exactly one resource receives the mirror's credentials");
            const [template] = withAuth;
            assert.strictEqual(template.inputs.sourceAuthorization, BASIC);
            assert.ok(template.secretPaths.includes("sourceAuthorization"), "sourceAuthorization is not sent as a secret");
            assert.ok(template.additionalSecretOutputs.includes("sourceAuthorization"), "the stored output would be plain");
            for (const resource of run.resources) {
                assertNoCredentials(JSON.stringify(withoutSecrets(resource.wireInputs)), `the plain inputs of ${resource.type} ${resource.name}`);
            }
            assertNoCredentials(JSON.stringify(run.outputs), "the stack outputs");

            const logs: string[] = [];
            const inputs = template.inputs as Record<string, any>;
            const observed = await importOvaTemplate(
                {
                    connection: vc.connection(),
                    datacenter: "DC0",
                    folderPath: "spectro-templates",
                    datastore: "LocalDS_0",
                    network: "VM Network",
                    cluster: "DC0_C0",
                    source: inputs.source,
                    sourceCaFile: inputs.sourceCaFile,
                    sourceAuthorization: inputs.sourceAuthorization,
                    expectedSha256: inputs.expectedSha256,
                    templateName: inputs.templateName,
                    markAsTemplate: true,
                    diskProvisioning: "thin",
                    progressIntervalSeconds: 1,
                },
                (line) => logs.push(line),
            );
            assert.strictEqual(observed.name, "r_u-2204-0-k-12510-0");
            assert.strictEqual(observed.isTemplate, true);
            assert.deepStrictEqual(server.authorizations, [BASIC]);
            assert.ok(logs.length > 0, "the import logged nothing");
            assertNoCredentials(logs.join("\n"), "the import's log");
            await client.destroy({ type: "VirtualMachine", value: observed.moid });
        });
    });
});
