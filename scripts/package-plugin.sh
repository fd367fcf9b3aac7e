#!/usr/bin/env bash
# `npm run package [-- <output dir>]`: the provider plugin as the tarball `pulumi plugin install
# resource palette-airgap <version> --file <tarball>` installs: the executable at the root, the
# compiled JavaScript it runs (dist/), package.json (the version) and the production
# dependencies (node_modules without the dev ones, no symlinks: scripts/pluginNodeModules.js), and the native SHA-256 addon
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
# Build bookkeeping (scripts/distFreshness.js), not code.
rm -f "$stage/dist/.build-complete" "$stage/dist/.tsbuildinfo"
cp package.json package-lock.json "$stage/"
cp -a node_modules "$stage/node_modules"
# Drop the dev dependencies (mocha, ajv, ...) without touching the network (--ignore-scripts: no
# `prepare` build in the stage), then what prune keeps but the plugin never runs (TypeScript and
# ts-node, optional peers of @pulumi/pulumi; type declarations) and every symlink
# (node_modules/.bin), which Pulumi CLIs before 3.247 refuse to install.
(cd "$stage" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
node scripts/pluginNodeModules.js "$stage"
rm -f "$stage/package-lock.json" "$stage/node_modules/.package-lock.json"

# Owner and group 0 and no user names: the tarball is the same whoever builds it.
tar -czf "$tarball" --owner=0 --group=0 --numeric-owner -C "$stage" .
echo "$tarball"
