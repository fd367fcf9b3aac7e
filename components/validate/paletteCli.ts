/**
 * The `paletteCli` stack output: every answer `palette ec install` asks for in an air-gapped
 * vSphere installation (Palette CLI docs, "Install Palette" on VMware, airgap), built from what
 * the stack created, so the installer is answered by copy and paste:
 *
 *     pulumi stack output paletteCli --show-secrets
 *
 * Prompts covered: the Spectro Cloud Artifact Repository (SCAR: the manifest file server's URL,
 * `admin`/`admin` when it has no auth); "Registry Type" (`OCI`, or `OCI ECR`); for the packs
 * registry and again for the images registry ("Use Public Registry for Images": no): "Registry
 * Name", "Registry Endpoint", "Registry Base Path", "Allow Insecure Connection", "Registry CA
 * certificate filepath", "Registry Username"/"Registry Password" (OCI) or "Registry Region" and
 * "ECR Registry Private" (ECR; the access and secret keys are an IAM user's, not managed here);
 * the image template folder of later versions, and the `r_` template found in it.
 *
 * Packs and images may live on different registries (config imageRegistry*): each gets its own
 * endpoint, credentials, CA and insecure answer.
 *
 * The registry passwords are `pulumi.secret`: the whole output is then secret (an ECR stack has
 * no password in it, and its output is not secret). No `ec.yaml` is
 * produced: its field names are not documented (the docs only say `--config-only` writes it
 * with the credentials encrypted).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegistrySummary } from "../airgapEnvironment";

/** Default SCAR credentials when the file server has no auth (what Palette expects then). */
export const SCAR_NO_AUTH = { username: "admin", password: "admin" } as const;

/** ECR Public's registry host (`public.ecr.aws/<alias>`). */
const ECR_PUBLIC_HOST = "public.ecr.aws";

/** What AirgapEnvironment.registry holds. */
export type PaletteCliRegistry = RegistrySummary;

export interface PaletteCliArgs {
    /** Base URL of the manifest file server (ManifestFileServer's URL), e.g. `http://10.10.100.50:8080`. Required. */
    scarUrl: pulumi.Input<string>;
    /** SCAR user, when the file server has auth. Default "admin" (no auth). */
    scarUsername?: pulumi.Input<string | undefined>;
    /** SCAR password, kept secret, when the file server has auth. Default "admin" (no auth). */
    scarPassword?: pulumi.Input<string | undefined>;
    /** The registry as created: AirgapEnvironment.registry (kind, endpoints, bases, regions, insecure, CA path). Required. */
    registry: pulumi.Input<PaletteCliRegistry>;
    /** harbor/generic: registry user (config registryUsername). Required for harbor/generic. */
    registryUsername?: pulumi.Input<string | undefined>;
    /** harbor/generic: registry password, kept secret (OciRegistry.password). Required for harbor/generic. */
    registryPassword?: pulumi.Input<string | undefined>;
    /** harbor/generic: user of the images registry (OciRegistry.imageUsername). Default: registryUsername. */
    imageRegistryUsername?: pulumi.Input<string | undefined>;
    /** harbor/generic: password of the images registry, kept secret (OciRegistry.imagePassword). Default: registryPassword. */
    imageRegistryPassword?: pulumi.Input<string | undefined>;
    /** "Registry Name" of the packs registry. Default: the packs base, e.g. "spectro-packs". */
    packsRegistryName?: pulumi.Input<string | undefined>;
    /** "Registry Name" of the images registry. Default: the images base, e.g. "spectro-images". */
    imagesRegistryName?: pulumi.Input<string | undefined>;
    /** The image template folder: AirgapEnvironment.templateFolderPath, e.g. `/dc-lab/vm/spectro-templates`. Required. */
    templateFolder: pulumi.Input<string>;
    /** The r_ template: AirgapEnvironment.templateName. Required. */
    templateName: pulumi.Input<string>;
}

/** One registry's answers (packs or images). */
export interface PaletteCliRegistryAnswers {
    /** "Registry Name". */
    name: string;
    /** "Registry Endpoint": host[:port], or `public.ecr.aws/<alias>`. */
    endpoint: string;
    /** "Registry Base Path". */
    basePath: string;
    /** OCI: "Registry Username". */
    username?: string;
    /** OCI: "Registry Password" (secret). */
    password?: string;
    /** OCI ECR: "Registry Region". */
    region?: string;
    /** OCI ECR: "ECR Registry Private". */
    private?: boolean;
    /** OCI ECR: what to give for "Registry Access Key" / "Registry Secret Key". */
    credentials?: string;
    /** "Allow Insecure Connection" (answer no and give the CA path). */
    insecure: boolean;
    /** "Registry CA certificate filepath": absolute path, "" when the registry's certificate is publicly trusted (ECR). */
    caCertificatePath: string;
}

