/**
 * Construct: the components built inside the plugin for a program in another language (the
 * engine sends the inputs, this process registers the component and its children with the
 * engine, and returns the component's URN and outputs).
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, PROJECT_NAME } from "../components/configKeys";
import type { ValidationArgs, ValidationRegistryArgs, ValidationTemplateArgs } from "../components/validate/validation";
import type { OvaTemplateArgs } from "../components/vsphere/ovaTemplate";
import {
    AIRGAP_ENVIRONMENT_TOKEN, AIRGAP_SETUP_TOKEN, MANIFEST_FILE_SERVER_TOKEN, OBJECT_TYPES, OCI_REGISTRY_TOKEN, OVA_TEMPLATE_TOKEN, PART_INPUT_KEYS, TEMPLATES_FOLDER_TOKEN, VALIDATION_TOKEN,
} from "./schema/components";

/*
 * The components' modules (and the AWS, Command and Docker SDKs behind them) load at the first
 * Construct, not at start-up: a plugin serving only the custom resources starts without them.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const lazy = {
    airgapEnvironment: () => require("../components/airgapEnvironment") as typeof import("../components/airgapEnvironment"),
    config: () => require("../components/config") as typeof import("../components/config"),
    environmentOutputs: () => require("../components/environmentOutputs") as typeof import("../components/environmentOutputs"),
    airgapSetup: () => require("../components/setup/airgapSetup") as typeof import("../components/setup/airgapSetup"),
    packUploads: () => require("../components/setup/packUploads") as typeof import("../components/setup/packUploads"),
    setupEnvironment: () => require("../components/setup/setupEnvironment") as typeof import("../components/setup/setupEnvironment"),
    manifestFileServer: () => require("../components/fileserver/manifestFileServer") as typeof import("../components/fileserver/manifestFileServer"),
    vsphereSdk: () => require("../components/vsphere/vsphereSdk") as typeof import("../components/vsphere/vsphereSdk"),
    runPreflight: () => require("../components/setup/runPreflight") as typeof import("../components/setup/runPreflight"),
    ociRegistry: () => require("../components/registry/ociRegistry") as typeof import("../components/registry/ociRegistry"),
    validation: () => require("../components/validate/validation") as typeof import("../components/validate/validation"),
    ovaTemplate: () => require("../components/vsphere/ovaTemplate") as typeof import("../components/vsphere/ovaTemplate"),
    templatesFolder: () => require("../components/vsphere/templatesFolder") as typeof import("../components/vsphere/templatesFolder"),
};
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    setAllConfig(config: Record<string, string>, secretKeys: string[]): void;
    isConfigSecret(key: string): boolean;
};
/* eslint-enable @typescript-eslint/no-var-requires */

export interface ConstructedComponent {
    resource: pulumi.ComponentResource;
    /** The component's outputs, named as in the schema. */
    state: pulumi.Inputs;
}

type Construct = (name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions) => Promise<ConstructedComponent>;

/** What an input holds once resolved: its value, whether it is known (not during a preview of a new resource's output) and secret. */
interface Resolved {
    value: unknown;
    known: boolean;
    secret: boolean;
}

