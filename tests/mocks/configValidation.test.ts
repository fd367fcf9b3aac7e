/**
 * Bad stack configurations, run through the real program under the SDK's mock engine: each must
 * fail with the ConfigError message naming the key, and must not register a single resource.
 */
import * as assert from "assert";
import { ConfigError } from "../../components";
import { BadConfig, assertProblem, expectConfigError as expectStackConfigError } from "../support/configErrors";
import { TEST_SECRETS } from "../support/stackHarness";

const harborSecrets = { vspherePassword: TEST_SECRETS.vspherePassword, registryPassword: TEST_SECRETS.registryPassword, fileServerSshPrivateKey: TEST_SECRETS.fileServerSshPrivateKey };

const BAD_CONFIGS: BadConfig[] = [
    { label: "missing vCenter server", stack: "harbor-lab", remove: ["vsphereServer"], key: "vsphereServer", fix: /pulumi config set vsphereServer 'vcenter\.lab\.internal'/ },
    { label: "vCenter server given as a URL", stack: "harbor-lab", overrides: { vsphereServer: "https://vcenter.lab.internal/sdk" }, key: "vsphereServer", fix: /no scheme/ },
    { label: "missing vSphere password", stack: "harbor-lab", secrets: { registryPassword: "x", fileServerSshPrivateKey: "k" }, key: "vspherePassword", fix: /--secret vspherePassword/ },
    { label: "neither cluster nor resource pool", stack: "harbor-lab", remove: ["cluster"], key: "cluster", fix: /cluster-01/ },
    { label: "both cluster and resource pool", stack: "harbor-lab", overrides: { resourcePool: "cluster-01/Resources/x" }, key: "cluster", fix: /only one/ },
    { label: "template folder with a leading slash", stack: "harbor-lab", overrides: { templateFolder: "/dc-lab/vm/spectro-templates" }, key: "templateFolder", fix: /relative to the datacenter/ },
    { label: "relative CA path", stack: "harbor-lab", overrides: { vsphereCaFile: "certs/ca.pem" }, key: "vsphereCaFile", fix: /absolute path/ },
    { label: "boolean that is not a boolean", stack: "harbor-lab", overrides: { vsphereAllowUnverifiedSsl: "yes" }, key: "vsphereAllowUnverifiedSsl", fix: /true or false/ },
    { label: "OVA URL without a file name", stack: "harbor-lab", overrides: { ovaSource: "https://mirror.lab.internal/" }, key: "ovaSource", fix: /file name/ },
    { label: "OVA over ftp", stack: "harbor-lab", overrides: { ovaSource: "ftp://mirror/u.ova" }, key: "ovaSource", fix: /http\(s\) URL nor an absolute path/ },
    { label: "relative OVA path", stack: "harbor-lab", overrides: { ovaSource: "images/u.ova" }, key: "ovaSource", fix: /absolute path/ },
    { label: "OVA sha256 too short", stack: "harbor-lab", overrides: { ovaSha256: "abc123" }, key: "ovaSha256", fix: /64 hex digits/ },
    { label: "template name without r_", stack: "harbor-lab", overrides: { templateName: "ubuntu-k8s" }, key: "templateName", fix: /r_ubuntu-k8s/ },
    { label: "unknown disk provisioning", stack: "harbor-lab", overrides: { diskProvisioning: "sparse" }, key: "diskProvisioning", fix: /thin, thick, eagerZeroedThick/ },
    { label: "unknown registry kind", stack: "harbor-lab", overrides: { registryKind: "quay" }, key: "registryKind", fix: /harbor, ecr, generic/ },
    { label: "http:// registry", stack: "harbor-lab", overrides: { registryEndpoint: "http://harbor.lab.internal" }, key: "registryEndpoint", fix: /give harbor\.lab\.internal/ },
    { label: "missing registry endpoint", stack: "generic-dev", remove: ["registryEndpoint"], key: "registryEndpoint", fix: /registryKind harbor or generic/ },
    { label: "missing registry user", stack: "harbor-lab", remove: ["registryUsername"], key: "registryUsername", fix: /pulumi config set registryUsername 'admin'/ },
    { label: "missing registry password", stack: "harbor-lab", secrets: { vspherePassword: "x", fileServerSshPrivateKey: "k" }, key: "registryPassword", fix: /--secret registryPassword/ },
    { label: "registry password in plain text", stack: "harbor-lab", overrides: { registryPassword: "plain" }, secrets: { vspherePassword: "x", fileServerSshPrivateKey: "k" }, key: "registryPassword", fix: /plain text.*--secret/ },
    { label: "insecure together with a CA", stack: "harbor-lab", overrides: { registryInsecure: true }, key: "registryInsecure", fix: /registryInsecure false/ },
    { label: "same base for packs and images", stack: "harbor-lab", overrides: { imageBase: "spectro-packs" }, key: "imageBase", fix: /must differ/ },
    { label: "base with capitals", stack: "harbor-lab", overrides: { packBase: "Spectro-Packs" }, key: "packBase", fix: /lower-case letters and digits/ },
    { label: "ECR without region", stack: "ecr-prod", remove: ["ecrRegion"], key: "ecrRegion", fix: /us-east-1/ },
    { label: "ECR malformed region", stack: "ecr-prod", overrides: { ecrRegion: "us-west" }, key: "ecrRegion", fix: /not an AWS region/ },
    { label: "ECR with a Harbor endpoint", stack: "ecr-prod", overrides: { registryEndpoint: "harbor.lab" }, key: "registryEndpoint", fix: /pulumi config rm registryEndpoint/ },
    { label: "Harbor with an ECR region", stack: "harbor-lab", overrides: { ecrRegion: "us-east-1" }, key: "ecrRegion", fix: /pulumi config rm ecrRegion/ },
    { label: "missing setup binary", stack: "harbor-lab", remove: ["setupBinary"], key: "setupBinary", fix: /airgap-v4\.2\.13\.bin/ },
    { label: "pack binary name that does not parse", stack: "harbor-lab", overrides: { packBinaries: ["/opt/packs/calico.bin"] }, key: "packBinaries", fix: /airgap-pack-<name>-<version>\.bin/ },
    { label: "pack binaries not a list", stack: "harbor-lab", overrides: { packBinaries: "/opt/packs/airgap-pack-x-1.0.bin" }, key: "packBinaries", fix: /--path 'packBinaries\[0\]'/ },
    { label: "the same pack twice", stack: "harbor-lab", overrides: { packBinaries: ["/a/airgap-pack-x-1.0.bin", "/b/airgap-pack-x-1.0.bin"] }, key: "packBinaries", fix: /listed twice/ },
    { label: "relative pack path", stack: "harbor-lab", overrides: { packBinaries: ["airgap-pack-x-1.0.bin"] }, key: "packBinaries", fix: /absolute paths/ },
    { label: "unknown file server mode", stack: "harbor-lab", overrides: { fileServerMode: "s3" }, key: "fileServerMode", fix: /vm, docker/ },
    { label: "vm mode without template", stack: "harbor-lab", remove: ["fileServerTemplate"], key: "fileServerTemplate", fix: /fileServerMode vm/ },
    { label: "static IP without CIDR", stack: "harbor-lab", overrides: { fileServerIp: "10.10.100.50" }, key: "fileServerIp", fix: /CIDR/ },
    { label: "static IP without gateway", stack: "harbor-lab", remove: ["fileServerGateway"], key: "fileServerGateway", fix: /required with fileServerIp/ },
    { label: "CPU count not a number", stack: "harbor-lab", overrides: { fileServerCpus: "two" }, key: "fileServerCpus", fix: /whole number from 1 to 64/ },
    { label: "attempt watchdog of 0 minutes", stack: "harbor-lab", overrides: { setupAttemptTimeoutMinutes: 0 }, key: "setupAttemptTimeoutMinutes", fix: /whole number from 1 to 10080/ },
    { label: "attempt watchdog over a week", stack: "harbor-lab", overrides: { setupAttemptTimeoutMinutes: 20000 }, key: "setupAttemptTimeoutMinutes", fix: /whole number from 1 to 10080/ },
    { label: "port out of range", stack: "generic-dev", overrides: { fileServerPort: 70000 }, key: "fileServerPort", fix: /0 to 65535/ },
    { label: "TLS cert without key", stack: "ecr-prod", remove: ["fileServerTlsKeyFile"], key: "fileServerTlsKeyFile", fix: /both/ },
    { label: "SSH public key that is not one", stack: "harbor-lab", overrides: { fileServerSshPublicKey: "not-a-key" }, key: "fileServerSshPublicKey", fix: /OpenSSH public key/ },
    { label: "SSH public key without private key", stack: "harbor-lab", secrets: { vspherePassword: "x", registryPassword: "y" }, key: "fileServerSshPrivateKey", fix: /set both/ },
    { label: "docker mode without host", stack: "generic-dev", remove: ["fileServerDockerHost"], key: "fileServerDockerHost", fix: /fileServerMode docker/ },
    { label: "docker mode with a vm-only key", stack: "generic-dev", overrides: { fileServerTemplate: "ubuntu" }, key: "fileServerTemplate", fix: /config rm fileServerTemplate/ },
    { label: "mistyped key", stack: "harbor-lab", overrides: { registryEndpont: "x" }, key: "registryEndpont", fix: /did you mean registryEndpoint/ },
];

