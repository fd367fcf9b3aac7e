#!/usr/bin/env bash
# What a Python program using the package needs, for tests/e2e/otherLanguages.test.ts; an install
# step, run before the tests (which send nothing off this machine). Idempotent: seconds when done.
#
#   .tools/python               a virtual environment with the Pulumi Python SDK at the version of
#                               the CLI (@pulumi/pulumi in package-lock.json, 3.248.0) from PyPI,
#                               and what the generated SDK imports (parver, semver) and pip needs to
#                               install it offline (setuptools, wheel)
#   .tools/python/bin/pulumi-python-sdkgen
#                               the Python SDK generator of github.com/pulumi/pulumi/pkg/v3 at the
#                               CLI's version (scripts/toolchain/pysdkgen), built with Go: the python
#                               language host built here (sdk/v3 v3.68.0, scripts/pulumi-toolchain.sh)
#                               does not implement GeneratePackage, so `pulumi package gen-sdk
#                               --language python` and `pulumi package add` fail with "method
#                               GeneratePackage not implemented"
#
# Prints the virtual environment's directory on stdout; progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/python"
say() { echo "python-sdk: $*" >&2; }
fail() { say "$*"; exit 1; }

# shellcheck source=scripts/toolchain/common.sh
source "$root/scripts/toolchain/common.sh"
version="$(lock_version @pulumi/pulumi)"
requirements=("pulumi==$version" "parver==1.0.1.post0" "semver==3.2.0" "wheel==0.48.0")
stamp="$(printf '%s\n' "${requirements[@]}" | sha256sum | cut -c1-16)"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ] || [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with ${requirements[*]}"
  python3 -m venv "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}" >&2 || fail "pip install ${requirements[*]} failed (is PyPI reachable?)"
  echo "$stamp" >"$venv/.requirements"
else
  say "$venv: up to date (${requirements[*]})"
fi

# The generator, from the same pkg/v3 as the CLI (its go.mod pin must agree with the CLI's).
dir="$root/scripts/toolchain/pysdkgen"
pin="$(pin_of pysdkgen github.com/pulumi/pulumi/pkg/v3)"
[ "$pin" = "$version" ] || fail "scripts/toolchain/pysdkgen/go.mod pins github.com/pulumi/pulumi/pkg/v3 v$pin but the CLI is $version: make them equal (go get github.com/pulumi/pulumi/pkg/v3@v$version && go mod tidy there)"
gen_stamp="$(cat "$dir"/go.mod "$dir"/go.sum "$dir"/*.go | sha256sum | cut -c1-16)-$("$go_binary" env GOVERSION)"
if [ -x "$venv/bin/pulumi-python-sdkgen" ] && [ "$(cat "$venv/.sdkgen" 2>/dev/null)" = "$gen_stamp" ]; then
  say "pulumi-python-sdkgen: up to date"
else
  say "building pulumi-python-sdkgen (scripts/toolchain/pysdkgen)"
  (cd "$dir" && "$go_binary" mod download && "$go_binary" build -ldflags "-s -w" -o "$venv/bin/pulumi-python-sdkgen.partial" .) || fail "go build in scripts/toolchain/pysdkgen failed"
  mv "$venv/bin/pulumi-python-sdkgen.partial" "$venv/bin/pulumi-python-sdkgen"
  echo "$gen_stamp" >"$venv/.sdkgen"
fi
say "ready: $("$venv/bin/python" -c 'import importlib.metadata as m; print("pulumi", m.version("pulumi"))') and pulumi-python-sdkgen in $venv"
echo "$venv"
