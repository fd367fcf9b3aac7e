/**
 * Values that a component, script, provider or remote service would refuse only later, once
 * resources are registered (under a real `pulumi up`, with the OVA import and the setup run already
 * under way), and hostile values that nothing refused at all. Each goes through the real program
 * under the SDK's mock engine: it must fail with the ConfigError line naming the key and the fix,
 * repeat no credential, and register nothing. Where the later refusal is our own code, that code
 * is called too, to prove the value really was a late failure (so this table cannot drift into
 * testing values nobody refuses).
 */
import * as assert from "assert";
import { buildCloudInit } from "../../components/fileserver/cloudInit";
import { parseDockerHost } from "../../components/fileserver/manifestFileServer";
import { publishManifestsScript } from "../../components/fileserver/publishScript";
import { normalizeHarborEndpoint } from "../../components/registry/harborApi";
import { binaryRunScript } from "../../components/setup/runScript";
import { registryHost, repositoryBase } from "../../components/setup/setupEnvironment";
import { registryEndpointHost } from "../../components/validate/checks";
import { parseServer } from "../../components/vsphere/soapTransport";
import { CONFIG_KEYS, ConfigError } from "../../components";
import { TEST_SECRETS, runStack, runStackExpectingConfigError } from "../support/stackHarness";

type Stack = "harbor-lab" | "generic-dev" | "ecr-prod";

interface LateReject {
    stack: Stack;
    key: string;
    value: unknown;
    /** Further overrides the case needs. */
    with?: Record<string, unknown>;
    secrets?: Record<string, string>;
    /** The ConfigError line of `key` (or of `lineOf`) must match. */
    lineOf?: string;
    fix: RegExp;
    /** Where it failed before: our own code is called (and must throw); a service is named. */
    later?: { what: string; call?: () => unknown };
    /** Text the whole error must not contain (a credential). */
    secret?: string;
}

const harborSecrets = { vspherePassword: TEST_SECRETS.vspherePassword, registryPassword: TEST_SECRETS.registryPassword, fileServerSshPrivateKey: TEST_SECRETS.fileServerSshPrivateKey };
const genericSecrets = { vspherePassword: TEST_SECRETS.vspherePassword, registryPassword: TEST_SECRETS.registryPassword };

const publish = (webRoot: string) => () => publishManifestsScript({ zipPath: "/tmp/m.zip", sha256: "a".repeat(64), webRoot });
const cloudInit = (override: { sshUser?: string; webRoot?: string }) => () =>
    buildCloudInit({ hostname: "palette-manifests", sshUser: "ubuntu", port: 80, webRoot: "/srv/palette-manifests", ...override });
const runScriptWith = (username: string, registry = "harbor.lab.internal") => () =>
    binaryRunScript({
        binaryPath: "/opt/palette/airgap-v4.2.13.bin", label: "setup", workDir: "/var/tmp/palette-airgap", stateDir: "/var/tmp/palette-airgap/state",
        loginTool: "oras", environment: {}, maxAttempts: 1,
        logins: [{ kind: "password", registry, username, passwordEnv: "PALETTE_AIRGAP_REGISTRY_PASSWORD" }],
    });
/** The ManifestFileServer's docker branch: an ssh/tcp Docker host must name the SSH user that publishes. */
const dockerPublisher = (host: string) => () => {
    const target = parseDockerHost(host);
    if (target.scheme !== "unix" && !target.user) throw new Error(`ManifestFileServer: the Docker host ${host} names no SSH user`);
};

