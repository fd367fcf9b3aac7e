/**
 * Bad inputs that a valid-looking stack file can still hold and that only the preflight (program
 * time, before any resource) detects: files that are missing, not executable or not what was
 * pinned, a CA that is missing or wrong (registry, vCenter, OVA mirror), a TLS certificate or key
 * of the file server that is missing or not PEM, a local OVA that is not there, too little disk
 * space, a tool missing from PATH, a registry that does not answer HTTPS. (tests/mocks/configValidation.test.ts covers what the
 * config alone shows: 44 table cases.)
 *
 * Each case runs the real program (index.ts) for a stack file under the SDK's mock engine with its
 * preflight on (runStack's `preflight` option), from a baseline that passes: the binaries are real
 * files in a temporary directory, the registry is the docker-registry fixture on 127.0.0.1 with its
 * CA, PATH is a directory of stand-in tools. One thing is then broken per case. Each must fail with
 * the preflight's RunError, whose problem lines are exactly the expected keys, the main line naming
 * the key and the fix, and must register no resource. The same settings, from loadConfig(), then go
 * to runPreflight directly with the restricted PATH as `pathEnv`, which must report the same lines.
 *
 * Debian packages: docker-registry, apache2-utils, openssl.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig, PREFLIGHT_SKIP_ENV, runPreflight } from "../../components";
import { freePort, registryAvailable, startRegistry, TestRegistry } from "../support/registry";
import { StackRun, lastRun, readStackConfig, runStack } from "../support/stackHarness";

/** Tools preflight looks for with the default settings (oras: the binary's tool and the default login tool). */
const BASE_TOOLS = ["oras", "skopeo", "docker", "jq", "unzip", "zip", "ssh"];

interface Situation {
    /** Config overrides on top of the baseline. */
    overrides?: Record<string, unknown>;
    /** Tools on PATH (default BASE_TOOLS). */
    tools?: string[];
    /** What `aws --version` prints when `aws` is among the tools. */
    awsVersion?: string;
}

interface BadInput {
    label: string;
    stack: "harbor-lab" | "ecr-prod";
    /** Builds the situation in the case's own directory, from the baseline overrides. */
    arrange: (dir: string, baseline: Record<string, unknown>) => Situation | Promise<Situation>;
    /** The key of every problem line, in order (`PATH` for tools). */
    keys: string[];
    /** The line of this key must match `fix`. */
    key: string;
    fix: RegExp;
}

