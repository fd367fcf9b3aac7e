/**
 * The top component: one air-gap environment (one stack). Later pieces (OVA template, registry,
 * setup run, file server, validation) are added here as children, in the procedure's order.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FileServerSettings, OvaSettings, RegistrySettings, SetupSettings, VsphereSettings } from "./config";
import { SetupTarget, setupEnvironment } from "./setup/setupEnvironment";
import { OvaTemplate } from "./vsphere/ovaTemplate";
import { TemplatesFolder } from "./vsphere/templatesFolder";
import { VsphereProvider } from "./vsphere/vsphereSdk";

export interface AirgapEnvironmentArgs {
    /** vCenter connection and placement. Required; `loadConfig().vsphere`. */
    vsphere: VsphereSettings;
    /** The OS+K8s OVA and its template. Required; `loadConfig().ova`. */
    ova: OvaSettings;
    /** The OCI registry (harbor, ecr or generic). Required; `loadConfig().registry`. */
    registry: RegistrySettings;
    /** The setup binary and pack binaries. Required; `loadConfig().setup`. */
    setup: SetupSettings;
    /** The manifest file server. Required; `loadConfig().fileServer`. */
    fileServer: FileServerSettings;
}

/** Registry facts known from the configuration alone (the created repositories add to them). */
export interface RegistrySummary {
    kind: RegistrySettings["kind"];
    packBase: string;
    imageBase: string;
    /** harbor/generic: host[:port]; ecr: set once the repositories exist. */
    endpoint?: string;
    /** ecr: region of the private registry. */
    region?: string;
    /** Palette's "Allow Insecure Connection" answer. */
    insecure: boolean;
    /** Absolute path of the registry CA certificate, when configured. */
    caFile?: string;
}

/** `palette-airgap:index:AirgapEnvironment`. */
export class AirgapEnvironment extends pulumi.ComponentResource {
    /** The explicit vSphere provider every vSphere child uses. */
    public readonly vsphereProvider: VsphereProvider;
    public readonly templatesFolder: TemplatesFolder;
    public readonly ovaTemplate: OvaTemplate;
    /** Full inventory path of the template folder, e.g. `/dc-lab/vm/spectro-templates`. */
    public readonly templateFolderPath: pulumi.Output<string>;
    /** Name of the OVA template Palette clones from, `r_<ova name>`. */
    public readonly templateName: pulumi.Output<string>;
    /** Full inventory path of the template. */
    public readonly templatePath: pulumi.Output<string>;
    public readonly registry: pulumi.Output<RegistrySummary>;
    /** The setup binary's variables; undefined for ECR until its repositories exist. */
    public readonly setupEnvironment?: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: AirgapEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:index:AirgapEnvironment", name, {}, opts);
        const vsphere = args.vsphere;
        this.vsphereProvider = new VsphereProvider(
            `${name}-vsphere`,
            { vsphereServer: vsphere.server, user: vsphere.user, password: vsphere.password, allowUnverifiedSsl: vsphere.allowUnverifiedSsl },
            { parent: this },
        );
        this.templatesFolder = new TemplatesFolder(
            `${name}-templates`,
            { datacenter: vsphere.datacenter, path: vsphere.templateFolder, provider: this.vsphereProvider },
            { parent: this },
        );
        this.templateFolderPath = this.templatesFolder.inventoryPath;
        this.ovaTemplate = new OvaTemplate(
            `${name}-template`,
            {
                server: vsphere.server,
                user: vsphere.user,
                password: vsphere.password,
                allowUnverifiedSsl: vsphere.allowUnverifiedSsl,
                caFile: vsphere.caFile,
                datacenter: vsphere.datacenter,
                folderPath: this.templatesFolder.path,
                datastore: vsphere.datastore,
                network: vsphere.network,
                cluster: vsphere.cluster,
                resourcePool: vsphere.resourcePool,
                source: args.ova.source,
                sourceCaFile: args.ova.caFile,
                sha256: args.ova.sha256,
                templateName: args.ova.templateName,
                markAsTemplate: args.ova.markAsTemplate,
                diskProvisioning: args.ova.diskProvisioning,
            },
            { parent: this, dependsOn: [this.templatesFolder] },
        );
        this.templateName = this.ovaTemplate.templateName;
        this.templatePath = this.ovaTemplate.inventoryPath;
        this.registry = pulumi.output(summarizeRegistry(args.registry));
        const target = ociSetupTarget(args.registry);
        if (target) {
            this.setupEnvironment = pulumi.output(setupEnvironment(target));
        }
        this.registerOutputs({
            templateFolderPath: this.templateFolderPath,
            templateName: this.templateName,
            templatePath: this.templatePath,
            registry: this.registry,
            setupEnvironment: this.setupEnvironment,
        });
    }
}

function summarizeRegistry(registry: RegistrySettings): RegistrySummary {
    if (registry.kind === "ecr") {
        return { kind: "ecr", packBase: registry.packBase, imageBase: registry.imageBase, region: registry.region, insecure: false };
    }
    return {
        kind: registry.kind,
        packBase: registry.packBase,
        imageBase: registry.imageBase,
        endpoint: registry.endpoint,
        insecure: registry.insecure,
        caFile: registry.caFile,
    };
}

/** Harbor and generic registries: packs and images share the endpoint. */
function ociSetupTarget(registry: RegistrySettings): SetupTarget | undefined {
    if (registry.kind === "ecr") {
        return undefined;
    }
    return {
        kind: "oci",
        imageRegistry: registry.endpoint,
        imageBase: registry.imageBase,
        packRegistry: registry.endpoint,
        packBase: registry.packBase,
    };
}
