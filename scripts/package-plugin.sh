#!/usr/bin/env bash
# `npm run package [-- <output dir>]`: the provider plugin as the tarball `pulumi plugin install
# resource palette-airgap <version> --file <tarball>` installs: the executable at the root, the
# compiled JavaScript it runs (dist/), package.json (the version) and the production
# dependencies (node_modules without the dev ones), and the native SHA-256 addon
# (native/build/Release/sha256pair.node: x86-64 Linux, Node-API 8, so any Node >= 20 loads it; where
# it does not load, the import hashes with OpenSSL). The name says linux-amd64: the platform the
# air-gapped hosts use.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir="${1:-$PWD}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
version="$(node -p "require('./package.json').version")"
tarball="$out_dir/pulumi-resource-palette-airgap-v${version}-linux-amd64.tar.gz"

npm run build --silent
addon=native/build/Release/sha256pair.node
if [ ! -f "$addon" ]; then
    echo "$addon was not built (npm run build:native; needs g++, make and python3): a plugin without it hashes OVAs with OpenSSL, slower" >&2
    exit 1
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp bin/pulumi-resource-palette-airgap "$stage/"
cp -r dist "$stage/dist"
mkdir -p "$stage/$(dirname "$addon")"
cp "$addon" "$stage/$addon"
cp package.json package-lock.json "$stage/"
cp -a node_modules "$stage/node_modules"
# Drop the dev dependencies (TypeScript, mocha, ts-node, ...) without touching the network.
(cd "$stage" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
rm -f "$stage/package-lock.json"

tar -czf "$tarball" -C "$stage" .
echo "$tarball"
