/**
 * Pulumi's package metaschema (../shared/schemas/pulumi-package-metaschema.json) as a validator
 * (JSON Schema 2020-12, with the formats it names).
 */
import * as fs from "fs";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

export function packageMetaschemaValidator(metaschemaFile: string): ValidateFunction {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addFormat("regex", { validate: (pattern: string) => { try { new RegExp(pattern); return true; } catch { return false; } } });
    return ajv.compile(JSON.parse(fs.readFileSync(metaschemaFile, "utf8")));
}
