/**
 * ManifestFileServer: the file server that hosts the unzipped spectro-manifests zip for Palette
 * (the "SCAR" URL `palette ec install` asks for; procedure step 12).
 *
 *     const fileServer = new ManifestFileServer("manifests", {
 *         settings: config.fileServer,
 *         vsphere: config.vsphere,               // datacenter, cluster|resourcePool, datastore, network
 *         provider: vsphereProvider,
 *         manifestsZip: airgapSetup.manifestsZip,
 *     }, { parent: this, dependsOn: [airgapSetup] });
 *     // fileServer.scarUrl: http(s)://<address>:<port>
 *
 * vm mode: a VM cloned from `settings.vm.template` (Ubuntu with cloud-init and VMware Tools),
 * configured by cloud-init through guestinfo (./cloudInit: static address or DHCP, the SSH user,
 * nginx or the python fallback, TLS). docker mode: an nginx-compatible image from the private
 * registry, run on `settings.docker.host` with the web root bind-mounted read-only.
 *
 * Either way the zip is then copied to the server by a `command.local.Command` running OpenSSH's
 * `ssh` under time limits (./copyScript: connection retries, a bound on the whole transfer,
 * keepalives, size and sha256 checked before the rename into place) and published by
 * `command.remote.Command` (./publishScript: verify the sha256, unzip into a release directory,
 * swap the web root symlink atomically; delete unpublishes). Both have the zip's sha256 (and the
 * VM) as triggers: a setup run that produced a new zip republishes, an unchanged one does nothing.
 *
 * Secrets: the SSH private key only travels in the publish's `connection` (secret as a whole) and
 * in the copy's `environment` (secret; the script writes it to a 0600 file it removes);
 * with TLS the cloud-init user data holds the key, so `extraConfig["guestinfo.userdata"]` is a
 * secret input and `extraConfig` a secret output. docker mode uploads the certificate and key
 * from their files (`source` + `sourceHash`): the key never enters the state.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import type { FileServerSettings } from "../config";
import { fileSha256 } from "../setup/fileDigest";
import {
    VirtualMachine,
    VsphereProvider,
    getComputeClusterOutput,
    getDatacenterOutput,
    getDatastoreOutput,
    getNetworkOutput,
    getResourcePoolOutput,
    getVirtualMachineOutput,
} from "../vsphere/vsphereSdk";
import { DEFAULT_WEB_ROOT, buildCloudInit, guestinfoExtraConfig, nginxSite } from "./cloudInit";
import { SSH_PRIVATE_KEY_ENV, copyToServerScript } from "./copyScript";
import { parsePublishedRelease, publishManifestsScript, remoteBashCommand, unpublishManifestsScript, waitForCloudInitCommand } from "./publishScript";

/** Where the vm-mode VM goes. `loadConfig().vsphere` fits as it is (its other fields are ignored). */
export interface FileServerPlacement {
    /** Datacenter name. Required. */
    datacenter: pulumi.Input<string>;
    /** Compute cluster whose root resource pool holds the VM. Default: unset (set this or resourcePool). */
    cluster?: pulumi.Input<string>;
    /** Resource pool path under the datacenter's host folder, e.g. `cluster-01/Resources/palette`. Default: unset (set this or cluster). */
    resourcePool?: pulumi.Input<string>;
    /** Datastore of the VM. Required. */
    datastore: pulumi.Input<string>;
    /** Port group of the VM's NIC. Required. */
    network: pulumi.Input<string>;
}

