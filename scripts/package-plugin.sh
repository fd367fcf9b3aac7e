#!/usr/bin/env bash
# `npm run package [-- <output dir>]`: the provider plugin as the tarball `pulumi plugin install
# resource palette-airgap <version> --file <tarball>` installs: the executable at the root, the
# compiled JavaScript it runs (dist/), package.json (the version) and the production
# dependencies (node_modules without the dev ones). Pure JavaScript: it runs wherever Node 20 does;
# the name says linux-amd64 because that is the platform the air-gapped hosts use.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir="${1:-$PWD}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
version="$(node -p "require('./package.json').version")"
tarball="$out_dir/pulumi-resource-palette-airgap-v${version}-linux-amd64.tar.gz"

npm run build --silent

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp bin/pulumi-resource-palette-airgap "$stage/"
cp -r dist "$stage/dist"
cp package.json package-lock.json "$stage/"
cp -a node_modules "$stage/node_modules"
# Drop the dev dependencies (TypeScript, mocha, ts-node, ...) without touching the network.
(cd "$stage" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
rm -f "$stage/package-lock.json"

tar -czf "$tarball" -C "$stage" .
echo "$tarball"
