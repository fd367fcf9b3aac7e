/**
 * Construct: the components built inside the plugin for a program in another language (the
 * engine sends the inputs, this process registers the component and its children with the
 * engine, and returns the component's URN and outputs).
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, PROJECT_NAME } from "../components/configKeys";
import type { ValidationArgs, ValidationRegistryArgs, ValidationTemplateArgs } from "../components/validate/validation";
import type { OvaTemplateArgs } from "../components/vsphere/ovaTemplate";
import { AIRGAP_ENVIRONMENT_TOKEN, OBJECT_TYPES, OVA_TEMPLATE_TOKEN, TEMPLATES_FOLDER_TOKEN, VALIDATION_TOKEN } from "./schema/components";

/*
 * The components' modules (and the AWS, Command and Docker SDKs behind them) load at the first
 * Construct, not at start-up: a plugin serving only the custom resources starts without them.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const lazy = {
    airgapEnvironment: () => require("../components/airgapEnvironment") as typeof import("../components/airgapEnvironment"),
    config: () => require("../components/config") as typeof import("../components/config"),
    environmentOutputs: () => require("../components/environmentOutputs") as typeof import("../components/environmentOutputs"),
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
            unknown.push({ propertyPath: key, reason: "must be known when the program runs (AirgapEnvironment's inputs are settings, validated before anything is created); give a value or a config value" });
            continue;
        }
        if (value === undefined || value === null) continue;
        const fullKey = `${PROJECT_NAME}:${key}`;
        config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret || secretSpecs.has(key)) secretKeys.push(fullKey);
    }
    if (unknown.length > 0) {
        throw new pulumi.InputPropertiesError({ message: `${AIRGAP_ENVIRONMENT_TOKEN} ${name}: ${unknown.length} input(s) not known`, errors: unknown });
    }
    runtimeConfig.setAllConfig(config, secretKeys);
    const { ConfigError, loadConfig } = lazy.config();
    let settings;
    try {
        settings = loadConfig();
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new pulumi.InputPropertiesError({
                message: error.message.replace(/^Invalid stack configuration/, `Invalid inputs of ${AIRGAP_ENVIRONMENT_TOKEN} ${name}`).replace(/^(\s+- )palette-airgap:/gm, "$1"),
                errors: error.problems.map((problem) => ({ propertyPath: problem.key.replace(`${PROJECT_NAME}:`, ""), reason: problem.message })),
            });
        }
        throw error;
    }
    await lazy.runPreflight().runPreflight(settings, { loginTool: settings.setup.loginTool, minFreeGb: settings.setup.minFreeGb });
    // ECR: the account of the registry hosts, checked before any resource exists (as index.ts does).
    const ecrAccountId = await lazy.ociRegistry().ecrAccountId(settings.registry);
    const environment = new (lazy.airgapEnvironment().AirgapEnvironment)(name, { ...settings, ecrAccountId }, options);
    return { resource: environment, state: lazy.environmentOutputs().environmentOutputs(environment) };
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
]);
