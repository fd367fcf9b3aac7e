/**
 * HarborProject: one Harbor project as a custom resource of the palette-airgap provider plugin
 * (Harbor has no installable Pulumi provider here). Type token `palette-airgap:registry:HarborProject`.
 *
 *     new HarborProject("spectro-packs", {
 *         endpoint: cfg.registryEndpoint, username: cfg.registryUsername,
 *         password: cfg.registryPassword,            // pulumi.Output<string>, secret
 *         caFile: cfg.registryCaFile, insecure: cfg.registryInsecure,
 *         projectName: "spectro-packs", public: false,
 *         allowDeleteNonEmpty: cfg.registryAllowDeleteNonEmpty,
 *     }, { parent: this });
 */
import * as pulumi from "@pulumi/pulumi";
import { HARBOR_PROJECT_TOKEN } from "../customResourceTokens";

export interface HarborProjectArgs {
    /** Harbor host[:port]; https://host[:port] is accepted, http:// is refused. Required (registryEndpoint). */
    endpoint: pulumi.Input<string>;
    /** Harbor user allowed to create projects. Required (registryUsername). */
    username: pulumi.Input<string>;
    /** Password of `username`; stored as a secret in the state. Required (registryPassword). */
    password: pulumi.Input<string>;
    /** Absolute path of the PEM CA certificate that signed Harbor's certificate. Default: unset (system trust store) (registryCaFile). */
    caFile?: pulumi.Input<string | undefined>;
    /** Skip TLS verification of Harbor (HTTPS still required). Default: false (registryInsecure). */
    insecure?: pulumi.Input<boolean | undefined>;
    /** Harbor project name, e.g. spectro-packs. Required; changing it replaces the project. */
    projectName: pulumi.Input<string>;
    /** Whether the project is public (spectro-images) or private (spectro-packs). Required. */
    public: pulumi.Input<boolean>;
    /** Let delete/replace remove the project while it still holds repositories. Default: false (registryAllowDeleteNonEmpty). */
    allowDeleteNonEmpty?: pulumi.Input<boolean | undefined>;
}

// Declared where the plugin can read it without loading this module (and the SDK).
export { HARBOR_PROJECT_TOKEN };

export class HarborProject extends pulumi.CustomResource {
    /** Harbor's numeric project id. */
    declare public readonly projectId: pulumi.Output<number>;
    /** The project's name in Harbor. */
    declare public readonly projectName: pulumi.Output<string>;
    /** Whether the project is public (after a refresh: Harbor's actual flag). */
    declare public readonly public: pulumi.Output<boolean>;
    /** Repositories in the project when last seen (create, update or refresh). */
    declare public readonly repoCount: pulumi.Output<number>;
    /** True when the project already existed and was adopted rather than created. */
    declare public readonly adopted: pulumi.Output<boolean>;

    constructor(name: string, args: HarborProjectArgs, opts?: pulumi.CustomResourceOptions) {
        const props: Record<string, pulumi.Input<unknown> | undefined> = {
            endpoint: args.endpoint,
            username: args.username,
            password: pulumi.secret(args.password),
            caFile: args.caFile,
            insecure: pulumi.output(args.insecure).apply((value) => value ?? false),
            projectName: args.projectName,
            public: args.public,
            allowDeleteNonEmpty: pulumi.output(args.allowDeleteNonEmpty).apply((value) => value ?? false),
            // Outputs only: declared so that the SDK resolves them on this object.
            projectId: undefined,
            repoCount: undefined,
            adopted: undefined,
        };
        super(HARBOR_PROJECT_TOKEN, name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }));
    }
}