export interface ManifestFileServerArgs {
    /** Mode, name, port, TLS files and the vm or docker settings. Required; `loadConfig().fileServer`. */
    settings: FileServerSettings;
    /** vm mode: datacenter, cluster or resource pool, datastore and network. Required in vm mode; `loadConfig().vsphere`. */
    vsphere?: FileServerPlacement;
    /** vm mode: VM folder path relative to the datacenter's VM folder. Default `settings.vm.folder`; `""` is the datacenter's VM folder itself (not the templates folder, which Palette reads). */
    vmFolder?: pulumi.Input<string>;
    /** vm mode: the explicit vSphere provider. Required in vm mode; AirgapEnvironment's `vsphereProvider`. */
    provider?: VsphereProvider;
    /** Local path of the spectro-manifests zip to publish. Required; `AirgapSetup.manifestsZip` (unknown in a first preview). */
    manifestsZip: pulumi.Input<string | undefined>;
    /** sha256 of the zip. Default: computed from the file at deployment time (cached by fileDigest). */
    manifestsZipSha256?: pulumi.Input<string>;
    /** Directory served on the file server (a symlink the publish script swaps). Default `settings.webRoot`, else `/srv/palette-manifests`. */
    webRoot?: string;
    /** Old releases kept on the server besides the current one. Default 1. */
    keepReleases?: number;
    /** vm mode: minutes to wait for the guest's IP address (VMware Tools). Default 10. */
    waitForGuestNetTimeout?: number;
    /** docker mode: SSH private key for publishing to the Docker host (secret). Default `settings.docker.sshPrivateKey`; unset means the SSH agent (`SSH_AUTH_SOCK`). */
    sshPrivateKey?: pulumi.Input<string>;
    /** docker mode: SSH user for publishing. Default: the user of the `ssh://` Docker host URL; required for a `tcp://` host. */
    sshUser?: string;
    /** docker mode: host name or address Palette reaches the container at. Default: the Docker host URL's host (this machine's host name for `unix://`). */
    advertisedHost?: string;
}

/** vm mode: connection attempts of the copy, 10 s apart: a new VM's sshd may take minutes to come up. */
const VM_CONNECT_ATTEMPTS = 30;
/** docker mode: the Docker host is up already (pulumi-command's default dialErrorLimit was 10). */
const DOCKER_HOST_CONNECT_ATTEMPTS = 10;

/** What copyZip needs. */
interface ZipCopy {
    zipPath: pulumi.Input<string>;
    sha256: pulumi.Input<string>;
    remotePath: pulumi.Input<string>;
    host: pulumi.Input<string>;
    user: string;
    port?: number;
    /** Secret; undefined: the SSH agent. */
    privateKey?: pulumi.Input<string>;
    /** Config keys a refused login names. */
    credentialKeys: string;
    connectAttempts: number;
    triggers: pulumi.Input<unknown>[];
    dependsOn: pulumi.Resource[];
}

/** A Docker host URL, parsed. */
export interface DockerHostTarget {
    scheme: "ssh" | "tcp" | "unix";
    /** Host name or address (ssh, tcp). */
    host?: string;
    /** SSH user (ssh). */
    user?: string;
    /** SSH port (ssh), when given. */
    port?: number;
    /** Socket path (unix). */
    socket?: string;
}

/** `palette-airgap:fileserver:ManifestFileServer`. */
export class ManifestFileServer extends pulumi.ComponentResource {
    /** What Palette's CLI asks for: `http(s)://<address>:<port>`. */
    public readonly scarUrl: pulumi.Output<string>;
    /** Address (vm mode: the static address or the guest's default IP; docker mode: the advertised host). */
    public readonly ipAddress: pulumi.Output<string>;
    /** Directory served on the server. */
    public readonly webRoot: pulumi.Output<string>;
    /** sha256 of the published zip. */
    public readonly manifestsSha256: pulumi.Output<string>;
    /** Release directory the publish step reported (undefined in preview). */
    public readonly publishedRelease: pulumi.Output<string | undefined>;
    /** vm mode: the VM. */
    public readonly vm?: VirtualMachine;
    /** docker mode: the container, its image and the Docker provider. */
    public readonly container?: docker.Container;
    public readonly image?: docker.RemoteImage;
    public readonly dockerProvider?: docker.Provider;
    /** The copy of the zip to the server over SSH, bounded (./copyScript; absent for a local `unix://` Docker host). */
    public readonly copy?: command.local.Command;
    /** The publish command (remote, or local for a `unix://` Docker host). */
    public readonly publish: command.remote.Command | command.local.Command;