describe("bad inputs only the preflight detects (the program under the SDK's mock engine, preflight on)", function () {
    this.timeout(60_000);
    let registry: TestRegistry;
    let base: string;
    let cases = 0;
    let previousSkip: string | undefined;
    const servers: net.Server[] = [];

    before(async function () {
        if (!registryAvailable()) {
            const message = "needs docker-registry, apache2-utils (htpasswd) and openssl";
            if (process.env.CI) {
                throw new Error(message);
            }
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        previousSkip = process.env[PREFLIGHT_SKIP_ENV];
        registry = await startRegistry();
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette bad inputs "));
    });

    after(async function () {
        for (const server of servers) {
            await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        await registry?.stop();
        if (base) {
            fs.rmSync(base, { recursive: true, force: true });
        }
        if (previousSkip === undefined) {
            delete process.env[PREFLIGHT_SKIP_ENV];
        } else {
            process.env[PREFLIGHT_SKIP_ENV] = previousSkip;
        }
    });

    /** A directory of its own, with executable stand-ins of the stack's binaries (same file names). */
    function caseDir(): string {
        cases += 1;
        const dir = path.join(base, `case ${cases}`);
        fs.mkdirSync(path.join(dir, "bins"), { recursive: true });
        return dir;
    }

    function binary(dir: string, configured: string, mode = 0o755): string {
        const file = path.join(dir, "bins", path.basename(configured));
        fs.writeFileSync(file, `#!/bin/sh\necho "stand-in for ${path.basename(configured)}"\necho "Setup Completed"\n`, { mode });
        fs.chmodSync(file, mode);
        return file;
    }

    /** Overrides that make the stack's file pass the preflight here: everything local, on 127.0.0.1. */
    function baselineFor(stack: string, dir: string): Record<string, unknown> {
        const config = readStackConfig(stack);
        const overrides: Record<string, unknown> = {
            setupBinary: binary(dir, config.setupBinary as string),
            packBinaries: ((config.packBinaries as string[] | undefined) ?? []).map((pack) => binary(dir, pack)),
            workDir: path.join(dir, "work", "not yet created"),
            minFreeGb: 0,
        };
        if (typeof config.setupBinarySha256 === "string") {
            overrides.setupBinarySha256 = sha256Of(overrides.setupBinary as string);
        }
        if (config.registryKind !== "ecr") {
            overrides.registryEndpoint = registry.endpoint;
            overrides.registryCaFile = registry.caFile;
        }
        // CA files, the file server's certificate and key, and a local OVA are read later (by the
        // import, into the file server's cloud-init): the preflight checks them, so they exist here.
        for (const key of ["vsphereCaFile", "ovaCaFile", "fileServerTlsCertFile", "fileServerTlsKeyFile"]) {
            if (typeof config[key] === "string") {
                const kind = key === "fileServerTlsKeyFile" ? "PRIVATE KEY" : "CERTIFICATE";
                const file = path.join(dir, path.basename(config[key] as string));
                fs.writeFileSync(file, `-----BEGIN ${kind}-----\nstand-in\n-----END ${kind}-----\n`, { mode: 0o600 });
                overrides[key] = file;
            }
        }
        if (typeof config.ovaSource === "string" && config.ovaSource.startsWith("/")) {
            overrides.ovaSource = path.join(dir, path.basename(config.ovaSource));
            fs.writeFileSync(overrides.ovaSource as string, "stand-in OVA");
        }
        return overrides;
    }

    function toolsDir(dir: string, tools: string[], awsVersion = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12"): string {
        const bin = path.join(dir, "tools");
        fs.mkdirSync(bin, { recursive: true });
        for (const tool of tools) {
            const body = tool === "aws" ? `#!/bin/sh\necho '${awsVersion}'\n` : "#!/bin/sh\nexit 0\n";
            fs.writeFileSync(path.join(bin, tool), body, { mode: 0o755 });
        }
        return bin;
    }

    async function listening(server: net.Server): Promise<number> {
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
        return (server.address() as net.AddressInfo).port;
    }

    const BAD_INPUTS: BadInput[] = [
        {
            label: "registry CA file that does not exist",
            stack: "harbor-lab",
            arrange: (dir) => ({ overrides: { registryCaFile: path.join(dir, "pki", "harbor-ca.crt") } }),
            // The probe's certificate failure is this same problem, not reported twice.
            keys: ["registryCaFile"],
            key: "registryCaFile",
            fix: /harbor-ca\.crt does not exist or is unreadable: give the absolute path of the registry's CA certificate \(PEM\)/,
        },
        {
            label: "registry CA file that is not PEM",
            stack: "harbor-lab",
            arrange: (dir) => {
                const file = path.join(dir, "harbor-ca.der");
                fs.writeFileSync(file, crypto.randomBytes(64));
                return { overrides: { registryCaFile: file } };
            },
            keys: ["registryCaFile"],
            key: "registryCaFile",
            fix: /is not a PEM certificate: give the registry's CA certificate in PEM form/,
        },
        {
            label: "registry CA file of another CA",
            stack: "harbor-lab",
            arrange: (dir) => {
                const file = path.join(dir, "other-ca.crt");
                execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other-ca", "-keyout", path.join(dir, "other-ca.key"), "-out", file], { stdio: "ignore" });
                return { overrides: { registryCaFile: file } };
            },
            keys: ["registryEndpoint"],
            key: "registryEndpoint",
            fix: /does not answer \(.+\): the certificate does not verify against registryCaFile: give the CA that signed the registry's certificate/,
        },
        {
            label: "setup binary that is not executable",
            stack: "harbor-lab",
            arrange: (dir) => ({ overrides: { setupBinary: binary(dir, "/opt/palette/airgap-v4.2.13.bin", 0o644) } }),
            keys: ["setupBinary"],
            key: "setupBinary",
            fix: /airgap-v4\.2\.13\.bin is not executable: chmod \+x '.*\/bins\/airgap-v4\.2\.13\.bin'$/,
        },
        {
            label: "setup binary that does not exist",
            stack: "harbor-lab",
            arrange: (dir) => ({ overrides: { setupBinary: path.join(dir, "not copied yet", "airgap-v4.2.13.bin") } }),
            keys: ["setupBinary"],
            key: "setupBinary",
            fix: /not copied yet\/airgap-v4\.2\.13\.bin does not exist: copy the binary there or fix setupBinary$/,
        },
        {
            label: "setup binary that is a directory",
            stack: "harbor-lab",
            arrange: (dir) => {
                const folder = path.join(dir, "airgap-v4.2.13.bin");
                fs.mkdirSync(folder);
                return { overrides: { setupBinary: folder } };
            },
            keys: ["setupBinary"],
            key: "setupBinary",
            fix: /is not a regular file: give the path of the \.bin file$/,
        },
        {
            label: "pack binary missing",
            stack: "harbor-lab",
            arrange: (dir, baseline) => {
                const packs = [...(baseline.packBinaries as string[])];
                fs.rmSync(packs[1]);
                return { overrides: { packBinaries: packs } };
            },
            keys: ["packBinaries[1]"],
            key: "packBinaries[1]",
            fix: /airgap-pack-csi-vsphere-csi-3\.0\.2\.bin does not exist: copy the binary there or fix packBinaries\[1\]$/,
        },
        {
            label: "setupBinarySha256 that does not match the file",
            stack: "harbor-lab",
            arrange: () => ({ overrides: { setupBinarySha256: "ab".repeat(32) } }),
            keys: ["setupBinarySha256"],
            key: "setupBinarySha256",
            fix: /airgap-v4\.2\.13\.bin has sha256 [0-9a-f]{64}, expected (ab){32}: download the binary again, or fix the pin$/,
        },
        {
            label: "workDir without the free space minFreeGb asks for",
            stack: "harbor-lab",
            arrange: () => ({ overrides: { minFreeGb: 100000 } }),
            keys: ["workDir"],
            key: "workDir",
            fix: /has [\d.]+ [KMGTP]?B free \(filesystem of .+\), 100 TB needed \(the setup binary unpacks about 20 GB\): free space there or point workDir at a larger filesystem$/,
        },
        {
            label: "workDir that is a file",
            stack: "harbor-lab",
            arrange: (dir) => {
                const file = path.join(dir, "work-file");
                fs.writeFileSync(file, "");
                return { overrides: { workDir: path.join(file, "palette-airgap") } };
            },
            keys: ["workDir"],
            key: "workDir",
            fix: /work-file exists and is not a directory: point workDir at a directory$/,
        },
        {
            label: "the login tool (loginTool docker) missing from PATH",
            stack: "harbor-lab",
            arrange: () => ({ overrides: { loginTool: "docker" }, tools: BASE_TOOLS.filter((tool) => tool !== "docker") }),
            keys: ["PATH"],
            key: "PATH",
            fix: /^docker \(login tool\) not found \(the registry login uses it\): install the Docker CLI/,
        },
        {
            label: "jq missing from PATH",
            stack: "harbor-lab",
            arrange: () => ({ tools: BASE_TOOLS.filter((tool) => tool !== "jq") }),
            keys: ["PATH"],
            key: "PATH",
            fix: /^jq not found \(.*\): install jq \(Debian: apt-get install jq\)$/,
        },
        {
            label: "ssh missing from PATH (the zip goes to the vm-mode file server over SSH)",
            stack: "harbor-lab",
            arrange: () => ({ tools: BASE_TOOLS.filter((tool) => tool !== "ssh") }),
            keys: ["PATH"],
            key: "PATH",
            fix: /^ssh not found \(the manifests zip is copied to the file server with it, under time limits\): install the OpenSSH client \(Debian\/Ubuntu: apt-get install openssh-client/,
        },
        {
            label: "registry endpoint with nothing listening",
            stack: "harbor-lab",
            arrange: async () => ({ overrides: { registryEndpoint: `127.0.0.1:${await freePort()}` } }),
            keys: ["registryEndpoint"],
            key: "registryEndpoint",
            fix: /^https:\/\/127\.0\.0\.1:\d+\/v2\/ does not answer \(ECONNREFUSED.*\): check registryEndpoint \(host and port\) and that the registry serves HTTPS/,
        },
        {
            label: "registry endpoint answering plain HTTP, not HTTPS",
            stack: "harbor-lab",
            arrange: async () => {
                const port = await listening(http.createServer((_req, res) => res.writeHead(401).end()));
                return { overrides: { registryEndpoint: `127.0.0.1:${port}` } };
            },
            keys: ["registryEndpoint"],
            key: "registryEndpoint",
            fix: /^https:\/\/127\.0\.0\.1:\d+\/v2\/ does not answer \(.+\): check registryEndpoint \(host and port\) and that the registry serves HTTPS/,
        },
        {
            label: "registry endpoint serving HTTPS that is not a registry",
            stack: "harbor-lab",
            arrange: async () => {
                const tls = { cert: fs.readFileSync(registry.caFile), key: fs.readFileSync(path.join(registry.dir, "registry.key")) };
                const port = await listening(https.createServer(tls, (_req, res) => res.writeHead(404).end("not found")));
                return { overrides: { registryEndpoint: `127.0.0.1:${port}` } };
            },
            keys: ["registryEndpoint"],
            key: "registryEndpoint",
            fix: /^https:\/\/127\.0\.0\.1:\d+\/v2\/ answered HTTP 404, not an OCI registry's 200 or 401: check registryEndpoint$/,
        },
        {
            label: "vCenter CA file that does not exist (read by the OVA import, after the folder was created)",
            stack: "harbor-lab",
            arrange: (dir) => ({ overrides: { vsphereCaFile: path.join(dir, "pki", "vcenter-ca.pem") } }),
            keys: ["vsphereCaFile"],
            key: "vsphereCaFile",
            fix: /vcenter-ca\.pem does not exist or is unreadable: give the absolute path of the CA certificate that signed vCenter's certificate \(PEM\)$/,
        },
        {
            label: "OVA mirror CA file that is not PEM",
            stack: "harbor-lab",
            arrange: (dir) => {
                const file = path.join(dir, "mirror-ca.der");
                fs.writeFileSync(file, crypto.randomBytes(64));
                return { overrides: { ovaCaFile: file } };
            },
            keys: ["ovaCaFile"],
            key: "ovaCaFile",
            fix: /mirror-ca\.der is not a PEM certificate: give the CA certificate of the OVA mirror in PEM form$/,
        },
        {
            label: "local OVA that is not there (read by the import, after the folder was created)",
            stack: "ecr-prod",
            arrange: (dir) => ({ overrides: { ovaSource: path.join(dir, "not copied", "u-2204-0-k-12510-0.ova") } }),
            keys: ["ovaSource"],
            key: "ovaSource",
            fix: /u-2204-0-k-12510-0\.ova does not exist: copy the OVA there \(the import reads it from this machine\) or fix ovaSource$/,
        },
        {
            label: "file server TLS key that is a certificate, and a certificate that is missing (read into cloud-init after other resources)",
            stack: "ecr-prod",
            arrange: (dir, baseline) => ({ overrides: { fileServerTlsKeyFile: baseline.vsphereCaFile, fileServerTlsCertFile: path.join(dir, "manifests.crt.missing") } }),
            keys: ["fileServerTlsCertFile", "fileServerTlsKeyFile"],
            key: "fileServerTlsKeyFile",
            fix: /is not a PEM private key: give the private key of fileServerTlsCertFile in PEM form$/,
        },
        {
            label: "ECR with the AWS CLI v1 on PATH",
            stack: "ecr-prod",
            arrange: () => ({ tools: [...BASE_TOOLS, "aws"], awsVersion: "aws-cli/1.29.0 Python/3.11.2 Linux/6.1.0 botocore/1.31.0" }),
            keys: ["PATH"],
            key: "PATH",
            fix: /\/aws is not the AWS CLI v2 \(`aws --version` says "aws-cli\/1\.29\.0 .*"\): install the AWS CLI v2/,
        },
    ];

    /** Runs the program with its preflight; PATH is the situation's tools directory during the run. */
    async function runWithPreflight(stack: string, overrides: Record<string, unknown>, pathEnv: string): Promise<{ run?: StackRun; error?: Error }> {
        const previousPath = process.env.PATH;
        process.env.PATH = pathEnv;
        try {
            return { run: await runStack(stack, { overrides, preflight: true }) };
        } catch (error) {
            return { error: error as Error };
        } finally {
            process.env.PATH = previousPath;
        }
    }

    /** `[key, rest]` of each `  - key: rest` line of a preflight message. */
    function problemLines(message: string): [string, string][] {
        return message
            .split("\n")
            .filter((line) => line.startsWith("  - "))
            .map((line) => {
                const text = line.slice(4);
                const colon = text.indexOf(": ");
                return [text.slice(0, colon), text.slice(colon + 2)];
            });
    }

    function assertProblems(message: string, bad: BadInput, where: string): void {
        assert.match(message, new RegExp(`^preflight: ${bad.keys.length} problems? before the setup run \\(nothing was created\\):\\n`), `${where}:\n${message}`);
        const [, ...rest] = message.split("\n");
        const continued = rest.filter((line) => !line.startsWith("  - "));
        assert.deepStrictEqual(continued, [], `${where}: one line per problem, but a problem runs over several lines:\n${message}`);
        const lines = problemLines(message);
        assert.deepStrictEqual(lines.map(([key]) => key), bad.keys, `${where}: keys of the problem lines:\n${message}`);
        const line = lines.find(([key]) => key === bad.key)!;
        assert.match(line[1], bad.fix, `${where}: the ${bad.key} line:\n${message}`);
    }

    it("the baseline passes the preflight and the program registers its resources", async function () {
        for (const stack of ["harbor-lab", "ecr-prod"] as const) {
            const dir = caseDir();
            const tools = toolsDir(dir, [...BASE_TOOLS, "aws"]);
            const { run, error } = await runWithPreflight(stack, baselineFor(stack, dir), tools);
            assert.strictEqual(error, undefined, `${stack}: ${error?.message}`);
            const commands = run!.resources.filter((r) => r.type === "command:local:Command").map((r) => r.name);
            assert.ok(commands.some((name) => name.endsWith("setup-run")), `${stack}: ${commands}`);
            const config = loadConfig();
            assert.strictEqual(await runPreflight(config, { loginTool: config.setup.loginTool, minFreeGb: config.setup.minFreeGb, pathEnv: tools, env: {} }), "passed");
        }
    });

    for (const bad of BAD_INPUTS) {
        it(`${bad.label}: names ${bad.key} and the fix, creates nothing`, async function () {
            const dir = caseDir();
            const baseline = baselineFor(bad.stack, dir);
            const situation = await bad.arrange(dir, baseline);
            const overrides = { ...baseline, ...(situation.overrides ?? {}) };
            const tools = toolsDir(dir, situation.tools ?? [...BASE_TOOLS, ...(bad.stack === "ecr-prod" ? ["aws"] : [])], situation.awsVersion);

            const { run, error } = await runWithPreflight(bad.stack, overrides, tools);
            assert.ok(error, `expected the preflight to fail, got a run with ${run?.resources.length} resources`);
            assert.ok(pulumi.RunError.isInstance(error), `a RunError (printed without a stack trace), got ${error.stack}`);
            assertProblems(error.message, bad, "program");
            assert.deepStrictEqual(lastRun().resources.map((r) => `${r.type} ${r.name}`), [], "resources were registered before the preflight failed");
            assert.ok(!fs.existsSync(path.join(dir, "work")), "the preflight created nothing in workDir");

            // The same settings straight into runPreflight, the restricted PATH as pathEnv.
            const config = loadConfig();
            const direct = await runPreflight(config, { loginTool: config.setup.loginTool, minFreeGb: config.setup.minFreeGb, pathEnv: tools, env: {} }).then(
                () => assert.fail("runPreflight passed"),
                (e: Error) => e,
            );
            assert.ok(pulumi.RunError.isInstance(direct));
            assertProblems(direct.message, bad, "runPreflight");
        });
    }

    it("several bad inputs at once: one message, one line each, nothing created", async function () {
        const dir = caseDir();
        const baseline = baselineFor("harbor-lab", dir);
        const packs = [...(baseline.packBinaries as string[])];
        fs.rmSync(packs[2]);
        fs.chmodSync(baseline.setupBinary as string, 0o644);
        const overrides = { ...baseline, packBinaries: packs, registryEndpoint: `127.0.0.1:${await freePort()}`, minFreeGb: 100000 };
        const tools = toolsDir(dir, BASE_TOOLS.filter((tool) => tool !== "unzip" && tool !== "oras"));
        const { error } = await runWithPreflight("harbor-lab", overrides, tools);
        assert.ok(error && pulumi.RunError.isInstance(error), String(error));
        assert.match(error.message, /^preflight: 6 problems before the setup run \(nothing was created\):/);
        assert.deepStrictEqual(problemLines(error.message).map(([key, rest]) => (key === "PATH" ? `PATH ${rest.split(" ")[0]}` : key)).sort(), [
            "PATH oras",
            "PATH unzip",
            "packBinaries[2]",
            "registryEndpoint",
            "setupBinary",
            "workDir",
        ]);
        assert.deepStrictEqual(lastRun().resources, []);
    });
});

function sha256Of(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}
