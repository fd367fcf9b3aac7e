/**
 * Thin typed declarations of the few vSphere provider resources and functions we use, written the
 * way the generated `@pulumi/vsphere` SDK writes them (that package is not installable from this
 * registry mirror). Everything vSphere-provider-specific lives in this one file, so moving to
 * `@pulumi/vsphere` later is a one-file change. tests/vsphereSdk.contract.test.ts checks every
 * token, property name and required input below against the provider's published schema.
 */
import * as pulumi from "@pulumi/pulumi";

/** The provider plugin version these declarations follow (pulumi-vsphere v4.17.0). */
export const VSPHERE_PROVIDER_VERSION = "4.17.0";

export const VSPHERE_TOKENS = {
    provider: "pulumi:providers:vsphere",
    folder: "vsphere:index/folder:Folder",
    getDatacenter: "vsphere:index/getDatacenter:getDatacenter",
} as const;

export interface VsphereProviderArgs {
    /** vCenter host name or address. */
    vsphereServer: pulumi.Input<string>;
    /** vCenter user. */
    user: pulumi.Input<string>;
    /** vCenter password; stored as a secret. */
    password: pulumi.Input<string>;
    /** Skip TLS verification of vCenter. Default false. */
    allowUnverifiedSsl?: pulumi.Input<boolean>;
}

/** An explicit vSphere provider, so credentials come from this stack's config and stay secret. */
export class VsphereProvider extends pulumi.ProviderResource {
    constructor(name: string, args: VsphereProviderArgs, opts?: pulumi.ResourceOptions) {
        super(
            "vsphere",
            name,
            {
                vsphereServer: args.vsphereServer,
                user: args.user,
                password: pulumi.secret(args.password),
                // Provider config travels as strings; the generated SDKs JSON-encode non-strings.
                allowUnverifiedSsl: pulumi.output(args.allowUnverifiedSsl ?? false).apply((value) => JSON.stringify(value)),
            },
            { version: VSPHERE_PROVIDER_VERSION, ...opts },
        );
    }
}

export type FolderType = "vm" | "host" | "datastore" | "network" | "datacenter";

export interface FolderArgs {
    /** Folder path relative to the datacenter's root folder of `type`, e.g. `spectro-templates`. */
    path: pulumi.Input<string>;
    /** Folder type; `vm` is a VM-and-Template folder. */
    type: pulumi.Input<FolderType>;
    /** Managed object id of the datacenter (required for every type but `datacenter`). */
    datacenterId?: pulumi.Input<string>;
}

/** `vsphere:index/folder:Folder`. */
export class Folder extends pulumi.CustomResource {
    declare public readonly path: pulumi.Output<string>;
    declare public readonly type: pulumi.Output<FolderType>;
    declare public readonly datacenterId: pulumi.Output<string | undefined>;

    constructor(name: string, args: FolderArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            VSPHERE_TOKENS.folder,
            name,
            { path: args.path, type: args.type, datacenterId: args.datacenterId, customAttributes: undefined, tags: undefined },
            { version: VSPHERE_PROVIDER_VERSION, ...opts },
        );
    }
}

export interface GetDatacenterArgs {
    /** Datacenter name or path. */
    name?: pulumi.Input<string>;
}

export interface GetDatacenterResult {
    /** Managed object id, e.g. `datacenter-3`. */
    id: string;
    name?: string;
    virtualMachines: string[];
}

