/**
 * ManifestFileServer under the Pulumi SDK's mock engine (`pulumi.runtime.setMocks`): what it
 * registers in vm mode (the cloned VM with its cloud-init guestinfo, the copy of the zip and the
 * publish command) and in docker mode (Docker provider, image, container, copy and publish), and
 * that every secret (SSH private key, TLS key, vCenter password) is sent as a secret wherever it
 * appears, never in plain inputs.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { SSH_PRIVATE_KEY_ENV } from "../../components/fileserver/copyScript";
import { parseDockerHost } from "../../components/fileserver/manifestFileServer";
import { byType, one, Registration, withoutSecrets } from "../support/componentMocks";
import {
    dockerSettings,
    FileServerFixtures,
    fileServerFixtures,
    MOCK_DHCP_ADDRESS,
    runFileServer,
    SSH_PRIVATE_KEY,
    TLS_KEY_MARKER,
    VSPHERE_LOOKUP_FIXTURES,
    VSPHERE_PASSWORD,
    vmSettings,
} from "../support/fileServerMocks";

const VM = "vsphere:index/virtualMachine:VirtualMachine";
const REMOTE = "command:remote:Command";
const LOCAL = "command:local:Command";
const PLACEMENT = { datacenter: "dc-lab", cluster: "cluster-01", datastore: "vsanDatastore", network: "VM Network" };
const TEMPLATE = VSPHERE_LOOKUP_FIXTURES["vsphere:index/getVirtualMachine:getVirtualMachine"]({ name: "t" });

/** The copy of the zip: a local Command running ./copyScript's bash script. */
function copyOf(registrations: Registration[]): Registration {
    const copies = registrations.filter((registration) => registration.name === "manifests-copy");
    assert.strictEqual(copies.length, 1, `expected one manifests-copy, found ${copies.length}`);
    assert.strictEqual(copies[0].type, LOCAL);
    return copies[0];
}

/** A `name='value'` assignment of the copy script. */
function copyVariable(copy: Registration, name: string): string | undefined {
    const match = new RegExp(`^${name}=(.*)$`, "m").exec(copy.inputs.create as string);
    return match?.[1];
}

/** Every string in `value`, plus the base64-decoded form of those that are base64 (guestinfo). */
function strings(value: unknown): string[] {
    if (typeof value === "string") {
        const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0 && value.length >= 16 ? [Buffer.from(value, "base64").toString("utf8")] : [];
        return [value, ...decoded];
    }
    if (Array.isArray(value)) return value.flatMap(strings);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
    return [];
}

function plainContains(registration: Registration, needle: string): boolean {
    return strings(withoutSecrets(registration.wireInputs)).some((text) => text.includes(needle));
}

function anyContains(registration: Registration, needle: string): boolean {
    return strings(registration.inputs).some((text) => text.includes(needle));
}

/** Each secret is delivered (somewhere), and only ever inside a secret. */
function assertSecretsOnlyAsSecrets(registrations: Registration[], needles: string[]): void {
    for (const needle of needles) {
        const carriers = registrations.filter((registration) => anyContains(registration, needle));
        assert.ok(carriers.length > 0, `${needle.slice(0, 30)}... is not delivered to any resource`);
        for (const registration of registrations) {
            assert.ok(!plainContains(registration, needle), `${registration.type} ${registration.name}: ${needle.slice(0, 30)}... appears outside a secret`);
        }
    }
}

function decode(value: unknown): string {
    return Buffer.from(String(value), "base64").toString("utf8");
}

