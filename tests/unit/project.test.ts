/**
 * The project's own files agree with the code: Pulumi.yaml declares exactly the keys loadConfig()
 * reads, with the same types and defaults; the README documents every key and the plugin versions
 * the installed SDKs need; the layout and CI entry point are as the users asked.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_KEYS } from "../../components/configKeys";
import { configTableMarkdown } from "../../scripts/configTable";
import { VSPHERE_PROVIDER_VERSION } from "../../components/vsphere/vsphereSdk";
import { PROJECT_ROOT, readStackConfig, secretsFor, stackNames } from "../support/stackHarness";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");

describe("project files", () => {
    const project = YAML.parse(read("Pulumi.yaml"));
    const readme = read("README.md");

    it("Pulumi.yaml: name, nodejs runtime, description, stackConfigDir stacks", () => {
        assert.strictEqual(project.name, "palette-airgap");
        assert.strictEqual(project.runtime.name, "nodejs");
        assert.ok(project.description.length > 20);
        assert.strictEqual(project.stackConfigDir, "stacks");
    });

    it("Pulumi.yaml declares exactly CONFIG_KEYS with their types, descriptions and defaults", () => {
        assert.deepStrictEqual(Object.keys(project.config), CONFIG_KEYS.map((spec) => spec.key));
        for (const spec of CONFIG_KEYS) {
            const declared = project.config[spec.key];
            assert.strictEqual(declared.type, spec.type, spec.key);
            assert.strictEqual(declared.description, spec.description, spec.key);
            assert.deepStrictEqual(declared.default, spec.default, spec.key);
            if (spec.type === "array") assert.deepStrictEqual(declared.items, { type: "string" }, spec.key);
            if (spec.secret && spec.default === undefined) assert.strictEqual(declared.secret, true, spec.key);
        }
    });

    it("Pulumi.yaml is what scripts/print-pulumi-yaml.ts prints", () => {
        const printed = execFileSync(path.join(PROJECT_ROOT, "node_modules/.bin/ts-node"), ["--transpile-only", "scripts/print-pulumi-yaml.ts"], { cwd: PROJECT_ROOT, encoding: "utf8" });
        assert.strictEqual(read("Pulumi.yaml"), printed);
    });

    it("every stack file sets only declared keys, never a secret, and only in the palette-airgap namespace", () => {
        const declared = new Set(CONFIG_KEYS.map((spec) => spec.key));
        const secrets = new Set(CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key));
        for (const stack of stackNames()) {
            const document = YAML.parse(read(`stacks/Pulumi.${stack}.yaml`));
            for (const key of Object.keys(document.config)) assert.match(key, /^palette-airgap:/, `${stack}: ${key}`);
            for (const key of Object.keys(readStackConfig(stack))) {
                assert.ok(declared.has(key), `${stack}: ${key} is not declared`);
                assert.ok(!secrets.has(key), `${stack}: secret ${key} is in the stack file`);
            }
        }
    });

    it("README documents every config key", () => {
        for (const spec of CONFIG_KEYS) {
            assert.match(readme, new RegExp(`^\\| \`${spec.key}\` \\|`, "m"), `README lacks a row for ${spec.key}`);
        }
    });

    it("README's configuration reference is the table scripts/print-config-table.ts prints from CONFIG_KEYS", () => {
        const table = configTableMarkdown();
        assert.ok(readme.includes(table), "README's table differs: npx ts-node --transpile-only scripts/print-config-table.ts, and paste it under \"Configuration reference\"");
        assert.match(table, /`ecrRegion` \| string \| \(unset\); \*\*required\*\* when registryKind is ecr \|/);
        assert.match(table, /`fileServerTemplate` \| string \| \(unset\); \*\*required\*\* when fileServerMode is vm \|/);
    });

    it("every README section that a script, comment or message points to is a heading of the README", () => {
        // Headings outside fenced code blocks (a shell comment in a block is not a heading).
        const prose = readme.replace(/^```[\s\S]*?^```/gm, "");
        const headings = new Set([...prose.matchAll(/^#{1,6} +(.+?) *$/gm)].map((match) => match[1].replace(/`/g, "")));
        const references = readmeReferences();
        assert.ok(references.some((ref) => ref.file === "scripts/up.sh"), "the scan found none of up.sh's references: the pattern is broken");
        const missing = references.filter((ref) => !headings.has(ref.section)).map((ref) => `${ref.file}: README "${ref.section}"`);
        assert.deepStrictEqual(missing, [], `headings are: ${[...headings].join(" | ")}`);
    });

    it("README gives the plugin install line for each provider at the version the installed SDK needs", () => {
        const versions: Record<string, string> = { vsphere: VSPHERE_PROVIDER_VERSION };
        for (const sdk of ["aws", "command", "docker"]) {
            versions[sdk] = require(`@pulumi/${sdk}/package.json`).version;
        }
        for (const [name, version] of Object.entries(versions)) {
            assert.ok(readme.includes(`pulumi plugin install resource ${name} ${version} --file`), `README: plugin line for ${name} ${version}`);
        }
    });

    it("README tells the secret commands for every secret a stack needs", () => {
        for (const stack of stackNames()) {
            for (const secret of Object.keys(secretsFor(stack))) {
                assert.ok(readme.includes(`pulumi config set --stack ${stack} --secret ${secret}`), `${stack}: ${secret}`);
            }
        }
    });

    it("package.json pins the SDK majors and TypeScript 5", () => {
        const pkg = JSON.parse(read("package.json"));
        const all = { ...pkg.dependencies, ...pkg.devDependencies };
        assert.match(all["@pulumi/pulumi"], /^\^3\./);
        assert.match(all["@pulumi/aws"], /^\^7\./);
        assert.match(all["@pulumi/command"], /^\^1\./);
        assert.match(all["@pulumi/docker"], /^\^5\./);
        assert.match(all.typescript, /^~?5\./);
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "package-lock.json")));
    });

    it("the layout the users asked for exists", () => {
        for (const entry of ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components", "tests", "stacks", "README.md", ".ci/run"]) {
            assert.ok(fs.existsSync(path.join(PROJECT_ROOT, entry)), entry);
        }
        assert.strictEqual(JSON.parse(read("tsconfig.json")).compilerOptions.strict, true);
    });

    it(".ci/run runs the README's test command", () => {
        const command = /Run every test[\s\S]*?```sh\n(.+)\n```/.exec(readme)?.[1];
        assert.strictEqual(command, "./tests/run-all.sh");
        assert.match(read(".ci/run"), /^\.\/tests\/run-all\.sh$/m);
        assert.match(read(".ci/run"), /set -euo pipefail/);
    });
});

/**
 * `README "Section"` / `README 'Section'` (also README.md, "README section", typographic quotes)
 * in the program, its components, scripts and the test command.
 */