/** `vsphere:index/getDatacenter:getDatacenter`, as an Output. */
export function getDatacenterOutput(args: GetDatacenterArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetDatacenterResult> {
    return pulumi.runtime.invokeOutput(VSPHERE_TOKENS.getDatacenter, { name: args.name }, { version: VSPHERE_PROVIDER_VERSION, ...opts });
}

// --- The manifest file-server VM (components/fileserver/manifestFileServer.ts) ------------------

export const VSPHERE_FILESERVER_TOKENS = {
    virtualMachine: "vsphere:index/virtualMachine:VirtualMachine",
    getVirtualMachine: "vsphere:index/getVirtualMachine:getVirtualMachine",
    getComputeCluster: "vsphere:index/getComputeCluster:getComputeCluster",
    getResourcePool: "vsphere:index/getResourcePool:getResourcePool",
    getDatastore: "vsphere:index/getDatastore:getDatastore",
    getNetwork: "vsphere:index/getNetwork:getNetwork",
} as const;

export interface VirtualMachineNetworkInterfaceArgs {
    /** Managed object id of the network (port group). */
    networkId: pulumi.Input<string>;
    /** `vmxnet3`, `e1000e` or `e1000`; for a clone, the template's (getVirtualMachine networkInterfaceTypes). */
    adapterType?: pulumi.Input<string>;
}

export interface VirtualMachineDiskArgs {
    /** Disk label, e.g. `disk0`. */
    label: pulumi.Input<string>;
    /** Size in GiB; for a clone, at least the template disk's size. */
    size?: pulumi.Input<number>;
    /** Thin provisioned; for a clone, as the template's disk. */
    thinProvisioned?: pulumi.Input<boolean>;
    /** Eagerly zeroed; for a clone, as the template's disk. */
    eagerlyScrub?: pulumi.Input<boolean>;
}

export interface VirtualMachineCloneArgs {
    /** UUID of the template to clone (getVirtualMachine uuid). */
    templateUuid: pulumi.Input<string>;
    /** Clone timeout in minutes. Provider default 30. */
    timeout?: pulumi.Input<number>;
}

export interface VirtualMachineArgs {
    /** VM name. */
    name?: pulumi.Input<string>;
    /** Managed object id of the resource pool (a cluster's root pool: getComputeCluster resourcePoolId). */
    resourcePoolId: pulumi.Input<string>;
    /** Managed object id of the datastore. */
    datastoreId?: pulumi.Input<string>;
    /** VM folder path relative to the datacenter's VM folder. Default: the datacenter's VM folder itself. */
    folder?: pulumi.Input<string>;
    /** vCPUs. Provider default 1. */
    numCpus?: pulumi.Input<number>;
    /** Memory in MiB. Provider default 1024. */
    memory?: pulumi.Input<number>;
    /** Guest OS id; for a clone, the template's. */
    guestId?: pulumi.Input<string>;
    /** `bios` or `efi`; for a clone, the template's. */
    firmware?: pulumi.Input<string>;
    /** SCSI controller type; for a clone, the template's. */
    scsiType?: pulumi.Input<string>;
    networkInterfaces?: pulumi.Input<pulumi.Input<VirtualMachineNetworkInterfaceArgs>[]>;
    disks?: pulumi.Input<pulumi.Input<VirtualMachineDiskArgs>[]>;
    clone?: pulumi.Input<VirtualMachineCloneArgs>;
    /** Extra configuration (.vmx) entries, e.g. cloud-init's `guestinfo.*`. */
    extraConfig?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Minutes to wait for the guest's IP address (needs VMware Tools); less than 1 disables the wait. Provider default 5. */
    waitForGuestNetTimeout?: pulumi.Input<number>;
    /** Wait for a routable address (a default gateway). Provider default true. */
    waitForGuestNetRoutable?: pulumi.Input<boolean>;
    /** Annotation (notes) of the VM. */
    annotation?: pulumi.Input<string>;
}

/** `vsphere:index/virtualMachine:VirtualMachine`. */
export class VirtualMachine extends pulumi.CustomResource {
    declare public readonly name: pulumi.Output<string>;
    /** The guest's default IP address (reported by VMware Tools, after the network waiter). */
    declare public readonly defaultIpAddress: pulumi.Output<string>;
    declare public readonly guestIpAddresses: pulumi.Output<string[]>;
    declare public readonly uuid: pulumi.Output<string>;
    declare public readonly moid: pulumi.Output<string>;
    declare public readonly extraConfig: pulumi.Output<Record<string, string> | undefined>;

    constructor(name: string, args: VirtualMachineArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            VSPHERE_FILESERVER_TOKENS.virtualMachine,
            name,
            {
                name: args.name,
                resourcePoolId: args.resourcePoolId,
                datastoreId: args.datastoreId,
                folder: args.folder,
                numCpus: args.numCpus,
                memory: args.memory,
                guestId: args.guestId,
                firmware: args.firmware,
                scsiType: args.scsiType,
                networkInterfaces: args.networkInterfaces,
                disks: args.disks,
                clone: args.clone,
                extraConfig: args.extraConfig,
                waitForGuestNetTimeout: args.waitForGuestNetTimeout,
                waitForGuestNetRoutable: args.waitForGuestNetRoutable,
                annotation: args.annotation,
                defaultIpAddress: undefined,
                guestIpAddresses: undefined,
                uuid: undefined,
                moid: undefined,
            },
            { version: VSPHERE_PROVIDER_VERSION, ...opts },
        );
    }
}

