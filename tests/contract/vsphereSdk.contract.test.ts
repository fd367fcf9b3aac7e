/**
 * Contract test: every vSphere provider token, input name, input type and required input our thin
 * wrappers (components/vsphere/vsphereSdk.ts) send, as captured from each stack under the SDK's
 * mock engine, exists in the provider's published schema (pulumi-vsphere v4.17.0).
 */
import * as assert from "assert";
import * as fs from "fs";
import { VSPHERE_PROVIDER_VERSION, VSPHERE_TOKENS } from "../../components/vsphere/vsphereSdk";
import { StackRun, runStack, stackNames } from "../support/stackHarness";
import { requireSharedFile } from "../support/sharedFiles";

interface SchemaProperty { type?: string; $ref?: string }
interface Schema {
    config: { variables: Record<string, SchemaProperty> };
    provider: { inputProperties: Record<string, SchemaProperty>; requiredInputs?: string[] };
    resources: Record<string, { inputProperties: Record<string, SchemaProperty>; requiredInputs?: string[] }>;
    functions: Record<string, { inputs?: { properties: Record<string, SchemaProperty>; required?: string[] }; outputs: { properties: Record<string, SchemaProperty>; required?: string[] } }>;
}

function jsonType(value: unknown): string {
    if (Array.isArray(value)) return "array";
    if (value === null) return "null";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

function assertMatchesSchema(where: string, inputs: Record<string, unknown>, properties: Record<string, SchemaProperty>, required: string[] = []): void {
    for (const [name, value] of Object.entries(inputs)) {
        const property = properties[name];
        assert.ok(property, `${where}: input "${name}" is not in the schema (known: ${Object.keys(properties).join(", ")})`);
        if (property.type) {
            const actual = jsonType(value);
            const compatible = actual === property.type || (property.type === "number" && actual === "integer");
            assert.ok(compatible, `${where}: input "${name}" is ${actual}, the schema says ${property.type}`);
        }
    }
    for (const name of required) {
        assert.ok(inputs[name] !== undefined, `${where}: required input "${name}" is missing`);
    }
}

describe("vSphere wrappers against the provider schema (contract, inputs captured under mocks)", function () {
    let schema: Schema;
    const runs: [string, StackRun][] = [];

    before(async function () {
        schema = JSON.parse(fs.readFileSync(requireSharedFile(this, "schemas/vsphere-schema.json"), "utf8"));
        for (const stack of stackNames()) {
            runs.push([stack, await runStack(stack)]);
        }
    });

    it("every token the wrappers declare exists in the schema", () => {
        assert.ok(schema.resources[VSPHERE_TOKENS.folder], VSPHERE_TOKENS.folder);
        assert.ok(schema.functions[VSPHERE_TOKENS.getDatacenter], VSPHERE_TOKENS.getDatacenter);
        assert.strictEqual(VSPHERE_TOKENS.provider, `pulumi:providers:${(schema as unknown as { name: string }).name}`);
    });

    it("every vSphere resource registered by every stack uses known inputs with the schema's types and all required inputs, at plugin 4.17.0", () => {
        let checked = 0;
        for (const [stack, run] of runs) {
            for (const resource of run.resources.filter((candidate) => candidate.type.startsWith("vsphere:"))) {
                const definition = schema.resources[resource.type];
                assert.ok(definition, `${stack}: ${resource.type} is not a resource of the vSphere provider`);
                assertMatchesSchema(`${stack} ${resource.type}`, resource.inputs, definition.inputProperties, definition.requiredInputs);
                assert.strictEqual(resource.version, VSPHERE_PROVIDER_VERSION, `${stack} ${resource.type} plugin version`);
                checked++;
            }
        }
        assert.ok(checked >= runs.length, `only ${checked} vSphere resources checked`);
    });

    it("the provider's configuration uses the schema's config variables (sent as strings)", () => {
        for (const [stack, run] of runs) {
            const providers = run.resources.filter((resource) => resource.type === VSPHERE_TOKENS.provider);
            assert.strictEqual(providers.length, 1, `${stack}: one explicit vSphere provider`);
            for (const [name, value] of Object.entries(providers[0].inputs)) {
                if (name === "version") continue; // the engine's own plugin-version input
                assert.ok(schema.config.variables[name], `${stack}: provider input "${name}" is not a vSphere config variable`);
                assert.strictEqual(typeof value, "string", `${stack}: provider config "${name}" must travel as a string`);
            }
            assert.deepStrictEqual(providers[0].secretPaths, ["password"]);
        }
    });

    it("every vSphere function invoked uses known arguments, and its results we read are declared outputs", () => {
        let checked = 0;
        for (const [stack, run] of runs) {
            for (const invoke of run.invokes.filter((candidate) => candidate.token.startsWith("vsphere:"))) {
                const definition = schema.functions[invoke.token];
                assert.ok(definition, `${stack}: ${invoke.token} is not a function of the vSphere provider`);
                assertMatchesSchema(`${stack} ${invoke.token}`, invoke.args, definition.inputs?.properties ?? {}, definition.inputs?.required);
                assert.ok(invoke.provider?.includes("pulumi:providers:vsphere"), `${stack}: ${invoke.token} must use the explicit provider`);
                checked++;
            }
        }
        assert.ok(checked >= runs.length);
        // TemplatesFolder reads getDatacenter's id.
        assert.ok(schema.functions[VSPHERE_TOKENS.getDatacenter].outputs.properties.id);
    });
});