function readmeReferences(): { file: string; section: string }[] {
    const files = ["index.ts", "tests/run-all.sh", ".ci/run", ...["scripts", "components", "provider", "bin", "stacks", "examples"].filter((dir) => fs.existsSync(path.join(PROJECT_ROOT, dir))).flatMap(walk)];
    const pattern = /(?<![\w/.])README(?:\.md)?(?: section)?,? +["'“‘]([^"'”’\n]+)["'”’]/g;
    return files.flatMap((file) => [...read(file).matchAll(pattern)].map((match) => ({ file, section: match[1].replace(/`/g, "") })));
}

function walk(dir: string): string[] {
    return fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.join(dir, entry.name);
        return entry.isDirectory() ? (entry.name === "node_modules" ? [] : walk(relative)) : /\.(ts|sh|js|yaml|py|go)$/.test(entry.name) || !entry.name.includes(".") ? [relative] : [];
    });
}

describe("config sections (the inputs of the parts constructed alone)", () => {
    it("every config key is in exactly one section, and the sections keep the table's order", () => {
        const { SECTION_KEYS } = require("../../components/configKeys") as typeof import("../../components/configKeys");
        const listed = Object.values(SECTION_KEYS).flat();
        assert.deepStrictEqual(listed, CONFIG_KEYS.map((spec) => spec.key));
    });
});