    constructor(name: string, args: ManifestFileServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:fileserver:ManifestFileServer", name, {}, opts);
        const settings = args.settings;
        const webRoot = args.webRoot ?? (args.settings.webRoot || DEFAULT_WEB_ROOT);
        const keepReleases = args.keepReleases ?? 1;
        const scheme = settings.tls ? "https" : "http";

        const zipPath = pulumi.output(args.manifestsZip).apply((zip) => {
            if (!zip) {
                throw new Error(
                    `ManifestFileServer ${name}: no manifests zip to publish: the setup run reported none (older setup binaries do not print ` +
                        `"Manifests are available in ..."); pass manifestsZip explicitly`,
                );
            }
            return zip;
        });
        this.manifestsSha256 = args.manifestsZipSha256 !== undefined
            ? pulumi.output(args.manifestsZipSha256).apply((digest) => digest.toLowerCase())
            : zipPath.apply(async (zip) => {
                  if (!fs.existsSync(zip)) {
                      throw new Error(`ManifestFileServer ${name}: the manifests zip ${zip} is gone from this machine; restore it (or run the setup again) to publish`);
                  }
                  return fileSha256(zip);
              });
        const sha256 = this.manifestsSha256;
        const remoteZip = sha256.apply((digest) => `/tmp/palette-manifests-${digest.slice(0, 12)}.zip`);

        if (settings.mode === "vm") {
            const result = this.createVm(name, args, webRoot);
            this.vm = result.vm;
            this.ipAddress = result.ipAddress;
            const connection: command.types.input.remote.ConnectionArgs = {
                host: result.ipAddress,
                user: settings.vm!.sshUser,
                privateKey: settings.vm!.sshPrivateKey,
                // The VM may still be booting when its address is known.
                dialErrorLimit: 30,
            };
            if (!settings.vm!.sshPrivateKey) {
                pulumi.log.warn(`ManifestFileServer ${name}: no fileServerSshPrivateKey; publishing uses the SSH agent and a key the template already authorises`, this);
            }
            const triggers = [sha256, result.vm.id];
            this.copy = this.copyZip(name, {
                zipPath,
                sha256,
                remotePath: remoteZip,
                host: result.ipAddress,
                user: settings.vm!.sshUser,
                privateKey: settings.vm!.sshPrivateKey,
                credentialKeys: "fileServerSshUser and fileServerSshPrivateKey",
                // The VM may still be booting when its address is known.
                connectAttempts: VM_CONNECT_ATTEMPTS,
                triggers,
                dependsOn: [result.vm],
            });
            this.publish = new command.remote.Command(
                `${name}-publish`,
                {
                    connection,
                    // cloud-init writes the user, its sudo rule and the web server: wait for it to finish.
                    create: pulumi.all([remoteZip, sha256]).apply(([zip, digest]) =>
                        `${waitForCloudInitCommand()}; ${remoteBashCommand(publishManifestsScript({ zipPath: zip, sha256: digest, webRoot, keepReleases, sudo: true }))}`,
                    ),
                    delete: sha256.apply((digest) => remoteBashCommand(unpublishManifestsScript({ webRoot, sudo: true, sha256: digest }))),
                    triggers,
                },
                { parent: this, dependsOn: [this.copy] },
            );
        } else {
            if (!settings.docker) {
                throw new Error(`ManifestFileServer ${name}: fileServerMode docker needs settings.docker (fileServerDockerHost, fileServerImage)`);
            }
            const target = parseDockerHost(settings.docker.host);
            const host = args.advertisedHost ?? (target.scheme === "unix" ? os.hostname() : target.host!);
            this.ipAddress = pulumi.output(host);
            if (target.scheme === "unix") {
                // The Docker host is this machine: publish locally, as the user running Pulumi.
                const spec = { webRoot, keepReleases, sudo: false };
                this.publish = new command.local.Command(
                    `${name}-publish`,
                    {
                        create: pulumi.all([zipPath, sha256]).apply(([zip, digest]) => remoteBashCommand(publishManifestsScript({ ...spec, zipPath: zip, sha256: digest }))),
                        delete: sha256.apply((digest) => remoteBashCommand(unpublishManifestsScript({ ...spec, sha256: digest }))),
                        triggers: [sha256],
                    },
                    { parent: this },
                );
            } else {
                const user = args.sshUser ?? target.user;
                if (!user) {
                    throw new Error(`ManifestFileServer ${name}: the Docker host ${settings.docker.host} names no SSH user; pass sshUser (or use ssh://<user>@<host>)`);
                }
                const sshKey = args.sshPrivateKey ?? settings.docker.sshPrivateKey;
                const connection: command.types.input.remote.ConnectionArgs = {
                    host: target.host!,
                    user,
                    ...(target.port ? { port: target.port } : {}),
                    ...(sshKey !== undefined ? { privateKey: pulumi.secret(sshKey) } : {}),
                };
                const sudo = user !== "root";
                this.copy = this.copyZip(name, {
                    zipPath,
                    sha256,
                    remotePath: remoteZip,
                    host: target.host!,
                    user,
                    port: target.port,
                    privateKey: sshKey,
                    credentialKeys: "the user of fileServerDockerHost and fileServerSshPrivateKey (or the SSH agent)",
                    connectAttempts: DOCKER_HOST_CONNECT_ATTEMPTS,
                    triggers: [sha256],
                    dependsOn: [],
                });
                this.publish = new command.remote.Command(
                    `${name}-publish`,
                    {
                        connection,
                        create: pulumi.all([remoteZip, sha256]).apply(([zip, digest]) =>
                            remoteBashCommand(publishManifestsScript({ zipPath: zip, sha256: digest, webRoot, keepReleases, sudo })),
                        ),
                        delete: sha256.apply((digest) => remoteBashCommand(unpublishManifestsScript({ webRoot, sudo, sha256: digest }))),
                        triggers: [sha256],
                    },
                    { parent: this, dependsOn: [this.copy] },
                );
            }
            const created = this.createContainer(name, settings, webRoot, this.publish);
            this.dockerProvider = created.provider;
            this.image = created.image;
            this.container = created.container;
        }

        this.publishedRelease = this.publish.stdout.apply((stdout) => (stdout ? parsePublishedRelease(stdout) : undefined));
        this.webRoot = pulumi.output(webRoot);
        this.scarUrl = pulumi.interpolate`${scheme}://${this.ipAddress}:${settings.port}`;
        this.registerOutputs({
            scarUrl: this.scarUrl,
            ipAddress: this.ipAddress,
            webRoot: this.webRoot,
            manifestsSha256: this.manifestsSha256,
            publishedRelease: this.publishedRelease,
        });
    }

