/**
 * The package schema GetSchema returns (Pulumi's package metaschema, pulumi.json), built from the
 * typed specs of the custom resources and the components.
 */
import { COMPONENT_SPECS, ENUMS, OBJECT_TYPES } from "./components";
import { CUSTOM_RESOURCE_SPECS } from "./customResources";
import { packageDependencies } from "./dependencies";
import type { PropertySpec, ResourceSpec } from "./spec";

type Properties = Record<string, PropertySpec & { required?: boolean }>;

/** Every resource and component the schema describes. */
export const RESOURCE_SPECS: readonly ResourceSpec[] = [...CUSTOM_RESOURCE_SPECS, ...COMPONENT_SPECS];

/** A property as pulumi.json spells it (`required` moves to the owner's list). */
function property(spec: PropertySpec & { required?: boolean }): Record<string, unknown> {
    const { required: _required, ...rest } = spec;
    return rest;
}

function properties(specs: Properties): Record<string, unknown> {
    return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, property(spec)]));
}

function required(specs: Properties): string[] {
    return Object.entries(specs)
        .filter(([, spec]) => spec.required)
        .map(([name]) => name);
}

/** Input properties that are secrets, per resource token (what the plugin marks on the wire). */
export function secretInputs(token: string): string[] {
    const spec = RESOURCE_SPECS.find((resource) => resource.token === token);
    if (!spec) throw new Error(`palette-airgap: no schema for ${token}`);
    return Object.entries({ ...spec.inputs, ...spec.outputs })
        .filter(([, property]) => property.secret)
        .map(([name]) => name);
}

export function packageSchema(version: string): Record<string, unknown> {
    const resources: Record<string, unknown> = {};
    for (const spec of RESOURCE_SPECS) {
        // A custom resource's state holds its inputs too; a component's outputs are only its own.
        const outputs: Properties = spec.isComponent ? spec.outputs : { ...spec.inputs, ...spec.outputs };
        resources[spec.token] = {
            description: spec.description,
            ...(spec.isComponent ? { isComponent: true } : {}),
            inputProperties: properties(spec.inputs),
            requiredInputs: required(spec.inputs),
            properties: properties(outputs),
            required: required(outputs),
        };
    }
    const types: Record<string, unknown> = {};
    for (const [token, enumSpec] of Object.entries(ENUMS)) {
        types[token] = {
            description: enumSpec.description,
            type: "string",
            enum: Object.entries(enumSpec.values).map(([value, description]) => ({ value, name: value, description })),
        };
    }
    for (const [token, objectType] of Object.entries(OBJECT_TYPES)) {
        types[token] = { description: objectType.description, type: "object", properties: properties(objectType.properties), required: required(objectType.properties) };
    }
    return {
        name: "palette-airgap",
        displayName: "Palette air-gap on vSphere",
        version,
        description: "Prepares a self-hosted Spectro Cloud Palette air-gap installation on VMware vSphere: templates folder, r_ OVA template, Harbor/ECR registry, setup run, pack uploads, manifest file server and validation.",
        keywords: ["pulumi", "vsphere", "palette", "spectrocloud", "airgap", "harbor", "ecr", "category/infrastructure", "kind/component"],
        license: "Apache-2.0",
        publisher: "palette-airgap",
        dependencies: packageDependencies(),
        provider: { description: "The palette-airgap provider: no configuration; every connection setting is an input of the resource that uses it." },
        types,
        resources,
        language: {
            nodejs: { packageName: "@palette-airgap/pulumi", respectSchemaVersion: true },
            python: { packageName: "pulumi_palette_airgap", respectSchemaVersion: true },
            go: { importBasePath: "github.com/palette-airgap/pulumi-palette-airgap/sdk/go/paletteairgap", respectSchemaVersion: true },
            csharp: { rootNamespace: "PaletteAirgap", respectSchemaVersion: true },
            java: { basePackage: "com.paletteairgap" },
        },
    };
}