async function resolve(input: unknown): Promise<Resolved> {
    const output = pulumi.output(input) as unknown as { promise(): Promise<unknown>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    const [value, known, secret] = await Promise.all([output.promise(), output.isKnown, output.isSecret]);
    return { value, known, secret };
}

/** A plain value the component needs at construction (it decides names or options): must be known. */
async function plainValue<T>(inputs: pulumi.Inputs, key: string, why: string): Promise<T | undefined> {
    if (inputs[key] === undefined) return undefined;
    const { value, known } = await resolve(inputs[key]);
    if (!known) {
        throw new pulumi.InputPropertyError({ propertyPath: key, reason: `must be known when the program runs (${why}); give a value or a config value, not the output of a resource created in the same update` });
    }
    return (value ?? undefined) as T | undefined;
}

/**
 * AirgapEnvironment from the stack configuration's keys: the inputs become this component's
 * config (`palette-airgap:<key>`, secrets as secrets), loadConfig() validates them exactly as
 * for a stack file (a ConfigError becomes one error per property), preflight checks this
 * machine, then the component is built as index.ts builds it.
 */
async function constructAirgapEnvironment(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const settings = await settingsFromInputs(AIRGAP_ENVIRONMENT_TOKEN, name, inputs, () => lazy.config().loadConfig());
    await lazy.runPreflight().runPreflight(settings, { loginTool: settings.setup.loginTool, minFreeGb: settings.setup.minFreeGb });
    // ECR: the account of the registry hosts, checked before any resource exists (as index.ts does).
    const ecrAccountId = await lazy.ociRegistry().ecrAccountId(settings.registry);
    const environment = new (lazy.airgapEnvironment().AirgapEnvironment)(name, { ...settings, ecrAccountId }, options);
    return { resource: environment, state: lazy.environmentOutputs().environmentOutputs(environment) };
}

/**
 * Settings from config-key inputs: the inputs become this component's config
 * (`palette-airgap:<key>`, secrets as secrets) and `load` (loadConfig() or a section of it)
 * validates them exactly as for a stack file; a ConfigError becomes one error per property.
 * Nothing is registered before this returns.
 */
async function settingsFromInputs<T>(token: string, name: string, inputs: pulumi.Inputs, load: () => T): Promise<T> {
    const secretSpecs = new Set(CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key));
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    // The caller's other config (aws:profile, ...) stays readable by the children.
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(`${PROJECT_NAME}:`)) continue;
        config[key] = value;
        if (runtimeConfig.isConfigSecret(key)) secretKeys.push(key);
    }
    const unknown: pulumi.InputPropertyErrorDetails[] = [];
    for (const [key, input] of Object.entries(inputs)) {
        const { value, known, secret } = await resolve(input);
        if (!known) {
            unknown.push({ propertyPath: key, reason: "must be known when the program runs (these inputs are settings, validated before anything is created); give a value or a config value" });
            continue;
        }
        if (value === undefined || value === null) continue;
        const fullKey = `${PROJECT_NAME}:${key}`;
        config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret || secretSpecs.has(key)) secretKeys.push(fullKey);
    }
    if (unknown.length > 0) {
        throw new pulumi.InputPropertiesError({ message: `${token} ${name}: ${unknown.length} input(s) not known`, errors: unknown });
    }
    runtimeConfig.setAllConfig(config, secretKeys);
    const { ConfigError } = lazy.config();
    try {
        return load();
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new pulumi.InputPropertiesError({
                message: error.message.replace(/^Invalid stack configuration/, `Invalid inputs of ${token} ${name}`).replace(/^(\s+- )palette-airgap:/gm, "$1"),
                errors: error.problems.map((problem) => ({ propertyPath: problem.key.replace(`${PROJECT_NAME}:`, ""), reason: problem.message })),
            });
        }
        throw error;
    }
}

/** The registry alone: its keys (and lifecycle), validated as loadConfig() does, then OciRegistry as AirgapEnvironment builds it. */
async function constructOciRegistry(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const settings = await settingsFromInputs(OCI_REGISTRY_TOKEN, name, inputs, () => lazy.config().loadConfigSection("registry", PART_INPUT_KEYS[OCI_REGISTRY_TOKEN], OCI_REGISTRY_TOKEN));
    const ecrAccountId = await lazy.ociRegistry().ecrAccountId(settings.registry);
    const registry = new (lazy.ociRegistry().OciRegistry)(name, { registry: settings.registry, ecrAccountId }, options);
    return {
        resource: registry,
        state: {
            kind: registry.kind, imageKind: registry.imageKind,
            packRegistry: registry.packRegistry, packBase: registry.packBase, imageRegistry: registry.imageRegistry, imageBase: registry.imageBase,
            packRegion: registry.packRegion, imageRegion: registry.imageRegion,
            caFile: registry.caFile, insecure: registry.insecure, imageCaFile: registry.imageCaFile, imageInsecure: registry.imageInsecure,
            setupEnvironment: registry.setupTarget.apply(lazy.setupEnvironment().setupEnvironment),
        },
    };
}