describe("ManifestFileServer (under the Pulumi SDK's mock engine)", function () {
    let fixtures: FileServerFixtures;
    before(() => {
        fixtures = fileServerFixtures();
    });
    after(() => fixtures.remove());

    describe("vm mode, static address, HTTP", function () {
        let run: Awaited<ReturnType<typeof runFileServer>>;
        before(async () => {
            run = await runFileServer((provider) => ({
                settings: vmSettings(fixtures, { staticIp: true }),
                vsphere: PLACEMENT,
                provider,
                manifestsZip: fixtures.zip,
            }));
        });

        it("clones the template into the cluster's pool with the configured size, the template's guest, disks and NIC type", () => {
            const vm = one(run.registrations, VM);
            assert.strictEqual(vm.name, "manifests-vm");
            const inputs = vm.inputs;
            assert.strictEqual(inputs.name, "palette-manifests");
            assert.strictEqual(inputs.resourcePoolId, "resgroup-9");
            assert.strictEqual(inputs.datastoreId, "datastore-11");
            assert.strictEqual(inputs.folder, undefined, "default: the datacenter's VM folder");
            assert.strictEqual(inputs.numCpus, 2);
            assert.strictEqual(inputs.memory, 4096);
            assert.strictEqual(inputs.guestId, TEMPLATE.guestId);
            assert.strictEqual(inputs.firmware, "efi");
            assert.strictEqual(inputs.scsiType, "pvscsi");
            assert.deepStrictEqual(inputs.clone, { templateUuid: TEMPLATE.uuid });
            assert.deepStrictEqual(inputs.networkInterfaces, [{ networkId: "network-13", adapterType: "vmxnet3" }]);
            assert.deepStrictEqual(inputs.disks, [{ label: "disk0", size: 60, thinProvisioned: true, eagerlyScrub: false }]);
            assert.strictEqual(inputs.waitForGuestNetTimeout, 10);
            assert.ok(vm.provider?.includes("pulumi:providers:vsphere::vsphere"), vm.provider);
        });

        it("looks up datacenter, cluster, datastore, network and template through the explicit provider, by name within the datacenter", () => {
            const tokens = run.invokes.map((invoke) => invoke.token.split(":").pop()).sort();
            assert.deepStrictEqual(tokens, ["getComputeCluster", "getDatacenter", "getDatastore", "getNetwork", "getVirtualMachine"]);
            for (const invoke of run.invokes) {
                assert.ok(invoke.provider?.includes("pulumi:providers:vsphere"), `${invoke.token} uses the explicit provider`);
                if (!invoke.token.endsWith("getDatacenter")) assert.strictEqual(invoke.args.datacenterId, "datacenter-3", invoke.token);
            }
            assert.strictEqual(run.invokes.find((invoke) => invoke.token.endsWith("getVirtualMachine"))!.args.name, "templates/ubuntu-2204-cloudinit");
        });

        it("gives cloud-init its metadata and user data as base64 guestinfo (static address, SSH key, nginx and fallback, no TLS)", () => {
            const extraConfig = one(run.registrations, VM).inputs.extraConfig as Record<string, string>;
            assert.deepStrictEqual(Object.keys(extraConfig).sort(), ["guestinfo.metadata", "guestinfo.metadata.encoding", "guestinfo.userdata", "guestinfo.userdata.encoding"]);
            assert.strictEqual(extraConfig["guestinfo.metadata.encoding"], "base64");
            assert.strictEqual(extraConfig["guestinfo.userdata.encoding"], "base64");
            const metadata = YAML.parse(decode(extraConfig["guestinfo.metadata"]));
            assert.strictEqual(metadata["local-hostname"], "palette-manifests");
            assert.match(metadata["instance-id"], /^palette-manifests-[0-9a-f]{12}$/);
            assert.deepStrictEqual(metadata.network.ethernets.primary.addresses, ["10.10.100.50/24"]);
            assert.deepStrictEqual(metadata.network.ethernets.primary.nameservers.addresses, ["10.10.100.2", "10.10.100.3"]);
            const userData = decode(extraConfig["guestinfo.userdata"]);
            assert.ok(userData.startsWith("#cloud-config\n"));
            const config = YAML.parse(userData);
            assert.deepStrictEqual(config.users[0].ssh_authorized_keys, [vmSettings(fixtures).vm!.sshPublicKey]);
            assert.ok(config.write_files.some((file: { path: string }) => file.path === "/etc/systemd/system/palette-manifests.service"));
            assert.ok(!userData.includes("PRIVATE KEY"), "no key without TLS");
            assert.deepStrictEqual(one(run.registrations, VM).secretPaths, [], "nothing secret in the VM without TLS");
        });

        it("copies the zip to /tmp/palette-manifests-<sha12>.zip with the bounded copy script to the static address, after the VM, replaced when the zip or the VM changes; the key only in its secret environment", () => {
            const copy = copyOf(run.registrations);
            const vm = one(run.registrations, VM);
            assert.deepStrictEqual(copy.inputs.interpreter, ["/bin/bash", "-c"]);
            assert.strictEqual(copyVariable(copy, "remote_path"), `'/tmp/palette-manifests-${fixtures.zipSha256.slice(0, 12)}.zip'`);
            assert.strictEqual(copyVariable(copy, "local_file"), `'${fixtures.zip}'`);
            assert.strictEqual(copyVariable(copy, "host"), "'10.10.100.50'");
            assert.strictEqual(copyVariable(copy, "user"), "'ubuntu'");
            assert.strictEqual(copyVariable(copy, "port"), "22");
            assert.strictEqual(copyVariable(copy, "transfer_timeout"), "1800");
            assert.strictEqual(copyVariable(copy, "connect_attempts"), "30", "a new VM may still be booting");
            assert.ok((copy.inputs.create as string).includes(fixtures.zipSha256), "the server checks the sha256 before the rename");
            assert.deepStrictEqual(copy.inputs.triggers, [fixtures.zipSha256, "manifests-vm-id"]);
            assert.deepStrictEqual(copy.inputs.environment, { [SSH_PRIVATE_KEY_ENV]: SSH_PRIVATE_KEY });
            assert.deepStrictEqual(copy.secretPaths, [`environment.${SSH_PRIVATE_KEY_ENV}`]);
            assert.ok(!anyContains({ ...copy, inputs: { create: copy.inputs.create } } as Registration, "SSH-KEY-SECRET"), "the key is not in the script");
            assert.strictEqual(copy.inputs.addPreviousOutputInEnv, false);
            assert.ok(copy.dependencies.includes(vm.urn), "the copy waits for the VM");
        });

        it("publishes with the publish script (create) and unpublishes on delete, after the copy, with the same triggers", () => {
            const publish = one(run.registrations, REMOTE);
            const copy = copyOf(run.registrations);
            const create = publish.inputs.create as string;
            assert.ok(create.startsWith("timeout 1200 cloud-init status --wait"), "waits for cloud-init first, for 20 minutes at most");
            assert.ok(create.includes(fixtures.zipSha256) && create.includes(`/tmp/palette-manifests-${fixtures.zipSha256.slice(0, 12)}.zip`));
            assert.ok(create.includes("web_root='\\''/srv/palette-manifests'\\''"), "default web root");
            assert.ok(create.includes("sudo -n"));
            assert.ok((publish.inputs.delete as string).includes("PALETTE_AIRGAP_UNPUBLISHED"));
            assert.deepStrictEqual(publish.inputs.triggers, copy.inputs.triggers);
            assert.ok(publish.dependencies.includes(copy.urn));
            assert.deepStrictEqual(publish.secretPaths, ["connection"]);
        });

        it("outputs the SCAR URL, address and web root; the vCenter password and SSH key are secrets everywhere", () => {
            assert.strictEqual(run.outputs.scarUrl, "http://10.10.100.50:80");
            assert.strictEqual(run.outputs.ipAddress, "10.10.100.50");
            assert.strictEqual(run.outputs.webRoot, "/srv/palette-manifests");
            assert.strictEqual(run.outputs.manifestsSha256, fixtures.zipSha256);
            assert.strictEqual(run.outputs.publishedRelease, "/srv/palette-manifests.releases/0123456789abcdef-1732550000");
            assertSecretsOnlyAsSecrets(run.registrations, [SSH_PRIVATE_KEY, VSPHERE_PASSWORD]);
            const component = one(run.registrations, "palette-airgap:fileserver:ManifestFileServer");
            for (const child of run.registrations.filter((r) => r.type !== "palette-airgap:fileserver:ManifestFileServer" && r.type !== "pulumi:providers:vsphere")) {
                assert.strictEqual(child.parent, component.urn, `${child.type} is parented to the component`);
            }
        });
    });

    describe("vm mode, DHCP, HTTPS, resource pool, VM folder", function () {
        let run: Awaited<ReturnType<typeof runFileServer>>;
        before(async () => {
            run = await runFileServer((provider) => ({
                settings: vmSettings(fixtures, { staticIp: false, tls: true }),
                vsphere: { ...PLACEMENT, cluster: undefined, resourcePool: "cluster-01/Resources/palette" },
                vmFolder: "palette/servers",
                provider,
                manifestsZip: pulumi.output(fixtures.zip),
                webRoot: "/data/manifests",
            }));
        });

        it("places the VM in the resource pool and folder and connects to the address the guest reports", () => {
            const vm = one(run.registrations, VM);
            assert.strictEqual(vm.inputs.resourcePoolId, "resgroup-42");
            assert.strictEqual(vm.inputs.folder, "palette/servers");
            assert.ok(run.invokes.some((invoke) => invoke.token.endsWith("getResourcePool") && invoke.args.name === "cluster-01/Resources/palette"));
            assert.ok(!run.invokes.some((invoke) => invoke.token.endsWith("getComputeCluster")));
            assert.strictEqual(copyVariable(copyOf(run.registrations), "host"), `'${MOCK_DHCP_ADDRESS}'`);
            assert.strictEqual(run.outputs.scarUrl, `https://${MOCK_DHCP_ADDRESS}:443`);
            assert.ok((one(run.registrations, REMOTE).inputs.create as string).includes("/data/manifests"));
        });

        it("sends DHCP in the metadata and the TLS certificate and key in the user data, which is a secret input and the VM's extraConfig a secret output", () => {
            const vm = one(run.registrations, VM);
            assert.deepStrictEqual(vm.secretPaths, ["extraConfig.guestinfo.userdata"]);
            assert.deepStrictEqual(run.secretOutputs.get(`${VM}::manifests-vm`), ["extraConfig"]);
            const extraConfig = vm.inputs.extraConfig as Record<string, string>;
            const metadata = YAML.parse(decode(extraConfig["guestinfo.metadata"]));
            assert.deepStrictEqual(metadata.network.ethernets.primary, { match: { name: "e*" }, dhcp4: true });
            const userData = decode(extraConfig["guestinfo.userdata"]);
            assert.ok(userData.includes(TLS_KEY_MARKER) && userData.includes("TLS-CERT-PUBLIC"));
            assert.ok(userData.includes("listen 443 ssl;"));
        });

        it("never sends the TLS key, the SSH key or the vCenter password outside a secret", () => {
            assertSecretsOnlyAsSecrets(run.registrations, [TLS_KEY_MARKER, SSH_PRIVATE_KEY, VSPHERE_PASSWORD]);
        });
    });

    it("registers the same inputs for the same zip (nothing to do) and new triggers and a new remote path for a new zip", async () => {
        const args = (zip: string) => (provider: any) => ({ settings: vmSettings(fixtures), vsphere: PLACEMENT, provider, manifestsZip: zip });
        const first = await runFileServer(args(fixtures.zip));
        const again = await runFileServer(args(fixtures.zip));
        for (const type of [VM, REMOTE]) {
            assert.deepStrictEqual(one(again.registrations, type).wireInputs, one(first.registrations, type).wireInputs, `${type} inputs are stable`);
        }
        assert.deepStrictEqual(copyOf(again.registrations).wireInputs, copyOf(first.registrations).wireInputs, "the copy's inputs are stable");
        const other = fileServerFixtures("another manifests zip");
        try {
            const next = await runFileServer(args(other.zip));
            const copy = copyOf(next.registrations);
            assert.deepStrictEqual(copy.inputs.triggers, [other.zipSha256, "manifests-vm-id"]);
            assert.strictEqual(copyVariable(copy, "remote_path"), `'/tmp/palette-manifests-${other.zipSha256.slice(0, 12)}.zip'`);
            assert.deepStrictEqual(one(next.registrations, REMOTE).inputs.triggers, [other.zipSha256, "manifests-vm-id"]);
            assert.deepStrictEqual(one(next.registrations, VM).wireInputs, one(first.registrations, VM).wireInputs, "a new zip does not touch the VM");
        } finally {
            other.remove();
        }
    });

    it("uses a given manifestsZipSha256 instead of hashing the file", async () => {
        const pinned = "d".repeat(64);
        const run = await runFileServer((provider) => ({ settings: vmSettings(fixtures), vsphere: PLACEMENT, provider, manifestsZip: fixtures.zip, manifestsZipSha256: pinned.toUpperCase() }));
        assert.deepStrictEqual(copyOf(run.registrations).inputs.triggers, [pinned, "manifests-vm-id"]);
        assert.ok((copyOf(run.registrations).inputs.create as string).includes(pinned), "the server checks the copy against the given digest");
    });

    describe("docker mode", function () {
        it("registers the Docker provider, the image (kept locally) and the container serving the web root read-only on the port; publishes over SSH to the Docker host", async () => {
            const run = await runFileServer(() => ({
                settings: dockerSettings(fixtures),
                manifestsZip: fixtures.zip,
                sshPrivateKey: SSH_PRIVATE_KEY,
            }));
            assert.strictEqual(byType(run.registrations, VM).length, 0);
            const provider = one(run.registrations, "pulumi:providers:docker");
            assert.strictEqual(provider.inputs.host, "ssh://ops@docker01.dev.example.internal");
            const image = one(run.registrations, "docker:index/remoteImage:RemoteImage");
            assert.strictEqual(image.inputs.name, "registry.dev.example.internal:5000/library/nginx:1.27");
            assert.strictEqual(image.inputs.keepLocally, true);
            const container = one(run.registrations, "docker:index/container:Container");
            assert.strictEqual(container.inputs.name, "palette-manifests");
            assert.strictEqual(container.inputs.image, `sha256:${"b".repeat(64)}`);
            assert.strictEqual(container.inputs.restart, "unless-stopped");
            assert.deepStrictEqual(container.inputs.ports, [{ internal: 8080, external: 8080 }]);
            assert.deepStrictEqual(container.inputs.mounts, [{ type: "bind", source: "/srv", target: "/srv", readOnly: true }]);
            const uploads = container.inputs.uploads as { file: string; content?: string }[];
            assert.strictEqual(uploads.length, 1);
            assert.strictEqual(uploads[0].file, "/etc/nginx/conf.d/default.conf");
            assert.ok(uploads[0].content!.includes("listen 8080;") && uploads[0].content!.includes("root /srv/palette-manifests;"));
            for (const registration of [provider, image, container]) {
                assert.ok(registration === provider || registration.provider?.includes("pulumi:providers:docker::manifests-docker"), `${registration.type} uses the Docker provider`);
            }
            const publish = one(run.registrations, REMOTE);
            const copy = copyOf(run.registrations);
            assert.ok(container.dependencies.includes(publish.urn), "the container waits for the web root");
            assert.deepStrictEqual(
                { host: copyVariable(copy, "host"), user: copyVariable(copy, "user"), port: copyVariable(copy, "port"), attempts: copyVariable(copy, "connect_attempts") },
                { host: "'docker01.dev.example.internal'", user: "'ops'", port: "22", attempts: "10" },
            );
            assert.deepStrictEqual(copy.inputs.environment, { [SSH_PRIVATE_KEY_ENV]: SSH_PRIVATE_KEY });
            assert.ok(publish.dependencies.includes(copy.urn), "the publish waits for the copy");
            assert.deepStrictEqual(copy.inputs.triggers, [fixtures.zipSha256]);
            assert.ok((publish.inputs.create as string).includes("sudo -n"), "ops is not root: sudo");
            assert.strictEqual(run.outputs.scarUrl, "http://docker01.dev.example.internal:8080");
            assertSecretsOnlyAsSecrets(run.registrations, [SSH_PRIVATE_KEY, VSPHERE_PASSWORD]);
        });

        it("with TLS uploads the certificate and key from their files (only paths and hashes in the state)", async () => {
            const run = await runFileServer(() => ({ settings: dockerSettings(fixtures, "ssh://root@docker01.dev.example.internal:2222", true), manifestsZip: fixtures.zip }));
            const container = one(run.registrations, "docker:index/container:Container");
            const uploads = container.inputs.uploads as { file: string; content?: string; source?: string; sourceHash?: string }[];
            assert.deepStrictEqual(uploads.map((upload) => upload.file), ["/etc/nginx/conf.d/default.conf", "/etc/nginx/palette-manifests/tls.crt", "/etc/nginx/palette-manifests/tls.key"]);
            assert.ok(uploads[0].content!.includes("listen 8080 ssl;"));
            assert.strictEqual(uploads[2].source, fixtures.keyFile);
            assert.match(uploads[2].sourceHash!, /^[0-9a-f]{64}$/);
            assert.ok(!run.registrations.some((registration) => anyContains(registration, TLS_KEY_MARKER)), "the key's content is not sent");
            const copy = copyOf(run.registrations);
            assert.strictEqual(copyVariable(copy, "port"), "2222");
            assert.deepStrictEqual(copy.inputs.environment, {}, "no key given: the SSH agent");
            assert.ok(!(one(run.registrations, REMOTE).inputs.create as string).includes("sudo -n"), "root needs no sudo");
            assert.strictEqual(run.outputs.scarUrl, "https://docker01.dev.example.internal:8080");
        });

        it("publishes locally (no copy) for a unix:// Docker host", async () => {
            const run = await runFileServer(() => ({ settings: dockerSettings(fixtures, "unix:///var/run/docker.sock"), manifestsZip: fixtures.zip, advertisedHost: "files.lab.internal" }));
            assert.ok(!run.registrations.some((registration) => registration.name === "manifests-copy"));
            const publish = one(run.registrations, LOCAL);
            assert.ok((publish.inputs.create as string).includes(fixtures.zip), "the local zip is published in place");
            assert.deepStrictEqual(publish.inputs.triggers, [fixtures.zipSha256]);
            assert.strictEqual(run.outputs.scarUrl, "http://files.lab.internal:8080");
        });
    });

    it("parses Docker host URLs", () => {
        assert.deepStrictEqual(parseDockerHost("ssh://ops@docker01.lab.internal"), { scheme: "ssh", host: "docker01.lab.internal", user: "ops" });
        assert.deepStrictEqual(parseDockerHost("ssh://ops@10.0.0.5:2222"), { scheme: "ssh", host: "10.0.0.5", user: "ops", port: 2222 });
        assert.deepStrictEqual(parseDockerHost("tcp://docker01:2376"), { scheme: "tcp", host: "docker01" });
        assert.deepStrictEqual(parseDockerHost("unix:///var/run/docker.sock"), { scheme: "unix", socket: "/var/run/docker.sock" });
        assert.throws(() => parseDockerHost("docker01:2376"), /must start with/);
    });

    it("refuses vm mode without placement and provider, naming each missing argument", async () => {
        await assert.rejects(
            runFileServer(() => ({ settings: vmSettings(fixtures), manifestsZip: fixtures.zip })),
            (error: Error) => /vsphere \(datacenter/.test(error.message) && /provider \(the VsphereProvider\)/.test(error.message),
        );
    });
});