    /** The bounded copy of the zip to the server (./copyScript), as a local Command: the key only in its secret environment. */
    private copyZip(name: string, copy: ZipCopy): command.local.Command {
        const create = pulumi
            .all([copy.zipPath, copy.sha256, copy.remotePath, copy.host])
            .apply(([localFile, digest, remotePath, host]) =>
                copyToServerScript({
                    localFile,
                    sha256: digest,
                    host,
                    user: copy.user,
                    port: copy.port,
                    remotePath,
                    credentialKeys: copy.credentialKeys,
                    connectAttempts: copy.connectAttempts,
                }),
            );
        const environment: Record<string, pulumi.Input<string>> = {};
        if (copy.privateKey !== undefined) {
            environment[SSH_PRIVATE_KEY_ENV] = pulumi.secret(copy.privateKey);
        }
        return new command.local.Command(
            `${name}-copy`,
            {
                create,
                interpreter: ["/bin/bash", "-c"],
                environment,
                triggers: copy.triggers,
                // The previous run's output is of no use to the next one.
                addPreviousOutputInEnv: false,
            },
            { parent: this, dependsOn: copy.dependsOn },
        );
    }

    private createVm(name: string, args: ManifestFileServerArgs, webRoot: string): { vm: VirtualMachine; ipAddress: pulumi.Output<string> } {
        const settings = args.settings;
        const vmSettings = settings.vm;
        const placement = args.vsphere;
        const problems: string[] = [];
        if (!vmSettings) problems.push("settings.vm (fileServerTemplate, ...) is missing");
        if (!placement) problems.push("vsphere (datacenter, cluster or resourcePool, datastore, network) is required");
        if (!args.provider) problems.push("provider (the VsphereProvider) is required");
        if (placement && (placement.cluster === undefined) === (placement.resourcePool === undefined)) {
            problems.push("set exactly one of vsphere.cluster and vsphere.resourcePool");
        }
        if (problems.length > 0) {
            throw new Error(`ManifestFileServer ${name} (vm mode): ${problems.join("; ")}`);
        }
        const vm = vmSettings!;
        const where = placement!;
        const invokeOpts = { parent: this, provider: args.provider };

        const datacenter = getDatacenterOutput({ name: where.datacenter }, invokeOpts);
        const datacenterId = datacenter.id;
        const resourcePoolId = where.cluster !== undefined
            ? getComputeClusterOutput({ name: where.cluster, datacenterId }, invokeOpts).resourcePoolId
            : getResourcePoolOutput({ name: where.resourcePool!, datacenterId }, invokeOpts).id;
        const datastore = getDatastoreOutput({ name: where.datastore, datacenterId }, invokeOpts);
        const network = getNetworkOutput({ name: where.network, datacenterId }, invokeOpts);
        const template = getVirtualMachineOutput({ name: vm.template, datacenterId }, invokeOpts);

        const cloud = buildCloudInit({
            hostname: settings.name,
            staticIp: vm.staticIp,
            sshUser: vm.sshUser,
            sshPublicKeys: vm.sshPublicKey ? [vm.sshPublicKey] : [],
            port: settings.port,
            webRoot,
            tls: settings.tls ? readTlsFiles(name, settings.tls) : undefined,
        });
        const extraConfig = guestinfoExtraConfig(cloud.metadata, cloud.userData);
        const userDataB64 = cloud.userDataIsSecret ? pulumi.secret(extraConfig["guestinfo.userdata"]) : extraConfig["guestinfo.userdata"];

        const templateChecked = template.apply((t) => {
            if (!t.disks || t.disks.length === 0) {
                throw new Error(`ManifestFileServer ${name}: the template ${vm.template} has no disk`);
            }
            return t;
        });
        const vmFolder = args.vmFolder ?? args.settings.vm?.folder ?? "";
        const folder = vmFolder === "" ? undefined : vmFolder;
        const machine = new VirtualMachine(
            `${name}-vm`,
            {
                name: settings.name,
                resourcePoolId,
                datastoreId: datastore.id,
                folder,
                numCpus: vm.cpus,
                memory: vm.memoryMb,
                guestId: templateChecked.guestId,
                firmware: templateChecked.apply((t) => t.firmware ?? "bios"),
                scsiType: templateChecked.scsiType,
                networkInterfaces: [{ networkId: network.id, adapterType: templateChecked.apply((t) => t.networkInterfaceTypes?.[0] ?? "vmxnet3") }],
                // A clone keeps the template's disks and their provisioning; the first grows to diskGb.
                disks: templateChecked.apply((t) =>
                    t.disks.map((disk, index) => ({
                        label: `disk${index}`,
                        size: index === 0 ? Math.max(vm.diskGb, disk.size) : disk.size,
                        thinProvisioned: disk.thinProvisioned,
                        eagerlyScrub: disk.eagerlyScrub,
                    })),
                ),
                clone: { templateUuid: templateChecked.uuid },
                extraConfig: {
                    "guestinfo.metadata": extraConfig["guestinfo.metadata"],
                    "guestinfo.metadata.encoding": extraConfig["guestinfo.metadata.encoding"],
                    "guestinfo.userdata": userDataB64,
                    "guestinfo.userdata.encoding": extraConfig["guestinfo.userdata.encoding"],
                },
                waitForGuestNetTimeout: args.waitForGuestNetTimeout ?? 10,
                annotation: `Palette manifests file server (palette-airgap), serving ${webRoot} on port ${settings.port}`,
            },
            {
                parent: this,
                provider: args.provider,
                // The provider returns extraConfig as it was set: keep the TLS key out of plain state.
                ...(cloud.userDataIsSecret ? { additionalSecretOutputs: ["extraConfig"] } : {}),
            },
        );
        const ipAddress = vm.staticIp ? pulumi.output(vm.staticIp.cidr.split("/")[0]) : machine.defaultIpAddress;
        return { vm: machine, ipAddress };
    }

