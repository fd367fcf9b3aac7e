/**
 * The top component: one air-gap environment (one stack). Later pieces (OVA template, registry,
 * setup run, file server, validation) are added here as children, in the procedure's order.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DestroySettings, FileServerSettings, OvaSettings, RegistrySettings, SetupSettings, VsphereSettings } from "./config";
import { ManifestFileServer } from "./fileserver/manifestFileServer";
import { OciRegistry } from "./registry/ociRegistry";
import { AirgapSetup } from "./setup/airgapSetup";
import { PackUploads } from "./setup/packUploads";
import { PaletteCliAnswers, paletteCliAnswers } from "./validate/paletteCli";
import { Validation, validationRegistry } from "./validate/validation";
import { setupEnvironment } from "./setup/setupEnvironment";
import { OvaTemplate } from "./vsphere/ovaTemplate";
import { TemplatesFolder } from "./vsphere/templatesFolder";
import { VsphereProvider } from "./vsphere/vsphereSdk";

export interface AirgapEnvironmentArgs {
    /** What destroy removes, keeps and refuses. Required; `loadConfig().destroy`. */
    destroy: DestroySettings;
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
    /** ECR: the AWS account of the repositories, from `ecrAccountId()` (checked before any resource). Default: each repository's registryId. */
    ecrAccountId?: string;
}

/** What Palette's CLI asks about the registries: the packs registry and the images registry. */
export interface RegistrySummary {
    /** Kind of the packs registry (config registryKind). */
    kind: RegistrySettings["kind"];
    packRegistry: string;
    packBase: string;
    /** Kind of the images registry (config imageRegistryKind, default registryKind; ecr for ECR). */
    imageKind: RegistrySettings["kind"];
    imageRegistry: string;
    imageBase: string;
    /** ecr: regions of the pack and image registries. */
    packRegion?: string;
    imageRegion?: string;
    /** Palette's "Allow Insecure Connection" answer for the packs registry. */
    insecure: boolean;
    /** Absolute path of the packs registry's CA certificate, when configured. */
    caFile?: string;
    /** "Allow Insecure Connection" for the images registry. */
    imageInsecure: boolean;
    /** Absolute path of the images registry's CA certificate, when configured. */
    imageCaFile?: string;
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
    public readonly ociRegistry: OciRegistry;
    public readonly registry: pulumi.Output<RegistrySummary>;
    /** The setup binary's variables, from the repositories actually created. */
    public readonly setupEnvironment: pulumi.Output<Record<string, string>>;
    public readonly airgapSetup: AirgapSetup;
    public readonly packUploads: PackUploads;
    public readonly manifestFileServer: ManifestFileServer;
    /** The post-install checks, re-run by `pulumi preview --refresh`. */
    public readonly validation: Validation;
    /** Every answer `palette ec install` asks for (secret when it holds a registry password: Harbor/generic). */
    public readonly paletteCli: pulumi.Output<PaletteCliAnswers>;

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
            { datacenter: vsphere.datacenter, path: vsphere.templateFolder, provider: this.vsphereProvider, retainOnDelete: args.destroy.retainTemplatesFolder },
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
                sourceAuthorization: args.ova.authorization,
                sha256: args.ova.sha256,
                templateName: args.ova.templateName,
                markAsTemplate: args.ova.markAsTemplate,
                diskProvisioning: args.ova.diskProvisioning,
            },
            { parent: this, dependsOn: [this.templatesFolder], protect: args.destroy.protectTemplate },
        );
        this.templateName = this.ovaTemplate.templateName;
        this.templatePath = this.ovaTemplate.inventoryPath;
        this.ociRegistry = new OciRegistry(`${name}-registry`, { registry: args.registry, ecrAccountId: args.ecrAccountId }, { parent: this });
        const oci = this.ociRegistry;
        const tls = pulumi.all([oci.insecure, oci.caFile, oci.imageInsecure, oci.imageCaFile]);
        this.registry = pulumi
            .all([oci.packRegistry, oci.packBase, oci.imageRegistry, oci.imageBase, oci.packRegion, oci.imageRegion, tls])
            .apply(([packRegistry, packBase, imageRegistry, imageBase, packRegion, imageRegion, [insecure, caFile, imageInsecure, imageCaFile]]): RegistrySummary => ({
                kind: args.registry.kind,
                packRegistry,
                packBase,
                imageKind: oci.imageKind,
                imageRegistry,
                imageBase,
                ...(packRegion ? { packRegion, imageRegion } : {}),
                insecure,
                ...(caFile ? { caFile } : {}),
                imageInsecure,
                ...(imageCaFile ? { imageCaFile } : {}),
            }));
        this.setupEnvironment = oci.setupTarget.apply(setupEnvironment);
        const run = {
            ...oci.runArgs,
            loginTool: args.setup.loginTool,
            maxAttempts: args.setup.maxAttempts,
            attemptTimeoutMinutes: args.setup.attemptTimeoutMinutes,
        };
        this.airgapSetup = new AirgapSetup(`${name}-setup`, { setup: args.setup, ...run }, { parent: this });
        this.packUploads = new PackUploads(
            `${name}-packs`,
            { packBinaries: args.setup.packBinaries, workDir: args.setup.workDir, after: this.airgapSetup, concurrency: args.setup.packConcurrency, ...run },
            { parent: this },
        );
        this.manifestFileServer = new ManifestFileServer(
            `${name}-fileserver`,
            { settings: args.fileServer, vsphere: vsphere, provider: this.vsphereProvider, manifestsZip: this.airgapSetup.manifestsZip },
            { parent: this, dependsOn: [this.airgapSetup] },
        );
        this.validation = new Validation(
            `${name}-validation`,
            {
                scarUrl: this.manifestFileServer.scarUrl,
                scarCaFile: args.fileServer.tls?.certFile,
                registry: validationRegistry(args.registry),
                template: {
                    server: vsphere.server,
                    user: vsphere.user,
                    password: vsphere.password,
                    allowUnverifiedSsl: vsphere.allowUnverifiedSsl,
                    caFile: vsphere.caFile,
                    datacenter: vsphere.datacenter,
                    folderPath: this.templatesFolder.path,
                    templateName: this.ovaTemplate.templateName,
                },
                triggers: [this.airgapSetup.manifestsZip, this.packUploads.summary, this.manifestFileServer.manifestsSha256],
            },
            { parent: this, dependsOn: [this.ociRegistry, this.airgapSetup, this.packUploads, this.manifestFileServer, this.ovaTemplate] },
        );
        this.paletteCli = paletteCliAnswers({
            scarUrl: this.manifestFileServer.scarUrl,
            registry: this.registry,
            registryUsername: args.registry.kind === "ecr" ? undefined : args.registry.username,
            registryPassword: oci.password,
            imageRegistryUsername: oci.imageUsername,
            imageRegistryPassword: oci.imagePassword ?? oci.password,
            templateFolder: this.templateFolderPath,
            templateName: this.templateName,
        });
        this.registerOutputs({
            templateFolderPath: this.templateFolderPath,
            templateName: this.templateName,
            templatePath: this.templatePath,
            registry: this.registry,
            setupEnvironment: this.setupEnvironment,
            manifestsZip: this.airgapSetup.manifestsZip,
            packs: this.packUploads.summary,
            scarUrl: this.manifestFileServer.scarUrl,
            validation: this.validation.report,
            paletteCli: this.paletteCli,
        });
    }
}
