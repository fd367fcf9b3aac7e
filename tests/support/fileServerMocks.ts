/**
 * ManifestFileServer under the Pulumi SDK's mock engine: instantiates the component through
 * componentMocks' runComponents (registrations as serialized, secrets as signature objects) and
 * answers the vSphere lookups it invokes (getDatacenter, getComputeCluster, getResourcePool,
 * getDatastore, getNetwork, getVirtualMachine) with fixtures shaped like the provider's results.
 * Also records every invoke (token, arguments, provider) and each registration's
 * additionalSecretOutputs, which componentMocks does not keep.
 */
import { VSPHERE_LOOKUP_FIXTURES } from "./vsphereLookupFixtures";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import type { FileServerSettings } from "../../components/config";
import { ManifestFileServer, ManifestFileServerArgs } from "../../components/fileserver/manifestFileServer";
import { PUBLISHED_MARKER } from "../../components/fileserver/publishScript";
import { VsphereProvider } from "../../components/vsphere/vsphereSdk";
import { Registration, runComponents, valueOf } from "./componentMocks";

export const SSH_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nSSH-KEY-SECRET-3\n-----END OPENSSH PRIVATE KEY-----\n";
export const SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm0rW4N9mdcQBYBmOXZ5i1wE0cQpVZbkG4tJYb0tqQ3 ops@lab";
export const VSPHERE_PASSWORD = "vsphere-Pa55-SECRET-1";
export const TLS_KEY_MARKER = "TLS-KEY-SECRET-4";
export const TLS_KEY_PEM = `-----BEGIN PRIVATE KEY-----\n${TLS_KEY_MARKER}\n-----END PRIVATE KEY-----\n`;
export const TLS_CERT_PEM = "-----BEGIN CERTIFICATE-----\nTLS-CERT-PUBLIC\n-----END CERTIFICATE-----\n";
/** What the mock provider reports as the DHCP guest's address. */
export const MOCK_DHCP_ADDRESS = "10.10.100.77";

/** The vSphere lookups' results, by token: only outputs the provider's schema declares. */
export { VSPHERE_LOOKUP_FIXTURES };

export interface InvokeRecord {
    token: string;
    args: Record<string, unknown>;
    provider?: string;
}

let activeInvokes: InvokeRecord[] | undefined;
let activeSecretOutputs: Map<string, string[]> | undefined;
let activeVersions: Map<string, string> | undefined;

const mocksModule = require("@pulumi/pulumi/runtime/mocks");
const originalInvoke = mocksModule.MockMonitor.prototype.invoke;
mocksModule.MockMonitor.prototype.invoke = function (req: any, callback: any) {
    const sink = activeInvokes;
    if (!sink) {
        return originalInvoke.call(this, req, callback);
    }
    const mocks = this.mocks;
    const view = Object.create(this);
    view.mocks = {
        ...mocks,
        call: (args: { token: string; inputs: Record<string, unknown>; provider?: string }) => {
            sink.push({ token: args.token, args: args.inputs, provider: args.provider });
            const fixture = VSPHERE_LOOKUP_FIXTURES[args.token];
            return fixture ? fixture(args.inputs) : mocks.call(args);
        },
    };
    return originalInvoke.call(view, req, callback);
};
const originalRegister = mocksModule.MockMonitor.prototype.registerResource;
mocksModule.MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    activeSecretOutputs?.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
    activeVersions?.set(`${req.getType()}::${req.getName()}`, req.getVersion());
    return originalRegister.call(this, req, callback);
};

/** The mock provider's create: inputs, plus the computed outputs the component reads. */
function newResource(args: MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const state: Record<string, unknown> = { ...args.inputs };
    switch (args.type) {
        case "vsphere:index/virtualMachine:VirtualMachine":
            Object.assign(state, { defaultIpAddress: MOCK_DHCP_ADDRESS, guestIpAddresses: [MOCK_DHCP_ADDRESS], uuid: "42a1b2c3-0000-1111-2222-333344445555", moid: "vm-501" });
            break;
        case "docker:index/remoteImage:RemoteImage":
            state.imageId = `sha256:${"b".repeat(64)}`;
            state.repoDigest = `${args.inputs.name}@sha256:${"c".repeat(64)}`;
            break;
        case "command:remote:Command":
        case "command:local:Command":
            state.stdout = `published\n${PUBLISHED_MARKER}/srv/palette-manifests.releases/0123456789abcdef-1732550000\n`;
            state.stderr = "";
            break;
    }
    return { id: `${args.name}-id`, state };
}

