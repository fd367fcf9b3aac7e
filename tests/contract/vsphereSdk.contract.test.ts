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

// --- The file-server VM's wrappers (VirtualMachine and its lookups), captured by instantiating
// ManifestFileServer under mocks (the stack files do not create it yet). Import declarations are
// hoisted, so they may sit here, beside the tests that use them.
import { VSPHERE_FILESERVER_TOKENS } from "../../components/vsphere/vsphereSdk";
import { Registration as FileServerRegistration } from "../support/componentMocks";
import { FileServerFixtures, InvokeRecord, VSPHERE_LOOKUP_FIXTURES, fileServerFixtures, runFileServer, vmSettings } from "../support/fileServerMocks";

interface SchemaPropertyDeep { type?: string; $ref?: string; items?: SchemaPropertyDeep; additionalProperties?: SchemaPropertyDeep }
interface SchemaObjectType { properties: Record<string, SchemaPropertyDeep>; required?: string[] }
interface SchemaWithTypes {
    resources: Record<string, { inputProperties: Record<string, SchemaPropertyDeep>; properties: Record<string, SchemaPropertyDeep>; requiredInputs?: string[] }>;
    functions: Record<string, { inputs?: { properties: Record<string, SchemaPropertyDeep>; required?: string[] }; outputs: { properties: Record<string, SchemaPropertyDeep> } }>;
    types: Record<string, SchemaObjectType>;
}

/** Checks a value against a schema property, into $ref object types, array items and map values. */
function assertValueMatchesDeep(schema: SchemaWithTypes, where: string, value: unknown, property: SchemaPropertyDeep): number {
    if (value === undefined) return 0;
    if (property.$ref) {
        const typeName = property.$ref.replace(/^#\/types\//, "");
        const type = schema.types[typeName];
        assert.ok(type, `${where}: ${property.$ref} is not a type of the schema`);
        assert.strictEqual(jsonType(value), "object", `${where} is ${jsonType(value)}, the schema says an object (${typeName})`);
        return assertObjectMatchesDeep(schema, where, value as Record<string, unknown>, type.properties, type.required ?? []);
    }
    const actual = jsonType(value);
    if (property.type) {
        const compatible = actual === property.type || (property.type === "number" && actual === "integer");
        assert.ok(compatible, `${where} is ${actual}, the schema says ${property.type}`);
    }
    let checked = 1;
    if (property.type === "array" && property.items) {
        (value as unknown[]).forEach((item, index) => (checked += assertValueMatchesDeep(schema, `${where}[${index}]`, item, property.items!)));
    }
    if (property.type === "object" && property.additionalProperties) {
        for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            checked += assertValueMatchesDeep(schema, `${where}["${key}"]`, item, property.additionalProperties);
        }
    }
    return checked;
}

function assertObjectMatchesDeep(schema: SchemaWithTypes, where: string, value: Record<string, unknown>, properties: Record<string, SchemaPropertyDeep>, required: string[]): number {
    let checked = 0;
    for (const [name, item] of Object.entries(value)) {
        const property = properties[name];
        assert.ok(property, `${where}: "${name}" is not in the schema (known: ${Object.keys(properties).join(", ")})`);
        checked += assertValueMatchesDeep(schema, `${where}.${name}`, item, property);
    }
    for (const name of required) {
        assert.ok(value[name] !== undefined, `${where}: required "${name}" is missing`);
    }
    return checked;
}