function expectConfigError(bad: BadConfig): Promise<ConfigError> {
    return expectStackConfigError(bad.stack, { overrides: bad.overrides, remove: bad.remove, secrets: bad.secrets ?? (bad.stack === "harbor-lab" ? harborSecrets : undefined) });
}

describe("stack config validation (program under the SDK's mock engine)", () => {
    for (const bad of BAD_CONFIGS) {
        it(`${bad.label}: names palette-airgap:${bad.key} and the fix, creates nothing`, async () => {
            const error = await expectConfigError(bad);
            assertProblem(error, bad);
            assert.match(error.message, /nothing was created/);
        });
    }

    it("reports every problem at once, one line each", async () => {
        const error = await expectConfigError({
            label: "three problems", stack: "harbor-lab", key: "registryKind", fix: /./,
            overrides: { registryKind: "quay", ovaSha256: "xyz", fileServerCpus: "0" },
        });
        for (const key of ["registryKind", "ovaSha256", "fileServerCpus"]) {
            assert.match(error.message, new RegExp(`^  - palette-airgap:${key}: `, "m"));
        }
        assert.match(error.message, /^Invalid stack configuration \(3 problems\)/);
    });

    it("is a RunError, so the CLI prints the message without a stack trace", async () => {
        const error = await expectConfigError(BAD_CONFIGS[0]);
        const pulumi = await import("@pulumi/pulumi");
        assert.ok(pulumi.RunError.isInstance(error));
    });

    it("never echoes a secret value in a message", async () => {
        const error = await expectConfigError({
            label: "plain-text secret", stack: "harbor-lab", key: "registryPassword", fix: /./,
            overrides: { registryPassword: "Plain-Text-Pa55" }, secrets: { vspherePassword: "x", fileServerSshPrivateKey: "k" },
        });
        assert.doesNotMatch(error.message, /Plain-Text-Pa55/);
    });
});