export interface FileServerRun {
    registrations: Registration[];
    invokes: InvokeRecord[];
    /** additionalSecretOutputs by `<type>::<name>`. */
    secretOutputs: Map<string, string[]>;
    /** Requested provider plugin version by `<type>::<name>` ("" when none). */
    versions: Map<string, string>;
    outputs: { scarUrl: string; ipAddress: string; webRoot: string; manifestsSha256: string; publishedRelease?: string };
}

/** A temporary directory with a manifests zip (any bytes: only its sha256 matters here) and TLS files. */
export interface FileServerFixtures {
    dir: string;
    zip: string;
    zipSha256: string;
    certFile: string;
    keyFile: string;
    remove(): void;
}

export function fileServerFixtures(zipContent = "not really a zip, only hashed"): FileServerFixtures {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "palette-fileserver-"));
    const zip = path.join(dir, "spectro-manifests-1732550000.zip");
    fs.writeFileSync(zip, zipContent);
    const certFile = path.join(dir, "manifests.crt");
    const keyFile = path.join(dir, "manifests.key");
    fs.writeFileSync(certFile, TLS_CERT_PEM);
    fs.writeFileSync(keyFile, TLS_KEY_PEM, { mode: 0o600 });
    // Keep the digest cache of these runs out of the home directory.
    process.env.PALETTE_AIRGAP_DIGEST_CACHE = path.join(dir, "digests.json");
    return {
        dir,
        zip,
        zipSha256: crypto.createHash("sha256").update(zipContent).digest("hex"),
        certFile,
        keyFile,
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

export interface VmVariant {
    staticIp?: boolean;
    tls?: boolean;
    /** Place with resourcePool instead of cluster. */
    resourcePool?: boolean;
    vmFolder?: string;
    port?: number;
}

/** vm-mode settings as loadConfig() returns them (call inside the mock program: the key is an Output). */
export function vmSettings(fixtures: FileServerFixtures, variant: VmVariant = {}): FileServerSettings {
    const tls = variant.tls ? { certFile: fixtures.certFile, keyFile: fixtures.keyFile } : undefined;
    return {
        mode: "vm",
        name: "palette-manifests",
        webRoot: "/srv/palette-manifests",
        port: variant.port ?? (tls ? 443 : 80),
        tls,
        vm: {
            template: "templates/ubuntu-2204-cloudinit",
            folder: variant.vmFolder ?? "",
            cpus: 2,
            memoryMb: 4096,
            diskGb: 60,
            staticIp: variant.staticIp === false ? undefined : { cidr: "10.10.100.50/24", gateway: "10.10.100.1", dns: ["10.10.100.2", "10.10.100.3"] },
            sshUser: "ubuntu",
            sshPublicKey: SSH_PUBLIC_KEY,
            sshPrivateKey: pulumi.secret(SSH_PRIVATE_KEY),
        },
    };
}

export function dockerSettings(fixtures: FileServerFixtures, host = "ssh://ops@docker01.dev.example.internal", tls = false): FileServerSettings {
    return {
        mode: "docker",
        name: "palette-manifests",
        webRoot: "/srv/palette-manifests",
        port: 8080,
        tls: tls ? { certFile: fixtures.certFile, keyFile: fixtures.keyFile } : undefined,
        docker: { host, image: "registry.dev.example.internal:5000/library/nginx:1.27" },
    };
}

/**
 * Runs `new ManifestFileServer("manifests", args)` under mocks (vm mode also gets a VsphereProvider
 * with a secret password). `args` is built inside the mock program.
 */
export async function runFileServer(
    makeArgs: (provider: VsphereProvider) => ManifestFileServerArgs,
): Promise<FileServerRun> {
    const invokes: InvokeRecord[] = [];
    const secretOutputs = new Map<string, string[]>();
    const versions = new Map<string, string>();
    activeInvokes = invokes;
    activeSecretOutputs = secretOutputs;
    activeVersions = versions;
    try {
        const { value, registrations } = await runComponents(
            () => {
                const provider = new VsphereProvider("vsphere", { vsphereServer: "vcenter.lab.internal", user: "palette@vsphere.local", password: pulumi.secret(VSPHERE_PASSWORD) });
                return new ManifestFileServer("manifests", makeArgs(provider));
            },
            { newResource },
        );
        const outputs = {
            scarUrl: await valueOf(value.scarUrl),
            ipAddress: await valueOf(value.ipAddress),
            webRoot: await valueOf(value.webRoot),
            manifestsSha256: await valueOf(value.manifestsSha256),
            publishedRelease: await valueOf(value.publishedRelease),
        };
        return { registrations, invokes, secretOutputs, versions, outputs };
    } finally {
        activeInvokes = undefined;
        activeSecretOutputs = undefined;
        activeVersions = undefined;
    }
}