export interface GetVirtualMachineArgs {
    /** VM or template name, or its path relative to the datacenter's VM folder. */
    name?: pulumi.Input<string>;
    /** Managed object id of the datacenter. */
    datacenterId?: pulumi.Input<string>;
}

export interface GetVirtualMachineDisk {
    label: string;
    /** GiB. */
    size: number;
    thinProvisioned: boolean;
    eagerlyScrub: boolean;
    unitNumber: number;
}

export interface GetVirtualMachineResult {
    id: string;
    uuid: string;
    guestId: string;
    firmware?: string;
    scsiType: string;
    disks: GetVirtualMachineDisk[];
    /** Adapter type of each NIC, in bus order. */
    networkInterfaceTypes: string[];
}

/** `vsphere:index/getVirtualMachine:getVirtualMachine` (a VM or a template), as an Output. */
export function getVirtualMachineOutput(args: GetVirtualMachineArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetVirtualMachineResult> {
    return pulumi.runtime.invokeOutput(
        VSPHERE_FILESERVER_TOKENS.getVirtualMachine,
        { name: args.name, datacenterId: args.datacenterId },
        { version: VSPHERE_PROVIDER_VERSION, ...opts },
    );
}

export interface GetByNameArgs {
    /** Name, or path relative to the datacenter's matching root folder. */
    name: pulumi.Input<string>;
    /** Managed object id of the datacenter. */
    datacenterId?: pulumi.Input<string>;
}

export interface GetComputeClusterResult {
    id: string;
    /** The cluster's root resource pool. */
    resourcePoolId: string;
}

/** `vsphere:index/getComputeCluster:getComputeCluster`, as an Output. */
export function getComputeClusterOutput(args: GetByNameArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetComputeClusterResult> {
    return pulumi.runtime.invokeOutput(
        VSPHERE_FILESERVER_TOKENS.getComputeCluster,
        { name: args.name, datacenterId: args.datacenterId },
        { version: VSPHERE_PROVIDER_VERSION, ...opts },
    );
}

export interface GetIdResult {
    /** Managed object id. */
    id: string;
}

/** `vsphere:index/getResourcePool:getResourcePool` (name: a path such as `cluster-01/Resources/palette`), as an Output. */
export function getResourcePoolOutput(args: GetByNameArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetIdResult> {
    return pulumi.runtime.invokeOutput(
        VSPHERE_FILESERVER_TOKENS.getResourcePool,
        { name: args.name, datacenterId: args.datacenterId },
        { version: VSPHERE_PROVIDER_VERSION, ...opts },
    );
}

/** `vsphere:index/getDatastore:getDatastore`, as an Output. */
export function getDatastoreOutput(args: GetByNameArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetIdResult> {
    return pulumi.runtime.invokeOutput(
        VSPHERE_FILESERVER_TOKENS.getDatastore,
        { name: args.name, datacenterId: args.datacenterId },
        { version: VSPHERE_PROVIDER_VERSION, ...opts },
    );
}

/** `vsphere:index/getNetwork:getNetwork` (a port group), as an Output. */
export function getNetworkOutput(args: GetByNameArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetIdResult & { type?: string }> {
    return pulumi.runtime.invokeOutput(
        VSPHERE_FILESERVER_TOKENS.getNetwork,
        { name: args.name, datacenterId: args.datacenterId },
        { version: VSPHERE_PROVIDER_VERSION, ...opts },
    );
}
