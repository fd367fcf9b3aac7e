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
 *    project, so on one Harbor the two bases must start with different segments). When the
 *    images live on a registry of their own (`registry.images`, config imageRegistry*), each
 *    project is created on its own registry, with that registry's credentials and CA, and only
 *    where that registry is a Harbor. They refuse to be deleted
 *    while they hold repositories unless `allowDeleteNonEmpty`, and are protected like the ECR
 *    repositories when `protectContent`.
 *  - ecr: an `aws.ecr.Repository` for the packs base in `registry.region`, and an
 *    `aws.ecr.RepositoryCreationTemplate` (`appliedFors: ["CREATE_ON_PUSH"]`, prefix = the packs
 *    base) so that the per-pack repositories the binaries push to (`<base>/<pack>`: ECR needs one
 *    repository per path) get the same settings. Images go to ECR Public (`aws.ecrpublic.Repository`,
 *    through an `aws.Provider` in us-east-1, the only region of ECR Public), or, when
 *    `publicImages` is false, to a private repository plus a creation template like the packs,
 *    in `registry.imageRegion` (config ecrImageRegion, default ecrRegion).
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
 * ECR registry hosts are `<account>.dkr.ecr.<region>.amazonaws.com`. The program resolves the
 * account before declaring anything (`ecrAccountId()`, `aws.getCallerIdentity`) and passes it as
 * `ecrAccountId`: an account id that is not 12 digits is then one RunError before any resource
 * exists. Without `ecrAccountId` the hosts come from each repository's `registryId` once created;
 * a bad one then rejects the Outputs that use it (a RunError naming the repository, which Pulumi
 * reports once, but only after the repositories were created).
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
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import type { EcrRegistrySettings, OciConnectionSettings, OciRegistrySettings, RegistryKind, RegistrySettings } from "../config";
import { type BinaryRunArgs, IMAGE_REGISTRY_PASSWORD_ENV, REGISTRY_PASSWORD_ENV } from "../setup/binaryCommand";
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
    /** ECR: the AWS account (12 digits) the private repositories are created in, from `ecrAccountId()`. Default: each repository's registryId, once created. */
    ecrAccountId?: string;
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
    /** Harbor/generic: the packs registry's CA file (config registryCaFile); undefined for ECR. */
    public readonly caFile: pulumi.Output<string | undefined>;
    /** Harbor/generic: skip TLS verification of the packs registry (config registryInsecure); false for ECR. */
    public readonly insecure: pulumi.Output<boolean>;
    /** Harbor/generic: the packs registry password (secret), for AirgapSetup/PackUploads `password`. Not a registered output. */
    public readonly password?: pulumi.Output<string>;
    /** Kind of the images registry: harbor or generic (config imageRegistryKind, default registryKind), or ecr. */
    public readonly imageKind: RegistryKind;
    /** Harbor/generic: the images registry's CA file (config imageRegistryCaFile, default registryCaFile); undefined for ECR. */
    public readonly imageCaFile: pulumi.Output<string | undefined>;
    /** Harbor/generic: skip TLS verification of the images registry (config imageRegistryInsecure, default registryInsecure); false for ECR. */
    public readonly imageInsecure: pulumi.Output<boolean>;
    /** Harbor/generic: user of the images registry (config imageRegistryUsername, default registryUsername). */
    public readonly imageUsername?: string;
    /**
     * Harbor/generic with a separate images registry: its password (secret), for AirgapSetup/PackUploads
     * `imagePassword`; undefined when the images share the packs registry (and its login). Not a registered output.
     */
    public readonly imagePassword?: pulumi.Output<string>;
    /** What every setup and pack run needs from the registries: spread into AirgapSetup/PackUploads args. */
    public readonly runArgs: Pick<BinaryRunArgs, "setupTarget" | "logins" | "caFile" | "insecure" | "password" | "imagePassword" | "destinations">;
    /** harbor: the projects, each on its own registry where that registry is a Harbor. */
    public readonly harborProjects?: { packs?: HarborProject; images?: HarborProject };
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
            case "harbor":
            case "generic": {
                const projects = this.harborProjectsFor(name, registry, args);
                if (projects.packs || projects.images) {
                    this.harborProjects = projects;
                }
                view = ociView(registry, pulumi.all([projects.packs?.projectName, projects.images?.projectName]));
                break;
            }
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
        const images = registry.kind === "ecr" ? undefined : imagesConnection(registry);
        this.imageKind = images?.kind ?? registry.kind;
        this.imageCaFile = pulumi.output(images?.caFile);
        this.imageInsecure = pulumi.output(images?.insecure ?? false);
        this.imageUsername = images?.username;
        this.imagePassword = registry.kind !== "ecr" && registry.images ? registry.images.password : undefined;
        const created = [this.harborProjects?.packs, this.harborProjects?.images, this.ecr?.packRepository, this.ecr?.imageRepository, this.ecr?.publicImageRepository]
            .filter((resource): resource is NonNullable<typeof resource> => resource !== undefined)
            .map((resource) => resource.id);
        this.runArgs = {
            setupTarget: this.setupTarget,
            logins: this.logins,
            caFile: this.caFile,
            insecure: this.insecure,
            password: this.password,
            imagePassword: this.imagePassword,
            ...(created.length > 0 ? { destinations: pulumi.all(created) } : {}),
        };
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
            imageKind: this.imageKind,
            imageCaFile: this.imageCaFile,
            imageInsecure: this.imageInsecure,
        });
    }

    /**
     * Harbor: the packs project (private) on the packs registry and the images project (public) on
     * the images registry, each where its registry is a Harbor.
     */
    private harborProjectsFor(name: string, registry: OciRegistrySettings, args: OciRegistryArgs): { packs?: HarborProject; images?: HarborProject } {
        const images = imagesConnection(registry);
        const packsProject = harborProjectName(registry.packBase);
        const imagesProject = harborProjectName(registry.imageBase);
        if (packsProject === imagesProject && registry.kind === "harbor" && !registry.images) {
            throw new pulumi.RunError(
                `packBase/imageBase: "${registry.packBase}" and "${registry.imageBase}" are both in the Harbor project "${packsProject}", ` +
                    `but packs must be private and images public and Harbor's public flag is per project: ` +
                    `give them different first path segments, e.g. spectro-packs and spectro-images`,
            );
        }
        const allowDeleteNonEmpty = args.allowDeleteNonEmpty ?? registry.allowDeleteNonEmpty;
        const protect = args.protectContent ?? registry.protectContent;
        const project = (suffix: string, connection: OciConnectionSettings, projectName: string, isPublic: boolean) =>
            new HarborProject(
                `${name}-${suffix}`,
                {
                    endpoint: connection.endpoint,
                    username: connection.username,
                    password: connection.password,
                    caFile: connection.caFile,
                    insecure: connection.insecure,
                    allowDeleteNonEmpty,
                    projectName,
                    public: isPublic,
                },
                { parent: this, protect },
            );
        return {
            packs: registry.kind === "harbor" ? project("packs", registry, packsProject, false) : undefined,
            images: images.kind === "harbor" ? project("images", images, imagesProject, true) : undefined,
        };
    }

    /** ECR: the packs repository and template; images in ECR Public, or private with a template. */
    private ecrRepositoriesFor(name: string, registry: EcrRegistrySettings, args: OciRegistryArgs): { view: RegistryView; resources: NonNullable<OciRegistry["ecr"]> } {
        const region = registry.region;
        if (args.ecrAccountId !== undefined) {
            checkAccountId(args.ecrAccountId, "ecrAccountId");
        }
        const protect = args.protectContent ?? registry.protectContent;
        const forceDelete = args.allowDeleteNonEmpty ?? registry.allowDeleteNonEmpty;
        const privateOpts: pulumi.CustomResourceOptions = { parent: this, ...(args.awsProvider ? { provider: args.awsProvider } : {}) };
        const tags = { "managed-by": "palette-airgap", "palette-airgap-stack": pulumi.getStack() };

        const privateRepository = (suffix: string, base: string, region: string) =>
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
        const createOnPush = (suffix: string, base: string, what: string, region: string) =>
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

        const packRepository = privateRepository("packs", registry.packBase, region);
        const packTemplate = createOnPush("packs", registry.packBase, "pack", region);
        const packRegistry = ecrRegistryOf(packRepository, packTemplate, region, `the packs repository ${registry.packBase}`, args.ecrAccountId);
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
            imageRegion = registry.imageRegion || region;
            const imageRepository = privateRepository("images", registry.imageBase, imageRegion);
            const imageTemplate = createOnPush("images", registry.imageBase, "image", imageRegion);
            imageRegistry = ecrRegistryOf(imageRepository, imageTemplate, imageRegion, `the images repository ${registry.imageBase}`, args.ecrAccountId);
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
                list.push({ kind: "ecr", registry: imageHost, region: imageRegion });
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

/**
 * The private ECR registry host of an account in a region (China regions end in .amazonaws.com.cn).
 * A registry id that is not a 12-digit account (a provider or mock returning something else) is a
 * RunError: Pulumi prints it as one message, naming `what`, not as a stack trace.
 */
export function ecrRegistryHost(registryId: string, region: string, what = "the ECR repository"): string {
    checkAccountId(registryId, `the registry id of ${what} in ${region}`);
    return `${registryId}.dkr.ecr.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

/**
 * ECR: the AWS account of the stack's default AWS provider (`aws.getCallerIdentity`), checked to
 * be 12 digits; undefined for Harbor/generic. Called by the program before any resource is
 * declared (in preview too), so a wrong account is one clear error, before anything exists.
 */
export async function ecrAccountId(registry: RegistrySettings, opts?: pulumi.InvokeOptions): Promise<string | undefined> {
    if (registry.kind !== "ecr") {
        return undefined;
    }
    let accountId: unknown;
    try {
        accountId = (await getCallerIdentity({}, opts)).accountId;
    } catch (error) {
        const detail = String((error as Error)?.message ?? error).replace(/\s+/g, " ").trim();
        throw new pulumi.RunError(
            `registryKind ecr: cannot read the AWS account (aws.getCallerIdentity)${detail ? `: ${detail}` : ""}: ` +
                `check the AWS credentials (environment, profile or role) the stack uses`,
        );
    }
    checkAccountId(accountId, "the AWS account of the stack's credentials (aws.getCallerIdentity)");
    return accountId as string;
}

/** A RunError unless `value` is a 12-digit AWS account id. */
function checkAccountId(value: unknown, what: string): void {
    if (typeof value !== "string" || !/^\d{12}$/.test(value)) {
        throw new pulumi.RunError(
            `OciRegistry: ${what} is ${JSON.stringify(value)}, not a 12-digit AWS account id, so no ECR registry host ` +
                `(<account>.dkr.ecr.<region>.amazonaws.com) can be built: check the AWS credentials and region the aws provider uses ` +
                `(aws sts get-caller-identity shows the account)`,
        );
    }
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

/** The images registry's connection: `registry.images`, or the packs registry itself. */
function imagesConnection(registry: OciRegistrySettings): OciConnectionSettings {
    return registry.images ?? registry;
}

/**
 * The host of a private ECR repository's registry, once the repository and its creation template
 * exist: from `accountId` (checked already) when given, else from the repository's registryId (a
 * bad one rejects this Output with a RunError; see the file comment).
 */
function ecrRegistryOf(
    repository: awsEcr.Repository,
    template: awsEcr.RepositoryCreationTemplate,
    region: string,
    what: string,
    accountId: string | undefined,
): pulumi.Output<string> {
    return pulumi
        .all([repository.registryId, template.prefix])
        .apply(([registryId]) => ecrRegistryHost(accountId ?? registryId, region, what));
}

/**
 * Harbor and generic: the packs registry and the images registry (the same one unless
 * `registry.images`), one password login each, with its own password variable, CA and insecure
 * flag; `ready` carries the dependency on what was created.
 */
function ociView(registry: OciRegistrySettings, ready: pulumi.Output<unknown>): RegistryView {
    const images = imagesConnection(registry);
    const target = ready.apply(
        (): SetupTarget => ({
            kind: "oci",
            imageRegistry: images.endpoint,
            imageBase: registry.imageBase,
            packRegistry: registry.endpoint,
            packBase: registry.packBase,
        }),
    );
    const login = (connection: OciConnectionSettings, passwordEnv: string): RegistryLogin => ({
        kind: "password",
        registry: connection.endpoint,
        username: connection.username,
        passwordEnv,
        ...(connection.caFile ? { caFile: connection.caFile } : {}),
        ...(connection.insecure ? { insecure: true } : {}),
    });
    const logins = ready.apply((): RegistryLogin[] =>
        registry.images
            ? [login(registry, REGISTRY_PASSWORD_ENV), login(registry.images, IMAGE_REGISTRY_PASSWORD_ENV)]
            : [login(registry, REGISTRY_PASSWORD_ENV)],
    );
    return { target, logins };
}

/**
 * What a setup or pack run constructed alone needs to push to registries that exist already
 * (nothing is created): harbor/generic from the settings, as OciRegistry passes them; private
 * ECR from the account (`ecrAccountId()`). ECR Public's registry (`public.ecr.aws/<alias>`) is
 * known only from a repository, so with `publicImages` this returns undefined.
 */
export function existingRegistryRunArgs(registry: RegistrySettings, accountId: string | undefined): OciRegistry["runArgs"] | undefined {
    if (registry.kind !== "ecr") {
        const view = ociView(registry, pulumi.output(undefined));
        const images = registry.images;
        return { setupTarget: view.target, logins: view.logins, caFile: registry.caFile, insecure: registry.insecure, password: registry.password, imagePassword: images?.password };
    }
    if (registry.publicImages || accountId === undefined) {
        return undefined;
    }
    const packRegistry = ecrRegistryHost(accountId, registry.region, `the packs registry`);
    const imageRegistry = ecrRegistryHost(accountId, registry.imageRegion, `the images registry`);
    const logins: RegistryLogin[] = [{ kind: "ecr", registry: packRegistry, region: registry.region }];
    if (imageRegistry !== packRegistry) logins.push({ kind: "ecr", registry: imageRegistry, region: registry.imageRegion });
    const target: SetupTarget = {
        kind: "ecr", imageRegistry, imageBase: registry.imageBase, imageRegion: registry.imageRegion, packRegistry, packBase: registry.packBase, packRegion: registry.region,
    };
    return { setupTarget: pulumi.output(target), logins: pulumi.output(logins), caFile: undefined, insecure: false, password: undefined, imagePassword: undefined };
}
