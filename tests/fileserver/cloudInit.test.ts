/**
 * The file-server VM's cloud-init (components/fileserver/cloudInit.ts) through Debian's real
 * cloud-init 22.4: `cloud-init schema --config-file` on the user data (that version validates
 * cloud-config only, not network config), cloud-init's own VMware datasource reading the
 * guestinfo documents back (its env-var transport, the same decoding as guestinfo) and its network
 * config parser on the network config v2. Then what the user data writes: the systemd unit
 * (`systemd-analyze verify`), the enable script (`bash -n`), and the web servers actually serving a
 * swapped web root on 127.0.0.1: nginx with the generated site over HTTPS, and the python fallback
 * over HTTPS and over HTTP, each started as the unit starts it; none of them follows a link below
 * the web root (to /etc, out of the release with .., or even inside it), while the web root link
 * itself (the publish script's swap) keeps working.
 *
 * Debian packages: cloud-init, systemd (systemd-analyze), nginx-light, openssl, python3.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import {
    CloudInitSpec,
    FILE_SERVER_PY,
    buildCloudInit,
    enableScript,
    fallbackUnit,
    guestinfoExtraConfig,
    nginxSite,
} from "../../components/fileserver/cloudInit";
import { freePort } from "../support/registry";

const CLOUD_INIT = "/usr/bin/cloud-init";
/** Debian's python3, which has the cloudinit package (a python3 earlier in PATH may not). */
const SYSTEM_PYTHON = "/usr/bin/python3";
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
const NGINX = "/usr/sbin/nginx";
const OPENSSL = "/usr/bin/openssl";

const TLS_KEY_MARKER = "TLS-KEY-SECRET-4";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm0rW4N9mdcQBYBmOXZ5i1wE0cQpVZbkG4tJYb0tqQ3 ops@lab";
const TLS = {
    certPem: "-----BEGIN CERTIFICATE-----\nMIIB-not-a-real-cert\n-----END CERTIFICATE-----\n",
    keyPem: `-----BEGIN PRIVATE KEY-----\n${TLS_KEY_MARKER}\n-----END PRIVATE KEY-----\n`,
};
const STATIC = { cidr: "10.10.100.50/24", gateway: "10.10.100.1", dns: ["10.10.100.2", "10.10.100.3"] };

const VARIANTS: { label: string; spec: CloudInitSpec }[] = [
    { label: "static address, HTTP", spec: { hostname: "palette-manifests", staticIp: STATIC, sshUser: "ubuntu", sshPublicKeys: [PUBLIC_KEY], port: 80 } },
    { label: "static address, HTTPS", spec: { hostname: "palette-manifests", staticIp: STATIC, sshUser: "ubuntu", sshPublicKeys: [PUBLIC_KEY], port: 443, tls: TLS } },
    { label: "DHCP, HTTP on 8080", spec: { hostname: "files-01", sshUser: "palette", sshPublicKeys: [PUBLIC_KEY], port: 8080, webRoot: "/data/manifests" } },
    { label: "DHCP, HTTPS", spec: { hostname: "files-01", sshUser: "ubuntu", sshPublicKeys: [PUBLIC_KEY], port: 443, tls: TLS } },
];

