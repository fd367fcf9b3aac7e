/** Prints Pulumi.yaml from CONFIG_KEYS: `npx ts-node --transpile-only scripts/print-pulumi-yaml.ts > Pulumi.yaml`. */
import { CONFIG_KEYS } from "../components/configKeys";
const YAML = require("yaml");
const config: Record<string, unknown> = {};
for (const spec of CONFIG_KEYS) {
  const entry: Record<string, unknown> = { type: spec.type, description: spec.description };
  if (spec.type === "array") entry.items = { type: "string" };
  // The CLI enforces `secret: true` itself, but a secret with a default is not allowed there;
  // loadConfig() refuses optional secrets stored in plain text instead.
  if (spec.secret && spec.default === undefined) entry.secret = true;
  if (spec.default !== undefined) entry.default = spec.default;
  config[spec.key] = entry;
}
const doc = {
  name: "palette-airgap",
  runtime: { name: "nodejs", options: { typescript: true } },
  description: "Prepares a self-hosted Spectro Cloud Palette air-gap installation on VMware vSphere: template folder, r_ OVA template, Harbor/ECR registry, setup run, manifest file server.",
  main: "index.ts",
  stackConfigDir: "stacks",
  // The package's provider plugin from this checkout (bin/, compiled by `npm run build`): `pulumi up` installs nothing.
  plugins: { providers: [{ name: "palette-airgap", path: "./bin" }] },
  config,
};
process.stdout.write("# Project file. The config block declares every key loadConfig() reads (components/configKeys.ts);\n# tests/project.test.ts keeps the two in step. Optional keys have a default: the CLI requires keys without one.\n" + YAML.stringify(doc, { lineWidth: 0 }));