const LATE_REJECTS: LateReject[] = [
    // Registry endpoints: exactly host[:port], https only, no credentials.
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor.lab.internal/api/v2.0", fix: /has a path \("\/api\/v2\.0"\); give host\[:port\] only/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("harbor.lab.internal/api/v2.0") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor.lab.internal?tenant=a", fix: /has a query/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("harbor.lab.internal?tenant=a") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor.lab.internal#x", fix: /has a fragment/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("harbor.lab.internal#x") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "palette:Url-Pa55-1@harbor.lab.internal:5000", secret: "Url-Pa55-1", fix: /holds credentials .*use registryUsername and registryPassword \(--secret\)/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("palette:Url-Pa55-1@harbor.lab.internal:5000") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "https://palette:Url-Pa55-2@harbor.lab.internal", secret: "Url-Pa55-2", fix: /holds credentials/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("https://palette:Url-Pa55-2@harbor.lab.internal") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "palette:p@ss/w0rd@harbor.lab.internal", secret: "ss/w0rd", fix: /holds credentials/ },
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor.lab.internal:99999", fix: /port 99999 is not a TCP port \(1 to 65535\)/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("harbor.lab.internal:99999") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor.lab.internal:0", fix: /port 0 is not a TCP port/, later: { what: "the connection (port 0)" } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "ftp://harbor.lab.internal", fix: /unsupported scheme/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("ftp://harbor.lab.internal") } },
    { stack: "harbor-lab", key: "registryEndpoint", value: "fd00::20", fix: /an IPv6 address goes in brackets, e.g. \[fd00::20\]/ },
    { stack: "harbor-lab", key: "registryEndpoint", value: "harbor_lab.internal", fix: /is not a host name/ },
    { stack: "generic-dev", key: "registryEndpoint", value: "registry.dev.example.internal:5000?ns=palette", fix: /has a query/, later: { what: "the registry checks", call: () => registryEndpointHost("registry.dev.example.internal:5000?ns=palette") } },
    { stack: "generic-dev", key: "registryEndpoint", value: "registry.dev.example.internal:5000/palette", fix: /has a path/, later: { what: "the registry checks", call: () => registryEndpointHost("registry.dev.example.internal:5000/palette") } },
    { stack: "generic-dev", key: "registryEndpoint", value: "registry dev:5000", fix: /is not a host name/, later: { what: "setupEnvironment", call: () => registryHost("registry dev:5000", "registry") } },
    { stack: "harbor-lab", key: "imageRegistryEndpoint", value: "images:Url-Pa55-12@harbor2.lab.internal", secret: "Url-Pa55-12", fix: /holds credentials .*use imageRegistryUsername and imageRegistryPassword \(--secret\)/, later: { what: "harborApi", call: () => normalizeHarborEndpoint("images:Url-Pa55-12@harbor2.lab.internal") } },
    { stack: "generic-dev", key: "imageRegistryEndpoint", value: "registry2.dev.example.internal:5000?ns=images", fix: /has a query/, later: { what: "the registry checks", call: () => registryEndpointHost("registry2.dev.example.internal:5000?ns=images") } },
    // Registry users: one line, no colon.
    { stack: "harbor-lab", key: "registryUsername", value: "admin\nroot", fix: /contains a control character/, later: { what: "the run script", call: runScriptWith("admin\nroot") } },
    { stack: "generic-dev", key: "registryUsername", value: "robot:palette", fix: /contains ":", which basic authentication cannot carry/, later: { what: "the registry's basic authentication" } },
    // Repository bases: Harbor's project rule, ECR's name rule, OCI paths, lengths.
    { stack: "harbor-lab", key: "packBase", value: "spectro__packs", fix: /"spectro__packs" is not a Harbor project name/, later: { what: "Harbor (POST /projects answers 400)" } },
    { stack: "harbor-lab", key: "packBase", value: "spectro--packs/x", fix: /"spectro--packs" is not a Harbor project name/, later: { what: "Harbor (POST /projects answers 400)" } },
    { stack: "harbor-lab", key: "packBase", value: "p".repeat(300), fix: /is 300 characters long; keep it to 200 at most/, later: { what: "Harbor (project_name maxLength 255)" } },
    { stack: "harbor-lab", key: "imageBase", value: "spectro-packs/images", fix: /same Harbor project "spectro-packs" as packBase/, later: { what: "OciRegistry (a RunError once the program runs)" } },
    { stack: "harbor-lab", key: "packBase", value: "Spectro-Packs", fix: /is not a repository base/, later: { what: "setupEnvironment", call: () => repositoryBase("Spectro-Packs", "packBase") } },
    { stack: "ecr-prod", key: "packBase", value: "spectro__packs", fix: /is not an ECR repository name/, later: { what: "ECR CreateRepository" } },
    { stack: "ecr-prod", key: "imageBase", value: "s", fix: /shorter than the 2 characters ECR requires/, later: { what: "ECR CreateRepository" } },
    { stack: "harbor-lab", key: "fileServerTemplate", value: "templates/../ubuntu-2204", fix: /has a \.\. segment/, later: { what: "the vSphere provider's template lookup" } },
    { stack: "generic-dev", key: "imageBase", value: "spectro images", fix: /is not a repository base/, later: { what: "setupEnvironment", call: () => repositoryBase("spectro images", "imageBase") } },
    // vCenter: host[:port], bracketed IPv6, no credentials.
    { stack: "harbor-lab", key: "vsphereServer", value: "vcenter.lab.internal:99999", fix: /port 99999 is not a TCP port/, later: { what: "the vSphere client", call: () => parseServer("vcenter.lab.internal:99999") } },
    { stack: "harbor-lab", key: "vsphereServer", value: "vcenter.lab.internal:0", fix: /port 0 is not a TCP port/, later: { what: "the connection (port 0)" } },
    { stack: "harbor-lab", key: "vsphereServer", value: "administrator:Vc-Pa55-3@vcenter.lab.internal", secret: "Vc-Pa55-3", fix: /holds credentials .*use vsphereUser and vspherePassword/, later: { what: "the vSphere client", call: () => parseServer("administrator:Vc-Pa55-3@vcenter.lab.internal") } },
    { stack: "harbor-lab", key: "vsphereServer", value: "fd00::10", fix: /an IPv6 address goes in brackets, e.g. \[fd00::10\]/, later: { what: "the vSphere client", call: () => parseServer("fd00::10") } },
    { stack: "harbor-lab", key: "vsphereServer", value: "[fd00::zz]", fix: /\[fd00::zz\] is not an IPv6 address/, later: { what: "the vSphere client", call: () => parseServer("[fd00::zz]") } },
    { stack: "harbor-lab", key: "vsphereServer", value: "999.10.10.10", fix: /999\.10\.10\.10 is not an IPv4 address/, later: { what: "the vSphere client", call: () => parseServer("999.10.10.10") } },
    // vSphere names and paths.
    { stack: "harbor-lab", key: "datacenter", value: ["dc-lab", "dc-2"], fix: /is a YAML list; give a single string, e.g. datacenter: dc-lab/ },
    { stack: "harbor-lab", key: "datacenter", value: { name: "dc-lab" }, fix: /is a YAML map; give a single string/ },
    { stack: "harbor-lab", key: "datacenter", value: null, fix: /is required/ },
    { stack: "harbor-lab", key: "datacenter", value: "dc/lab", fix: /"dc\/lab" is a path; give the datacenter's own name/ },
    { stack: "harbor-lab", key: "datacenter", value: "dc%lab", fix: /contains \/ \\ or %/ },
    { stack: "harbor-lab", key: "templateFolder", value: "..", fix: /has a \.\. segment/ },
    { stack: "harbor-lab", key: "templateFolder", value: "a/../b", fix: /has a \.\. segment/ },
    { stack: "harbor-lab", key: "templateFolder", value: "./spectro-templates", fix: /has a \. segment/ },
    { stack: "harbor-lab", key: "templateFolder", value: "a//b", fix: /without leading, trailing or double \// },
    { stack: "harbor-lab", key: "templateFolder", value: "t".repeat(81), fix: /81 characters long; vSphere names have at most 80/ },
    { stack: "harbor-lab", key: "fileServerVmFolder", value: "../infra", fix: /has a \.\. segment/ },
    { stack: "harbor-lab", key: "resourcePool", value: "cluster-01/../Resources", with: { cluster: "" }, fix: /has a \.\. segment/ },
    { stack: "harbor-lab", key: "network", value: "VM\tNetwork", fix: /contains a control character/ },
    { stack: "harbor-lab", key: "datastore", value: "ds%1", fix: /contains \/ \\ or % inside a name; write them as vSphere does in inventory paths: %2f, %5c, %25/ },
    // Template names, given or derived from the OVA's URL.
    { stack: "harbor-lab", key: "templateName", value: "r_u-2204/k8s", fix: /contains \/ \\ or %/ },
    { stack: "harbor-lab", key: "templateName", value: "r_u-2204%k8s", fix: /contains \/ \\ or %/ },
    { stack: "harbor-lab", key: "templateName", value: "r_u-2204\\k8s", fix: /contains \/ \\ or %/ },
    { stack: "harbor-lab", key: "templateName", value: `r_${"u".repeat(79)}`, fix: /is 81 characters long; vSphere names have at most 80/ },
    { stack: "harbor-lab", key: "templateName", value: "r_", fix: /has nothing after r_/ },
    { stack: "harbor-lab", key: "ovaSource", value: "https://mirror.lab.internal/palette/u-2204%2Fk8s.ova", fix: /gives the template name "r_u-2204\/k8s" .*rename the OVA or set templateName/ },
    { stack: "harbor-lab", key: "ovaSource", value: "https://mirror.lab.internal/palette/r_.ova", fix: /gives the template name "r_" has nothing after r_/ },
    { stack: "harbor-lab", key: "ovaSource", value: `/srv/ova/${"u".repeat(90)}.ova`, fix: /characters long; vSphere names have at most 80/ },
    // OVA mirror credentials: never in the URL, never over http.
    { stack: "harbor-lab", key: "ovaSource", value: "https://u:Ova-Pa55-4@mirror.lab.internal/palette/u.ova", secret: "Ova-Pa55-4", fix: /holds credentials .*use ovaSourceUsername and ovaSourcePassword \(--secret\), or ovaSourceToken/ },
    { stack: "harbor-lab", key: "ovaSource", value: "https://mirror.lab.internal/palette/u.ova?X-Amz-Signature=Sig-SECRET-5", secret: "Sig-SECRET-5", fix: /has a query or fragment: .*a signed URL's query is a credential/ },
    { stack: "harbor-lab", key: "ovaSourceUsername", value: "palette-mirror", lineOf: "ovaSourcePassword", fix: /set both ovaSourceUsername and ovaSourcePassword/ },
    { stack: "harbor-lab", key: "ovaSourceUsername", value: "palette-mirror", with: { ovaSource: "http://mirror.lab.internal/u.ova" }, secrets: { ...harborSecrets, ovaSourcePassword: "Mirror-Pa55-6" }, secret: "Mirror-Pa55-6", fix: /would send the mirror's credentials over plain http:\/\// },
    { stack: "harbor-lab", key: "ovaSourceToken", value: undefined, with: { ovaSource: "/srv/ova/u.ova" }, secrets: { ...harborSecrets, ovaSourceToken: "Token-SECRET-7" }, secret: "Token-SECRET-7", fix: /is not used with a local ovaSource/ },
    { stack: "harbor-lab", key: "ovaSourcePassword", value: "Plain-Pa55-8", secret: "Plain-Pa55-8", fix: /stored in plain text/ },
    { stack: "harbor-lab", key: "registryPassword", value: undefined, secrets: { ...harborSecrets, registryPassword: "Registry-Pa55-10\n" }, secret: "Registry-Pa55-10", fix: /contains a line break or another control character \(not shown\); set it again without/, later: { what: "Harbor's API and the vCenter login (the password with its line break is refused: HTTP 401)" } },
    { stack: "generic-dev", key: "vspherePassword", value: undefined, secrets: { ...genericSecrets, vspherePassword: "Vc-Pa55-11\r\n" }, secret: "Vc-Pa55-11", fix: /contains a line break/ },
    // The web root: a directory of its own.
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/root", fix: /is the system directory \/root/, later: { what: "the publish script", call: publish("/root") } },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/srv/palette-manifests/", fix: /ends with \/; give "\/srv\/palette-manifests"/, later: { what: "the publish script", call: publish("/srv/palette-manifests/") } },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/srv/../etc/palette", fix: /is not a normalized path/, later: { what: "the publish script", call: publish("/srv/../etc/palette") } },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/srv/palette manifests", fix: /has characters other than letters, digits and \/ \. _ -/, later: { what: "cloud-init", call: cloudInit({ webRoot: "/srv/palette manifests" }) } },
    ...["/bin", "/boot", "/lib", "/lib64", "/sbin", "/etc/nginx", "/usr/share/nginx/html", "/var/lib/palette", "/var/log/palette", "/proc/self", "/sys/fs", "/dev/shm", "/run/palette", "/tmp/palette"].map(
        (dir): LateReject => ({ stack: "harbor-lab", key: "fileServerWebRoot", value: dir, fix: /the system directory \/[a-z0-9]+(\/[a-z]+)?: publishing replaces the web root/ }),
    ),
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/home/ubuntu", fix: /is a home directory \(it holds \.ssh\/authorized_keys\)/ },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/home/ubuntu/.ssh", fix: /goes through a hidden directory/ },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "/srv", fix: /is a top-level directory/ },
    { stack: "harbor-lab", key: "fileServerWebRoot", value: "srv/palette", fix: /is not an absolute path/ },
    { stack: "generic-dev", key: "fileServerWebRoot", value: "/etc", fix: /the system directory \/etc/ },
    // The publishing user and the Docker host.
    { stack: "harbor-lab", key: "fileServerSshUser", value: "ops;$(id)", fix: /is not a Linux user name/, later: { what: "cloud-init", call: cloudInit({ sshUser: "ops;$(id)" }) } },
    { stack: "harbor-lab", key: "fileServerSshUser", value: "Ubuntu", fix: /is not a Linux user name/, later: { what: "cloud-init", call: cloudInit({ sshUser: "Ubuntu" }) } },
    { stack: "harbor-lab", key: "fileServerSshUser", value: "root", fix: /is root: cloud images refuse root's SSH login/ },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "tcp://docker01.dev.example.internal:2376", fix: /is a TCP Docker endpoint: .*use ssh:\/\/<user>@<host>/, later: { what: "ManifestFileServer", call: dockerPublisher("tcp://docker01.dev.example.internal:2376") } },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "ssh://docker01.dev.example.internal", fix: /names no SSH user/, later: { what: "ManifestFileServer", call: dockerPublisher("ssh://docker01.dev.example.internal") } },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "http://docker01.dev.example.internal", fix: /must be ssh:\/\/<user>@<host>\[:port\] or unix:\/\/\/<socket>/, later: { what: "ManifestFileServer", call: () => parseDockerHost("http://docker01.dev.example.internal") } },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "ssh://ops:Ssh-Pa55-9@docker01.dev.example.internal", secret: "Ssh-Pa55-9", fix: /holds credentials .*fileServerSshPrivateKey/ },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "ssh://ops@docker01.dev.example.internal:99999", fix: /port 99999 is not a TCP port/ },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "ssh://ops;id@docker01.dev.example.internal", fix: /the SSH user "ops;id" is not a Linux user name/ },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "unix://run/docker.sock", fix: /does not name an absolute socket path/ },
    { stack: "generic-dev", key: "fileServerDockerHost", value: "ssh://ops@[fd00::60]", fix: /names an IPv6 address; give the Docker host's name or IPv4 address/, later: { what: "the SCAR URL (http://fd00::60:8080, from parseDockerHost's host)", call: () => new URL(`http://${parseDockerHost("ssh://ops@[fd00::60]").host}:8080`) } },
    { stack: "generic-dev", key: "fileServerImage", value: "nginx latest", fix: /is not an image reference/ },
    { stack: "generic-dev", key: "fileServerImage", value: "registry.dev.example.internal:5000/Library/Nginx:1.27", fix: /is not an image reference/ },
    // The static address.
    { stack: "harbor-lab", key: "fileServerGateway", value: "10.10.101.1", fix: /10\.10\.101\.1 is outside fileServerIp's subnet 10\.10\.100\.0\/24/ },
    { stack: "harbor-lab", key: "fileServerGateway", value: "10.10.100.50", fix: /is fileServerIp's own address/ },
    { stack: "harbor-lab", key: "fileServerGateway", value: "10.10.100.255", fix: /is the broadcast address of 10\.10\.100\.0\/24/ },
    { stack: "harbor-lab", key: "fileServerIp", value: "10.10.100.0/24", fix: /is the network address of 10\.10\.100\.0\/24/ },
    { stack: "harbor-lab", key: "fileServerIp", value: "10.10.100.255/24", fix: /is the broadcast address/ },
    { stack: "harbor-lab", key: "fileServerIp", value: "10.10.100.50/33", fix: /not an IPv4 address in CIDR form/ },
    // Control characters anywhere, list items included.
    { stack: "harbor-lab", key: "vsphereUser", value: "palette\n@vsphere.local", fix: /contains a control character/ },
    { stack: "harbor-lab", key: "fileServerDns", value: ["10.10.100.2\n10.10.100.3"], fix: /contains a control character/ },
    { stack: "harbor-lab", key: "workDir", value: "/var/tmp/../palette", fix: /is not a normalized path/ },
    { stack: "harbor-lab", key: "workDir", value: "/", fix: /is \/; give a directory of its own/ },
];

async function expectConfigError(stack: Stack, options: { overrides: Record<string, unknown>; secrets: Record<string, string> }): Promise<ConfigError> {
    return (await runStackExpectingConfigError(stack, options)) as ConfigError;
}

function secretsOf(stack: Stack): Record<string, string> {
    return stack === "harbor-lab" ? harborSecrets : stack === "generic-dev" ? genericSecrets : { vspherePassword: TEST_SECRETS.vspherePassword, fileServerSshPrivateKey: TEST_SECRETS.fileServerSshPrivateKey };
}

/** Keys whose problems depend on each other: a batch holds at most one case of each group. */
const INTERDEPENDENT = [["templateName", "ovaSource", "ovaSourceUsername", "ovaSourcePassword", "ovaSourceToken"], ["fileServerIp", "fileServerGateway"], ["packBase", "imageBase"], ["cluster", "resourcePool"]];

/**
 * The cases in batches: one program run reports every problem at once, so cases of distinct,
 * independent keys with the same stack, extra overrides and secrets share a run (about ten runs
 * instead of a hundred); each case still has its own test and its own line to match.
 */
function batches(cases: LateReject[]): LateReject[][] {
    const groupOf = (key: string) => INTERDEPENDENT.findIndex((group) => group.includes(key));
    const result: LateReject[][] = [];
    for (const bad of cases) {
        const fits = (batch: LateReject[]) =>
            batch[0].stack === bad.stack &&
            JSON.stringify([batch[0].with, batch[0].secrets]) === JSON.stringify([bad.with, bad.secrets]) &&
            batch.every((other) => other.key !== bad.key && (groupOf(other.key) < 0 || groupOf(other.key) !== groupOf(bad.key)));
        const batch = result.find(fits);
        if (batch) batch.push(bad);
        else result.push([bad]);
    }
    return result;
}

describe("values refused late or never, now refused by loadConfig (program under the SDK's mock engine)", () => {
    const runs = new Map<LateReject, () => Promise<ConfigError>>();
    for (const batch of batches(LATE_REJECTS)) {
        let result: Promise<ConfigError> | undefined;
        const run = () =>
            (result ??= (async () => {
                const overrides: Record<string, unknown> = { ...(batch[0].with ?? {}) };
                for (const bad of batch) if (bad.value !== undefined) overrides[bad.key] = bad.value;
                return expectConfigError(batch[0].stack, { overrides, secrets: batch[0].secrets ?? secretsOf(batch[0].stack) });
            })());
        for (const bad of batch) runs.set(bad, run);
    }

    for (const bad of LATE_REJECTS) {
        const shown = JSON.stringify(bad.value)?.slice(0, 60);
        if (bad.later?.call) {
            it(`${bad.key} ${shown}: ${bad.later.what} refuses it (a late failure without loadConfig)`, () => {
                assert.throws(bad.later!.call!);
            });
        }
        it(`${bad.key} ${shown}: names palette-airgap:${bad.key} and the fix, registers nothing${bad.secret ? ", repeats no credential" : ""}`, async () => {
            const error = await runs.get(bad)!();
            const key = bad.lineOf ?? bad.key;
            const line = error.message.split("\n").find((candidate) => candidate.startsWith(`  - palette-airgap:${key}: `));
            assert.ok(line, `no line names palette-airgap:${key} in:\n${error.message}`);
            assert.match(line, bad.fix);
            if (bad.secret) {
                assert.ok(!error.message.includes(bad.secret), `the message repeats the credential:\n${error.message}`);
            }
        });
    }

    it("a YAML list for every single-value key, a map for every list key: one clear line per key, all at once", async () => {
        const plainKeys = CONFIG_KEYS.filter((spec) => !spec.secret);
        const overrides = Object.fromEntries(plainKeys.map((spec) => [spec.key, spec.type === "array" ? { first: "/x" } : ["a", "b"]]));
        const error = await expectConfigError("harbor-lab", { overrides, secrets: harborSecrets });
        const lines = error.message.split("\n").slice(1);
        for (const spec of plainKeys) {
            const own = lines.filter((line) => line.startsWith(`  - palette-airgap:${spec.key}: `));
            assert.strictEqual(own.length, 1, `${spec.key}: expected one line, got ${own.length}:\n${error.message}`);
            assert.match(own[0], spec.type === "array" ? /is not a list of strings/ : new RegExp(`is a YAML list; give a single ${spec.type}, e\\.g\\. ${spec.key}: `));
        }
        assert.strictEqual(lines.length, plainKeys.length, error.message);
    });

    it("a YAML map for every single-value key is named as a map", async () => {
        const plainKeys = CONFIG_KEYS.filter((spec) => !spec.secret && spec.type !== "array");
        const overrides = Object.fromEntries(plainKeys.map((spec) => [spec.key, { value: "x" }]));
        const error = await expectConfigError("generic-dev", { overrides, secrets: genericSecrets });
        for (const spec of plainKeys) {
            assert.match(error.message, new RegExp(`^  - palette-airgap:${spec.key}: is a YAML map; give a single ${spec.type}`, "m"), spec.key);
        }
    });
});

describe("values at the edge of the rules are accepted (program under the SDK's mock engine)", () => {
    const GOOD: { stack: Stack; overrides: Record<string, unknown>; secrets?: Record<string, string> }[] = [
        { stack: "harbor-lab", overrides: { vsphereServer: "[fd00::10]:443" } },
        { stack: "harbor-lab", overrides: { vsphereServer: "10.10.100.10:8443" } },
        { stack: "harbor-lab", overrides: { registryEndpoint: "https://harbor.lab.internal:8443/" } },
        { stack: "generic-dev", overrides: { registryEndpoint: "[fd00::20]:5000", packBase: "spectro__packs", imageBase: "spectro/images" } },
        { stack: "harbor-lab", overrides: { packBase: "palette/spectro-packs", imageBase: "spectro-images" } },
        { stack: "harbor-lab", overrides: { fileServerWebRoot: "/var/www/palette" } },
        { stack: "harbor-lab", overrides: { fileServerWebRoot: "/home/ubuntu/palette-manifests" } },
        { stack: "harbor-lab", overrides: { fileServerWebRoot: "/opt/palette/manifests", fileServerSshUser: "palette_publisher" } },
        { stack: "harbor-lab", overrides: { templateName: `r_${"u".repeat(78)}`, templateFolder: "palette/spectro-templates", fileServerVmFolder: "infra/palette" } },
        { stack: "harbor-lab", overrides: { network: "VLAN 10%2f24", datastore: "storage/vsan%252", datacenter: "dc%2flab", fileServerTemplate: "templates/ubuntu%5c2204" } },
        { stack: "harbor-lab", overrides: { fileServerIp: "10.10.100.50/30", fileServerGateway: "10.10.100.49" } },
        { stack: "harbor-lab", overrides: { fileServerIp: "10.10.100.51/31", fileServerGateway: "10.10.100.50" } },
        { stack: "harbor-lab", overrides: { ovaSourceUsername: "palette-mirror", ovaCaFile: "/etc/pki/mirror-ca.pem" }, secrets: { ...harborSecrets, ovaSourcePassword: "Mirror-Pa55" } },
        { stack: "harbor-lab", overrides: {}, secrets: { ...harborSecrets, ovaSourceToken: "Mirror-Token" } },
        { stack: "generic-dev", overrides: { fileServerDockerHost: "ssh://ops@10.10.100.60:2222", fileServerImage: `registry.dev.example.internal:5000/library/nginx@sha256:${"a".repeat(64)}` } },
        { stack: "generic-dev", overrides: { fileServerDockerHost: "unix:///var/run/docker.sock" } },
    ];
    for (const good of GOOD) {
        it(`${good.stack} with ${JSON.stringify(good.overrides)}${good.secrets ? ` and secrets ${Object.keys(good.secrets).filter((key) => !(key in harborSecrets)).join(", ")}` : ""}`, async () => {
            const run = await runStack(good.stack, { overrides: good.overrides, secrets: good.secrets ?? secretsOf(good.stack) });
            assert.ok(run.resources.length > 0);
        });
    }
});
