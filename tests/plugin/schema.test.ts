/**
 * GetSchema over gRPC from the plugin process: a package schema named palette-airgap that
 * validates against Pulumi's package metaschema, describes every input and output with its
 * default, uses enums for the closed sets, and marks the secrets.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS, SECTION_KEYS } from "../../components/configKeys";
import { VSPHERE_PROVIDER_VERSION } from "../../components/vsphere/vsphereSdk";
import { packageMetaschemaValidator } from "../support/packageSchema";
import { PluginProcess, PROJECT_ROOT } from "../support/plugin";
import { requireSharedFile } from "../support/sharedFiles";

type Json = Record<string, any>;

describe("provider plugin: GetSchema", function () {
    this.timeout(60_000);
    let plugin: PluginProcess;
    let schema: Json;

    before(async function () {
        plugin = await PluginProcess.start();
        schema = await plugin.getSchema();
    });

    after(async function () {
        await plugin?.stop();
    });

    it("validates against Pulumi's package metaschema, and a broken copy does not", function () {
        const validate = packageMetaschemaValidator(requireSharedFile(this, "schemas/pulumi-package-metaschema.json"));
        assert.ok(validate(schema), JSON.stringify(validate.errors, null, 2));
        const broken = JSON.parse(JSON.stringify(schema));
        broken.resources["palette-airgap:index:AirgapEnvironment"].inputProperties.registryKind = { type: "strin" };
        assert.strictEqual(validate(broken), false, "a property of an unknown type must be refused");
        assert.strictEqual(validate({ ...schema, name: "palette airgap" }), false, "a package name with a space must be refused");
    });

    it("declares the provider plugins its components register resources of (dependencies): vSphere at VSPHERE_PROVIDER_VERSION, Command, Docker and AWS at the locked SDK versions", function () {
        const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
        const sdk = (name: string) => ({ name, version: lock.packages[`node_modules/@pulumi/${name}`].version });
        assert.deepStrictEqual(schema.dependencies, [{ name: "vsphere", version: VSPHERE_PROVIDER_VERSION }, sdk("command"), sdk("docker"), sdk("aws")]);
    });

    it("is the palette-airgap package at the plugin's version, with the three custom resources and the components", async function () {
        assert.strictEqual(schema.name, "palette-airgap");
        assert.strictEqual(schema.version, await plugin.getPluginInfo());
        const custom = Object.keys(schema.resources).filter((token) => !schema.resources[token].isComponent).sort();
        const components = Object.keys(schema.resources).filter((token) => schema.resources[token].isComponent).sort();
        assert.deepStrictEqual(custom, ["palette-airgap:registry:HarborProject", "palette-airgap:validate:ValidationRun", "palette-airgap:vsphere:OvaTemplateImport"]);
        assert.deepStrictEqual(components, [
            "palette-airgap:fileserver:ManifestFileServer", "palette-airgap:index:AirgapEnvironment", "palette-airgap:registry:OciRegistry", "palette-airgap:setup:AirgapSetup",
            "palette-airgap:validate:Validation", "palette-airgap:vsphere:OvaTemplate", "palette-airgap:vsphere:TemplatesFolder",
        ]);
    });

    it("describes every input, output and type property, with its default where it has one", function () {
        const described: string[] = [];
        const check = (where: string, properties: Json, defaults = false) => {
            for (const [name, property] of Object.entries(properties)) {
                assert.ok(typeof property.description === "string" && property.description.length > 10, `${where}.${name} has no description`);
                if (defaults && property.default !== undefined) {
                    assert.ok(property.description.includes(`Default: ${typeof property.default === "string" ? JSON.stringify(property.default).replace(/^"|"$/g, "") : property.default}`) || property.description.includes(`Default: ${JSON.stringify(property.default)}`), `${where}.${name}: the description does not state the default ${property.default}`);
                }
                described.push(`${where}.${name}`);
            }
        };
        for (const [token, resource] of Object.entries<Json>(schema.resources)) {
            check(`${token} input`, resource.inputProperties, true);
            check(`${token} output`, resource.properties);
            for (const name of resource.requiredInputs) assert.ok(resource.inputProperties[name], `${token}: required input ${name} is not described`);
            for (const name of resource.required) assert.ok(resource.properties[name], `${token}: required output ${name} is not described`);
        }
        for (const [token, type] of Object.entries<Json>(schema.types)) {
            if (type.type === "object") check(token, type.properties);
            else for (const value of type.enum) assert.ok(value.description, `${token} ${value.value} has no description`);
        }
        assert.ok(described.length > 150, `only ${described.length} properties`);
    });

    it("AirgapEnvironment takes exactly the stack configuration's keys, required and defaulted as in a stack file", function () {
        const environment = schema.resources["palette-airgap:index:AirgapEnvironment"];
        assert.deepStrictEqual(Object.keys(environment.inputProperties), CONFIG_KEYS.map((spec) => spec.key));
        assert.deepStrictEqual(environment.requiredInputs, CONFIG_KEYS.filter((spec) => spec.default === undefined).map((spec) => spec.key));
        assert.strictEqual(environment.inputProperties.templateFolder.default, "spectro-templates");
        assert.strictEqual(environment.inputProperties.markAsTemplate.default, true);
        assert.strictEqual(environment.inputProperties.setupMaxAttempts.default, 3);
        assert.deepStrictEqual(environment.inputProperties.packBinaries, { ...environment.inputProperties.packBinaries, type: "array", items: { type: "string" } });
        assert.deepStrictEqual(Object.keys(environment.properties).sort(), [
            "fileServerAddress", "manifestsZip", "packs", "paletteCli", "paletteVersion", "registry", "scarUrl", "setupEnvironment", "templateFolder", "templateName", "templatePath", "validation",
        ]);
    });

    it("uses enums for disk provisioning, registry kind, file server mode, login tool and lifecycle, with the values loadConfig accepts", function () {
        const environment = schema.resources["palette-airgap:index:AirgapEnvironment"].inputProperties;
        const values = (ref: string) => schema.types[ref.replace("#/types/", "")].enum.map((entry: Json) => entry.value);
        assert.deepStrictEqual(values(environment.diskProvisioning.$ref), ["thin", "thick", "eagerZeroedThick"]);
        assert.deepStrictEqual(values(environment.registryKind.$ref), ["harbor", "ecr", "generic"]);
        assert.deepStrictEqual(values(environment.fileServerMode.$ref), ["vm", "docker"]);
        assert.deepStrictEqual(values(environment.loginTool.$ref), ["oras", "docker", "skopeo"]);
        assert.deepStrictEqual(values(environment.lifecycle.$ref), ["production", "lab"]);
        const ova = schema.resources["palette-airgap:vsphere:OvaTemplateImport"].inputProperties;
        assert.strictEqual(ova.diskProvisioning.$ref, environment.diskProvisioning.$ref);
        assert.strictEqual(ova.diskProvisioning.default, "thin");
        assert.strictEqual(schema.resources["palette-airgap:validate:ValidationRun"].inputProperties.registryKind.$ref, environment.registryKind.$ref);
    });

    it("the registry, setup run and file server take their sections' config keys, described as AirgapEnvironment's, the secrets secret", function () {
        const environment = schema.resources["palette-airgap:index:AirgapEnvironment"].inputProperties;
        const registry = schema.resources["palette-airgap:registry:OciRegistry"];
        const setup = schema.resources["palette-airgap:setup:AirgapSetup"];
        const files = schema.resources["palette-airgap:fileserver:ManifestFileServer"];
        assert.deepStrictEqual(Object.keys(registry.inputProperties), ["lifecycle", ...SECTION_KEYS.registry]);
        assert.deepStrictEqual(Object.keys(setup.inputProperties), [...SECTION_KEYS.registry.filter((key) => !["registryAllowDeleteNonEmpty", "protectRegistryContent"].includes(key)), ...SECTION_KEYS.setup]);
        assert.deepStrictEqual(Object.keys(files.inputProperties).sort(), [...SECTION_KEYS.fileServer, ...SECTION_KEYS.vsphere.filter((key) => key !== "templateFolder"), "manifestsZip", "manifestsZipSha256"].sort());
        for (const part of [registry, setup]) {
            for (const [name, property] of Object.entries(part.inputProperties as Json)) {
                assert.deepStrictEqual(property, environment[name], name);
            }
        }
        assert.deepStrictEqual(registry.requiredInputs, ["registryKind"]);
        assert.deepStrictEqual(setup.requiredInputs, ["registryKind", "setupBinary"]);
        // docker mode needs no vCenter: the vSphere keys are required in vm mode only.
        assert.deepStrictEqual(files.requiredInputs, ["manifestsZip"]);
        assert.match(files.inputProperties.vsphereServer.description, /Required in vm mode\./);
        const secrets = (properties: Json) => Object.keys(properties).filter((name) => properties[name].secret).sort();
        assert.deepStrictEqual(secrets(registry.inputProperties), ["imageRegistryPassword", "registryPassword"]);
        assert.deepStrictEqual(secrets(setup.inputProperties), ["imageRegistryPassword", "registryPassword"]);
        assert.deepStrictEqual(secrets(files.inputProperties), ["fileServerSshPrivateKey", "vspherePassword"]);
        assert.strictEqual(registry.inputProperties.registryKind.$ref, environment.registryKind.$ref);
        assert.strictEqual(setup.inputProperties.loginTool.$ref, environment.loginTool.$ref);
        assert.strictEqual(files.inputProperties.fileServerMode.$ref, environment.fileServerMode.$ref);
        assert.deepStrictEqual(Object.keys(setup.properties).sort(), ["attempts", "binarySha256", "logDir", "logFile", "manifestsZip", "packs", "version"]);
        assert.deepStrictEqual(Object.keys(files.properties).sort(), ["ipAddress", "manifestsSha256", "scarUrl", "webRoot"]);
        assert.ok(Object.keys(registry.properties).includes("setupEnvironment") && Object.keys(registry.properties).includes("packRegistry"));
    });

    it("marks every secret: passwords, the SSH key, the OVA mirror's credentials, the paletteCli answers", function () {
        const secrets = (properties: Json) => Object.keys(properties).filter((name) => properties[name].secret).sort();
        const environment = schema.resources["palette-airgap:index:AirgapEnvironment"];
        assert.deepStrictEqual(secrets(environment.inputProperties), CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key).sort());
        assert.ok(secrets(environment.inputProperties).includes("vspherePassword") && secrets(environment.inputProperties).includes("fileServerSshPrivateKey"));
        assert.deepStrictEqual(secrets(environment.properties), ["paletteCli"]);
        for (const [token, expected] of [["palette-airgap:vsphere:OvaTemplateImport", ["password", "sourceAuthorization"]], ["palette-airgap:registry:HarborProject", ["password"]]] as const) {
            assert.deepStrictEqual(secrets(schema.resources[token].inputProperties), expected, token);
            assert.deepStrictEqual(secrets(schema.resources[token].properties), expected, `${token}: the state's copy is secret too`);
        }
        assert.deepStrictEqual(secrets(schema.resources["palette-airgap:vsphere:OvaTemplate"].inputProperties), ["password", "sourceAuthorization"]);
        assert.deepStrictEqual(secrets(schema.resources["palette-airgap:validate:ValidationRun"].inputProperties), ["imageRegistryPassword", "registryPassword", "vspherePassword"]);
        assert.deepStrictEqual(secrets(schema.types["palette-airgap:validate:ValidationRegistry"].properties), ["password"]);
        assert.deepStrictEqual(secrets(schema.types["palette-airgap:validate:ValidationTemplate"].properties), ["password"]);
    });

    it("every type a property refers to is defined", function () {
        const refs = JSON.stringify(schema).match(/"#\/types\/[^"]+"/g) ?? [];
        for (const ref of new Set(refs)) {
            const token = JSON.parse(ref).replace("#/types/", "");
            assert.ok(schema.types[token], `${ref} is not defined`);
        }
    });
});
