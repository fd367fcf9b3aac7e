/**
 * OciRegistry: the registry the setup and pack binaries push to (procedure steps 5 to 8), and
 * everything the runs need to reach it: the setup target (one source for the OCI_* / ECR_*
 * variables) and the logins.
 *
 *     const registry = new OciRegistry("registry", { registry: config.registry }, { parent: this });
 *
 * Per kind:
 *  - harbor: two Harbor projects (HarborProject), named after the first path segment of each
 *    base: the packs project private, the images project public (Harbor's public flag is per
 *    project, so the two bases must start with different segments). They refuse to be deleted
 *    while they hold repositories unless `allowDeleteNonEmpty`, and are protected like the ECR
 *    repositories when `protectContent`.
 *  - ecr: an `aws.ecr.Repository` for the packs base in `registry.region`, and an
 *    `aws.ecr.RepositoryCreationTemplate` (`appliedFors: ["CREATE_ON_PUSH"]`, prefix = the packs
 *    base) so that the per-pack repositories the binaries push to (`<base>/<pack>`: ECR needs one
 *    repository per path) get the same settings. Images go to ECR Public (`aws.ecrpublic.Repository`,
 *    through an `aws.Provider` in us-east-1, the only region of ECR Public), or, when
 *    `publicImages` is false, to a private repository plus a creation template like the packs.
 *    Settings of what is created:
 *      - tags MUTABLE: a retry (after a failure at push N) or a re-run pushes the same tags
 *        again, and ECR rejects any push to an existing tag of an IMMUTABLE repository, even of
 *        identical content (ImageTagAlreadyExistsException; aws/containers-roadmap #2179, #2380);
 *      - scan on push on the repositories (a creation template has no scan setting: that is the
 *        registry's scanning configuration), AES256 encryption;
 *      - no resource tags on the templates: tags there need a custom role (customRoleArn);
 *      - `protect` on the repositories when `protectContent` (default): `pulumi destroy` refuses
 *        until `protectContent` is turned off and applied; then `allowDeleteNonEmpty` maps to
 *        forceDelete / forceDestroy. Repositories created on push are not in the stack: destroy
 *        leaves them.
 *    ECR Public has no creation templates (nor create on push): only the base repository is
 *    created here; the per-image repositories under it are up to the setup binary, which gets
 *    the ECR_*_REGION variables (not verifiable here: no ECR stand-in).
 *  - generic: an existing registry; nothing is created.
 *
 * The outputs depend on what was created (projects, repositories, templates), so a run that uses
 * `setupTarget` starts only once they exist.
 */
import * as pulumi from "@pulumi/pulumi";
// The submodules only: `@pulumi/aws` as a whole loads ~300 modules and ~2,700 declaration files
// to type-check (bench/PROGRAM.md: -45% type-check time, -7% program time).
import * as awsEcr from "@pulumi/aws/ecr";
import * as awsEcrPublic from "@pulumi/aws/ecrpublic";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import type { EcrRegistrySettings, OciRegistrySettings, RegistryKind, RegistrySettings } from "../config";
import { REGISTRY_PASSWORD_ENV } from "../setup/binaryCommand";
import type { RegistryLogin } from "../setup/runScript";
import { SetupTarget } from "../setup/setupEnvironment";
import { HarborProject } from "./harborProject";

/** ECR Public exists only in this region. */
export const ECR_PUBLIC_REGION = "us-east-1";

export interface OciRegistryArgs {
    /** The registry settings (kind, endpoint or region, bases, credentials, CA). Required; `loadConfig().registry`. */
    registry: RegistrySettings;
    /** Harbor: delete projects that still hold repositories; ECR: forceDelete/forceDestroy. Default: `registry.allowDeleteNonEmpty` (config registryAllowDeleteNonEmpty). */
    allowDeleteNonEmpty?: boolean;
    /** `protect` the Harbor projects and ECR repositories from destroy and replacement. Default: `registry.protectContent` (config protectRegistryContent, else lifecycle). */
    protectContent?: boolean;
    /** ECR: provider of the private repositories and templates (their region is set per resource: `registry.region`). Default: the stack's default AWS provider. */
    awsProvider?: AwsProvider;
    /** ECR with public images: provider of the ECR Public repository; must be in us-east-1. Default: a child `aws.Provider` in us-east-1 with the stack's `aws:profile`. */
    ecrPublicProvider?: AwsProvider;
}

