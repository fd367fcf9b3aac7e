#!/usr/bin/env bash
# The main job (README "The two commands"): `./scripts/up.sh <stack> [pulumi up flags]`.
# Installs the npm dependencies from the lock file, checks that the Pulumi CLI and every provider
# plugin this program needs are installed locally (nothing is downloaded in an air gap), selects or
# creates the stack whose config is stacks/Pulumi.<stack>.yaml, and runs `pulumi up` on it.
set -euo pipefail
cd "$(dirname "$0")/.."

stack="${1:-}"
if [ -z "$stack" ] || [ ! -f "stacks/Pulumi.${stack}.yaml" ]; then
  echo "usage: $0 <stack> [pulumi up flags]; stacks: $(ls stacks | sed -n 's/^Pulumi\.\(.*\)\.yaml$/\1/p' | tr '\n' ' ')" >&2
  exit 2
fi
shift

# The CLI on PATH, else the one scripts/pulumi-toolchain.sh built from Go modules in this checkout.
if ! command -v pulumi >/dev/null && [ -x .tools/pulumi/bin/pulumi ]; then
  PATH="$PWD/.tools/pulumi/bin:$PATH"
fi
command -v pulumi >/dev/null || { echo "The Pulumi CLI is not installed: see README 'Bringing Pulumi into the air gap' (or build it: ./scripts/pulumi-toolchain.sh)." >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Every resource plugin this stack uses, at the version the installed SDK (or our vSphere
# wrappers) asks for: vsphere and command always, aws for an ECR registry, docker for a docker-mode
# file server (a plugin the stack never loads need not be installed). PULUMI_SKIP_PLUGIN_CHECK=1
# skips this check.
required_plugins() {
  node -e '
    const fs = require("fs");
    const config = require("yaml").parse(fs.readFileSync(process.argv[1], "utf8"))?.config ?? {};
    const value = (key) => String(config[`palette-airgap:${key}`] ?? "");
    const sdk = (name) => `${name} ${require(`@pulumi/${name}/package.json`).version}`;
    const vsphere = /export const VSPHERE_PROVIDER_VERSION = "(.*)";/.exec(fs.readFileSync("components/vsphere/vsphereSdk.ts", "utf8"))[1];
    const plugins = [`vsphere ${vsphere}`, sdk("command")];
    if (value("registryKind") === "ecr") plugins.push(sdk("aws"));
    if (value("fileServerMode") === "docker") plugins.push(sdk("docker"));
    console.log(plugins.join("\n"));
  ' "stacks/Pulumi.${stack}.yaml"
}
if [ "${PULUMI_SKIP_PLUGIN_CHECK:-}" != "1" ]; then
  installed=$(pulumi plugin ls 2>/dev/null || true)
  missing=0
  while read -r name version; do
    if ! grep -Eq "^${name}[[:space:]]+resource[[:space:]]+${version}[[:space:]]" <<<"$installed"; then
      echo "missing plugin: pulumi plugin install resource ${name} ${version} --file pulumi-resource-${name}-v${version}-linux-amd64.tar.gz" >&2
      missing=1
    fi
  done < <(required_plugins)
  [ "$missing" -eq 0 ] || { echo "Install the plugins above (README 'Bringing Pulumi into the air gap'), then rerun." >&2; exit 1; }
fi

# Type-check once here, then let Pulumi load the program transpile-only: its own type check
# costs 8-16 s and ~750 MiB on every run (bench/PROGRAM.md). The package's provider plugin
# (Pulumi.yaml plugins.providers: ./bin) runs the JavaScript that `npm run build` compiles.
npx tsc --noEmit -p .
npm run build --silent
export PULUMI_NODEJS_TRANSPILE_ONLY=true

pulumi stack select --create "$stack"
exec pulumi up --stack "$stack" "$@"
