/**
 * Every project config key, in one table: `Pulumi.yaml`'s `config:` block and the README's
 * config reference are checked against it by the tests, and `loadConfig()` reads exactly these.
 * Optional keys carry a default (an empty string means "not set") because the Pulumi CLI treats a
 * declared key without a default as required.
 */

export type ConfigValueType = "string" | "integer" | "boolean" | "array";

export interface ConfigKeySpec {
    /** Key without the `palette-airgap:` namespace. */
    key: string;
    type: ConfigValueType;
    description: string;
    /** Default applied when the stack does not set the key; absent means required. */
    default?: string | number | boolean | string[];
    /** Set with `pulumi config set --secret`; never read as plain text. */
    secret?: boolean;
    /** A valid value, quoted in error messages and the README. */
    example: string;
    /**
     * An optional key that `loadConfig()` requires when every condition holds (e.g. ecrRegion
     * with registryKind ecr). The README's default column and the stack generator read it;
     * tests/unit/configConditions.test.ts checks it against loadConfig().
     */
    requiredWhen?: readonly ConfigCondition[];
}

/** A condition on another key: its value (or default) is one of `in`, or it is set / unset. */
export interface ConfigCondition {
    key: string;
    in?: readonly string[];
    /** Without `in`: true holds when the key has a non-empty value, false when it has none. */
    set?: boolean;
}

export const PROJECT_NAME = "palette-airgap";