export interface PaletteCliAnswers {
    /** The Spectro Cloud Artifact Repository: the manifest file server. */
    scar: { url: string; username: string; password: string };
    /** "Registry Type". */
    registryType: "OCI" | "OCI ECR";
    packs: PaletteCliRegistryAnswers;
    /** "Use Public Registry for Images": always no in an air gap (the images are in `images`). */
    usePublicRegistryForImages: false;
    images: PaletteCliRegistryAnswers;
    /** The vSphere VM-and-template folder holding the r_ template. */
    imageTemplateFolder: string;
    /** The r_ template Palette clones its nodes from. */
    template: string;
}

const ECR_CREDENTIALS = "the access key and secret key of an IAM user allowed to pull from these repositories (not managed by this stack)";

/** Builds the `paletteCli` stack output. Secret as a whole when a password is part of it. */
export function paletteCliAnswers(args: PaletteCliArgs): pulumi.Output<PaletteCliAnswers> {
    const registryPassword = args.registryPassword === undefined ? undefined : pulumi.secret(args.registryPassword);
    const imagePassword = args.imageRegistryPassword === undefined ? undefined : pulumi.secret(args.imageRegistryPassword);
    const scarPassword = args.scarPassword === undefined ? undefined : pulumi.secret(args.scarPassword);
    return pulumi
        .all({
            scarUrl: args.scarUrl,
            scarUsername: args.scarUsername,
            scarPassword,
            registry: args.registry,
            username: args.registryUsername,
            password: registryPassword,
            imageUsername: args.imageRegistryUsername,
            imagePassword,
            packsName: args.packsRegistryName,
            imagesName: args.imagesRegistryName,
            templateFolder: args.templateFolder,
            templateName: args.templateName,
        })
        .apply((values) => answers(values as Parameters<typeof answers>[0]));
}

/** The answers from plain values (what paletteCliAnswers applies). */
export function answers(v: {
    scarUrl: string;
    scarUsername?: string;
    scarPassword?: string;
    registry: PaletteCliRegistry;
    username?: string;
    password?: string;
    /** Images registry credentials; default username/password. */
    imageUsername?: string;
    imagePassword?: string;
    packsName?: string;
    imagesName?: string;
    templateFolder: string;
    templateName: string;
}): PaletteCliAnswers {
    if (!/^https?:\/\/[^/]/i.test(v.scarUrl ?? "")) {
        throw new Error(`paletteCli: the SCAR URL "${v.scarUrl}" is not an http:// or https:// URL`);
    }
    const registry = v.registry;
    const scar = {
        url: v.scarUrl.replace(/\/+$/, ""),
        username: v.scarUsername || SCAR_NO_AUTH.username,
        password: v.scarPassword || SCAR_NO_AUTH.password,
    };
    const common = { template: v.templateName, imageTemplateFolder: v.templateFolder, usePublicRegistryForImages: false as const };
    if (registry.kind === "ecr") {
        const ecr = (name: string, endpoint: string, basePath: string, region: string | undefined): PaletteCliRegistryAnswers => ({
            name,
            endpoint,
            basePath,
            region: region ?? "",
            private: !endpoint.startsWith(`${ECR_PUBLIC_HOST}/`),
            credentials: ECR_CREDENTIALS,
            insecure: false,
            caCertificatePath: "",
        });
        return {
            scar,
            registryType: "OCI ECR",
            packs: ecr(v.packsName || registry.packBase, registry.packRegistry, registry.packBase, registry.packRegion),
            images: ecr(v.imagesName || registry.imageBase, registry.imageRegistry, registry.imageBase, registry.imageRegion),
            ...common,
        };
    }
    const imageUsername = v.imageUsername || v.username;
    const imagePassword = v.imagePassword || v.password;
    if (!v.username || !v.password) {
        throw new Error(`paletteCli: a ${registry.kind} registry needs registryUsername and registryPassword`);
    }
    if (!imageUsername || !imagePassword) {
        throw new Error(`paletteCli: the images registry needs imageRegistryUsername and imageRegistryPassword`);
    }
    const oci = (name: string, endpoint: string, basePath: string, username: string, password: string, insecure: boolean, caFile: string | undefined): PaletteCliRegistryAnswers => ({
        name,
        endpoint,
        basePath,
        username,
        password,
        insecure,
        caCertificatePath: caFile ?? "",
    });
    return {
        scar,
        registryType: "OCI",
        packs: oci(v.packsName || registry.packBase, registry.packRegistry, registry.packBase, v.username, v.password, registry.insecure, registry.caFile),
        images: oci(v.imagesName || registry.imageBase, registry.imageRegistry, registry.imageBase, imageUsername, imagePassword, registry.imageInsecure, registry.imageCaFile),
        ...common,
    };
}
