/**
 * Pulumi.yaml against Pulumi's own project schema (../shared/schemas/pulumi-project-schema.json),
 * and the provider plugin it names: `plugins.providers` points `pulumi up` at this checkout's
 * plugin executable, so nothing has to be installed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../support/plugin";
import { requireSharedFile } from "../support/sharedFiles";

describe("Pulumi.yaml and the project schema", function () {
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));

    it("validates against Pulumi's project schema", function () {
        const schema = JSON.parse(fs.readFileSync(requireSharedFile(this, "schemas/pulumi-project-schema.json"), "utf8"));
        const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
        assert.ok(validate(project), JSON.stringify(validate.errors, null, 2));
    });

    it("the schema check fails on a malformed plugins block (the check is not vacuous)", function () {
        const schema = JSON.parse(fs.readFileSync(requireSharedFile(this, "schemas/pulumi-project-schema.json"), "utf8"));
        const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
        assert.strictEqual(validate({ ...project, plugins: { providers: [{ path: "./bin" }] } }), false, "a provider without a name must be refused");
        assert.strictEqual(validate({ ...project, runtime: 42 }), false);
    });

    it("names the checkout's plugin folder for palette-airgap, holding the executable the engine runs", function () {
        assert.deepStrictEqual(project.plugins, { providers: [{ name: "palette-airgap", path: "./bin" }] });
        const executable = path.join(PROJECT_ROOT, "bin", "pulumi-resource-palette-airgap");
        fs.accessSync(executable, fs.constants.X_OK);
        assert.match(fs.readFileSync(executable, "utf8"), /^#!\/usr\/bin\/env node\n/);
    });
});
