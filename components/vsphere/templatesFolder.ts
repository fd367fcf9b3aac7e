/**
 * The vSphere VM-and-Template folder that holds Palette's `r_` templates (procedure step 2).
 */
import * as pulumi from "@pulumi/pulumi";
import { Folder, VsphereProvider, getDatacenterOutput } from "./vsphereSdk";

export interface TemplatesFolderArgs {
    /** Datacenter name. Required. */
    datacenter: pulumi.Input<string>;
    /** Folder path relative to the datacenter's VM folder. Default `spectro-templates`. */
    path?: pulumi.Input<string>;
    /** The vSphere provider to use. Default: the component's provider for `vsphere`, if any. */
    provider?: VsphereProvider;
    /** Leave the folder in vSphere on destroy (it may hold templates of other stacks). Default false. */
    retainOnDelete?: boolean;
}

/** `palette-airgap:vsphere:TemplatesFolder`: creates `/<datacenter>/vm/<path>`. */
export class TemplatesFolder extends pulumi.ComponentResource {
    /** Managed object id of the datacenter. */
    public readonly datacenterId: pulumi.Output<string>;
    /** Path relative to the datacenter's VM folder, e.g. `spectro-templates`. */
    public readonly path: pulumi.Output<string>;
    /** Full inventory path, e.g. `/dc-lab/vm/spectro-templates`; Palette's CLI asks for it. */
    public readonly inventoryPath: pulumi.Output<string>;
    /** The folder resource, for dependsOn. */
    public readonly folder: Folder;

    constructor(name: string, args: TemplatesFolderArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:vsphere:TemplatesFolder", name, {}, opts);
        const providerOpts = args.provider ? { provider: args.provider } : {};
        const datacenter = getDatacenterOutput({ name: args.datacenter }, { parent: this, ...providerOpts });
        const folderPath = pulumi.output(args.path ?? "spectro-templates");
        this.folder = new Folder(
            name,
            { path: folderPath, type: "vm", datacenterId: datacenter.id },
            { parent: this, ...providerOpts, retainOnDelete: args.retainOnDelete ?? false },
        );
        this.datacenterId = datacenter.id;
        this.path = this.folder.path;
        this.inventoryPath = folderInventoryPath(args.datacenter, this.folder.path);
        this.registerOutputs({ datacenterId: this.datacenterId, path: this.path, inventoryPath: this.inventoryPath });
    }
}

/** `/<datacenter>/vm/<folder path>`: the path vSphere's SearchIndex and Palette's CLI use. */
export function folderInventoryPath(datacenter: pulumi.Input<string>, folderPath: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`/${datacenter}/vm/${folderPath}`;
}
