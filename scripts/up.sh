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

command -v pulumi >/dev/null || { echo "The Pulumi CLI is not installed: see README 'Bringing Pulumi into the air gap'." >&2; exit 1; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Every resource plugin the program uses, at the version the installed SDK (or our vSphere
# wrappers) asks for; PULUMI_SKIP_PLUGIN_CHECK=1 skips this check.
required_plugins() {
  for sdk in aws command docker; do
    node -p "'$sdk ' + require('@pulumi/$sdk/package.json').version"
  done
  echo "vsphere $(sed -n 's/^export const VSPHERE_PROVIDER_VERSION = "\(.*\)";/\1/p' components/vsphere/vsphereSdk.ts)"
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
