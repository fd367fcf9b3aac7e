/**
 * binaryRunScript: the generated bash script, run with bash against a real registry
 * (docker-registry with TLS and htpasswd) and fake makeself binaries that push with skopeo.
 * Debian packages: docker-registry, apache2-utils, openssl, skopeo, makeself, zip, unzip, jq.
 */
import * as assert from "assert";
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BinaryRunSpec, RegistryLogin, binaryRunScript, labelSlug, parseRunResult, RESULT_PREFIX, shellQuote } from "../../components/setup/runScript";
import { buildFakePackBinary, buildFakeSetupBinary, DEFAULT_IMAGES, DEFAULT_PACKS, FakeFaults, fakeBinariesAvailable } from "../support/makeselfBinaries";
import { registryAvailable, startRegistry, TestRegistry } from "../support/registry";
import { SilentServer, startSilentServer } from "../support/silentServer";

const PASSWORD_ENV = "PALETTE_TEST_REGISTRY_PASSWORD";

describe("binaryRunScript: the script text", () => {
    const spec: BinaryRunSpec = {
        binaryPath: "/opt/palette dir/airgap-v4.0.17.bin",
        label: "pack cni-calico 3.25.1",
        workDir: "/var/tmp/palette airgap",
        stateDir: "/var/lib/palette/state's dir",
        loginTool: "oras",
        logins: [{ kind: "password", registry: "harbor.lab:8443", username: "robot$palette", passwordEnv: "REGISTRY_PASSWORD" }],
        caFile: "/etc/pki/harbor ca.crt",
        environment: { OCI_IMAGE_REGISTRY: "harbor.lab:8443", OCI_IMAGE_BASE: "spectro-images", OCI_PACK_REGISTRY: "harbor.lab:8443", OCI_PACK_BASE: "spectro-packs" },
        maxAttempts: 3,
    };

    for (const loginTool of ["oras", "docker", "skopeo"] as const) {
        it(`is valid bash for ${loginTool}, with password, ECR and ECR Public logins`, () => {
            const script = binaryRunScript({
                ...spec,
                loginTool,
                logins: [
                    ...spec.logins,
                    { kind: "ecr", registry: "123456789012.dkr.ecr.us-west-2.amazonaws.com", region: "us-west-2" },
                    { kind: "ecr-public", registry: "public.ecr.aws/abc123" },
                ],
            });
            const check = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
            assert.strictEqual(check.status, 0, check.stderr);
            assert.match(script, /^#!\/usr\/bin\/env bash\n/);
            assert.match(script, /set -euo pipefail/);
            assert.match(script, /aws ecr get-login-password --region "\$2" \| registry_login "\$1" AWS/);
            assert.match(script, /aws ecr-public get-login-password --region us-east-1 \|\n\s*bounded "docker login to \$1" docker login --username AWS --password-stdin "\$1"/);
            // Every network step of the login runs under a time limit.
            for (const line of script.split("\n").filter((l) => /^\s*[^#]*\b(oras|docker|skopeo) login |aws ecr(-public)? get-login-password/.test(l) && !l.includes("say "))) {
                assert.match(line, /\bbounded ["']/, `bounded: ${line}`);
            }
            assert.match(script, /login_ecr_public 'public\.ecr\.aws' \|\| return/, "ECR Public logs in to the host");
            const loginLines = script.split("\n").filter((l) => /\blogin\b/.test(l) && !l.trim().startsWith("#") && !l.includes("say "));
            assert.ok(loginLines.length >= 3);
            for (const line of loginLines.filter((l) => /(oras|docker|skopeo) login /.test(l))) {
                assert.match(line, /--password-stdin/);
                assert.doesNotMatch(line, /--password(?!-stdin)|\s-p\s/);
            }
        });
    }

    it("quotes paths with spaces and quotes, and exports the binary's variables", () => {
        const script = binaryRunScript(spec);
        assert.ok(script.includes(`binary='/opt/palette dir/airgap-v4.0.17.bin'`));
        assert.ok(script.includes(`state_dir='/var/lib/palette/state'\\''s dir'`));
        assert.ok(script.includes(`export OCI_PACK_BASE='spectro-packs'`));
        assert.ok(script.includes(`'robot$palette'`), "the user name is single-quoted ($ not expanded)");
        assert.ok(script.includes(`ca_file='/etc/pki/harbor ca.crt'`));
        assert.ok(script.includes(`login_password 'harbor.lab:8443' 'robot$palette' password_REGISTRY_PASSWORD ca "$ca_file" || return`), "oras gets --ca-file with the CA");
        assert.ok(script.includes(`case \${3:-} in ca) tls=(--ca-file "$4")`));
    });

    it("names the password variable, never a password, and does not export it to children", () => {
        const script = binaryRunScript(spec);
        assert.ok(script.includes(`declare +x password_REGISTRY_PASSWORD="\${REGISTRY_PASSWORD-}"`));
        assert.ok(script.includes("unset REGISTRY_PASSWORD"));
    });

    it("is deterministic (no timestamps: stable pulumi preview diffs)", () => {
        assert.strictEqual(binaryRunScript(spec), binaryRunScript({ ...spec, environment: { ...spec.environment } }));
    });

    it("uses TLS options only as configured: skopeo --cert-dir with only the CA, --tls-verify=false only when insecure", () => {
        const loginCall = (script: string) => script.split("\n").find((line) => line.includes("login_password 'harbor.lab:8443'"))?.trim();
        const skopeo = binaryRunScript({ ...spec, loginTool: "skopeo" });
        assert.strictEqual(loginCall(skopeo), `login_password 'harbor.lab:8443' 'robot$palette' password_REGISTRY_PASSWORD ca "$DOCKER_CONFIG/certs" || return`);
        assert.ok(skopeo.includes(`case \${3:-} in ca) tls=(--cert-dir "$4") ;; insecure) tls=(--tls-verify=false)`));
        assert.ok(skopeo.includes(`cp -- "$ca_file" "$DOCKER_CONFIG/certs/ca.crt"`));
        const insecure = binaryRunScript({ ...spec, loginTool: "skopeo", caFile: undefined, insecure: true });
        assert.strictEqual(loginCall(insecure), `login_password 'harbor.lab:8443' 'robot$palette' password_REGISTRY_PASSWORD insecure || return`);
        assert.ok(!insecure.includes("ca_file="), "no CA when insecure");
        const oras = binaryRunScript({ ...spec, caFile: undefined });
        assert.strictEqual(loginCall(oras), `login_password 'harbor.lab:8443' 'robot$palette' password_REGISTRY_PASSWORD || return`, "no TLS option without CA or insecure");
        assert.ok(!oras.includes("ca_file=") && !oras.includes("SSL_CERT_FILE"));
        const docker = binaryRunScript({ ...spec, loginTool: "docker" });
        assert.ok(docker.includes(`certs_d='/etc/docker/certs.d/harbor.lab:8443'`));
    });

    it("two password registries: each login with its own password variable, CA (or insecure); one bundle of both CAs for the binary", () => {
        const logins: Extract<RegistryLogin, { kind: "password" }>[] = [
            { kind: "password", registry: "10.10.100.48", username: "admin", passwordEnv: "PACKS_PASSWORD", caFile: "/etc/pki/packs ca.crt" },
            { kind: "password", registry: "example.internal.com", username: "robot$images", passwordEnv: "IMAGES_PASSWORD", caFile: "/etc/pki/images-ca.crt" },
            { kind: "password", registry: "lab.internal:5000", username: "lab", passwordEnv: "LAB_PASSWORD", insecure: true },
        ];
        const lines = (script: string) => script.split("\n").map((line) => line.trim());
        for (const loginTool of ["oras", "skopeo", "docker"] as const) {
            const script = binaryRunScript({ ...spec, loginTool, caFile: undefined, logins });
            assert.strictEqual(spawnSync("bash", ["-n"], { input: script }).status, 0, loginTool);
            assert.ok(script.includes(`ca_file='/etc/pki/packs ca.crt'`) && script.includes(`ca_file_2='/etc/pki/images-ca.crt'`), loginTool);
            assert.ok(script.includes(`cat -- "$ca_file" >>"$ca_bundle"`) && script.includes(`cat -- "$ca_file_2" >>"$ca_bundle"`), `${loginTool}: both CAs in SSL_CERT_FILE`);
            for (const env of ["PACKS_PASSWORD", "IMAGES_PASSWORD", "LAB_PASSWORD"]) {
                assert.ok(script.includes(`unset ${env}`), `${loginTool}: ${env} not exported to children`);
            }
            assert.ok(lines(script).includes(`login_password 'lab.internal:5000' 'lab' password_LAB_PASSWORD insecure || return`), loginTool);
            assert.ok(script.includes(`check imageRegistryUsername and imageRegistryPassword`), `${loginTool}: the second registry's keys are named`);
            if (loginTool === "oras") {
                assert.ok(lines(script).includes(`login_password '10.10.100.48' 'admin' password_PACKS_PASSWORD ca "$ca_file" || return`));
                assert.ok(lines(script).includes(`login_password 'example.internal.com' 'robot$images' password_IMAGES_PASSWORD ca "$ca_file_2" || return`));
            }
            if (loginTool === "skopeo") {
                assert.ok(lines(script).includes(`login_password 'example.internal.com' 'robot$images' password_IMAGES_PASSWORD ca "$DOCKER_CONFIG/certs-2" || return`));
                assert.ok(script.includes(`cp -- "$ca_file_2" "$DOCKER_CONFIG/certs-2/ca.crt"`), "a cert dir per CA, holding only it");
            }
            if (loginTool === "docker") {
                assert.ok(script.includes(`certs_d='/etc/docker/certs.d/example.internal.com'\nif ! cmp -s -- "$ca_file_2" "$certs_d/ca.crt"`));
                assert.ok(script.includes(`certs_d='/etc/docker/certs.d/10.10.100.48'\nif ! cmp -s -- "$ca_file" "$certs_d/ca.crt"`));
                assert.ok(!script.includes("certs.d/lab.internal:5000"), "no CA installed for the insecure registry");
            }
        }
        assert.throws(
            () => binaryRunScript({ ...spec, logins: [logins[0], { ...logins[1], registry: "10.10.100.48" }] }),
            /10\.10\.100\.48 has another password login/,
        );
        assert.throws(() => binaryRunScript({ ...spec, logins: [{ ...logins[0], caFile: "pki/ca.crt" }] }), /logins\[0\]\.caFile must be an absolute path/);
    });

    it("skips the manifests search for pack binaries (manifests: false)", () => {
        const script = binaryRunScript({ ...spec, manifests: false });
        assert.ok(!script.includes("manifests_zip"));
        assert.ok(script.includes("zip=  # a pack binary writes no manifests zip"));
        assert.strictEqual(spawnSync("bash", ["-n"], { input: script }).status, 0);
    });

    it("rejects timeouts that are not whole numbers in range", () => {
        for (const over of [{ loginTimeoutSeconds: 0 }, { attemptTimeoutSeconds: 1.5 }, { attemptTimeoutSeconds: 8 * 24 * 3600 }, { killGraceSeconds: -1 }]) {
            assert.throws(() => binaryRunScript({ ...spec, ...over }), new RegExp(`${Object.keys(over)[0]} must be a whole number`));
        }
        assert.match(binaryRunScript({ ...spec, attemptTimeoutSeconds: 90 * 60 }), /attempt_timeout_text='90 minutes'/);
    });

    it("rejects a bad spec, naming every problem", () => {
        assert.throws(
            () =>
                binaryRunScript({
                    ...spec,
                    binaryPath: "relative.bin",
                    maxAttempts: 0,
                    loginTool: "podman" as never,
                    environment: { "BAD-NAME": "x", DOCKER_CONFIG: "/x" },
                    logins: [{ kind: "password", registry: "h", username: "u", passwordEnv: "not a name" }],
                }),
            (error: Error) =>
                ["binaryPath", "maxAttempts", "loginTool", "BAD-NAME", "DOCKER_CONFIG", "passwordEnv"].every((word) => error.message.includes(word)),
        );
    });

    it("labelSlug and shellQuote", () => {
        assert.strictEqual(labelSlug("pack cni-calico 3.25.1"), "pack-cni-calico-3.25.1");
        assert.strictEqual(labelSlug("Setup"), "setup");
        assert.strictEqual(labelSlug("///"), "run");
        const tricky = `a'b "c" $d \`e\` \\f\ng`;
        const echoed = spawnSync("bash", ["-c", `printf '%s' ${shellQuote(tricky)}`], { encoding: "utf8" });
        assert.strictEqual(echoed.stdout, tricky);
    });
});

describe("parseRunResult", () => {
    it("reads the last result line", () => {
        const stdout = [
            "palette-airgap [setup] attempt 1 of 2",
            "Setup Completed",
            `${RESULT_PREFIX}{"manifestsZip":"/tmp/old.zip","version":"1","attempts":1}`,
            `${RESULT_PREFIX}{"manifestsZip":"/tmp/spectro manifests-1.zip","version":"4.0.17","attempts":2,"log":"/w/l.log"}`,
            "",
        ].join("\n");
        assert.deepStrictEqual(parseRunResult(stdout), { manifestsZip: "/tmp/spectro manifests-1.zip", version: "4.0.17", attempts: 2, log: "/w/l.log" });
    });

    it("takes the last line that starts with the prefix, not one quoted inside another line", () => {
        const stdout = `${RESULT_PREFIX}{"attempts":1}\nnoise ${RESULT_PREFIX}{"attempts":9}\n`;
        assert.strictEqual(parseRunResult(stdout).attempts, 1);
    });

    it("leaves out an empty zip path and version", () => {
        assert.deepStrictEqual(parseRunResult(`${RESULT_PREFIX}{"manifestsZip":"","version":"","attempts":1}\r\n`), { attempts: 1 });
    });

    it("throws without a result line or with a bad one", () => {
        assert.throws(() => parseRunResult("Setup Completed\n"), /no "PALETTE_AIRGAP_RESULT" line/);
        assert.throws(() => parseRunResult(`${RESULT_PREFIX}{not json}`), /not JSON/);
        assert.throws(() => parseRunResult(`${RESULT_PREFIX}{"version":"1"}`), /attempts/);
    });
});

interface RunOutcome {
    status: number | null;
    stdout: string;
    stderr: string;
    /** Every distinct command line seen in /proc while the script ran. */
    commandLines: Set<string>;
    ms: number;
}

/**
 * Runs a script as command.local.Command does with `interpreter: ["/bin/bash", "-c"]` (the script
 * text is bash's argument), sampling /proc/<pid>/cmdline of every process meanwhile.
 */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<RunOutcome> {
    const commandLines = new Set<string>();
    const sample = () => {
        for (const entry of fs.readdirSync("/proc")) {
            if (/^\d+$/.test(entry)) {
                try {
                    commandLines.add(fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "));
                } catch {
                    // gone
                }
            }
        }
    };
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn("/bin/bash", ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setInterval(sample, 5);
        child.on("error", reject);
        child.on("close", (status) => {
            clearInterval(timer);
            resolve({ status, stdout, stderr, commandLines, ms: Date.now() - started });
        });
    });
}

describe("binaryRunScript against a real registry and makeself binaries", function () {
    this.timeout(180_000);
    let registry: TestRegistry;
    let base: string;
    let shimDir: string;
    let shimLog: string;
    let testNumber = 0;

    before(async function () {
        const available = registryAvailable() && fakeBinariesAvailable() && ["jq", "unzip"].every((t) => spawnSync("which", [t]).status === 0);
        if (!available) {
            const message = "docker-registry, apache2-utils, openssl, skopeo, makeself, zip, unzip and jq are needed (apt-get install them)";
            if (process.env.CI) {
                throw new Error(message);
            }
            console.warn(`    skipped: ${message}`);
            this.skip();
        }
        registry = await startRegistry();
        base = fs.mkdtempSync(path.join(os.tmpdir(), "palette run script "));
        // A skopeo shim first on PATH: records each call's arguments and environment.
        shimDir = path.join(base, "shim");
        shimLog = path.join(base, "skopeo-calls.log");
        fs.mkdirSync(shimDir);
        const realSkopeo = execFileSync("bash", ["-c", "command -v skopeo"], { encoding: "utf8" }).trim();
        fs.writeFileSync(
            path.join(shimDir, "skopeo"),
            `#!/bin/bash\n{ printf 'ARGS %s\\n' "$*"; env | sed 's/^/ENV /'; } >>"$SKOPEO_SHIM_LOG"\nexec ${shellQuote(realSkopeo)} "$@"\n`,
            { mode: 0o755 },
        );
    });

    after(async () => {
        await registry?.stop();
        if (base) {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });

    /** A fresh case directory (with spaces in its path) holding bins, work and state dirs. */
    function caseDir(): { dir: string; bins: string; work: string; state: string } {
        testNumber += 1;
        const dir = path.join(base, `case ${testNumber}`);
        const c = { dir, bins: path.join(dir, "bins dir"), work: path.join(dir, "work dir"), state: path.join(dir, "state dir") };
        fs.mkdirSync(c.bins, { recursive: true });
        return c;
    }

    function specFor(binaryPath: string, c: { work: string; state: string }, over: Partial<BinaryRunSpec> = {}, target: TestRegistry = registry): BinaryRunSpec {
        return {
            binaryPath,
            label: "setup",
            workDir: c.work,
            stateDir: c.state,
            loginTool: "skopeo",
            logins: [{ kind: "password", registry: target.endpoint, username: target.username, passwordEnv: PASSWORD_ENV }],
            caFile: target.caFile,
            environment: { OCI_IMAGE_REGISTRY: target.endpoint, OCI_IMAGE_BASE: "spectro-images", OCI_PACK_REGISTRY: target.endpoint, OCI_PACK_BASE: "spectro-packs" },
            maxAttempts: 3,
            retryDelaySeconds: 0,
            ...over,
        };
    }

    async function run(spec: BinaryRunSpec, password: string | null = registry.password, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunOutcome & { script: string }> {
        const script = binaryRunScript(spec);
        fs.writeFileSync(shimLog, "");
        const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${shimDir}${path.delimiter}${process.env.PATH}`, SKOPEO_SHIM_LOG: shimLog, ...extraEnv };
        delete env[PASSWORD_ENV];
        if (password !== null) {
            env[PASSWORD_ENV] = password;
        }
        return { ...(await runScript(script, env)), script };
    }

    function setupBinary(c: { bins: string; work: string }, faults: FakeFaults = {}) {
        return buildFakeSetupBinary({ outDir: c.bins, manifestsDir: c.work, faults });
    }

    it("a full run pushes packs and images under their bases and prints the result line", async () => {
        const c = caseDir();
        const psDump = path.join(c.dir, "ps.txt");
        const envDump = path.join(c.dir, "env.txt");
        const authDump = path.join(c.dir, "auth.txt");
        const binary = setupBinary(c, { psDump, envDump, authDump });
        const outcome = await run(specFor(binary.path, c));
        assert.strictEqual(outcome.status, 0, `${outcome.stdout}\n${outcome.stderr}`);

        const catalog = await registry.catalog();
        for (const pack of DEFAULT_PACKS) {
            assert.ok(catalog.includes(`spectro-packs/${pack.name}`), `spectro-packs/${pack.name} in ${catalog}`);
            assert.deepStrictEqual(await registry.tags(`spectro-packs/${pack.name}`), [pack.version]);
        }
        for (const image of DEFAULT_IMAGES) {
            const [name, tag] = image.split(/:(?=[^:/]+$)/);
            assert.ok(catalog.includes(`spectro-images/${name}`), `spectro-images/${name} in ${catalog}`);
            assert.deepStrictEqual(await registry.tags(`spectro-images/${name}`), [tag]);
        }

        const lines = outcome.stdout.trimEnd().split("\n");
        assert.ok(lines[lines.length - 1].startsWith(RESULT_PREFIX), "the result line is the last line");
        const result = parseRunResult(outcome.stdout);
        assert.strictEqual(result.attempts, 1);
        assert.strictEqual(result.version, "4.0.17");
        assert.ok(result.manifestsZip && fs.existsSync(result.manifestsZip), `zip ${result.manifestsZip} exists`);
        assert.match(path.basename(result.manifestsZip), /^spectro-manifests-\d+\.zip$/);
        const listing = execFileSync("unzip", ["-l", result.manifestsZip], { encoding: "utf8" });
        assert.match(listing, /roar\/nickfury\/versions\.yaml/);

        // Both streams of the binary are captured (log) and echoed (stdout): makeself writes
        // "MD5 checksums are OK." to stderr and "All good." to stdout.
        const log = fs.readFileSync(result.log as string, "utf8");
        for (const text of ["MD5 checksums are OK.", "All good.", "W: image layers are pushed with skopeo (a line on stderr)", "- Pushing Pack cni-calico:3.25.1", "Setup Completed"]) {
            assert.ok(log.includes(text), `log has ${text}`);
            assert.ok(outcome.stdout.includes(text), `stdout has ${text}`);
        }
        assert.strictEqual(path.dirname(result.log as string), path.join(c.work, "logs"));

        // The login went through --password-stdin into this run's DOCKER_CONFIG, removed at exit.
        const auth = fs.readFileSync(authDump, "utf8");
        assert.ok(auth.includes(`DOCKER_CONFIG=${path.join(c.state, "docker-config", "setup")}`), auth);
        assert.ok(auth.includes(registry.endpoint), "config.json holds the login");
        assert.ok(!fs.existsSync(path.join(c.state, "docker-config", "setup")), "DOCKER_CONFIG removed at exit");
        const loginCalls = fs.readFileSync(shimLog, "utf8").split("\n").filter((l) => l.startsWith("ARGS login"));
        assert.strictEqual(loginCalls.length, 1);
        assert.match(loginCalls[0], /--password-stdin/);
        assert.match(loginCalls[0], /--cert-dir .*\/certs /);

        // The password: nowhere in the script, the output, the logs, any process's arguments or
        // the environment of the login tool and of the binary.
        const secret = registry.password;
        assert.ok(!outcome.script.includes(secret), "script text");
        assert.ok(!outcome.stdout.includes(secret) && !outcome.stderr.includes(secret), "output");
        assert.ok(!log.includes(secret), "log");
        assert.ok(fs.readFileSync(psDump, "utf8").includes("airgap-v4.0.17.bin") || fs.readFileSync(psDump, "utf8").includes("run.sh"), "ps dump taken");
        assert.ok(!fs.readFileSync(psDump, "utf8").includes(secret), "ps -eo args during the run");
        assert.ok(outcome.commandLines.size > 0);
        assert.ok(![...outcome.commandLines].some((l) => l.includes(secret)), "sampled /proc/*/cmdline");
        assert.ok(!fs.readFileSync(envDump, "utf8").includes(secret), "the binary's environment");
        assert.ok(!fs.readFileSync(envDump, "utf8").includes(PASSWORD_ENV), "the password variable is not passed to the binary");
        assert.ok(!fs.readFileSync(shimLog, "utf8").includes(secret), "the login tool's arguments and environment");
        // The binary's variables were exported to it.
        assert.match(fs.readFileSync(envDump, "utf8"), new RegExp(`^OCI_PACK_REGISTRY=${registry.endpoint.replace(/\./g, "\\.")}$`, "m"));
    });

    it("(control) the /proc sampler does see a secret put on a child's command line", async () => {
        // The secret is only assembled at run time: only the child's arguments hold it, not bash's.
        const outcome = await runScript(`part=control; /bin/sh -c 'sleep 0.5; true' "sampler-$part-secret"`, { PATH: process.env.PATH });
        assert.strictEqual(outcome.status, 0);
        assert.ok([...outcome.commandLines].some((l) => l.includes("sampler-control-secret")));
    });

    it("a failure at push N is retried after a fresh login and succeeds (attempts 2)", async () => {
        const c = caseDir();
        const binary = setupBinary(c, { failAtPush: 3, failRuns: 1 });
        const outcome = await run(specFor(binary.path, c));
        assert.strictEqual(outcome.status, 0, `${outcome.stdout}\n${outcome.stderr}`);
        assert.strictEqual(parseRunResult(outcome.stdout).attempts, 2);
        assert.strictEqual(fs.readFileSync(binary.counterFile, "utf8").trim(), "2");
        assert.match(outcome.stdout, /attempt 1 failed: exit code 1; retrying/);
        assert.match(outcome.stdout, /simulated failure at push 3 \(run 1\)/);
        const calls = fs.readFileSync(shimLog, "utf8").split("\n").filter((l) => l.startsWith("ARGS "));
        const logins = calls.map((l, i) => (l.startsWith("ARGS login") ? i : -1)).filter((i) => i >= 0);
        assert.strictEqual(logins.length, 2, "one login per attempt");
        const firstCopyAfterSecondLogin = calls.findIndex((l, i) => i > logins[1] && l.startsWith("ARGS --insecure-policy copy"));
        assert.ok(firstCopyAfterSecondLogin > logins[1], "the second attempt pushes after its own login");
        const stdout = outcome.stdout;
        assert.ok(stdout.indexOf("attempt 2 of 3") < stdout.lastIndexOf("logging in to"), "re-login printed after attempt 2 started");
        const logs = fs.readdirSync(path.join(c.work, "logs"));
        assert.ok(logs.some((f) => /^setup-\d{8}T\d{6}Z-attempt-1\.log$/.test(f)) && logs.some((f) => /^setup-\d{8}T\d{6}Z-attempt-2\.log$/.test(f)), logs.join(", "));
    });

    it("rejected credentials fail at once with a clear message (no retry, binary not run)", async () => {
        const c = caseDir();
        const binary = setupBinary(c);
        const outcome = await run(specFor(binary.path, c, { retryDelaySeconds: 30 }), "not-the-password");
        assert.notStrictEqual(outcome.status, 0);
        assert.match(outcome.stderr, /FAILED: login rejected: the registry 127\.0\.0\.1:\d+ refused user palette: check registryUsername and registryPassword/);
        assert.ok(!fs.existsSync(binary.counterFile), "the binary never ran");
        assert.strictEqual(fs.readFileSync(shimLog, "utf8").split("\n").filter((l) => l.startsWith("ARGS login")).length, 1, "one login, no retry storm");
        assert.ok(outcome.ms < 25_000, "no retry delay was waited");
        assert.ok(!outcome.stdout.includes("not-the-password") && !outcome.stderr.includes("not-the-password"));
        assert.ok(!fs.existsSync(path.join(c.state, "docker-config", "setup")));
    });

    it("a missing password variable fails before any login, naming the variable", async () => {
        const c = caseDir();
        const binary = setupBinary(c);
        const outcome = await run(specFor(binary.path, c), null);
        assert.strictEqual(outcome.status, 2, outcome.stdout + outcome.stderr);
        assert.ok(outcome.stderr.includes(`environment variable ${PASSWORD_ENV}, which is empty or unset`), outcome.stderr);
        assert.ok(!fs.existsSync(binary.counterFile));
    });

    it("exit 0 without a Setup Completed line fails every attempt", async () => {
        const c = caseDir();
        const binary = setupBinary(c, { noCompleted: true });
        const outcome = await run(specFor(binary.path, c, { maxAttempts: 2 }));
        assert.strictEqual(outcome.status, 1);
        assert.strictEqual(fs.readFileSync(binary.counterFile, "utf8").trim(), "2");
        assert.match(outcome.stderr, /FAILED: failed after 2 attempt\(s\): no "Setup Completed" line/);
        assert.ok(!outcome.stdout.includes(RESULT_PREFIX));
    });

    it("after the last failed attempt prints the last lines and the exit code", async () => {
        const c = caseDir();
        const binary = setupBinary(c, { failAtPush: 2 });
        const outcome = await run(specFor(binary.path, c, { maxAttempts: 2 }));
        assert.strictEqual(outcome.status, 1);
        const stderrLines = outcome.stderr.trimEnd().split("\n");
        assert.match(stderrLines[stderrLines.length - 1], /FAILED: failed after 2 attempt\(s\): exit code 1$/);
        assert.match(outcome.stderr, /last lines of .*setup-\d{8}T\d{6}Z-attempt-2\.log:/);
        assert.match(outcome.stderr, /simulated failure at push 2 \(run 2\)/);
        assert.ok(stderrLines.length <= 43, "about 40 lines of output");
    });

    it("finds the manifests zip written during the run when the binary does not print its path", async () => {
        const c = caseDir();
        fs.mkdirSync(c.work, { recursive: true });
        // A zip from before the run must not be taken.
        const stale = path.join(c.work, "spectro-manifests-1000.zip");
        fs.writeFileSync(stale, "old");
        fs.utimesSync(stale, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
        const binary = setupBinary(c, { noManifestsLine: true });
        const outcome = await run(specFor(binary.path, c));
        assert.strictEqual(outcome.status, 0, outcome.stderr);
        assert.ok(!outcome.stdout.includes("Manifests are available in"));
        const result = parseRunResult(outcome.stdout);
        assert.ok(result.manifestsZip && result.manifestsZip !== stale && fs.existsSync(result.manifestsZip), result.manifestsZip);
        assert.strictEqual(path.dirname(result.manifestsZip), c.work);
    });

    it("runs a pack binary: one pack under the pack base, no manifests zip", async () => {
        const c = caseDir();
        const pack = { name: "csi-longhorn", version: "1.4.1" };
        const binary = buildFakePackBinary(pack, { outDir: c.bins });
        assert.strictEqual(path.basename(binary.path), "airgap-pack-csi-longhorn-1.4.1.bin");
        const outcome = await run(specFor(binary.path, c, { label: "pack csi-longhorn 1.4.1", manifests: false }));
        assert.strictEqual(outcome.status, 0, outcome.stderr);
        const result = parseRunResult(outcome.stdout);
        assert.strictEqual(result.attempts, 1);
        assert.strictEqual(result.manifestsZip, undefined);
        assert.strictEqual(result.version, "1.4.1");
        assert.match(path.basename(result.log as string), /^pack-csi-longhorn-1\.4\.1-\d{8}T\d{6}Z-attempt-1/);
        assert.deepStrictEqual(await registry.tags("spectro-packs/csi-longhorn"), ["1.4.1"]);
    });

    it("two stacks running at once never share a login", async () => {
        const other = await startRegistry({ username: "other-user" });
        try {
            const a = caseDir();
            const b = caseDir();
            const authA = path.join(a.dir, "auth.txt");
            const authB = path.join(b.dir, "auth.txt");
            const binA = setupBinary(a, { authDump: authA, sleepBeforePush: 1 });
            const binB = setupBinary(b, { authDump: authB, sleepBeforePush: 1 });
            const [outA, outB] = await Promise.all([
                run(specFor(binA.path, a), registry.password),
                run(specFor(binB.path, b, {}, other), other.password),
            ]);
            assert.strictEqual(outA.status, 0, outA.stderr);
            assert.strictEqual(outB.status, 0, outB.stderr);
            const dumpA = fs.readFileSync(authA, "utf8");
            const dumpB = fs.readFileSync(authB, "utf8");
            assert.ok(dumpA.includes(`DOCKER_CONFIG=${path.join(a.state, "docker-config", "setup")}`));
            assert.ok(dumpB.includes(`DOCKER_CONFIG=${path.join(b.state, "docker-config", "setup")}`));
            assert.ok(dumpA.includes(registry.endpoint) && !dumpA.includes(other.endpoint), dumpA);
            assert.ok(dumpB.includes(other.endpoint) && !dumpB.includes(registry.endpoint), dumpB);
            assert.ok((await other.catalog()).includes("spectro-packs/cni-calico"));
        } finally {
            await other.stop();
        }
    });

    describe("every network step and every attempt is bounded (issue 9, item 1)", () => {
        let silentTls: SilentServer;
        let silentTcp: SilentServer;

        before(async () => {
            silentTls = await startSilentServer({ tls: true });
            silentTcp = await startSilentServer({ tls: false });
        });

        after(async () => {
            await silentTls?.stop();
            await silentTcp?.stop();
        });

        it("a registry that completes TLS and never answers: each login times out naming host and step, counts as an attempt, and is retried", async () => {
            const c = caseDir();
            const binary = setupBinary(c);
            const before = silentTls.connections();
            const spec = specFor(binary.path, c, {
                logins: [{ kind: "password", registry: silentTls.endpoint, username: "palette", passwordEnv: PASSWORD_ENV }],
                caFile: silentTls.caFile,
                loginTimeoutSeconds: 2,
                maxAttempts: 2,
            });
            const outcome = await run(spec);
            assert.strictEqual(outcome.status, 1, outcome.stdout + outcome.stderr);
            const reason = `login to ${silentTls.endpoint} timed out: skopeo login to ${silentTls.endpoint} gave no answer within 2s`;
            assert.ok(outcome.stderr.includes(`FAILED: failed after 2 attempt(s): ${reason}`), outcome.stderr);
            assert.ok(outcome.stdout.includes(`attempt 1 failed: ${reason}; retrying`), outcome.stdout);
            assert.ok(outcome.stdout.includes("attempt 2 of 2"));
            assert.strictEqual(fs.readFileSync(shimLog, "utf8").split("\n").filter((l) => l.startsWith("ARGS login")).length, 2, "one login per attempt");
            assert.ok(silentTls.connections() - before >= 2, "the handshakes completed: the hang is after TLS");
            assert.ok(!fs.existsSync(binary.counterFile), "the binary never ran");
            assert.ok(!outcome.stderr.includes(registry.password) && !outcome.stdout.includes(registry.password));
        });

        it("a TCP port that accepts and never answers (no TLS at all) times out the same way", async () => {
            const c = caseDir();
            const binary = setupBinary(c);
            const outcome = await run(specFor(binary.path, c, {
                logins: [{ kind: "password", registry: silentTcp.endpoint, username: "palette", passwordEnv: PASSWORD_ENV }],
                loginTimeoutSeconds: 2,
                maxAttempts: 1,
            }));
            assert.strictEqual(outcome.status, 1);
            assert.ok(outcome.stderr.includes(`login to ${silentTcp.endpoint} timed out`), outcome.stderr);
            assert.ok(!fs.existsSync(binary.counterFile));
        });

        it("an ECR token command that hangs (aws ecr get-login-password) times out, naming it and the region", async () => {
            const c = caseDir();
            const binary = setupBinary(c);
            const awsShim = path.join(c.dir, "aws shim");
            fs.mkdirSync(awsShim);
            fs.writeFileSync(path.join(awsShim, "aws"), "#!/bin/bash\nexec sleep 600\n", { mode: 0o755 });
            const outcome = await run(
                specFor(binary.path, c, {
                    // The ECR registry name points at the silent server: nothing leaves 127.0.0.1.
                    logins: [{ kind: "ecr", registry: silentTls.endpoint, region: "eu-west-3" }],
                    caFile: undefined,
                    loginTimeoutSeconds: 2,
                    maxAttempts: 1,
                }),
                null,
                { PATH: `${awsShim}${path.delimiter}${shimDir}${path.delimiter}${process.env.PATH}` },
            );
            assert.strictEqual(outcome.status, 1, outcome.stdout + outcome.stderr);
            assert.match(outcome.stderr, new RegExp(`FAILED: failed after 1 attempt\\(s\\): login to ${silentTls.endpoint.replace(/\./g, "\\.")} timed out: .*aws ecr get-login-password \\(eu-west-3\\) gave no answer within 2s`));
            assert.ok(!fs.existsSync(binary.counterFile));
        });

        it("a binary that hangs: the watchdog stops its whole process group, the log says so, and the attempt is retried", async () => {
            const c = caseDir();
            const pidFile = path.join(c.dir, "pids");
            const binary = setupBinary(c, { hangPidFile: pidFile });
            const outcome = await run(specFor(binary.path, c, { attemptTimeoutSeconds: 3, maxAttempts: 2 }));
            assert.strictEqual(outcome.status, 1, outcome.stdout + outcome.stderr);
            assert.strictEqual(fs.readFileSync(binary.counterFile, "utf8").trim(), "2", "the timed-out attempt was retried");
            assert.match(outcome.stderr, /FAILED: failed after 2 attempt\(s\): timed out: no result within 3 s \(setupAttemptTimeoutMinutes\); the watchdog stopped the binary's process group/);
            assert.match(outcome.stdout, /attempt 1 failed: timed out: no result within 3 s/);
            for (const attempt of [1, 2]) {
                const log = fs.readdirSync(path.join(c.work, "logs")).find((f) => f.endsWith(`-attempt-${attempt}.log`)) as string;
                assert.match(fs.readFileSync(path.join(c.work, "logs", log), "utf8"), new RegExp(`WATCHDOG: attempt ${attempt} stopped after 3 s \\(setupAttemptTimeoutMinutes\\): SIGTERM to the binary's process group`));
            }
            assertGone(pidFile);
        });

        it("a binary that ignores SIGTERM is killed after the grace period", async () => {
            const c = caseDir();
            const pidFile = path.join(c.dir, "pids");
            const binary = setupBinary(c, { hangPidFile: pidFile, hangIgnoresTerm: true });
            const outcome = await run(specFor(binary.path, c, { attemptTimeoutSeconds: 2, killGraceSeconds: 2, maxAttempts: 1 }));
            assert.strictEqual(outcome.status, 1, outcome.stdout + outcome.stderr);
            assert.match(outcome.stderr, /timed out: no result within 2 s/);
            assertGone(pidFile);
        });

        it("a cancelled run (SIGTERM to the script) stops the binary's process group too", async () => {
            const c = caseDir();
            const pidFile = path.join(c.dir, "pids");
            const binary = setupBinary(c, { hangPidFile: pidFile });
            const script = binaryRunScript(specFor(binary.path, c));
            const child = spawn("/bin/bash", ["-c", script], {
                env: { ...process.env, PATH: `${shimDir}${path.delimiter}${process.env.PATH}`, SKOPEO_SHIM_LOG: shimLog, [PASSWORD_ENV]: registry.password },
                stdio: ["ignore", "ignore", "ignore"],
            });
            const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
            while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, "utf8").trim().split(" ").length < 2) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            child.kill("SIGTERM");
            assert.strictEqual(await closed, 143);
            assertGone(pidFile);
        });

        /** The payload's shell and its child, both listed in pidFile, no longer exist (zombies count as gone). */
        function assertGone(pidFile: string): void {
            for (const pid of fs.readFileSync(pidFile, "utf8").trim().split(/\s+/).map(Number)) {
                let state = "gone";
                try {
                    state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0];
                } catch {
                    // gone
                }
                assert.ok(state === "gone" || state === "Z", `process ${pid} is still running (state ${state})`);
            }
        }
    });

    describe("what the run prints is bounded whatever the binary prints (issue 9, item 6)", () => {
        /** What a Command keeps (stdout + stderr) may not exceed this, whatever the binary printed. */
        const OUTPUT_BOUND = 64 * 1024;

        it("a binary printing 200 MiB: the Command output holds a bounded tail and the result line; the log holds everything", async () => {
            const c = caseDir();
            const binary = setupBinary(c, { printMib: 200, printLongLineMib: 16 });
            const outcome = await run(specFor(binary.path, c));
            assert.strictEqual(outcome.status, 0, outcome.stderr.slice(-2000));
            const kept = Buffer.byteLength(outcome.stdout) + Buffer.byteLength(outcome.stderr);
            assert.ok(kept <= OUTPUT_BOUND, `the Command would keep ${kept} bytes`);
            const result = parseRunResult(outcome.stdout);
            assert.strictEqual(result.version, "4.0.17");
            assert.ok(result.manifestsZip && fs.existsSync(result.manifestsZip));
            assert.ok(fs.statSync(result.log as string).size > 216 * 1024 * 1024, "the full output is in the log file");
            assert.match(outcome.stdout, /Setup Completed/, "the tail shows how the run ended");
            assert.ok(outcome.stdout.split("\n").every((l) => l.length <= 4096), "no echoed line is megabytes long");
        });

        it("a failing binary printing 64 MiB per attempt: stdout and stderr stay bounded over every attempt", async () => {
            const c = caseDir();
            const binary = setupBinary(c, { printMib: 64, printLongLineMib: 4, noCompleted: true });
            const outcome = await run(specFor(binary.path, c, { maxAttempts: 3 }));
            assert.strictEqual(outcome.status, 1);
            const kept = Buffer.byteLength(outcome.stdout) + Buffer.byteLength(outcome.stderr);
            assert.ok(kept <= OUTPUT_BOUND, `the Command would keep ${kept} bytes`);
            assert.match(outcome.stderr, /FAILED: failed after 3 attempt\(s\): no "Setup Completed" line/);
        });
    });
});
