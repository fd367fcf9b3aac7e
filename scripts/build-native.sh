#!/usr/bin/env bash
# Builds native/build/Release/sha256pair.node (native/sha256pair.c: SHA-256 with SHA-NI for the
# OVA import) with npm's bundled node-gyp. Run it through npm, which puts node-gyp on PATH:
#
#   npm run build:native   (--clean)     a clean rebuild; fails when it cannot build
#   npm run build          (--optional)  incremental: make relinks only when a source changed, so
#                                        a build while other processes use the addon (the plugin
#                                        tarball test runs `npm run package` beside other tests)
#                                        never removes or rewrites it under them; when it cannot
#                                        build (no g++, make or python3) it warns and succeeds,
#                                        and the import hashes with node:crypto (OpenSSL), slower
#
# The headers come from the running Node's own installation (npm's nodedir when set; otherwise
# <node prefix>/include/node: Debian's /usr/include/node, a nodejs.org or nvm install): node-gyp
# would otherwise download them, which an air gap does not allow.
set -euo pipefail
cd "$(dirname "$0")/../native"

mode="${1:-}"
case "$mode" in
  --clean|--optional) ;;
  *) echo "usage: $0 --clean|--optional" >&2; exit 2 ;;
esac

if [ -z "${npm_config_nodedir:-}" ] || [ "${npm_config_nodedir}" = "undefined" ]; then
    prefix="$(node -p 'require("path").resolve(process.execPath, "..", "..")')"
    if [ -f "$prefix/include/node/node_api.h" ]; then
        export npm_config_nodedir="$prefix"
    fi
fi

build() {
    command -v node-gyp >/dev/null || { echo "node-gyp is not on PATH: run this through npm (npm run build:native)" >&2; return 1; }
    [ -n "${npm_config_nodedir:-}" ] || { echo "the Node headers (include/node/node_api.h) are not installed beside $(command -v node) and npm's nodedir is unset" >&2; return 1; }
    if [ "$mode" = --clean ]; then
        node-gyp rebuild --silent >/dev/null
        return
    fi
    if [ ! -f build/config.gypi ] || [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
        node-gyp configure --silent >/dev/null
    fi
    node-gyp build --silent >/dev/null
}

if ! build; then
    if [ "$mode" = --optional ]; then
        echo "warning: the native SHA-256 addon (native/sha256pair.c) was not built (needs g++, make and python3); the OVA import will hash with OpenSSL, slower" >&2
        exit 0
    fi
    echo "the native SHA-256 addon (native/sha256pair.c) was not built: needs g++, make, python3 and the Node headers" >&2
    exit 1
fi