export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
    // What pulumi destroy removes, keeps and refuses
    { key: "lifecycle", type: "string", default: "production", description: "production: the template and registry content are protected and the folder kept on destroy; lab: destroy removes everything.", example: "lab" },
    { key: "protectTemplate", type: "string", default: "", description: "true: pulumi destroy refuses to delete the r_ template (protect). Empty: follow lifecycle (production true).", example: "true" },
    { key: "retainTemplatesFolder", type: "string", default: "", description: "true: pulumi destroy leaves the templates folder in vSphere (retainOnDelete). Empty: follow lifecycle (production true).", example: "true" },

    // vSphere connection and placement
    { key: "vsphereServer", type: "string", description: "vCenter host[:port]: a host name, an IPv4 address or a bracketed IPv6 address ([fd00::10]); no scheme, no path, no credentials (use vsphereUser and vspherePassword).", example: "vcenter.lab.internal" },
    { key: "vsphereUser", type: "string", description: "vCenter user with the Palette installation privileges.", example: "palette-installer@vsphere.local" },
    { key: "vspherePassword", type: "string", secret: true, description: "vCenter password (secret).", example: "pulumi config set --secret vspherePassword '<password>'" },
    { key: "vsphereAllowUnverifiedSsl", type: "boolean", default: false, description: "Skip TLS verification of vCenter. Prefer vsphereCaFile.", example: "false" },
    { key: "vsphereCaFile", type: "string", default: "", description: "Absolute path of the PEM CA bundle that signed vCenter's certificate.", example: "/etc/pki/vcenter-ca.pem" },
    { key: "datacenter", type: "string", description: "vSphere datacenter name (a name, not a path: a / inside the name is written %2f, as vSphere does).", example: "dc-lab" },
    { key: "cluster", type: "string", default: "", description: "Compute cluster to import into (set this or resourcePool); a path under the datacenter's host folder when the cluster is in a folder.", example: "cluster-01", requiredWhen: [{ key: "resourcePool", set: false }] },
    { key: "resourcePool", type: "string", default: "", description: "Resource pool path under the datacenter's host folder (set this or cluster).", example: "cluster-01/Resources/palette", requiredWhen: [{ key: "cluster", set: false }] },
    { key: "datastore", type: "string", description: "Datastore for the template and the file-server VM.", example: "vsanDatastore" },
    { key: "network", type: "string", description: "Port group every OVF network is mapped to.", example: "VM Network" },
    { key: "templateFolder", type: "string", default: "spectro-templates", description: "VM-and-Template folder path under the datacenter (created): names separated by single /, no . or .. segments, no leading or trailing /.", example: "spectro-templates" },

    // The OS+K8s OVA
    { key: "ovaSource", type: "string", description: "OVA location: an absolute local path or an http(s) URL of an internal mirror, without credentials, query or fragment (use ovaSourceUsername + ovaSourcePassword or ovaSourceToken).", example: "https://mirror.lab.internal/palette/u-2204-0-k-12510-0.ova" },
    { key: "ovaSha256", type: "string", default: "", description: "Expected sha256 of the whole OVA file (64 hex digits).", example: "3f5a…(64 hex digits)" },
    { key: "ovaCaFile", type: "string", default: "", description: "Absolute path of the CA (PEM) of an https OVA mirror.", example: "/etc/pki/mirror-ca.pem" },
    { key: "ovaSourceUsername", type: "string", default: "", description: "User for an https OVA mirror that requires basic authentication (with ovaSourcePassword); sent only in the Authorization header.", example: "palette-mirror", requiredWhen: [{ key: "ovaSourcePassword", set: true }] },
    { key: "ovaSourcePassword", type: "string", secret: true, default: "", description: "Password of ovaSourceUsername (secret).", example: "pulumi config set --secret ovaSourcePassword '<password>'", requiredWhen: [{ key: "ovaSourceUsername", set: true }] },
    { key: "ovaSourceToken", type: "string", secret: true, default: "", description: "Bearer token for an https OVA mirror (secret); instead of ovaSourceUsername/ovaSourcePassword.", example: "pulumi config set --secret ovaSourceToken '<token>'" },
    { key: "templateName", type: "string", default: "", description: "Template name override: r_<name>, at most 80 characters, without / \\ or %. Default: r_ + the OVA's file name (which must then follow the same rule).", example: "r_u-2204-0-k-12510-0" },
    { key: "markAsTemplate", type: "boolean", default: true, description: "Mark the imported VM as a template.", example: "true" },
    { key: "diskProvisioning", type: "string", default: "thin", description: "Disk provisioning of the imported template: thin, thick or eagerZeroedThick.", example: "thin" },

    // The registry
    { key: "registryKind", type: "string", description: "Registry kind: harbor, ecr or generic (any OCI registry, nothing created).", example: "harbor" },
    { key: "registryEndpoint", type: "string", default: "", description: "Harbor/generic registry host[:port] (IPv6 in brackets); https:// is accepted; http://, paths, queries and credentials are refused.", example: "harbor.lab.internal", requiredWhen: [{ key: "registryKind", in: ["harbor", "generic"] }] },
    { key: "registryUsername", type: "string", default: "", description: "Harbor/generic registry user (Harbor: one allowed to create projects); one line, no colon.", example: "admin", requiredWhen: [{ key: "registryKind", in: ["harbor", "generic"] }] },
    { key: "registryPassword", type: "string", secret: true, default: "", description: "Harbor/generic registry password (secret).", example: "pulumi config set --secret registryPassword '<password>'", requiredWhen: [{ key: "registryKind", in: ["harbor", "generic"] }] },
    { key: "registryCaFile", type: "string", default: "", description: "Absolute path of the registry's CA certificate (PEM); Palette asks for it too.", example: "/etc/pki/harbor-ca.crt" },
    { key: "registryInsecure", type: "boolean", default: false, description: "Explicit opt-in to skip TLS verification of the registry. HTTPS is still required.", example: "false" },
    { key: "registryAllowDeleteNonEmpty", type: "string", default: "", description: "true: pulumi destroy deletes Harbor projects and ECR repositories that still hold images. Empty: follow lifecycle (lab true, production false).", example: "false" },
    { key: "protectRegistryContent", type: "string", default: "", description: "true: pulumi destroy refuses to delete the Harbor projects and ECR repositories (protect). Empty: follow lifecycle (production true, lab false).", example: "true" },
    { key: "packBase", type: "string", default: "spectro-packs", description: "Repository base for packs (private): lower-case letters and digits separated by . _ - (Harbor and ECR: single separators only; Harbor: the first path segment is the project), / between segments, at most 200 characters.", example: "spectro-packs" },
    { key: "imageBase", type: "string", default: "spectro-images", description: "Repository base for images (public); same rules as packBase, and (Harbor) a different first path segment.", example: "spectro-images" },
    { key: "ecrRegion", type: "string", default: "", description: "ECR: region of the private registry holding the packs.", example: "us-east-1", requiredWhen: [{ key: "registryKind", in: ["ecr"] }] },
    { key: "ecrPublicImages", type: "boolean", default: true, description: "ECR: images in ECR Public (us-east-1); false keeps them in private ECR.", example: "true" },
    { key: "ecrImageRegion", type: "string", default: "", description: "ECR with ecrPublicImages false: region of the private registry holding the images. Empty: ecrRegion.", example: "eu-central-1" },

    // The images registry, when it is not the packs registry (Harbor/generic; each key defaults to its registry* twin)
    { key: "imageRegistryKind", type: "string", default: "", description: "Kind of the images registry: harbor or generic. Empty: registryKind.", example: "generic" },
    { key: "imageRegistryEndpoint", type: "string", default: "", description: "Images registry host[:port] when images and packs live on different registries. Empty: registryEndpoint.", example: "example.internal.com" },
    { key: "imageRegistryUsername", type: "string", default: "", description: "User of the images registry (set imageRegistryPassword with it). Empty: registryUsername.", example: "robot$palette-images" },
    { key: "imageRegistryPassword", type: "string", secret: true, default: "", description: "Password of the images registry (secret). Empty: registryPassword.", example: "pulumi config set --secret imageRegistryPassword '<password>'", requiredWhen: [{ key: "imageRegistryUsername", set: true }] },
    { key: "imageRegistryCaFile", type: "string", default: "", description: "Absolute path of the images registry's CA certificate (PEM). Empty: registryCaFile, unless imageRegistryInsecure is set.", example: "/etc/pki/images-registry-ca.crt" },
    { key: "imageRegistryInsecure", type: "string", default: "", description: "true or false: skip TLS verification of the images registry (HTTPS is still required). Empty: registryInsecure, unless imageRegistryCaFile is set.", example: "false" },

    // The setup run
    { key: "setupBinary", type: "string", description: "Absolute path of the airgap setup binary (airgap-v<version>.bin).", example: "/opt/palette/airgap-v4.2.13.bin" },
    { key: "setupBinarySha256", type: "string", default: "", description: "Expected sha256 of the setup binary (from Spectro Cloud support).", example: "9b1c…(64 hex digits)" },
    { key: "packBinaries", type: "array", default: [], description: "Absolute paths of optional airgap-pack-<name>-<version>.bin files.", example: '["/opt/palette/packs/airgap-pack-cni-calico-3.25.1.bin"]' },
    { key: "loginTool", type: "string", default: "oras", description: "Registry login tool of the setup run: oras, docker or skopeo (all write the same credentials file).", example: "oras" },
    { key: "setupMaxAttempts", type: "integer", default: 3, description: "Attempts per binary run, each after a fresh login (expired tokens are the documented failure).", example: "3" },
    { key: "setupAttemptTimeoutMinutes", type: "integer", default: 240, description: "Watchdog of each attempt of the setup and pack binaries, in minutes (1 to 10080): on expiry the binary's process group is stopped and the attempt fails (and is retried).", example: "240" },
    { key: "packConcurrency", type: "integer", default: 2, description: "Pack binaries pushed at once.", example: "2" },
    { key: "minFreeGb", type: "integer", default: 30, description: "Free space preflight requires in workDir, in GB.", example: "30" },
    { key: "workDir", type: "string", default: "/var/tmp/palette-airgap", description: "Working directory of the setup run (30 GB free space needed); an absolute normalized path.", example: "/var/tmp/palette-airgap" },

    // The manifest file server
    { key: "fileServerMode", type: "string", default: "vm", description: "vm (a VM cloned from fileServerTemplate) or docker (a container on fileServerDockerHost).", example: "vm" },
    { key: "fileServerName", type: "string", default: "palette-manifests", description: "Name of the file-server VM or container.", example: "palette-manifests" },
    { key: "fileServerVmFolder", type: "string", default: "", description: "vm mode: VM folder path of the file-server VM under the datacenter's VM folder (same rules as templateFolder); empty means that folder itself.", example: "infra" },
    { key: "fileServerWebRoot", type: "string", default: "/srv/palette-manifests", description: "Directory the manifests are served from, a link swapped atomically on each publish, so a directory of its own: an absolute normalized path of letters, digits and / . _ -, at least two levels deep, not inside a system directory (/bin, /boot, /dev, /etc, /lib*, /proc, /root, /run, /sbin, /sys, /tmp, /usr, /var/lib, /var/log, …), not a home directory itself nor a hidden directory.", example: "/srv/palette-manifests" },
    { key: "fileServerTemplate", type: "string", default: "", description: "vm mode: base VM template (Ubuntu with cloud-init) to clone.", example: "ubuntu-2204-cloudinit", requiredWhen: [{ key: "fileServerMode", in: ["vm"] }] },
    { key: "fileServerCpus", type: "integer", default: 2, description: "vm mode: vCPUs.", example: "2" },
    { key: "fileServerMemoryMb", type: "integer", default: 4096, description: "vm mode: memory in MiB.", example: "4096" },
    { key: "fileServerDiskGb", type: "integer", default: 60, description: "vm mode: disk size in GiB (the manifests unzip to a few GiB).", example: "60" },
    { key: "fileServerIp", type: "string", default: "", description: "vm mode: static address in CIDR form; empty means DHCP.", example: "10.10.100.50/24", requiredWhen: [{ key: "fileServerMode", in: ["vm"] }, { key: "fileServerGateway", set: true }] },
    { key: "fileServerGateway", type: "string", default: "", description: "vm mode: default gateway, required with fileServerIp.", example: "10.10.100.1", requiredWhen: [{ key: "fileServerIp", set: true }] },
    { key: "fileServerDns", type: "array", default: [], description: "vm mode: DNS servers, required with fileServerIp.", example: '["10.10.100.2"]', requiredWhen: [{ key: "fileServerIp", set: true }] },
    { key: "fileServerPort", type: "integer", default: 0, description: "Port the manifests are served on; 0 means 80, or 443 with TLS.", example: "8080" },
    { key: "fileServerSshUser", type: "string", default: "ubuntu", description: "vm mode: SSH user that publishes the manifests (created by cloud-init with sudo): a Linux user name, not root.", example: "ubuntu" },
    { key: "fileServerSshPublicKey", type: "string", default: "", description: "vm mode: SSH public key authorised on the VM.", example: "ssh-ed25519 AAAAC3Nza… ops@lab", requiredWhen: [{ key: "fileServerMode", in: ["vm"] }, { key: "fileServerSshPrivateKey", set: true }] },
    { key: "fileServerSshPrivateKey", type: "string", secret: true, default: "", description: "SSH private key that publishes the manifests (secret): vm mode, matching fileServerSshPublicKey; docker mode, for the ssh:// Docker host (default: the SSH agent).", example: "pulumi config set --secret fileServerSshPrivateKey < ~/.ssh/palette_ed25519", requiredWhen: [{ key: "fileServerMode", in: ["vm"] }, { key: "fileServerSshPublicKey", set: true }] },
    { key: "fileServerTlsCertFile", type: "string", default: "", description: "Serve HTTPS with this certificate (PEM, absolute path); with fileServerTlsKeyFile.", example: "/etc/pki/manifests.crt", requiredWhen: [{ key: "fileServerTlsKeyFile", set: true }] },
    { key: "fileServerTlsKeyFile", type: "string", default: "", description: "Private key of fileServerTlsCertFile (PEM, absolute path).", example: "/etc/pki/manifests.key", requiredWhen: [{ key: "fileServerTlsCertFile", set: true }] },
    { key: "fileServerDockerHost", type: "string", default: "", description: "docker mode: Docker host, ssh://<user>@<host>[:port] (a host name or IPv4 address; publishing logs in over SSH) or unix:///var/run/docker.sock (this machine); tcp:// is refused.", example: "ssh://ops@docker01.lab.internal", requiredWhen: [{ key: "fileServerMode", in: ["docker"] }] },
    { key: "fileServerImage", type: "string", default: "", description: "docker mode: web server image reference ([registry/]path[:tag][@sha256:digest]), from the private registry.", example: "harbor.lab.internal/library/nginx:1.27", requiredWhen: [{ key: "fileServerMode", in: ["docker"] }] },
];

