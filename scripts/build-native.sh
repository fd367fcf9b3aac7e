#!/usr/bin/env bash
# The native step of `npm run build`: native/build/Release/sha256pair.node (native/sha256pair.c,
# SHA-256 with SHA-NI for the OVA import), built incrementally: make relinks only when a source
# changed, so a build while other processes use the addon (the plugin-package test runs
# `npm run package` beside the others) never removes or rewrites it under them.
# `npm run build:native` is the clean rebuild.
#
# --optional: when it cannot be built (no g++, make or python3), warn and succeed: the import then
# hashes with node:crypto (OpenSSL), slower.
#
# Run through npm (npm run build), which puts its bundled node-gyp on PATH and passes npm's
# nodedir, so the headers come from the local Node installation and nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/../native"

optional=false
[ "${1:-}" = "--optional" ] && optional=true

build() {
    command -v node-gyp >/dev/null || { echo "node-gyp is not on PATH: run this through npm (npm run build)" >&2; return 1; }
    if [ ! -f build/config.gypi ] || [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
        node-gyp configure --silent >/dev/null
    fi
    node-gyp build --silent >/dev/null
}

if ! build; then
    if $optional; then
        echo "warning: the native SHA-256 addon (native/sha256pair.c) was not built (needs g++, make and python3); the OVA import will hash with OpenSSL, slower" >&2
        exit 0
    fi
    exit 1
fi
