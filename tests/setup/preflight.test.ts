/**
 * preflight: every problem in one error, each naming the config key (or PATH) and the fix.
 * Tools come from a PATH of fake executables; the registry is the real docker-registry fixture.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { findOnPath, preflight, preflightProblems, PreflightSpec, requiredTools } from "../../components/setup/preflight";
import { freePort, registryAvailable, startRegistry, TestRegistry } from "../support/registry";
import { startSilentServer } from "../support/silentServer";

describe("preflight", function () {
    this.timeout(60_000);
    let dir: string;
    let registry: TestRegistry;

    before(async function () {
        if (!registryAvailable()) {
            const message = "docker-registry, apache2-utils and openssl are needed (apt-get install them)";
            if (process.env.CI) {
                throw new Error(message);
            }
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        registry = await startRegistry();
    });
    after(async () => {
        await registry?.stop();
    });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-preflight "));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** A directory of fake tools (shell scripts); `aws` prints the given version line. */
    function toolsDir(tools: string[], awsVersion = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12"): string {
        const bin = path.join(dir, `tools-${tools.join("-") || "none"}`);
        fs.mkdirSync(bin, { recursive: true });
        for (const tool of tools) {
            const body = tool === "aws" ? `#!/bin/sh\necho '${awsVersion}'\n` : "#!/bin/sh\nexit 0\n";
            fs.writeFileSync(path.join(bin, tool), body, { mode: 0o755 });
        }
        return bin;
    }

    function binary(name: string, mode = 0o755): string {
        const file = path.join(dir, name);
        fs.writeFileSync(file, "#!/bin/sh\necho Setup Completed\n", { mode });
        fs.chmodSync(file, mode);
        return file;
    }

    function goodSpec(over: Partial<PreflightSpec> = {}): PreflightSpec {
        return {
            registryKind: "harbor",
            loginTool: "skopeo",
            binaryTools: ["oras"],
            workDir: path.join(dir, "work dir", "not yet created"),
            minFreeBytes: 1024,
            setupBinary: binary("airgap-v4.0.17.bin"),
            packBinaries: [binary("airgap-pack-cni-calico-3.25.1.bin")],
            registryEndpoint: registry.endpoint,
            registryCaFile: registry.caFile,
            pathEnv: toolsDir(["oras", "skopeo", "jq", "unzip", "zip"]),
            timeoutMs: 5000,
            ...over,
        };
    }

    it("passes when every tool, the space, the binaries, the CA and the registry are there", async () => {
        await preflight(goodSpec());
        await preflight(goodSpec({ registryEndpoint: `https://${registry.endpoint}/` }));
    });

    it("reports every problem at once, each naming its key and the fix", async () => {
        const closed = await freePort();
        const spec = goodSpec({
            pathEnv: toolsDir(["jq"]),
            minFreeBytes: Number.MAX_SAFE_INTEGER,
            setupBinary: binary("airgap-v4.0.18.bin", 0o644),
            packBinaries: [binary("airgap-pack-a-1.0.0.bin"), path.join(dir, "airgap-pack-missing-1.0.0.bin")],
            registryEndpoint: `127.0.0.1:${closed}`,
            registryCaFile: path.join(dir, "missing-ca.crt"),
        });
        let message = "";
        await preflight(spec).then(
            () => assert.fail("preflight passed"),
            (error: Error) => (message = error.message),
        );
        const expected: [string, RegExp][] = [
            ["oras", /PATH: oras not found \(the setup binary calls it\): install the ORAS CLI/],
            ["skopeo", /PATH: skopeo \(login tool\) not found .*apt-get install skopeo/],
            ["unzip", /PATH: unzip not found/],
            ["zip", /PATH: zip not found/],
            ["space", /workDir: .* free .*needed .*point workDir at a larger filesystem/],
            ["setupBinary", /setupBinary: .*airgap-v4\.0\.18\.bin is not executable: chmod \+x/],
            ["packBinaries[1]", /packBinaries\[1\]: .*airgap-pack-missing-1\.0\.0\.bin does not exist/],
            ["registryCaFile", /registryCaFile: .*missing-ca\.crt does not exist or is unreadable/],
            ["registryEndpoint", /registryEndpoint: https:\/\/127\.0\.0\.1:\d+\/v2\/ does not answer \(ECONNREFUSED/],
        ];
        for (const [what, pattern] of expected) {
            assert.match(message, pattern, `${what} in:\n${message}`);
        }
        assert.match(message, /^preflight: 9 problems before the setup run:\n/);
        assert.ok(!/jq not found/.test(message));
        assert.ok(!/packBinaries\[0\]/.test(message), "the good pack binary is not reported");
    });

    it("requires the aws CLI v2 and docker for ECR with ECR Public images", async () => {
        const base = { registryEndpoint: undefined, registryCaFile: undefined, registryKind: "ecr" as const, loginTool: "oras" as const };
        let problems = await preflightProblems(goodSpec({ ...base, pathEnv: toolsDir(["oras", "jq", "unzip", "zip"]) }));
        assert.deepStrictEqual(problems.map((p) => p.split(" (")[0].split(":").slice(0, 2).join(":")), ["PATH: aws not found", "PATH: docker not found"]);
        problems = await preflightProblems(goodSpec({ ...base, pathEnv: toolsDir(["oras", "jq", "unzip", "zip", "docker", "aws"], "aws-cli/1.45.11 Python/3.11.7 Linux botocore/1.43.11") }));
        assert.strictEqual(problems.length, 1);
        assert.match(problems[0], /is not the AWS CLI v2 \(`aws --version` says "aws-cli\/1\.45\.11/);
        problems = await preflightProblems(goodSpec({ ...base, pathEnv: toolsDir(["oras", "jq", "unzip", "zip", "docker", "aws"]) }));
        assert.deepStrictEqual(problems, []);
        problems = await preflightProblems(goodSpec({ ...base, ecrPublicImages: false, pathEnv: toolsDir(["oras", "jq", "unzip", "zip", "aws"]) }));
        assert.deepStrictEqual(problems, []);
    });

    it("lists the tools per kind", () => {
        assert.deepStrictEqual(requiredTools({ registryKind: "harbor", loginTool: "oras" }).map((t) => t.tool), ["oras", "jq", "unzip", "zip"]);
        assert.deepStrictEqual(requiredTools({ registryKind: "generic", loginTool: "docker", binaryTools: [] }).map((t) => t.tool), ["docker", "jq", "unzip", "zip"]);
        assert.deepStrictEqual(requiredTools({ registryKind: "ecr", loginTool: "oras" }).map((t) => t.tool), ["oras", "jq", "unzip", "zip", "aws", "docker"]);
        assert.deepStrictEqual(requiredTools({ registryKind: "harbor", loginTool: "oras", fileServerOverSsh: true }).map((t) => t.tool), ["oras", "jq", "unzip", "zip", "ssh"]);
    });

    it("requires ssh when the manifests zip goes to the file server over SSH, naming openssh-client", async () => {
        const problems = await preflightProblems(goodSpec({ fileServerOverSsh: true, pathEnv: toolsDir(["oras", "skopeo", "jq", "unzip", "zip"]) }));
        assert.deepStrictEqual(problems.filter((p) => p.startsWith("PATH")), [
            "PATH: ssh not found (the manifests zip is copied to the file server with it, under time limits): install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client; RHEL: dnf install openssh-clients)",
        ]);
        assert.deepStrictEqual((await preflightProblems(goodSpec({ fileServerOverSsh: true, pathEnv: toolsDir(["oras", "skopeo", "jq", "unzip", "zip", "ssh"]) }))).filter((p) => p.startsWith("PATH")), []);
    });

    it("needs the registry CA: without it the certificate is not trusted; registryInsecure accepts it", async () => {
        const problems = await preflightProblems(goodSpec({ registryCaFile: undefined }));
        assert.strictEqual(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /registryEndpoint: .*does not answer .*set registryCaFile/);
        assert.deepStrictEqual(await preflightProblems(goodSpec({ registryCaFile: undefined, registryInsecure: true })), []);
    });

    it("reports an HTTPS server that is not a registry (neither 200 nor 401 at /v2/)", async () => {
        const server = https.createServer(
            { cert: fs.readFileSync(registry.caFile), key: fs.readFileSync(path.join(registry.dir, "registry.key")) },
            (_request, response) => {
                response.statusCode = 404;
                response.end("not here");
            },
        );
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            const port = (server.address() as { port: number }).port;
            const problems = await preflightProblems(goodSpec({ registryEndpoint: `127.0.0.1:${port}` }));
            assert.deepStrictEqual(problems, [`registryEndpoint: https://127.0.0.1:${port}/v2/ answered HTTP 404, not an OCI registry's 200 or 401: check registryEndpoint`]);
        } finally {
            server.closeAllConnections();
            await new Promise((resolve) => server.close(resolve));
        }
    });

    for (const tls of [true, false]) {
        it(`reports a registry that ${tls ? "completes the TLS handshake" : "accepts the TCP connection"} and never answers, within the timeout, naming the key`, async () => {
            const silent = await startSilentServer({ tls });
            try {
                const problems = await preflightProblems(goodSpec({ registryEndpoint: silent.endpoint, registryCaFile: silent.caFile ?? registry.caFile, timeoutMs: 1500 }));
                assert.deepStrictEqual(problems.length, 1, problems.join("\n"));
                assert.match(problems[0], new RegExp(`^registryEndpoint: https://${silent.endpoint}/v2/ gave no answer within 1\\.5 s .*check that the registry at ${silent.endpoint} is up`));
                assert.ok(silent.connections() >= 1, "the probe did connect");
            } finally {
                await silent.stop();
            }
        });
    }

    it("refuses http://, a file that is not PEM, a missing endpoint and a relative binary path", async () => {
        const notPem = path.join(dir, "ca.txt");
        fs.writeFileSync(notPem, "hello");
        const problems = await preflightProblems(goodSpec({ registryEndpoint: "http://harbor.lab", registryCaFile: notPem, setupBinary: "airgap.bin" }));
        assert.ok(problems.some((p) => /^registryEndpoint: http:\/\/harbor\.lab uses http:\/\/.*give harbor\.lab/.test(p)), problems.join("\n"));
        assert.ok(problems.some((p) => /^registryCaFile: .* is not a PEM certificate/.test(p)));
        assert.ok(problems.some((p) => /^setupBinary: "airgap\.bin" is not an absolute path/.test(p)));
        const missing = await preflightProblems(goodSpec({ registryEndpoint: undefined }));
        assert.deepStrictEqual(missing, ["registryEndpoint: not set: give the harbor registry host, e.g. harbor.lab.internal"]);
    });

    it("findOnPath skips non-executable files and empty PATH entries", async () => {
        const a = path.join(dir, "a");
        const b = path.join(dir, "b");
        fs.mkdirSync(a);
        fs.mkdirSync(b);
        fs.writeFileSync(path.join(a, "jq"), "", { mode: 0o644 });
        fs.writeFileSync(path.join(b, "jq"), "#!/bin/sh\n", { mode: 0o755 });
        assert.strictEqual(await findOnPath("jq", `:${a}::${b}`), path.join(b, "jq"));
        assert.strictEqual(await findOnPath("nope", `${a}:${b}`), undefined);
    });
});
