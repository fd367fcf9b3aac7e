/**
 * The validation checks against real local services on 127.0.0.1:
 *  - manifests: a static file server (Node's http/https) serving a manifests tree;
 *  - registry: Debian's docker-registry (TLS + htpasswd) after pushing an image under each base
 *    with skopeo; a token-auth registry stand-in (Bearer challenge, Link pagination); the Harbor
 *    project-API stand-in (swagger-validated);
 *  - ECR: no stand-in exists here, so the AWS CLI is a fake script printing canned JSON
 *    (what is tested is the execFile call and the parsing);
 *  - template: vcsim with an OVA imported by importOvaTemplate.
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo; vcsim from scripts/toolchain/govmomi (Go >= 1.25).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import {
    checkEcrBases,
    checkHarborBases,
    checkManifestServer,
    checkOciBases,
    checkTemplate,
    formatCheckLine,
    nextLink,
    parseBearerChallenge,
    parseDescribeRepositories,
    parseManifestVersions,
    type CheckLine,
} from "../../components/validate/checks";
import { importOvaTemplate } from "../../components/vsphere/ovaImport";
import { startHarborStandIn, type HarborStandIn } from "../support/harborStandIn";
import { ociPusher, skopeoAvailable } from "../support/ociPush";
import { buildTestOva } from "../support/ovaBuilder";
import { freePort, registryAvailable, startRegistry, type TestRegistry } from "../support/registry";
import { requireSharedFile } from "../support/sharedFiles";
import { selfSignedCertificate } from "../support/selfSignedCertificate";
import { startSilentServer, type SilentServer } from "../support/silentServer";
import { startStaticFileServer, writeManifestsTree, type StaticFileServer } from "../support/staticFileServer";
import { startVcsim, withVcsimClient, type Vcsim, VCSIM_HOOK_TIMEOUT_MS } from "../support/vcsim";

const line = (check: CheckLine) => formatCheckLine(check);

function skipOrFail(context: Mocha.Context, message: string): void {
    if (process.env.CI) {
        throw new Error(message);
    }
    console.warn(`    skipped: ${message}`);
    context.skip();
}

describe("validation checks", function () {
    this.timeout(120_000);

    describe("checkManifestServer against a file server serving the unzipped manifests", function () {
        let root: string;
        let server: StaticFileServer;
        let tlsServer: StaticFileServer;
        const versionsFile = () => path.join(root, "roar", "nickfury", "versions.yaml");

        before(async function () {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "manifests-"));
            writeManifestsTree(root, ["3.4", "4.0", "4.2.13"]);
            server = await startStaticFileServer(root);
            tlsServer = await startStaticFileServer(root, { tls: true });
        });

        after(async function () {
            await server?.stop();
            await tlsServer?.stop();
            fs.rmSync(root, { recursive: true, force: true });
        });

        it("passes, listing the versions found", async function () {
            const check = await checkManifestServer(server.url);
            assert.strictEqual(line(check), `ok   manifests: 3 versions (3.4, 4.0, 4.2.13) at ${server.url}/roar/nickfury/versions.yaml`);
            assert.deepStrictEqual(server.requests.slice(-1), ["/roar/nickfury/versions.yaml"]);
        });

        it("keeps a path prefix of the SCAR URL and ignores a trailing slash", async function () {
            fs.mkdirSync(path.join(root, "palette"), { recursive: true });
            fs.cpSync(path.join(root, "roar"), path.join(root, "palette", "roar"), { recursive: true });
            const check = await checkManifestServer(`${server.url}/palette/`);
            assert.strictEqual(check.ok, true, check.detail);
            assert.ok(check.detail.endsWith(`${server.url}/palette/roar/nickfury/versions.yaml`), check.detail);
        });

        it("over HTTPS: passes with the server's CA, fails precisely without it", async function () {
            const trusted = await checkManifestServer(tlsServer.url, { caFile: tlsServer.caFile });
            assert.strictEqual(trusted.ok, true, trusted.detail);
            const untrusted = await checkManifestServer(tlsServer.url);
            assert.strictEqual(
                line(untrusted),
                `FAIL manifests: GET ${tlsServer.url}/roar/nickfury/versions.yaml: TLS failure [DEPTH_ZERO_SELF_SIGNED_CERT]: the certificate is not trusted: set the file server's CA (scarCaFile)`,
            );
            const insecure = await checkManifestServer(tlsServer.url, { insecure: true });
            assert.strictEqual(insecure.ok, true, insecure.detail);
        });

        it("versions.yaml removed: a precise FAIL line (HTTP 404 and the fix)", async function () {
            const saved = fs.readFileSync(versionsFile());
            fs.rmSync(versionsFile());
            try {
                const check = await checkManifestServer(server.url);
                assert.strictEqual(
                    line(check),
                    `FAIL manifests: GET ${server.url}/roar/nickfury/versions.yaml: HTTP 404: unzip the spectro-manifests zip so that roar/ is at the web root`,
                );
            } finally {
                fs.writeFileSync(versionsFile(), saved);
            }
        });

        it("a versions.yaml listing no version fails; one that is not YAML fails", async function () {
            const saved = fs.readFileSync(versionsFile());
            try {
                fs.writeFileSync(versionsFile(), "versions: []\n");
                assert.strictEqual(
                    line(await checkManifestServer(server.url)),
                    `FAIL manifests: GET ${server.url}/roar/nickfury/versions.yaml: HTTP 200 but lists no version (expected "versions:" with "- version: <x.y>" entries)`,
                );
                fs.writeFileSync(versionsFile(), "versions: [unclosed\n");
                assert.match(line(await checkManifestServer(server.url)), /^FAIL manifests: GET .*versions\.yaml: HTTP 200 but not YAML \(/);
            } finally {
                fs.writeFileSync(versionsFile(), saved);
            }
        });

        it("nothing listening, or not a URL: FAIL lines saying so", async function () {
            const port = await freePort();
            assert.match(line(await checkManifestServer(`http://127.0.0.1:${port}`)), new RegExp(`^FAIL manifests: GET http://127\\.0\\.0\\.1:${port}/roar/nickfury/versions\\.yaml: cannot connect \\(.*ECONNREFUSED`));
            assert.strictEqual(line(await checkManifestServer("10.10.100.50:8080")), `FAIL manifests: the SCAR URL "10.10.100.50:8080" is not an http:// or https:// URL, e.g. http://10.10.100.50:8080`);
        });

        it("credentials in the URL are sent as basic auth and never shown", async function () {
            const check = await checkManifestServer(server.url.replace("http://", "http://admin:S3cret-url-pw@"));
            assert.strictEqual(check.ok, true, check.detail);
            assert.ok(!check.detail.includes("S3cret-url-pw") && !check.detail.includes("admin@"), check.detail);
        });

        it("parseManifestVersions: the documented shape, a map keyed by version, bare lists, and junk", function () {
            assert.deepStrictEqual(parseManifestVersions({ versions: [{ version: "3.3", filepath: "/roar/nickfury/3.3/version.yaml" }, { version: 4.0 }, "4.2.13"] }), ["3.3", "4", "4.2.13"]);
            assert.deepStrictEqual(parseManifestVersions({ versions: { "4.1": { filepath: "x" }, "4.2": {} } }), ["4.1", "4.2"]);
            assert.deepStrictEqual(parseManifestVersions(["4.1", { version: "4.2" }, "4.1"]), ["4.1", "4.2"]);
            assert.deepStrictEqual(parseManifestVersions("<html>not found</html>"), []);
            assert.deepStrictEqual(parseManifestVersions({ versions: [{ filepath: "x" }, ""] }), []);
            assert.deepStrictEqual(parseManifestVersions(null), []);
        });
    });

    describe("checkOciBases against docker-registry (TLS + htpasswd) after pushing with skopeo", function () {
        let registry: TestRegistry;
        let pusher: ReturnType<typeof ociPusher>;
        const opts = () => ({ endpoint: registry.endpoint, username: registry.username, password: registry.password, caFile: registry.caFile, packBase: "spectro-packs", imageBase: "spectro-images" });

        before(async function () {
            this.timeout(120_000);
            if (!registryAvailable() || !skopeoAvailable()) {
                skipOrFail(this, "docker-registry, apache2-utils, openssl and skopeo are needed (apt-get install them)");
            }
            registry = await startRegistry();
            pusher = ociPusher(registry);
            pusher.push("spectro-packs/cni-calico:3.25.1");
            pusher.push("spectro-packs/kubernetes:1.26.4");
            pusher.push("spectro-images/docker.io/kindest/kindnetd:v20230227-15197099");
            pusher.push("other/unrelated:1");
        });

        after(async function () {
            pusher?.cleanup();
            await registry?.stop();
        });

        it("passes with the count per base (following Link pagination)", async function () {
            assert.deepStrictEqual((await registry.catalog()).sort(), ["other/unrelated", "spectro-images/docker.io/kindest/kindnetd", "spectro-packs/cni-calico", "spectro-packs/kubernetes"]);
            const check = await checkOciBases({ ...opts(), pageSize: 1 });
            assert.strictEqual(line(check), `ok   registry: spectro-packs: 2 repositories, spectro-images: 1 repository (4 repositories in the catalog of ${registry.endpoint})`);
            const onePage = await checkOciBases(opts());
            assert.strictEqual(onePage.detail, check.detail);
        });

        it("an empty base: a precise FAIL line naming it", async function () {
            const check = await checkOciBases({ ...opts(), imageBase: "spectro-empty" });
            assert.strictEqual(line(check), `FAIL registry: spectro-empty holds no repository (https://${registry.endpoint}); spectro-packs: 2 repositories`);
            const prefixOnly = await checkOciBases({ ...opts(), packBase: "spectro" }); // "spectro-packs/x" is not under "spectro/"
            assert.match(line(prefixOnly), /^FAIL registry: spectro holds no repository/);
        });

        it("rejected credentials and an untrusted certificate fail without the password", async function () {
            const wrong = "Wr0ng-registry-PASSWORD";
            const rejected = await checkOciBases({ ...opts(), password: wrong });
            assert.strictEqual(
                line(rejected),
                `FAIL registry: GET https://${registry.endpoint}/v2/_catalog?n=1000: HTTP 401: the registry rejected the credentials of user "${registry.username}" (check registryUsername and registryPassword)`,
            );
            const untrusted = await checkOciBases({ ...opts(), caFile: undefined });
            assert.match(line(untrusted), /^FAIL registry: GET https:\/\/127\.0\.0\.1:\d+\/v2\/_catalog\?n=1000: TLS failure \[[A-Z_]+\]: the certificate is not trusted: set the registry CA \(registryCaFile\)$/);
            const insecure = await checkOciBases({ ...opts(), caFile: undefined, insecure: true });
            assert.strictEqual(insecure.ok, true, insecure.detail);
            for (const check of [rejected, untrusted, insecure]) {
                assert.ok(!check.detail.includes(registry.password) && !check.detail.includes(wrong), check.detail);
            }
            assert.strictEqual(line(await checkOciBases({ ...opts(), endpoint: `http://${registry.endpoint}` })), `FAIL registry: the registry endpoint "http://${registry.endpoint}" uses plain http://: registries are only checked over HTTPS`);
        });
    });

    describe("checkOciBases against a token-auth registry (Bearer challenge, Link pagination)", function () {
        let server: https.Server;
        let dir: string;
        let endpoint: string;
        let caFile: string;
        const seen: string[] = [];
        const USER = "robot$palette";
        const PASSWORD = "token-Registry-PW-9";
        const TOKEN = "opaque-token-123";
        const REPOS = ["spectro-images/a", "spectro-images/b", "spectro-packs/c"];

        before(async function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-registry-"));
            const { certFile, keyFile } = selfSignedCertificate(dir, "token-registry");
            caFile = certFile;
            server = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(caFile) }, (req, res) => {
                const url = new URL(req.url!, "https://x");
                seen.push(`${req.headers.authorization?.split(" ")[0] ?? "none"} ${url.pathname}${url.search}`);
                if (url.pathname === "/service/token") {
                    const ok = req.headers.authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` && url.searchParams.get("scope") === "registry:catalog:*" && url.searchParams.get("service") === "harbor-registry";
                    res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? JSON.stringify({ token: TOKEN }) : "{}");
                    return;
                }
                if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                    res.writeHead(401, { "www-authenticate": `Bearer realm="https://${endpoint}/service/token",service="harbor-registry",scope="registry:catalog:*"`, "content-type": "application/json" })
                        .end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] }));
                    return;
                }
                const n = Number(url.searchParams.get("n") ?? 100);
                const last = url.searchParams.get("last");
                const start = last ? REPOS.indexOf(last) + 1 : 0;
                const page = REPOS.slice(start, start + n);
                const headers: Record<string, string> = { "content-type": "application/json" };
                if (start + n < REPOS.length) headers.link = `</v2/_catalog?last=${encodeURIComponent(page[page.length - 1])}&n=${n}>; rel="next"`;
                res.writeHead(200, headers).end(JSON.stringify({ repositories: page }));
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
            endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        });

        after(async function () {
            server?.closeAllConnections();
            await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("gets a catalog token from the challenge's realm with basic auth, then pages with it", async function () {
            const check = await checkOciBases({ endpoint: `https://${endpoint}/`, username: USER, password: PASSWORD, caFile, packBase: "spectro-packs", imageBase: "spectro-images", pageSize: 2 });
            assert.strictEqual(line(check), `ok   registry: spectro-packs: 1 repository, spectro-images: 2 repositories (3 repositories in the catalog of ${endpoint})`);
            assert.deepStrictEqual(seen, [
                "Basic /v2/_catalog?n=2",
                "Basic /service/token?service=harbor-registry&scope=registry%3Acatalog%3A*",
                "Bearer /v2/_catalog?n=2",
                "Bearer /v2/_catalog?last=spectro-images%2Fb&n=2",
            ]);
            const rejected = await checkOciBases({ endpoint, username: USER, password: "nope-PW", caFile, packBase: "spectro-packs", imageBase: "spectro-images" });
            assert.match(line(rejected), /^FAIL registry: GET https:\/\/127\.0\.0\.1:\d+\/service\/token \(token\): HTTP 401: the registry rejected the credentials of user "robot\$palette"/);
        });

        it("parses challenges and Link headers", function () {
            assert.deepStrictEqual(parseBearerChallenge('Bearer realm="https://h/service/token",service="harbor-registry",scope="registry:catalog:*"'), { realm: "https://h/service/token", service: "harbor-registry" });
            assert.strictEqual(parseBearerChallenge('Basic realm="x"'), undefined);
            assert.strictEqual(nextLink('</v2/_catalog?last=a%2Fb&n=2>; rel="next"'), "/v2/_catalog?last=a%2Fb&n=2");
            assert.strictEqual(nextLink('<https://h/x>; rel="prev", </v2/_catalog?last=z>; rel=next'), "/v2/_catalog?last=z");
            assert.strictEqual(nextLink(undefined), undefined);
        });
    });

    describe("checkHarborBases against the Harbor project-API stand-in", function () {
        let harbor: HarborStandIn;
        const USER = "palette-installer";
        const PASSWORD = "harbor-Validate-PW-3";

        before(async function () {
            const swaggerFile = requireSharedFile(this, "schemas/harbor-swagger-v2.15.2.yaml");
            harbor = await startHarborStandIn({ swaggerFile, username: USER, password: PASSWORD });
            harbor.addProject("spectro-packs", false);
            harbor.addProject("spectro-images", true);
            harbor.addRepository("spectro-packs", "cni-calico");
            harbor.addRepository("spectro-images", "docker.io/kindest/kindnetd");
            harbor.addRepository("spectro-images", "gcr.io/spectro-images-public/release/hubble");
        });

        after(async function () {
            await harbor?.stop();
        });

        const connection = (password = PASSWORD) => ({ endpoint: harbor.endpoint, username: USER, password, caFile: harbor.caFile });

        it("passes with the repository counts of both projects", async function () {
            const check = await checkHarborBases(connection(), "spectro-packs", "spectro-images");
            assert.strictEqual(line(check), `ok   registry: spectro-packs: 1 repository, spectro-images: 2 repositories (Harbor https://${harbor.endpoint})`);
        });

        it("a nested base counts the repositories under it", async function () {
            harbor.addProject("palette", false);
            harbor.addRepository("palette", "packs/cni-calico");
            harbor.addRepository("palette", "packsx/other");
            const check = await checkHarborBases(connection(), "palette/packs", "palette/images");
            assert.strictEqual(line(check), `FAIL registry: palette/images holds no repository (Harbor https://${harbor.endpoint}); palette/packs: 1 repository`);
        });

        it("an empty project and a missing project: precise FAIL lines; wrong password: no leak", async function () {
            harbor.addProject("spectro-empty", true);
            assert.strictEqual(
                line(await checkHarborBases(connection(), "spectro-packs", "spectro-empty")),
                `FAIL registry: spectro-empty holds no repository (Harbor https://${harbor.endpoint}); spectro-packs: 1 repository`,
            );
            assert.strictEqual(
                line(await checkHarborBases(connection(), "spectro-gone", "spectro-images")),
                `FAIL registry: spectro-gone: Harbor project "spectro-gone" does not exist; spectro-images: 2 repositories`,
            );
            const wrong = await checkHarborBases(connection("Wrong-harbor-PW-1"), "spectro-packs", "spectro-images");
            assert.match(line(wrong), /^FAIL registry: Harbor at https:\/\/127\.0\.0\.1:\d+ rejected the credentials of user "palette-installer" \(HTTP 401/);
            assert.ok(!wrong.detail.includes("Wrong-harbor-PW-1"));
            assert.deepStrictEqual(harbor.violations, []);
        });
    });

    describe("hostile services: a server that never answers, pages that never end, credentials echoed back (issue 9)", function () {
        const USER = "palette";
        const PASSWORD = "hostile-Registry-PW-5";
        let silent: SilentServer;
        let hostile: https.Server;
        let hostileEndpoint: string;
        let hostileCa: string;
        let certDir: string;
        /** What the hostile registry does: repeat one page forever, send new names forever, or fail echoing the Authorization header. */
        let mode: "repeat" | "fresh" | "echo" = "repeat";
        let catalogRequests = 0;

        before(async function () {
            silent = await startSilentServer({ tls: true });
            certDir = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-registry-"));
            const cert = selfSignedCertificate(certDir);
            hostileCa = cert.certFile;
            hostile = https.createServer({ key: fs.readFileSync(cert.keyFile), cert: fs.readFileSync(cert.certFile) }, (req, res) => {
                catalogRequests += 1;
                const page = Number(new URL(req.url!, "https://x").searchParams.get("page") ?? 1);
                if (mode === "echo") {
                    res.writeHead(500, { "content-type": "application/json" }).end(
                        JSON.stringify({ errors: [{ code: "UNKNOWN", message: `backend failed for Authorization: ${req.headers.authorization}` }] }),
                    );
                    return;
                }
                const names = mode === "repeat" ? ["spectro-packs/a", "spectro-images/b"] : [`spectro-packs/p${page}`, `spectro-images/i${page}`];
                res.writeHead(200, { "content-type": "application/json", link: `</v2/_catalog?n=2&page=${page + 1}>; rel="next"` }).end(JSON.stringify({ repositories: names }));
            });
            await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", () => resolve()));
            hostileEndpoint = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
        });

        after(async function () {
            await silent?.stop();
            hostile?.closeAllConnections();
            await new Promise<void>((resolve) => (hostile ? hostile.close(() => resolve()) : resolve()));
            if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
        });

        it("a file server that completes TLS and never answers: FAIL within the time limit, saying so", async function () {
            const check = await checkManifestServer(`https://${silent.endpoint}`, { caFile: silent.caFile, timeoutMs: 1500 });
            assert.match(line(check), /^FAIL manifests: GET https:\/\/127\.0\.0\.1:\d+\/roar\/nickfury\/versions\.yaml: no answer within 1\.5 s \(the server accepted the connection and then said nothing\)/);
        });

        it("a registry that never answers: the OCI check fails within the time limit", async function () {
            const check = await checkOciBases({ endpoint: silent.endpoint, username: USER, password: PASSWORD, caFile: silent.caFile, packBase: "spectro-packs", imageBase: "spectro-images", timeoutMs: 1500 });
            assert.match(line(check), /^FAIL registry: GET https:\/\/127\.0\.0\.1:\d+\/v2\/_catalog\?n=1000: no answer within 1\.5 s/);
        });

        it("a Harbor that never answers: the Harbor check fails within the time limit, naming the call", async function () {
            const check = await checkHarborBases({ endpoint: silent.endpoint, username: USER, password: PASSWORD, caFile: silent.caFile, responseTimeoutMs: 1500 }, "spectro-packs", "spectro-images");
            assert.match(line(check), /^FAIL registry: Harbor getProjectSummary .*gave no answer within 1\.5 s/);
        });

        it("a catalog whose next page repeats the last one: stopped at the second request", async function () {
            mode = "repeat";
            catalogRequests = 0;
            const check = await checkOciBases({ endpoint: hostileEndpoint, username: USER, password: PASSWORD, caFile: hostileCa, packBase: "spectro-packs", imageBase: "spectro-images", pageSize: 2 });
            assert.match(line(check), /^FAIL registry: .*the registry sends a next page but this page listed no new repository; not following it/);
            assert.strictEqual(catalogRequests, 2);
        });

        it("a catalog that sends new names and a next page forever: stopped at the deadline", async function () {
            mode = "fresh";
            catalogRequests = 0;
            // No page cap here, so the deadline is the only stop, however fast the machine pages.
            const check = await checkOciBases({ endpoint: hostileEndpoint, username: USER, password: PASSWORD, caFile: hostileCa, packBase: "spectro-packs", imageBase: "spectro-images", pageSize: 2, deadlineMs: 1000, maxPages: Number.POSITIVE_INFINITY });
            assert.match(line(check), /^FAIL registry: GET https:\/\/127\.0\.0\.1:\d+\/v2\/_catalog: not done after 1 s \(\d+ pages\), giving up/);
        });

        it("a catalog that sends new names and a next page forever: stopped at the page cap", async function () {
            mode = "fresh";
            catalogRequests = 0;
            const check = await checkOciBases({ endpoint: hostileEndpoint, username: USER, password: PASSWORD, caFile: hostileCa, packBase: "spectro-packs", imageBase: "spectro-images", pageSize: 2, maxPages: 40 });
            assert.match(line(check), /^FAIL registry: GET https:\/\/127\.0\.0\.1:\d+\/v2\/_catalog: more than 40 pages, giving up/);
            assert.strictEqual(catalogRequests, 40);
        });

        it("a registry echoing the Authorization header in its error: the FAIL line holds no credential", async function () {
            mode = "echo";
            const check = await checkOciBases({ endpoint: hostileEndpoint, username: USER, password: PASSWORD, caFile: hostileCa, packBase: "spectro-packs", imageBase: "spectro-images" });
            assert.match(line(check), /^FAIL registry: .*HTTP 500: UNKNOWN backend failed for Authorization: Basic \*{8}/);
            for (const form of [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString("base64"), Buffer.from(PASSWORD).toString("base64")]) {
                assert.ok(!check.detail.includes(form), `the detail holds ${form}`);
            }
        });
    });

    describe("checkEcrBases with a fake AWS CLI printing canned JSON (no ECR stand-in here)", function () {
        let dir: string;
        let awsCli: string;
        let callLog: string;
        const privateJson = {
            repositories: [
                { repositoryArn: "arn:aws:ecr:us-west-2:123456789012:repository/spectro-packs", registryId: "123456789012", repositoryName: "spectro-packs", repositoryUri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/spectro-packs" },
                { repositoryArn: "arn:aws:ecr:us-west-2:123456789012:repository/spectro-packs/cni-calico", registryId: "123456789012", repositoryName: "spectro-packs/cni-calico", repositoryUri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/spectro-packs/cni-calico" },
                { repositoryArn: "arn:aws:ecr:us-west-2:123456789012:repository/spectro-packs/kubernetes", registryId: "123456789012", repositoryName: "spectro-packs/kubernetes", repositoryUri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/spectro-packs/kubernetes" },
            ],
        };
        const publicJson = {
            repositories: [
                { repositoryArn: "arn:aws:ecr-public::123456789012:repository/spectro-images", registryId: "123456789012", repositoryName: "spectro-images", repositoryUri: "public.ecr.aws/a1b2c3d4/spectro-images" },
                { repositoryArn: "arn:aws:ecr-public::123456789012:repository/spectro-images/docker.io/kindest/kindnetd", registryId: "123456789012", repositoryName: "spectro-images/docker.io/kindest/kindnetd", repositoryUri: "public.ecr.aws/a1b2c3d4/spectro-images/docker.io/kindest/kindnetd" },
            ],
        };

        /** A fake `aws`: logs its arguments and AWS_PAGER, prints $FAKE_DIR/<service>.json, or fails as told. */
        before(function () {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake aws "));
            awsCli = path.join(dir, "aws");
            callLog = path.join(dir, "calls.log");
            fs.writeFileSync(
                awsCli,
                [
                    "#!/bin/sh",
                    `printf '%s|' "$@" >> "$FAKE_DIR/calls.log"; printf 'AWS_PAGER=[%s]\\n' "$AWS_PAGER" >> "$FAKE_DIR/calls.log"`,
                    `if [ -n "$FAKE_FAIL" ]; then echo "An error occurred (ExpiredTokenException) when calling the DescribeRepositories operation: The security token included in the request is expired" >&2; exit 254; fi`,
                    `cat "$FAKE_DIR/$1.json"`,
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
            fs.writeFileSync(path.join(dir, "ecr.json"), JSON.stringify(privateJson, null, 2));
            fs.writeFileSync(path.join(dir, "ecr-public.json"), JSON.stringify(publicJson, null, 2));
        });

        after(function () {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, FAKE_DIR: dir, AWS_PAGER: "less", ...extra });

        it("(canned JSON) runs aws ecr / ecr-public describe-repositories without a shell and counts per base", async function () {
            fs.rmSync(callLog, { force: true });
            const check = await checkEcrBases({ region: "us-west-2", packBase: "spectro-packs", imageBase: "spectro-images", awsCli, env: env() });
            assert.strictEqual(line(check), "ok   registry: spectro-packs: 2 repositories, spectro-images: 1 repository (ECR us-west-2, ECR Public)");
            assert.deepStrictEqual(fs.readFileSync(callLog, "utf8").trim().split("\n"), [
                "ecr|describe-repositories|--region|us-west-2|--output|json|AWS_PAGER=[]",
                "ecr-public|describe-repositories|--region|us-east-1|--output|json|AWS_PAGER=[]",
            ]);
        });

        it("(canned JSON) private images, an empty base, a CLI error and a missing CLI: precise FAIL lines", async function () {
            const privateImages = await checkEcrBases({ region: "us-west-2", packBase: "spectro-packs", imageBase: "spectro-images", publicImages: false, awsCli, env: env() });
            assert.strictEqual(line(privateImages), "FAIL registry: spectro-images holds no repository (ECR us-west-2); spectro-packs: 2 repositories");
            const failing = await checkEcrBases({ region: "us-west-2", packBase: "spectro-packs", imageBase: "spectro-images", awsCli, env: env({ FAKE_FAIL: "1" }) });
            assert.strictEqual(
                line(failing),
                `FAIL registry: ${awsCli} ecr describe-repositories --region us-west-2: exit 254: An error occurred (ExpiredTokenException) when calling the DescribeRepositories operation: The security token included in the request is expired`,
            );
            const missing = await checkEcrBases({ region: "us-west-2", packBase: "spectro-packs", imageBase: "spectro-images", awsCli: path.join(dir, "no-such-aws"), env: env() });
            assert.match(line(missing), /^FAIL registry: .*no-such-aws ecr describe-repositories --region us-west-2: the AWS CLI \(.*no-such-aws\) is not installed or not on PATH/);
        });

        it("(canned JSON) parseDescribeRepositories reads repositoryName and rejects other output", function () {
            assert.deepStrictEqual(parseDescribeRepositories(JSON.stringify(publicJson)), ["spectro-images", "spectro-images/docker.io/kindest/kindnetd"]);
            assert.deepStrictEqual(parseDescribeRepositories('{"repositories": []}'), []);
            assert.throws(() => parseDescribeRepositories("REPOSITORIES\tspectro-packs"), /not JSON/);
            assert.throws(() => parseDescribeRepositories('{"nextToken": "x"}'), /no "repositories" list/);
        });
    });

    describe("checkTemplate against vcsim", function () {
        let vc: Vcsim;
        let work: string;
        const FOLDER = "spectro-templates";

        before(async function () {
            this.timeout(VCSIM_HOOK_TIMEOUT_MS);
            try {
                vc = await startVcsim();
            } catch (error) {
                skipOrFail(this, `vcsim is not available: ${(error as Error).message.split("\n")[0]}`);
            }
            work = fs.mkdtempSync(path.join(os.tmpdir(), "validate-template-"));
            const ova = await buildTestOva(work, { diskBytes: 1024 * 1024, network: "nic-net" });
            await withVcsimClient(vc, async (client) => client.createFolder((await client.findVmFolder("DC0"))!, FOLDER));
            const request = {
                connection: vc.connection(),
                source: ova.path,
                datacenter: "DC0",
                folderPath: FOLDER,
                datastore: "LocalDS_0",
                network: "VM Network",
                cluster: "DC0_C0",
                diskProvisioning: "thin" as const,
            };
            await importOvaTemplate({ ...request, templateName: "r_u-2204-0-k-12510-0", markAsTemplate: true }, () => undefined);
            await importOvaTemplate({ ...request, templateName: "r_still-a-vm", markAsTemplate: false }, () => undefined);
        });

        after(async function () {
            await vc?.stop();
            if (work) fs.rmSync(work, { recursive: true, force: true });
        });

        it("passes for the imported r_ template", async function () {
            const check = await checkTemplate(vc.connection(), "DC0", FOLDER, "r_u-2204-0-k-12510-0");
            assert.match(line(check), /^ok   template: r_u-2204-0-k-12510-0 \(vm-\d+\) is a template in \/DC0\/vm\/spectro-templates$/);
        });

        it("a VM that is not a template: FAIL", async function () {
            const check = await checkTemplate(vc.connection(), "DC0", FOLDER, "r_still-a-vm");
            assert.match(line(check), /^FAIL template: r_still-a-vm \(vm-\d+\) in \/DC0\/vm\/spectro-templates is a VM, not a template \(mark it as a template\)$/);
        });

        it("missing template, missing folder, a name without r_, wrong password: precise FAIL lines without the password", async function () {
            assert.strictEqual(line(await checkTemplate(vc.connection(), "DC0", FOLDER, "r_absent")), "FAIL template: no r_absent in /DC0/vm/spectro-templates");
            assert.strictEqual(line(await checkTemplate(vc.connection(), "DC0", "no-such-folder", "r_u-2204-0-k-12510-0")), "FAIL template: folder /DC0/vm/no-such-folder does not exist");
            assert.strictEqual(line(await checkTemplate(vc.connection(), "DC0", FOLDER, "u-2204-0-k-12510-0")), 'FAIL template: "u-2204-0-k-12510-0" does not start with r_: Palette only finds templates named r_<name>');
            const wrong = "Wrong-vCenter-PW-5";
            const rejected = await checkTemplate(vc.connection({ password: wrong }), "DC0", FOLDER, "r_u-2204-0-k-12510-0");
            assert.match(line(rejected), /^FAIL template: cannot log in to vCenter https:\/\/127\.0\.0\.1:\d+\/sdk as "administrator@vsphere\.local": /);
            assert.ok(!rejected.detail.includes(wrong) && !rejected.detail.includes(vc.password), rejected.detail);
        });
    });
});
