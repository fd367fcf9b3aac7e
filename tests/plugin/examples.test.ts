/**
 * examples/yaml: the Pulumi YAML program that uses AirgapEnvironment. Every resource type and
 * property name must exist in the plugin's schema (what `pulumi up` on it would check first),
 * every required input must be given, the outputs must name outputs of the schema, and the
 * component must construct with these very values (the plugin's validation accepts them).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { packageSchema } from "../../provider/schema/packageSchema";
import { PROJECT_ROOT } from "../support/plugin";
import { readStackConfig, runStack, TEST_SECRETS } from "../support/stackHarness";
import { packageMetaschemaValidator } from "../support/packageSchema";
import { requireSharedFile } from "../support/sharedFiles";
import Ajv2020 from "ajv/dist/2020";

type Json = Record<string, any>;

describe("examples/yaml: a Pulumi YAML program using AirgapEnvironment", function () {
    this.timeout(120_000);
    const program = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "examples", "yaml", "Pulumi.yaml"), "utf8")) as Json;
    const schema = packageSchema("0.0.0") as Json;

    it("is a valid Pulumi project file", function () {
        const projectSchema = JSON.parse(fs.readFileSync(requireSharedFile(this, "schemas/pulumi-project-schema.json"), "utf8"));
        const validate = new Ajv2020({ allErrors: true, strict: false }).compile(projectSchema);
        assert.ok(validate(program), JSON.stringify(validate.errors));
        assert.ok(packageMetaschemaValidator(requireSharedFile(this, "schemas/pulumi-package-metaschema.json"))(schema));
    });

    it("uses only types and property names of the schema, and gives every required input", function () {
        const resources = Object.entries<Json>(program.resources);
        assert.ok(resources.length > 0);
        for (const [name, resource] of resources) {
            const type = schema.resources[resource.type];
            assert.ok(type, `${name}: ${resource.type} is not in the schema`);
            for (const property of Object.keys(resource.properties ?? {})) {
                assert.ok(type.inputProperties[property], `${name}: ${resource.type} has no input ${property}`);
            }
            for (const required of type.requiredInputs) {
                assert.ok(required in (resource.properties ?? {}), `${name}: required input ${required} is missing`);
            }
            for (const [property, value] of Object.entries(resource.properties ?? {})) {
                const reference = /^\$\{(\w+)\}$/.exec(String(value));
                if (reference) {
                    assert.ok(program.config?.[reference[1]], `${name}.${property} refers to config ${reference[1]}, which the program does not declare`);
                    assert.strictEqual(program.config[reference[1]].secret === true, type.inputProperties[property].secret === true, `${property}: secret in the schema exactly when its config is`);
                    const declared = program.config[reference[1]].type;
                    const expected = type.inputProperties[property].type ?? "string";
                    assert.strictEqual(declared, expected, `config ${reference[1]} is declared ${declared}, the schema's ${property} is ${expected}`);
                }
            }
        }
        for (const [output, expression] of Object.entries<string>(program.outputs)) {
            const match = /^\$\{(\w+)\.(\w+)\}$/.exec(expression);
            assert.ok(match, `output ${output}: ${expression}`);
            const type = schema.resources[program.resources[match![1]].type];
            assert.ok(type.properties[match![2]], `output ${output}: ${program.resources[match![1]].type} has no output ${match![2]}`);
        }
    });

    it("the AirgapEnvironment constructs with these values (the plugin's validation accepts them)", async function () {
        const properties = { ...program.resources.palette.properties } as Json;
        const secrets: Record<string, string> = {};
        for (const [key, value] of Object.entries(properties)) {
            const reference = /^\$\{(\w+)\}$/.exec(String(value));
            if (!reference) continue;
            const config = program.config[reference[1]];
            if (config.secret === true) {
                secrets[key] = TEST_SECRETS[reference[1]];
                delete properties[key];
            } else {
                // A site value: the config key's declared default (what `pulumi config set` replaces).
                assert.ok("default" in config, `config ${reference[1]} has no default`);
                properties[key] = config.default;
            }
        }
        // Exactly the example's values: the stack file's keys the example does not set are removed.
        const remove = Object.keys(readStackConfig("harbor-lab")).filter((key) => !(key in properties));
        const run = await runStack("harbor-lab", { construct: true, remove, overrides: properties, secrets });
        assert.ok(run.resources.some((resource) => resource.type === "palette-airgap:index:AirgapEnvironment"));
        assert.ok(run.resources.some((resource) => resource.type === "palette-airgap:vsphere:OvaTemplateImport"));
        for (const output of Object.values<string>(program.outputs)) {
            const property = /\.(\w+)\}$/.exec(output)![1];
            assert.ok(property in run.outputs, `the component returned no ${property}`);
        }
    });
});