    private createContainer(
        name: string,
        settings: FileServerSettings,
        webRoot: string,
        publish: pulumi.Resource,
    ): { provider: docker.Provider; image: docker.RemoteImage; container: docker.Container } {
        const provider = new docker.Provider(`${name}-docker`, { host: settings.docker!.host }, { parent: this });
        // In the air gap the image comes from the private registry; keep it when the stack is destroyed.
        const image = new docker.RemoteImage(`${name}-image`, { name: settings.docker!.image, keepLocally: true }, { parent: this, provider });
        const tlsInContainer = settings.tls ? { cert: "/etc/nginx/palette-manifests/tls.crt", key: "/etc/nginx/palette-manifests/tls.key" } : undefined;
        const uploads: pulumi.Input<docker.types.input.ContainerUpload>[] = [
            { file: "/etc/nginx/conf.d/default.conf", content: nginxSite({ port: settings.port, webRoot, tls: tlsInContainer }) },
        ];
        if (settings.tls && tlsInContainer) {
            // From the files themselves: the key is never in the state, only its path and hash.
            uploads.push(
                { file: tlsInContainer.cert, source: settings.tls.certFile, sourceHash: fileSha256(settings.tls.certFile), permissions: "0644" },
                { file: tlsInContainer.key, source: settings.tls.keyFile, sourceHash: fileSha256(settings.tls.keyFile), permissions: "0600" },
            );
        }
        // webRoot is a relative symlink into `<webRoot>.releases`: mount their common directory, so a
        // swap is seen at once (a bind mount of the symlink itself would pin the old release).
        const mountDir = path.posix.dirname(webRoot);
        const container = new docker.Container(
            `${name}-container`,
            {
                name: settings.name,
                image: image.imageId,
                restart: "unless-stopped",
                ports: [{ internal: settings.port, external: settings.port }],
                mounts: [{ type: "bind", source: mountDir, target: mountDir, readOnly: true }],
                uploads,
            },
            // The bind mount's source must exist: the publish step creates it.
            { parent: this, provider, dependsOn: [publish] },
        );
        return { provider, image, container };
    }
}