/** `palette-airgap:registry:OciRegistry`. */
export class OciRegistry extends pulumi.ComponentResource {
    public readonly kind: RegistryKind;
    /** Registry host of the packs: Harbor/generic endpoint, or `<account>.dkr.ecr.<region>.amazonaws.com`. */
    public readonly packRegistry: pulumi.Output<string>;
    /** Repository base of the packs, e.g. `spectro-packs`. */
    public readonly packBase: pulumi.Output<string>;
    /** Registry of the images: the endpoint, the private ECR host, or `public.ecr.aws/<alias>`. */
    public readonly imageRegistry: pulumi.Output<string>;
    /** Repository base of the images, e.g. `spectro-images`. */
    public readonly imageBase: pulumi.Output<string>;
    /** ECR: region of the packs registry; undefined otherwise. */
    public readonly packRegion: pulumi.Output<string | undefined>;
    /** ECR: region of the images registry (us-east-1 for ECR Public); undefined otherwise. */
    public readonly imageRegion: pulumi.Output<string | undefined>;
    /** What setupEnvironment() turns into the binary's variables (AirgapSetup/PackUploads `setupTarget`). */
    public readonly setupTarget: pulumi.Output<SetupTarget>;
    /** The logins before each run (AirgapSetup/PackUploads `logins`). */
    public readonly logins: pulumi.Output<RegistryLogin[]>;
    /** Harbor/generic: the registry CA file (config registryCaFile); undefined for ECR. */
    public readonly caFile: pulumi.Output<string | undefined>;
    /** Harbor/generic: skip TLS verification (config registryInsecure); false for ECR. */
    public readonly insecure: pulumi.Output<boolean>;
    /** Harbor/generic: the registry password (secret), for AirgapSetup/PackUploads `password`. Not a registered output. */
    public readonly password?: pulumi.Output<string>;
    /** harbor: the two projects. */
    public readonly harborProjects?: { packs: HarborProject; images: HarborProject };
    /** ecr: what was created. */
    public readonly ecr?: {
        packRepository: awsEcr.Repository;
        packTemplate: awsEcr.RepositoryCreationTemplate;
        /** ECR Public (publicImages true). */
        publicImageRepository?: awsEcrPublic.Repository;
        /** The us-east-1 provider created for ECR Public (absent when ecrPublicProvider was given). */
        publicProvider?: AwsProvider;
        /** Private images (publicImages false). */
        imageRepository?: awsEcr.Repository;
        imageTemplate?: awsEcr.RepositoryCreationTemplate;
    };

    constructor(name: string, args: OciRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("palette-airgap:registry:OciRegistry", name, {}, opts);
        const registry = args.registry;
        this.kind = registry.kind;
        let view: RegistryView;
        switch (registry.kind) {
            case "harbor": {
                const projects = this.harborProjectsFor(name, registry, args);
                this.harborProjects = projects;
                view = ociView(registry, pulumi.all([projects.packs.projectName, projects.images.projectName]));
                break;
            }
            case "generic":
                view = ociView(registry, pulumi.output([]));
                break;
            case "ecr": {
                const created = this.ecrRepositoriesFor(name, registry, args);
                this.ecr = created.resources;
                view = created.view;
                break;
            }
            default:
                throw new pulumi.RunError(`registryKind: ${JSON.stringify((registry as { kind: unknown }).kind)} is not harbor, ecr or generic`);
        }
        this.packRegistry = view.target.apply((t) => t.packRegistry);
        this.packBase = view.target.apply((t) => t.packBase);
        this.imageRegistry = view.target.apply((t) => t.imageRegistry);
        this.imageBase = view.target.apply((t) => t.imageBase);
        this.packRegion = view.target.apply((t) => (t.kind === "ecr" ? t.packRegion : undefined));
        this.imageRegion = view.target.apply((t) => (t.kind === "ecr" ? t.imageRegion : undefined));
        this.setupTarget = view.target;
        this.logins = view.logins;
        this.caFile = pulumi.output(registry.kind === "ecr" ? undefined : registry.caFile);
        this.insecure = pulumi.output(registry.kind === "ecr" ? false : registry.insecure);
        this.password = registry.kind === "ecr" ? undefined : registry.password;
        this.registerOutputs({
            kind: this.kind,
            packRegistry: this.packRegistry,
            packBase: this.packBase,
            imageRegistry: this.imageRegistry,
            imageBase: this.imageBase,
            packRegion: this.packRegion,
            imageRegion: this.imageRegion,
            setupTarget: this.setupTarget,
            logins: this.logins,
            caFile: this.caFile,
            insecure: this.insecure,
        });
    }

