/**
 * Validation: the checks the procedure's empty "Validate" section should have had, as a
 * component whose custom resource (ValidationRun, served by the provider plugin) runs them at
 * create and at every refresh:
 *
 *   - manifests: the file server answers `roar/nickfury/versions.yaml` with at least one version;
 *   - registry: repositories exist under the packs base and under the images base
 *     (Harbor project API, `/v2/_catalog` of a generic registry, or the AWS CLI for ECR); each
 *     base on its own registry when the images have one (`images`: two lines, `packs registry`
 *     and `images registry`);
 *   - template: the `r_` template is in the templates folder and is a template.
 *
 * `pulumi up` fails with the report when a check fails; `pulumi preview --refresh` re-runs the
 * checks and shows the validation as an update when one no longer passes; `report` and
 * `passed` are outputs.
 *
 *     const validation = new Validation("palette-validation", {
 *         scarUrl: fileServer.url,
 *         registry: validationRegistry(config.registry),
 *         template: { server, user, password, caFile, datacenter, folderPath: folder.path, templateName: template.templateName },
 *         triggers: [setup.manifestsZip, packs.summary],
 *     }, { parent: this, dependsOn: [fileServer, setup, packs, template] });
 */
import * as pulumi from "@pulumi/pulumi";
import { VALIDATION_RUN_TOKEN } from "../customResourceTokens";
import type { RegistrySettings } from "../config";
import type { ValidationRegistryKind } from "./validationProvider";

/** The registry check's parameters. */
export interface ValidationRegistryArgs {
    /** harbor (project API), generic (`/v2/_catalog`) or ecr (AWS CLI). Required. */
    kind: pulumi.Input<ValidationRegistryKind>;
    /** harbor/generic: registry host[:port] (config registryEndpoint). Required for harbor/generic. */
    endpoint?: pulumi.Input<string | undefined>;
    /** harbor/generic: user (config registryUsername). Required for harbor/generic. */
    username?: pulumi.Input<string | undefined>;
    /** harbor/generic: password, kept secret (config registryPassword). Required for harbor/generic. */
    password?: pulumi.Input<string | undefined>;
    /** harbor/generic: PEM CA of the registry (config registryCaFile). Default: the system trust store. */
    caFile?: pulumi.Input<string | undefined>;
    /** harbor/generic: skip TLS verification (config registryInsecure). Default false. */
    insecure?: pulumi.Input<boolean | undefined>;
    /** Repository base of the packs. Default "spectro-packs". */
    packBase?: pulumi.Input<string | undefined>;
    /** Repository base of the images. Default "spectro-images". */
    imageBase?: pulumi.Input<string | undefined>;
    /** ecr: region of the private registry (config ecrRegion). Required for ecr. */
    region?: pulumi.Input<string | undefined>;
    /** ecr: images in ECR Public, us-east-1 (config ecrPublicImages). Default true. */
    publicImages?: pulumi.Input<boolean | undefined>;
    /** ecr with private images: region of the images registry (config ecrImageRegion). Default: region. */
    imageRegion?: pulumi.Input<string | undefined>;
    /** harbor/generic: the images registry, when it is not this one (config imageRegistry*). Default: unset, the images base is checked on this registry. */
    images?: ValidationImageRegistryArgs;
}

/** The images registry of the registry check, when the images do not share the packs registry. */
export interface ValidationImageRegistryArgs {
    /** harbor or generic (config imageRegistryKind). Required. */
    kind: pulumi.Input<"harbor" | "generic">;
    /** Registry host[:port] (config imageRegistryEndpoint). Required. */
    endpoint: pulumi.Input<string>;
    /** User (config imageRegistryUsername). Required. */
    username: pulumi.Input<string>;
    /** Password, kept secret (config imageRegistryPassword). Required. */
    password: pulumi.Input<string>;
    /** PEM CA of the images registry (config imageRegistryCaFile). Default: the system trust store. */
    caFile?: pulumi.Input<string | undefined>;
    /** Skip TLS verification (config imageRegistryInsecure). Default false. */
    insecure?: pulumi.Input<boolean | undefined>;
}

/** The template check's parameters. */
export interface ValidationTemplateArgs {
    /** vCenter host (config vsphereServer). Required. */
    server: pulumi.Input<string>;
    /** vCenter user (config vsphereUser). Required. */
    user: pulumi.Input<string>;
    /** vCenter password, kept secret (config vspherePassword). Required. */
    password: pulumi.Input<string>;
    /** Skip TLS verification of vCenter (config vsphereAllowUnverifiedSsl). Default false. */
    allowUnverifiedSsl?: pulumi.Input<boolean | undefined>;
    /** PEM CA of vCenter (config vsphereCaFile). Default: the system trust store. */
    caFile?: pulumi.Input<string | undefined>;
    /** Datacenter name (config datacenter). Required. */
    datacenter: pulumi.Input<string>;
    /** Folder path under the datacenter's VM folder (TemplatesFolder.path). Required. */
    folderPath: pulumi.Input<string>;
    /** The r_ template's name (OvaTemplate.templateName). Required. */
    templateName: pulumi.Input<string>;
}