describe("vSphere wrappers of the file-server VM against the provider schema (contract, inputs captured under mocks from ManifestFileServer)", function () {
    let schema: SchemaWithTypes;
    let fixtures: FileServerFixtures;
    const runs: [string, { registrations: FileServerRegistration[]; invokes: InvokeRecord[]; versions: Map<string, string> }][] = [];

    before(async function () {
        schema = JSON.parse(fs.readFileSync(requireSharedFile(this, "schemas/vsphere-schema.json"), "utf8"));
        fixtures = fileServerFixtures();
        const placement = { datacenter: "dc-lab", datastore: "vsanDatastore", network: "VM Network" };
        runs.push([
            "cluster, static address, HTTP",
            await runFileServer((provider) => ({ settings: vmSettings(fixtures, { staticIp: true }), vsphere: { ...placement, cluster: "cluster-01" }, provider, manifestsZip: fixtures.zip })),
        ]);
        runs.push([
            "resource pool, folder, DHCP, HTTPS",
            await runFileServer((provider) => ({
                settings: vmSettings(fixtures, { staticIp: false, tls: true }),
                vsphere: { ...placement, resourcePool: "cluster-01/Resources/palette" },
                vmFolder: "palette/servers",
                provider,
                manifestsZip: fixtures.zip,
            })),
        ]);
    });
    after(() => fixtures?.remove());

    it("every token the file-server wrappers declare exists in the schema", () => {
        assert.ok(schema.resources[VSPHERE_FILESERVER_TOKENS.virtualMachine], VSPHERE_FILESERVER_TOKENS.virtualMachine);
        for (const [key, token] of Object.entries(VSPHERE_FILESERVER_TOKENS)) {
            if (key === "virtualMachine") continue;
            assert.ok(schema.functions[token], `${key}: ${token} is not a function of the vSphere provider`);
        }
    });

    it("the VM uses known inputs with the schema's types, into nested types (NICs, disks, clone, extraConfig), with every required input, at plugin 4.17.0", () => {
        const definition = schema.resources[VSPHERE_FILESERVER_TOKENS.virtualMachine];
        for (const [label, run] of runs) {
            const vms = run.registrations.filter((registration) => registration.type === VSPHERE_FILESERVER_TOKENS.virtualMachine);
            assert.strictEqual(vms.length, 1, `${label}: one VM`);
            const inputs = vms[0].inputs;
            const checked = assertObjectMatchesDeep(schema, `${label} VirtualMachine`, inputs, definition.inputProperties, definition.requiredInputs ?? []);
            for (const nested of ["networkInterfaces", "disks", "clone", "extraConfig"]) {
                assert.ok(inputs[nested] !== undefined, `${label}: ${nested} is sent (and was checked)`);
            }
            assert.ok(checked > 20, `${label}: only ${checked} values checked`);
            assert.strictEqual(run.versions.get(`${vms[0].type}::${vms[0].name}`), VSPHERE_PROVIDER_VERSION, `${label}: plugin version`);
            assert.ok(vms[0].provider?.includes("pulumi:providers:vsphere"), `${label}: the VM uses the explicit provider`);
        }
    });

    it("the VM outputs the component reads are declared properties of the resource", () => {
        const properties = schema.resources[VSPHERE_FILESERVER_TOKENS.virtualMachine].properties;
        for (const name of ["name", "defaultIpAddress", "guestIpAddresses", "uuid", "moid", "extraConfig"]) {
            assert.ok(properties[name], `VirtualMachine has no output "${name}"`);
        }
    });

    it("every lookup uses known arguments of the right types with the required ones, through the explicit provider", () => {
        const seen = new Set<string>();
        for (const [label, run] of runs) {
            for (const invoke of run.invokes.filter((candidate) => candidate.token.startsWith("vsphere:"))) {
                const definition = schema.functions[invoke.token];
                assert.ok(definition, `${label}: ${invoke.token} is not a function of the vSphere provider`);
                assertObjectMatchesDeep(schema, `${label} ${invoke.token}`, invoke.args, definition.inputs?.properties ?? {}, definition.inputs?.required ?? []);
                assert.ok(invoke.provider?.includes("pulumi:providers:vsphere"), `${label}: ${invoke.token} must use the explicit provider`);
                seen.add(invoke.token);
            }
        }
        const expected = Object.entries(VSPHERE_FILESERVER_TOKENS).filter(([key]) => key !== "virtualMachine").map(([, token]) => token);
        for (const token of expected) {
            assert.ok(seen.has(token), `${token} was not exercised`);
        }
    });

    it("the lookup results the component reads (and the mocks return) are declared outputs of each function", () => {
        const read: Record<string, string[]> = {
            [VSPHERE_FILESERVER_TOKENS.getComputeCluster]: ["resourcePoolId"],
            [VSPHERE_FILESERVER_TOKENS.getResourcePool]: ["id"],
            [VSPHERE_FILESERVER_TOKENS.getDatastore]: ["id"],
            [VSPHERE_FILESERVER_TOKENS.getNetwork]: ["id"],
            [VSPHERE_FILESERVER_TOKENS.getVirtualMachine]: ["uuid", "guestId", "firmware", "scsiType", "disks", "networkInterfaceTypes"],
        };
        for (const [token, fields] of Object.entries(read)) {
            const outputs = schema.functions[token].outputs.properties;
            for (const field of fields) {
                assert.ok(outputs[field], `${token} has no output "${field}"`);
            }
            const fixture = VSPHERE_LOOKUP_FIXTURES[token]({ name: "x", datacenterId: "datacenter-3" });
            assertObjectMatchesDeep(schema, `${token} (mock result)`, fixture, outputs, []);
        }
    });
});