    /** Harbor: the packs project (private) and the images project (public). */
    private harborProjectsFor(name: string, registry: OciRegistrySettings, args: OciRegistryArgs): { packs: HarborProject; images: HarborProject } {
        const packsProject = harborProjectName(registry.packBase);
        const imagesProject = harborProjectName(registry.imageBase);
        if (packsProject === imagesProject) {
            throw new pulumi.RunError(
                `packBase/imageBase: "${registry.packBase}" and "${registry.imageBase}" are both in the Harbor project "${packsProject}", ` +
                    `but packs must be private and images public and Harbor's public flag is per project: ` +
                    `give them different first path segments, e.g. spectro-packs and spectro-images`,
            );
        }
        const common = {
            endpoint: registry.endpoint,
            username: registry.username,
            password: registry.password,
            caFile: registry.caFile,
            insecure: registry.insecure,
            allowDeleteNonEmpty: args.allowDeleteNonEmpty ?? registry.allowDeleteNonEmpty,
        };
        const protect = args.protectContent ?? registry.protectContent;
        return {
            packs: new HarborProject(`${name}-packs`, { ...common, projectName: packsProject, public: false }, { parent: this, protect }),
            images: new HarborProject(`${name}-images`, { ...common, projectName: imagesProject, public: true }, { parent: this, protect }),
        };
    }

