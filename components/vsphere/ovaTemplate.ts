/**
 * The OS+K8s OVA imported into the templates folder as the `r_` VM template Palette clones its
 * nodes from (procedure steps 3 and 4), with drift detection. The vSphere provider cannot import
 * an OVA as a template, so this is our own custom resource over the vSphere Web Services API,
 * served by the palette-airgap provider plugin (ovaTemplateProvider.ts).
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { OVA_TEMPLATE_IMPORT_TOKEN } from "../customResourceTokens";
import { ovaTemplateName } from "../names";
import type { OvfDiskProvisioning } from "./vimTypes";

export interface OvaTemplateArgs {
    /** vCenter host name or address. Required. */
    server: pulumi.Input<string>;
    /** vCenter user. Required. */
    user: pulumi.Input<string>;
    /** vCenter password; kept secret in state. Required. */
    password: pulumi.Input<string>;
    /** Skip TLS verification of vCenter and the ESXi hosts. Default false. */
    allowUnverifiedSsl?: pulumi.Input<boolean>;
    /** PEM CA bundle for vCenter and the ESXi hosts. Default: the system store. */
    caFile?: pulumi.Input<string>;
    /** Datacenter name. Required. */
    datacenter: pulumi.Input<string>;
    /** Folder path under the datacenter's VM folder (the TemplatesFolder's path). Required. */
    folderPath: pulumi.Input<string>;
    /** Datastore for the template's disks. Required. */
    datastore: pulumi.Input<string>;
    /** Port group every OVF network is mapped to. Required. */
    network: pulumi.Input<string>;
    /** Compute cluster to import into. Set this or resourcePool. */
    cluster?: pulumi.Input<string>;
    /** Resource pool path under the datacenter's host folder. Set this or cluster. */
    resourcePool?: pulumi.Input<string>;
    /** Absolute local path or http(s) URL of the OVA. Required. */
    source: string;
    /** CA file for an https OVA mirror. Default: the system store. */
    sourceCaFile?: pulumi.Input<string>;
    /** Authorization header value for an https OVA mirror (`Basic …`/`Bearer …`); kept secret. Default: none. */
    sourceAuthorization?: pulumi.Input<string>;
    /** Expected sha256 of the whole OVA. Default: none (the OVA's own manifest is always checked). */
    sha256?: pulumi.Input<string>;
    /** Template name; must start with r_. Default: ovaTemplateName(source). */
    templateName?: string;
    /** Mark the imported VM as a template. Default true. */
    markAsTemplate?: pulumi.Input<boolean>;
    /** Disk provisioning of the template. Default "thin". */
    diskProvisioning?: pulumi.Input<"thin" | "thick" | "eagerZeroedThick">;
}

/** `palette-airgap:vsphere:OvaTemplate`. */
export class OvaTemplate extends pulumi.ComponentResource {
    /** The template's name, `r_<ova name>`. */
    public readonly templateName: pulumi.Output<string>;
    /** Managed object id, e.g. `vm-123`. */
    public readonly moid: pulumi.Output<string>;
    /** Full inventory path of the template. */
    public readonly inventoryPath: pulumi.Output<string>;
    /** sha256 of the OVA the template was imported from. */
    public readonly ovaSha256: pulumi.Output<string>;

    constructor(name: string, args: OvaTemplateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:vsphere:OvaTemplate", name, {}, opts);
        const templateName = args.templateName ?? ovaTemplateName(args.source);
        if (!templateName.startsWith("r_")) {
            throw new Error(`OvaTemplate ${name}: templateName "${templateName}" must start with r_ (Palette only finds r_ templates)`);
        }
        const imported = new OvaTemplateImport(
            name,
            {
                server: args.server,
                user: args.user,
                password: pulumi.secret(args.password),
                allowUnverifiedSsl: args.allowUnverifiedSsl ?? false,
                caFile: args.caFile,
                datacenter: args.datacenter,
                folderPath: args.folderPath,
                datastore: args.datastore,
                network: args.network,
                cluster: args.cluster,
                resourcePool: args.resourcePool,
                source: args.source,
                sourceCaFile: args.sourceCaFile,
                ...(args.sourceAuthorization !== undefined ? { sourceAuthorization: pulumi.secret(args.sourceAuthorization) } : {}),
                expectedSha256: pulumi.output(args.sha256).apply((sha) => sha?.toLowerCase()),
                sourceFingerprint: args.sha256 ? undefined : localFileFingerprint(args.source),
                templateName,
                markAsTemplate: args.markAsTemplate ?? true,
                diskProvisioning: args.diskProvisioning ?? "thin",
            },
            { parent: this },
        );
        this.templateName = imported.observedName;
        this.moid = imported.moid;
        this.inventoryPath = imported.inventoryPath;
        this.ovaSha256 = imported.ovaSha256;
        this.registerOutputs({ templateName: this.templateName, moid: this.moid, inventoryPath: this.inventoryPath, ovaSha256: this.ovaSha256 });
    }
}

type OvaTemplateImportArgs = { [K in keyof Omit<OvaTemplateArgs, "sha256" | "diskProvisioning">]: OvaTemplateArgs[K] } & {
    expectedSha256: pulumi.Input<string | undefined>;
    sourceFingerprint?: string;
    diskProvisioning: pulumi.Input<OvfDiskProvisioning>;
};

// Declared where the plugin can read it without loading this module (and the SDK).
export { OVA_TEMPLATE_IMPORT_TOKEN };

/** The custom resource `palette-airgap:vsphere:OvaTemplateImport`, served by the provider plugin. */
export class OvaTemplateImport extends pulumi.CustomResource {
    declare public readonly moid: pulumi.Output<string>;
    declare public readonly inventoryPath: pulumi.Output<string>;
    declare public readonly ovaSha256: pulumi.Output<string>;
    declare public readonly observedName: pulumi.Output<string>;

    constructor(name: string, args: OvaTemplateImportArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            OVA_TEMPLATE_IMPORT_TOKEN,
            name,
            { ...args, moid: undefined, inventoryPath: undefined, ovaSha256: undefined, observedName: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password", "sourceAuthorization"] }),
        );
    }
}

/** `size:mtime` of a local OVA, so that a new file at the same path is a new OVA; none for URLs. */
function localFileFingerprint(source: string): string | undefined {
    if (/^https?:\/\//i.test(source)) {
        return undefined;
    }
    try {
        const stat = fs.statSync(source);
        return `${stat.size}:${Math.trunc(stat.mtimeMs)}`;
    } catch {
        return undefined; // not there yet (a preview elsewhere): create fails with the path if it stays missing
    }
}
