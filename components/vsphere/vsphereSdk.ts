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