/**
 * The setup run alone, then its pack uploads (children of the run): the registry connection and
 * setup keys, validated as loadConfig() does, preflight, then the runs against the registries
 * as they are (nothing is created there).
 */
async function constructAirgapSetup(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const settings = await settingsFromInputs(AIRGAP_SETUP_TOKEN, name, inputs, () => lazy.config().loadConfigSection("setup", PART_INPUT_KEYS[AIRGAP_SETUP_TOKEN], AIRGAP_SETUP_TOKEN));
    const registryModule = lazy.ociRegistry();
    if (settings.registry.kind === "ecr" && settings.registry.publicImages) {
        throw new pulumi.InputPropertyError({
            propertyPath: "ecrPublicImages",
            reason: "is true, but the ECR Public registry (public.ecr.aws/<alias>) is known only from the repository that AirgapEnvironment or OciRegistry creates; construct palette-airgap:index:AirgapEnvironment, or set ecrPublicImages false (private images)",
        });
    }
    await lazy.runPreflight().runPreflight(settings, { loginTool: settings.setup.loginTool, minFreeGb: settings.setup.minFreeGb });
    const run = {
        ...registryModule.existingRegistryRunArgs(settings.registry, await registryModule.ecrAccountId(settings.registry))!,
        loginTool: settings.setup.loginTool,
        maxAttempts: settings.setup.maxAttempts,
        attemptTimeoutMinutes: settings.setup.attemptTimeoutMinutes,
    };
    const setup = new (lazy.airgapSetup().AirgapSetup)(name, { setup: settings.setup, ...run }, options);
    const packs = new (lazy.packUploads().PackUploads)(
        `${name}-packs`,
        // After the run's command: depending on the component itself would wait for this very child.
        { packBinaries: settings.setup.packBinaries, workDir: settings.setup.workDir, after: setup.command, concurrency: settings.setup.packConcurrency, ...run },
        { parent: setup },
    );
    return {
        resource: setup,
        state: {
            binarySha256: setup.binarySha256, manifestsZip: setup.manifestsZip, version: setup.version, attempts: setup.attempts,
            logFile: setup.logFile, logDir: setup.logDir, packs: packs.summary,
        },
    };
}

/**
 * The manifest file server alone: the file-server keys (and, in vm mode, the vSphere keys that
 * place the VM), validated as loadConfig() does, the file server's preflight (ssh, TLS files), then
 * ManifestFileServer publishing `manifestsZip`.
 * vm mode: the vSphere provider is registered next to the component, as AirgapEnvironment does.
 */
async function constructManifestFileServer(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const { manifestsZip, manifestsZipSha256, ...keys } = inputs;
    if (manifestsZip === undefined || manifestsZip === null) {
        throw new pulumi.InputPropertyError({ propertyPath: "manifestsZip", reason: "is required: the spectro-manifests zip to publish, e.g. an AirgapSetup's manifestsZip output" });
    }
    const settings = await settingsFromInputs(MANIFEST_FILE_SERVER_TOKEN, name, keys, () =>
        lazy.config().loadConfigSection("fileServer", PART_INPUT_KEYS[MANIFEST_FILE_SERVER_TOKEN], MANIFEST_FILE_SERVER_TOKEN),
    );
    // This machine's part (ssh for the zip's copy, the TLS files), before anything is created.
    await lazy.runPreflight().runFileServerPreflight(settings.fileServer);
    const vsphere = settings.vsphere;
    const provider = vsphere
        ? new (lazy.vsphereSdk().VsphereProvider)(
              `${name}-vsphere`,
              { vsphereServer: vsphere.server, user: vsphere.user, password: vsphere.password, allowUnverifiedSsl: vsphere.allowUnverifiedSsl },
              { parent: options.parent },
          )
        : undefined;
    const server = new (lazy.manifestFileServer().ManifestFileServer)(
        name,
        { settings: settings.fileServer, vsphere, provider, manifestsZip, manifestsZipSha256 },
        options,
    );
    return { resource: server, state: { scarUrl: server.scarUrl, ipAddress: server.ipAddress, webRoot: server.webRoot, manifestsSha256: server.manifestsSha256 } };
}