function requireTool(context: Mocha.Context, tool: string, debianPackage: string): void {
    if (!fs.existsSync(tool)) {
        if (process.env.CI) throw new Error(`${tool} is missing: install Debian's ${debianPackage}`);
        console.warn(`    skipped: ${tool} is missing (apt-get install -y ${debianPackage})`);
        context.skip();
    }
}

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(command, args, { encoding: "utf8", env: options.env ?? process.env, input: options.input, timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** cloud-init's VMware datasource, fed the guestinfo values through its env-var transport. */
const DATASOURCE_PY = `
import json, tempfile
from cloudinit import distros, helpers
from cloudinit.sources.DataSourceVMware import DataSourceVMware
from cloudinit.net import network_state
tmp = tempfile.mkdtemp()
paths = helpers.Paths({"cloud_dir": tmp, "run_dir": tmp})
distro = distros.fetch("ubuntu")("ubuntu", {}, paths)
ds = DataSourceVMware(sys_cfg={}, distro=distro, paths=paths)
found = ds._get_data()
config = ds.network_config
state = network_state.parse_net_config_data(config, skip_broken=False)
print(json.dumps({
    "found": found,
    "method": ds.data_access_method,
    "instanceId": ds.get_instance_id(),
    "hostname": ds.metadata.get("local-hostname"),
    "userData": ds.userdata_raw,
    "network": config,
    "interfaces": [dict(i) for i in state.iter_interfaces()],
    "dns": list(state.dns_nameservers),
}))
`;

interface DatasourceView {
    found: boolean;
    method: string;
    instanceId: string;
    hostname: string;
    userData: string;
    network: unknown;
    interfaces: { name: string; subnets: { type: string; address?: string; prefix?: number; routes?: { gateway: string; network: string; prefix: number }[]; dns_nameservers?: string[] }[] }[];
    dns: string[];
}

function readThroughDatasource(extraConfig: Record<string, string>): DatasourceView {
    const env: NodeJS.ProcessEnv = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", VMX_GUESTINFO: "1" };
    for (const [key, value] of Object.entries(extraConfig)) {
        env[`VMX_${key.toUpperCase().replace(/\./g, "_")}`] = value;
    }
    const result = run(SYSTEM_PYTHON, ["-c", DATASOURCE_PY], { env });
    assert.strictEqual(result.status, 0, result.stderr);
    return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

describe("file-server cloud-init through Debian's cloud-init 22.4", function () {
    let dir: string;
    let schemaKeys: Set<string>;

    before(function () {
        requireTool(this, CLOUD_INIT, "cloud-init");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-cloudinit-"));
        // 22.4's schema is an allOf of per-module $defs: the top-level keys are their properties.
        const keys = run(SYSTEM_PYTHON, [
            "-c",
            "import cloudinit.config.schema as s, json\nschema = s.get_schema()\nkeys = set()\nfor ref in schema['allOf']:\n    keys |= set(schema['$defs'][ref['$ref'].split('/')[-1]].get('properties', {}))\nprint(json.dumps(sorted(keys)))",
        ]);
        assert.strictEqual(keys.status, 0, keys.stderr);
        schemaKeys = new Set(JSON.parse(keys.stdout));
        assert.ok(schemaKeys.has("write_files") && schemaKeys.has("users"), "cloud-config keys found");
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    for (const { label, spec } of VARIANTS) {
        describe(label, function () {
            const cloud = buildCloudInit(spec);
            const extraConfig = guestinfoExtraConfig(cloud.metadata, cloud.userData);
            let datasource: DatasourceView | undefined;
            const viaDatasource = (): DatasourceView => (datasource ??= readThroughDatasource(extraConfig));

            it("`cloud-init schema --config-file` accepts the user data, and every top-level key is a cloud-config key", () => {
                const file = path.join(dir, `user-data-${label.replace(/\W+/g, "-")}`);
                fs.writeFileSync(file, cloud.userData);
                const result = run(CLOUD_INIT, ["schema", "--config-file", file]);
                assert.strictEqual(result.status, 0, `${result.stdout}\n${result.stderr}`);
                assert.match(result.stdout, /Valid cloud-config/);
                assert.doesNotMatch(`${result.stdout}${result.stderr}`, /deprecat/i);
                // The schema allows unknown keys; a misspelt module key would be silently ignored.
                for (const key of Object.keys(YAML.parse(cloud.userData))) {
                    assert.ok(schemaKeys.has(key), `"${key}" is not a cloud-config key`);
                }
            });

            it("cloud-init's VMware datasource reads the guestinfo back: instance id, host name, the user data byte for byte", () => {
                const view = viaDatasource();
                assert.strictEqual(view.found, true);
                assert.strictEqual(view.method, "envvar");
                assert.strictEqual(view.instanceId, cloud.instanceId);
                assert.strictEqual(view.hostname, spec.hostname);
                assert.strictEqual(view.userData, cloud.userData);
                assert.deepStrictEqual(view.network, cloud.networkConfig);
            });

            it(`cloud-init's network parser reads the network config v2 as ${spec.staticIp ? "the static address, default route and DNS" : "DHCPv4"}`, () => {
                const view = viaDatasource();
                assert.strictEqual(view.interfaces.length, 1);
                const subnets = view.interfaces[0].subnets;
                if (spec.staticIp) {
                    assert.strictEqual(subnets.length, 1);
                    assert.strictEqual(subnets[0].type, "static");
                    assert.strictEqual(subnets[0].address, "10.10.100.50");
                    assert.strictEqual(subnets[0].prefix, 24);
                    assert.deepStrictEqual(subnets[0].routes, [{ gateway: "10.10.100.1", network: "0.0.0.0", prefix: 0, netmask: "0.0.0.0" }]);
                    assert.deepStrictEqual(view.dns, STATIC.dns);
                } else {
                    assert.deepStrictEqual(subnets.map((subnet) => subnet.type), ["dhcp4"]);
                }
            });

            it("guestinfo values are base64 of the documents (round trip), with their encodings", () => {
                assert.strictEqual(extraConfig["guestinfo.metadata.encoding"], "base64");
                assert.strictEqual(extraConfig["guestinfo.userdata.encoding"], "base64");
                assert.strictEqual(Buffer.from(extraConfig["guestinfo.metadata"], "base64").toString("utf8"), cloud.metadata);
                assert.strictEqual(Buffer.from(extraConfig["guestinfo.userdata"], "base64").toString("utf8"), cloud.userData);
                assert.match(extraConfig["guestinfo.userdata"], /^[A-Za-z0-9+/]+={0,2}$/);
            });

            it(`the TLS key is ${spec.tls ? "in the user data (marked secret) and only there" : "nowhere"}; nothing is installed at boot`, () => {
                assert.strictEqual(cloud.userData.includes(TLS_KEY_MARKER), spec.tls !== undefined);
                assert.strictEqual(cloud.userDataIsSecret, spec.tls !== undefined);
                assert.ok(!cloud.metadata.includes(TLS_KEY_MARKER));
                assert.ok(!cloud.metadata.includes("PRIVATE KEY"));
                const config = YAML.parse(cloud.userData);
                assert.strictEqual(config.package_update, false);
                assert.strictEqual(config.package_upgrade, false);
                assert.strictEqual(config.packages, undefined);
                const user = config.users[0];
                assert.deepStrictEqual([user.name, user.sudo, user.lock_passwd, user.ssh_authorized_keys], [spec.sshUser, "ALL=(ALL) NOPASSWD:ALL", true, [PUBLIC_KEY]]);
                const files = new Map<string, { permissions: string; content: string }>(config.write_files.map((file: { path: string }) => [file.path, file]));
                assert.ok(files.has("/etc/palette-manifests/nginx-site.conf") && files.has("/etc/systemd/system/palette-manifests.service"));
                if (spec.tls) {
                    assert.strictEqual(files.get("/etc/palette-manifests/tls/server.key")!.permissions, "0600");
                    assert.ok(files.get("/etc/palette-manifests/nginx-site.conf")!.content.includes(`listen ${spec.port} ssl;`));
                }
                assert.deepStrictEqual(config.runcmd, [["/usr/local/sbin/palette-manifests-enable"]]);
            });
        });
    }

    it("the instance id follows the configuration (a change is applied again on the next boot), and is stable otherwise", () => {
        const base = VARIANTS[0].spec;
        assert.strictEqual(buildCloudInit(base).instanceId, buildCloudInit({ ...base }).instanceId);
        assert.notStrictEqual(buildCloudInit(base).instanceId, buildCloudInit({ ...base, port: 8080 }).instanceId);
        assert.strictEqual(buildCloudInit({ ...base, instanceId: "fixed" }).instanceId, "fixed");
    });

    it("refuses a host name, user, port or web root that would break the documents", () => {
        const base = VARIANTS[0].spec;
        assert.throws(() => buildCloudInit({ ...base, hostname: "Palette_Manifests" }), /hostname/);
        assert.throws(() => buildCloudInit({ ...base, sshUser: "ops; rm -rf /" }), /sshUser/);
        assert.throws(() => buildCloudInit({ ...base, port: 0 }), /port/);
        assert.throws(() => buildCloudInit({ ...base, webRoot: "/srv/my manifests" }), /webRoot/);
    });
});

describe("what the file-server user data writes, run here", function () {
    let dir: string;
    const children: ChildProcess[] = [];

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-serve-"));
        fs.chmodSync(dir, 0o755); // the servers drop to nobody (as nginx's workers do)
    });
    after(async () => {
        for (const child of children) await stop(child);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("systemd-analyze verify accepts the fallback unit, plain and TLS", function () {
        requireTool(this, SYSTEMD_ANALYZE, "systemd");
        for (const tls of [undefined, { cert: "/etc/palette-manifests/tls/server.crt", key: "/etc/palette-manifests/tls/server.key" }]) {
            const unitDir = fs.mkdtempSync(path.join(dir, "unit-"));
            const unit = path.join(unitDir, "palette-manifests.service");
            fs.writeFileSync(unit, fallbackUnit({ port: 443, webRoot: "/srv/palette-manifests", tls }));
            const result = run(SYSTEMD_ANALYZE, ["verify", "--man=no", unit], { env: { ...process.env, SYSTEMD_LOG_LEVEL: "warning" } });
            assert.strictEqual(result.status, 0, `${tls ? "TLS" : "plain"} unit:\n${result.stdout}${result.stderr}`);
            assert.strictEqual(`${result.stdout}${result.stderr}`.trim(), "", `${tls ? "TLS" : "plain"} unit: no warnings`);
        }
    });

    it("the enable script is valid bash choosing nginx when `command -v nginx` finds it", () => {
        const script = enableScript();
        const result = run("/bin/bash", ["-n"], { input: script });
        assert.strictEqual(result.status, 0, result.stderr);
        assert.match(script, /if command -v nginx >\/dev\/null 2>&1; then/);
        assert.match(script, /systemctl enable nginx/);
        assert.match(script, /systemctl enable palette-manifests\.service/);
    });

    it("nginx with the generated site serves the web root over HTTPS and follows a swapped symlink", async function () {
        requireTool(this, NGINX, "nginx-light");
        requireTool(this, OPENSSL, "openssl");
        const tls = selfSignedCert(dir);
        const port = await freePort();
        const webRoot = releaseTree(dir, "nginx");
        const site = path.join(dir, "nginx-site.conf");
        fs.writeFileSync(site, nginxSite({ port, webRoot, tls: { cert: tls.cert, key: tls.key } }));
        const prefix = fs.mkdtempSync(path.join(dir, "nginx-"));
        const conf = path.join(prefix, "nginx.conf");
        fs.writeFileSync(
            conf,
            [
                "worker_processes 1;",
                `pid ${prefix}/nginx.pid;`,
                "events { worker_connections 64; }",
                "http {",
                `    access_log ${prefix}/access.log;`,
                `    client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;`,
                `    include ${site};`,
                "}",
                "",
            ].join("\n"),
        );
        const check = run(NGINX, ["-t", "-c", conf, "-p", prefix, "-e", `${prefix}/error.log`]);
        assert.strictEqual(check.status, 0, check.stderr);
        children.push(spawn(NGINX, ["-c", conf, "-p", prefix, "-e", `${prefix}/error.log`, "-g", "daemon off;"], { stdio: "ignore" }));
        await waitForPort(port);
        await assertServesAndSwaps(`https://127.0.0.1:${port}`, webRoot, tls.cert);
    });

    it("the python fallback over HTTPS serves the web root, follows a swap, follows no link below it, and drops root to nobody", async function () {
        requireTool(this, OPENSSL, "openssl");
        const tls = selfSignedCert(dir);
        const port = await freePort();
        const webRoot = releaseTree(dir, "pytls");
        const script = fileServerScript(dir);
        const unit = fallbackUnit({ port, webRoot, tls: { cert: tls.cert, key: tls.key } });
        const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(" ");
        assert.deepStrictEqual(execStart.slice(0, 2), ["/usr/bin/python3", "/usr/local/lib/palette-manifests/file_server.py"]);
        // As the unit starts it (the script from its test location), bound to 127.0.0.1 here.
        const child = spawn(SYSTEM_PYTHON, [script, ...execStart.slice(2), "--bind", "127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
        children.push(child);
        await waitForPort(port, child);
        await assertServesAndSwaps(`https://127.0.0.1:${port}`, webRoot, tls.cert);
        if (process.getuid?.() === 0) {
            const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"))![1];
            assert.strictEqual(uid, "65534", "serves as nobody");
        }
    });

    it("the python fallback over HTTP, as the unit runs it, serves the web root, follows a swap and follows no link below it", async function () {
        const port = await freePort();
        const webRoot = releaseTree(dir, "pyplain");
        const unit = fallbackUnit({ port, webRoot });
        const execStart = /^ExecStart=(.*)$/m.exec(unit)![1].split(" ");
        assert.deepStrictEqual(execStart, ["/usr/bin/python3", "/usr/local/lib/palette-manifests/file_server.py", "--port", String(port), "--directory", webRoot]);
        const child = spawn(SYSTEM_PYTHON, [fileServerScript(dir), ...execStart.slice(2), "--bind", "127.0.0.1"], { stdio: "ignore" });
        children.push(child);
        await waitForPort(port, child);
        await assertServesAndSwaps(`http://127.0.0.1:${port}`, webRoot);
    });
});

/** FILE_SERVER_PY written once into dir (as the user data writes it to FILE_SERVER_PATH). */
function fileServerScript(dir: string): string {
    const script = path.join(dir, "file_server.py");
    fs.writeFileSync(script, FILE_SERVER_PY, { mode: 0o755 });
    return script;
}

// --- helpers for the serving tests -------------------------------------------------------------

/**
 * `<dir>/<name>.releases/{a,b}` with versions.yaml each, and `<dir>/<name>` -> releases/a (relative,
 * as publishScript makes it). Each release also holds links a hostile zip could have carried:
 * LEAKING_LINKS.
 */
function releaseTree(dir: string, name: string): string {
    const releases = path.join(dir, `${name}.releases`);
    for (const release of ["a", "b"]) {
        const nested = path.join(releases, release, "roar", "nickfury");
        fs.mkdirSync(nested, { recursive: true });
        fs.writeFileSync(path.join(nested, "versions.yaml"), `release: ${release}\n`);
        fs.writeFileSync(path.join(releases, release, "roar", "inside.txt"), "inside\n");
        for (const [link, target] of Object.entries(LEAKING_LINKS)) {
            fs.symlinkSync(target, path.join(releases, release, link));
        }
    }
    for (const sub of ["", "a", "b", "a/roar", "b/roar", "a/roar/nickfury", "b/roar/nickfury"]) fs.chmodSync(path.join(releases, sub), 0o755);
    const webRoot = path.join(dir, name);
    fs.symlinkSync(`${name}.releases/a`, webRoot);
    return webRoot;
}

/** Links inside a release (path in the release -> target) and what a request through each must not return. */
const LEAKING_LINKS: Record<string, string> = {
    "roar/leak": "/etc", // GET /roar/leak/passwd
    "roar/hostname.yaml": "/etc/hostname",
    "roar/up": "../../..", // out of the release, relative
    "roar/nickfury/alias.yaml": "versions.yaml", // a link that stays inside: refused too
};
const LEAK_PROBES = ["/roar/leak/passwd", "/roar/hostname.yaml", "/roar/up/etc/passwd", "/roar/nickfury/alias.yaml"];

async function assertServesAndSwaps(base: string, webRoot: string, ca?: string): Promise<void> {
    assert.strictEqual(await get(`${base}/roar/nickfury/versions.yaml`, ca), "release: a\n");
    assert.strictEqual(await get(`${base}/roar/inside.txt`, ca), "inside\n");
    const hostname = fs.readFileSync("/etc/hostname", "utf8");
    for (const probe of LEAK_PROBES) {
        const response = await getAny(`${base}${probe}`, ca);
        assert.ok(response.status === 403 || response.status === 404, `${probe}: HTTP ${response.status}, must be refused`);
        assert.ok(!response.body.includes("root:x:0:0") && !response.body.includes(hostname.trim() + "\n") && !response.body.includes("release: a"), `${probe} leaked: ${response.body.slice(0, 200)}`);
    }
    const next = `${webRoot}.next`;
    fs.symlinkSync(`${path.basename(webRoot)}.releases/b`, next);
    fs.renameSync(next, webRoot); // the publish script's atomic swap
    assert.strictEqual(await get(`${base}/roar/nickfury/versions.yaml`, ca), "release: b\n");
}

async function get(url: string, ca?: string): Promise<string> {
    const response = await getAny(url, ca);
    if (response.status !== 200) {
        throw new Error(`${url}: HTTP ${response.status}`);
    }
    return response.body;
}

function getAny(url: string, ca?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const done = (response: http.IncomingMessage) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
        };
        const request = url.startsWith("https:") ? https.get(url, { ca: fs.readFileSync(ca!), agent: false }, done) : http.get(url, { agent: false }, done);
        request.on("error", reject);
        request.setTimeout(10_000, () => request.destroy(new Error(`${url}: timeout`)));
    });
}

function selfSignedCert(dir: string): { cert: string; key: string } {
    const cert = path.join(dir, "server.crt");
    const key = path.join(dir, "server.key");
    if (!fs.existsSync(cert)) {
        const result = run(OPENSSL, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert,
        ]);
        assert.strictEqual(result.status, 0, result.stderr);
    }
    return { cert, key };
}

async function waitForPort(port: number, child?: ChildProcess): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
        if (child && child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
        const open = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, "127.0.0.1");
            socket.once("connect", () => {
                socket.destroy();
                resolve(true);
            });
            socket.once("error", () => resolve(false));
        });
        if (open) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

async function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
}