export interface ValidationArgs {
    /** Base URL of the manifest file server, Palette's SCAR (ManifestFileServer's URL). Default: unset, the manifests check does not run. */
    scarUrl?: pulumi.Input<string | undefined>;
    /** PEM CA of an https file server (config fileServerTlsCertFile's CA). Default: the system trust store. */
    scarCaFile?: pulumi.Input<string | undefined>;
    /** Skip TLS verification of an https file server. Default false. */
    scarInsecure?: pulumi.Input<boolean | undefined>;
    /** The registry check. Default: unset, the registry check does not run. */
    registry?: ValidationRegistryArgs;
    /** The template check. Default: unset, the template check does not run. */
    template?: ValidationTemplateArgs;
    /** Values whose change re-runs the checks at the next `pulumi up` (e.g. the setup run's manifests zip, the packs pushed). Default: none. */
    triggers?: pulumi.Input<unknown>[];
}

/** `palette-airgap:validate:Validation`. */
export class Validation extends pulumi.ComponentResource {
    /** One line per check: `ok   manifests: 3 versions (...)` / `FAIL registry: spectro-images holds no repository (...)`. */
    public readonly report: pulumi.Output<string[]>;
    /** Every check passed (after a refresh: at the time of the refresh). */
    public readonly passed: pulumi.Output<boolean>;
    /** The custom resource running the checks. */
    public readonly run: ValidationRun;

    constructor(name: string, args: ValidationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:validate:Validation", name, {}, opts);
        if (args.scarUrl === undefined && args.registry === undefined && args.template === undefined) {
            throw new pulumi.RunError(`Validation ${name}: nothing to validate: give scarUrl, registry or template`);
        }
        const registry = args.registry;
        const template = args.template;
        const props: Record<string, pulumi.Input<unknown> | undefined> = {
            scarUrl: args.scarUrl,
            scarCaFile: args.scarCaFile,
            scarInsecure: args.scarUrl === undefined ? undefined : pulumi.output(args.scarInsecure).apply((v) => v ?? false),
            ...(registry
                ? {
                      registryKind: registry.kind,
                      registryEndpoint: registry.endpoint,
                      registryUsername: registry.username,
                      registryPassword: registry.password === undefined ? undefined : pulumi.secret(registry.password),
                      registryCaFile: registry.caFile,
                      registryInsecure: pulumi.output(registry.insecure).apply((v) => v ?? false),
                      packBase: pulumi.output(registry.packBase).apply((v) => v ?? "spectro-packs"),
                      imageBase: pulumi.output(registry.imageBase).apply((v) => v ?? "spectro-images"),
                      ecrRegion: registry.region,
                      ecrPublicImages: pulumi.output(registry.publicImages).apply((v) => v ?? true),
                      ecrImageRegion: registry.imageRegion,
                  }
                : {}),
            ...(registry?.images
                ? {
                      imageRegistryKind: registry.images.kind,
                      imageRegistryEndpoint: registry.images.endpoint,
                      imageRegistryUsername: registry.images.username,
                      imageRegistryPassword: pulumi.secret(registry.images.password),
                      imageRegistryCaFile: registry.images.caFile,
                      imageRegistryInsecure: pulumi.output(registry.images.insecure).apply((v) => v ?? false),
                  }
                : {}),
            ...(template
                ? {
                      vsphereServer: template.server,
                      vsphereUser: template.user,
                      vspherePassword: pulumi.secret(template.password),
                      vsphereAllowUnverifiedSsl: pulumi.output(template.allowUnverifiedSsl).apply((v) => v ?? false),
                      vsphereCaFile: template.caFile,
                      datacenter: template.datacenter,
                      templateFolder: template.folderPath,
                      templateName: template.templateName,
                  }
                : {}),
            triggers: args.triggers === undefined ? undefined : pulumi.output(args.triggers).apply((values) => JSON.stringify(values ?? [])),
        };
        this.run = new ValidationRun(name, props, { parent: this });
        this.report = this.run.report;
        this.passed = this.run.passed;
        this.registerOutputs({ report: this.report, passed: this.passed });
    }
}

/** The registry check's parameters from the stack configuration (`loadConfig().registry`). */
export function validationRegistry(registry: RegistrySettings): ValidationRegistryArgs {
    if (registry.kind === "ecr") {
        return {
            kind: "ecr",
            region: registry.region,
            publicImages: registry.publicImages,
            ...(registry.publicImages ? {} : { imageRegion: registry.imageRegion }),
            packBase: registry.packBase,
            imageBase: registry.imageBase,
        };
    }
    const images = registry.images;
    return {
        kind: registry.kind,
        endpoint: registry.endpoint,
        username: registry.username,
        password: registry.password,
        caFile: registry.caFile,
        insecure: registry.insecure,
        packBase: registry.packBase,
        imageBase: registry.imageBase,
        ...(images
            ? { images: { kind: images.kind, endpoint: images.endpoint, username: images.username, password: images.password, caFile: images.caFile, insecure: images.insecure } }
            : {}),
    };
}

// Declared where the plugin can read it without loading this module (and the SDK).
export { VALIDATION_RUN_TOKEN };

/** The custom resource `palette-airgap:validate:ValidationRun`, served by the provider plugin. */
export class ValidationRun extends pulumi.CustomResource {
    declare public readonly report: pulumi.Output<string[]>;
    declare public readonly passed: pulumi.Output<boolean>;

    constructor(name: string, props: Record<string, pulumi.Input<unknown> | undefined>, opts?: pulumi.CustomResourceOptions) {
        super(
            VALIDATION_RUN_TOKEN,
            name,
            { ...props, report: undefined, passed: undefined },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["registryPassword", "imageRegistryPassword", "vspherePassword"] }),
        );
    }
}