/** The spec of `key`; throws for a key that is not declared (a programming error). */
export function configKey(key: string): ConfigKeySpec {
    const spec = CONFIG_KEYS.find((candidate) => candidate.key === key);
    if (!spec) {
        throw new Error(`palette-airgap: config key "${key}" is not declared in CONFIG_KEYS`);
    }
    return spec;
}

/** "registryKind is harbor or generic and …": a key's requiredWhen in words (README, generator). */
export function describeConditions(conditions: readonly ConfigCondition[]): string {
    return conditions
        .map(({ key, in: values, set }) => (values ? `${key} is ${values.join(" or ")}` : `${key} is ${set === false ? "unset" : "set"}`))
        .join(" and ");
}

/** A part of the configuration, as a component constructed alone takes it. */
export type ConfigSection = "destroy" | "vsphere" | "ova" | "registry" | "setup" | "fileServer";

/** The keys of CONFIG_KEYS from `first` to `last`, in the table's order (each section is one run of the table). */
function keysFromTo(first: string, last: string): readonly string[] {
    const keys = CONFIG_KEYS.map((spec) => spec.key);
    const start = keys.indexOf(first);
    const end = keys.indexOf(last);
    if (start < 0 || end < start) throw new Error(`palette-airgap: config keys ${first}..${last} are not a run of CONFIG_KEYS`);
    return keys.slice(start, end + 1);
}

/** The config keys of each section (every key is in exactly one; tests/unit checks it). */
export const SECTION_KEYS: Readonly<Record<ConfigSection, readonly string[]>> = {
    destroy: keysFromTo("lifecycle", "retainTemplatesFolder"),
    vsphere: keysFromTo("vsphereServer", "templateFolder"),
    ova: keysFromTo("ovaSource", "diskProvisioning"),
    registry: keysFromTo("registryKind", "imageRegistryInsecure"),
    setup: keysFromTo("setupBinary", "workDir"),
    fileServer: keysFromTo("fileServerMode", "fileServerImage"),
};