async function constructTemplatesFolder(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const folder = new (lazy.templatesFolder().TemplatesFolder)(
        name,
        { datacenter: inputs.datacenter, path: inputs.path, retainOnDelete: await plainValue<boolean>(inputs, "retainOnDelete", "it is a resource option") },
        options,
    );
    return { resource: folder, state: { datacenterId: folder.datacenterId, path: folder.path, inventoryPath: folder.inventoryPath } };
}

async function constructOvaTemplate(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const source = await plainValue<string>(inputs, "source", "the template name derives from it");
    if (!source) {
        throw new pulumi.InputPropertyError({ propertyPath: "source", reason: "is required: an absolute path or http(s) URL of the OVA, e.g. /srv/ova/u-2204-0-k-12510-0.ova" });
    }
    const args: OvaTemplateArgs = {
        ...(inputs as Omit<OvaTemplateArgs, "source" | "templateName">),
        source,
        templateName: await plainValue<string>(inputs, "templateName", "it names the template"),
    };
    const template = new (lazy.ovaTemplate().OvaTemplate)(name, args, options);
    return { resource: template, state: { templateName: template.templateName, moid: template.moid, inventoryPath: template.inventoryPath, ovaSha256: template.ovaSha256 } };
}

/**
 * An object input whose fields the component reads one by one. A plain object keeps its fields
 * (each may be an Output); an object that arrived as one Output (secret or from another
 * resource) is split into one Output per field, each keeping the whole's secrecy and dependencies.
 */
function fieldsOf<T>(input: unknown, typeToken: string): T | undefined {
    if (input === undefined || input === null) return undefined;
    if (!pulumi.Output.isInstance(input)) return input as T;
    const whole = pulumi.output(input) as pulumi.Output<Record<string, unknown> | undefined>;
    const fields: Record<string, pulumi.Output<unknown>> = {};
    for (const key of Object.keys(OBJECT_TYPES[typeToken].properties)) {
        fields[key] = whole.apply((value) => value?.[key]);
    }
    return fields as T;
}

async function constructValidation(name: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<ConstructedComponent> {
    const args: ValidationArgs = {
        scarUrl: inputs.scarUrl,
        scarCaFile: inputs.scarCaFile,
        scarInsecure: inputs.scarInsecure,
        registry: fieldsOf<ValidationRegistryArgs>(inputs.registry, "palette-airgap:validate:ValidationRegistry"),
        template: fieldsOf<ValidationTemplateArgs>(inputs.template, "palette-airgap:validate:ValidationTemplate"),
        triggers: inputs.triggers as ValidationArgs["triggers"],
    };
    const validation = new (lazy.validation().Validation)(name, args, options);
    return { resource: validation, state: { report: validation.report, passed: validation.passed } };
}

/** Components by token. */
export const COMPONENTS: ReadonlyMap<string, Construct> = new Map<string, Construct>([
    [AIRGAP_ENVIRONMENT_TOKEN, constructAirgapEnvironment],
    [TEMPLATES_FOLDER_TOKEN, constructTemplatesFolder],
    [OVA_TEMPLATE_TOKEN, constructOvaTemplate],
    [VALIDATION_TOKEN, constructValidation],
    [OCI_REGISTRY_TOKEN, constructOciRegistry],
    [AIRGAP_SETUP_TOKEN, constructAirgapSetup],
    [MANIFEST_FILE_SERVER_TOKEN, constructManifestFileServer],
]);