/** Parses `ssh://[user@]host[:port]`, `tcp://host:port` or `unix:///path`. */
export function parseDockerHost(hostUrl: string): DockerHostTarget {
    const match = /^(ssh|tcp|unix):\/\/(.*)$/.exec(hostUrl);
    if (!match) {
        throw new Error(`parseDockerHost: "${hostUrl}" must start with ssh://, tcp:// or unix://`);
    }
    const scheme = match[1] as DockerHostTarget["scheme"];
    if (scheme === "unix") {
        return { scheme, socket: match[2] || "/var/run/docker.sock" };
    }
    const authority = /^(?:([^@/]+)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(match[2]);
    if (!authority) {
        throw new Error(`parseDockerHost: "${hostUrl}" has no valid host`);
    }
    const [, user, host, port] = authority;
    return {
        scheme,
        host: host.replace(/^\[|\]$/g, ""),
        ...(user ? { user: decodeURIComponent(user) } : {}),
        ...(scheme === "ssh" && port ? { port: Number(port) } : {}),
    };
}

function readTlsFiles(name: string, tls: { certFile: string; keyFile: string }): { certPem: string; keyPem: string } {
    const read = (file: string, what: string): string => {
        try {
            return fs.readFileSync(file, "utf8");
        } catch (error) {
            throw new Error(`ManifestFileServer ${name}: cannot read the TLS ${what} ${file}: ${(error as Error).message}`);
        }
    };
    return { certPem: read(tls.certFile, "certificate (fileServerTlsCertFile)"), keyPem: read(tls.keyFile, "key (fileServerTlsKeyFile)") };
}
