#!/usr/bin/env bash
# `npm run build` (also run by `npm ci` through the `prepare` script, so that a fresh clone has a
# working plugin): the native SHA-256 addon (optional: warns and goes on without a compiler),
# then dist/, the JavaScript the provider plugin runs. The compiler (15-40 s here) runs only when
# dist/ is stale (scripts/distFreshness.js), so tests/run-all.sh's own `npm run build` right after
# an `npm ci` costs a second, not a second compile. BUILD_FORCE=1 compiles anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-native.sh --optional
if [ "${BUILD_FORCE:-}" != "1" ] && node scripts/distFreshness.js >/dev/null; then
    exit 0
fi
if [ ! -x node_modules/.bin/tsc ]; then
    echo "TypeScript is not installed (an install with --omit=dev?): dist/ cannot be built and the plugin will not start; run npm ci" >&2
    exit 1
fi
node scripts/distFreshness.js --unstamp
node_modules/.bin/tsc -p tsconfig.build.json
node scripts/distFreshness.js --stamp