    /** ECR: the packs repository and template; images in ECR Public, or private with a template. */
    private ecrRepositoriesFor(name: string, registry: EcrRegistrySettings, args: OciRegistryArgs): { view: RegistryView; resources: NonNullable<OciRegistry["ecr"]> } {
        const region = registry.region;
        const protect = args.protectContent ?? registry.protectContent;
        const forceDelete = args.allowDeleteNonEmpty ?? registry.allowDeleteNonEmpty;
        const privateOpts: pulumi.CustomResourceOptions = { parent: this, ...(args.awsProvider ? { provider: args.awsProvider } : {}) };
        const tags = { "managed-by": "palette-airgap", "palette-airgap-stack": pulumi.getStack() };

        const privateRepository = (suffix: string, base: string) =>
            new awsEcr.Repository(
                `${name}-${suffix}`,
                {
                    name: base,
                    region,
                    imageTagMutability: "MUTABLE",
                    imageScanningConfiguration: { scanOnPush: true },
                    encryptionConfigurations: [{ encryptionType: "AES256" }],
                    forceDelete,
                    tags,
                },
                { ...privateOpts, protect },
            );
        const createOnPush = (suffix: string, base: string, what: string) =>
            new awsEcr.RepositoryCreationTemplate(
                `${name}-${suffix}-on-push`,
                {
                    prefix: base,
                    appliedFors: ["CREATE_ON_PUSH"],
                    region,
                    description: `palette-airgap ${pulumi.getStack()}: the ${what} repositories pushed under ${base}/`,
                    imageTagMutability: "MUTABLE",
                    encryptionConfigurations: [{ encryptionType: "AES256" }],
                },
                privateOpts,
            );

        const packRepository = privateRepository("packs", registry.packBase);
        const packTemplate = createOnPush("packs", registry.packBase, "pack");
        const packRegistry = pulumi
            .all([packRepository.registryId, packTemplate.prefix])
            .apply(([registryId]) => ecrRegistryHost(registryId, region));
        const resources: NonNullable<OciRegistry["ecr"]> = { packRepository, packTemplate };

        let imageRegistry: pulumi.Output<string>;
        let imageRegion: string;
        if (registry.publicImages) {
            const publicProvider = args.ecrPublicProvider
                ? undefined
                : new AwsProvider(
                      `${name}-ecr-public`,
                      { region: ECR_PUBLIC_REGION, profile: new pulumi.Config("aws").get("profile") },
                      { parent: this },
                  );
            const publicImageRepository = new awsEcrPublic.Repository(
                `${name}-images`,
                { repositoryName: registry.imageBase, region: ECR_PUBLIC_REGION, forceDestroy: forceDelete, tags },
                { parent: this, provider: args.ecrPublicProvider ?? publicProvider, protect },
            );
            imageRegistry = publicImageRepository.repositoryUri.apply(ecrPublicRegistry);
            imageRegion = ECR_PUBLIC_REGION;
            resources.publicImageRepository = publicImageRepository;
            resources.publicProvider = publicProvider;
        } else {
            const imageRepository = privateRepository("images", registry.imageBase);
            const imageTemplate = createOnPush("images", registry.imageBase, "image");
            imageRegistry = pulumi
                .all([imageRepository.registryId, imageTemplate.prefix])
                .apply(([registryId]) => ecrRegistryHost(registryId, region));
            imageRegion = region;
            resources.imageRepository = imageRepository;
            resources.imageTemplate = imageTemplate;
        }

        const target: pulumi.Output<SetupTarget> = pulumi.all([packRegistry, imageRegistry]).apply(([packHost, imageHost]) => ({
            kind: "ecr" as const,
            imageRegistry: imageHost,
            imageBase: registry.imageBase,
            imageRegion,
            packRegistry: packHost,
            packBase: registry.packBase,
            packRegion: region,
        }));
        const logins = pulumi.all([packRegistry, imageRegistry]).apply(([packHost, imageHost]) => {
            const list: RegistryLogin[] = [{ kind: "ecr", registry: packHost, region }];
            if (registry.publicImages) {
                list.push({ kind: "ecr-public", registry: imageHost });
            } else if (imageHost !== packHost) {
                list.push({ kind: "ecr", registry: imageHost, region });
            }
            return list;
        });
        return { view: { target, logins }, resources };
    }
}

/** The Harbor project of a repository base: its first path segment (`palette/packs` -> `palette`). */
export function harborProjectName(base: string): string {
    return base.split("/")[0];
}

/** The private ECR registry host of an account in a region (China regions end in .amazonaws.com.cn). */
export function ecrRegistryHost(registryId: string, region: string): string {
    if (!/^\d{12}$/.test(registryId)) {
        throw new Error(`OciRegistry: ECR registry id ${JSON.stringify(registryId)} is not a 12-digit AWS account id`);
    }
    return `${registryId}.dkr.ecr.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

/** `public.ecr.aws/<alias>/<repository>` (the ECR Public repositoryUri) -> `public.ecr.aws/<alias>`. */
export function ecrPublicRegistry(repositoryUri: string): string {
    const [host, alias] = repositoryUri.replace(/^https:\/\//, "").split("/");
    if (host !== "public.ecr.aws" || !alias) {
        throw new Error(`OciRegistry: ${JSON.stringify(repositoryUri)} is not an ECR Public repository URI (public.ecr.aws/<alias>/<name>)`);
    }
    return `${host}/${alias}`;
}

interface RegistryView {
    target: pulumi.Output<SetupTarget>;
    logins: pulumi.Output<RegistryLogin[]>;
}

/** Harbor and generic: packs and images share the endpoint; `ready` carries the dependency on what was created. */
function ociView(registry: OciRegistrySettings, ready: pulumi.Output<unknown>): RegistryView {
    const target = ready.apply(
        (): SetupTarget => ({
            kind: "oci",
            imageRegistry: registry.endpoint,
            imageBase: registry.imageBase,
            packRegistry: registry.endpoint,
            packBase: registry.packBase,
        }),
    );
    const logins = ready.apply((): RegistryLogin[] => [
        { kind: "password", registry: registry.endpoint, username: registry.username, passwordEnv: REGISTRY_PASSWORD_ENV },
    ]);
    return { target, logins };
}
