#!/usr/bin/env bash
# Builds the Pulumi toolchain from Go modules, with this machine's Go, at pinned versions, into
# .tools/pulumi/bin, as an air-gapped site builds from its module mirror. Idempotent: a part whose
# pins and Go version have not changed is not rebuilt (a second run takes seconds). Prints the
# `export PATH=...` line to use the toolchain last, on stdout; progress goes to stderr.
#
#   ./scripts/pulumi-toolchain.sh            build what is missing or stale
#   eval "$(./scripts/pulumi-toolchain.sh)"  build, then put it on PATH
#
# Each part is a small tools module of ours under scripts/toolchain/<part>/ (go.mod and go.sum
# committed, so the build is reproducible and `go` verifies every module it downloads):
#   cli     the Pulumi CLI, github.com/pulumi/pulumi/pkg/v3 at the version of @pulumi/pulumi in
#           package-lock.json (checked below)
#   hosts   pulumi-language-nodejs and pulumi-language-python from github.com/pulumi/pulumi/sdk/v3
#           v3.68.0: the newest release in which they are packages of the sdk module. Their own
#           modules (sdk/nodejs/cmd/pulumi-language-nodejs/v3, ...) are not served by the Go module
#           proxy these machines reach, at any version or pseudo-version.
#   yaml    pulumi-language-yaml from github.com/pulumi/pulumi-yaml (its own module, served)
#   oras    the ORAS CLI (oras.land/oras), which the setup binary and the default login use
#   govmomi vcsim (our main) and govc, from github.com/vmware/govmomi (scripts/toolchain/govmomi),
#           into .tools/govmomi/bin, where the tests and the benchmarks look for them
# Not built, because the proxy does not serve their modules (checked by `go mod download`, see
# README "End-to-end tests"): the resource plugins command (github.com/pulumi/pulumi-command/
# provider), vsphere (github.com/pulumi/pulumi-vsphere/provider/v4, and its upstream
# terraform-provider-vsphere), docker and aws. Bring them in as release tarballs (README
# "Bringing Pulumi into the air gap").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools/pulumi"
bin="$tools/bin"
stamps="$tools/stamps"
mkdir -p "$bin" "$stamps"

say() { echo "pulumi-toolchain: $*" >&2; }
fail() { say "$*"; exit 1; }

# shellcheck source=scripts/toolchain/common.sh
source "$root/scripts/toolchain/common.sh"
go_version="$("$go_binary" env GOVERSION)"

# The pins that come from a lock file must agree with it.
cli_pin="$(pin_of cli github.com/pulumi/pulumi/pkg/v3)"
sdk_lock="$(lock_version @pulumi/pulumi)"
[ "$cli_pin" = "$sdk_lock" ] || fail "scripts/toolchain/cli/go.mod pins github.com/pulumi/pulumi/pkg/v3 v$cli_pin but package-lock.json has @pulumi/pulumi $sdk_lock: make them equal (go get github.com/pulumi/pulumi/pkg/v3@v$sdk_lock github.com/pulumi/pulumi/sdk/v3@v$sdk_lock && go mod tidy in scripts/toolchain/cli)"

# build <part> <ldflags> <output names...> -- <packages...>: one `go build` per package into $bin,
# skipped when the stamp (go.mod, go.sum, sources, Go version, flags) is unchanged.
build() {
  local part="$1" ldflags="$2"; shift 2
  local outputs=() packages=()
  while [ "$1" != "--" ]; do outputs+=("$1"); shift; done
  shift
  packages=("$@")
  local dir="$root/scripts/toolchain/$part"
  local stamp
  stamp="$(cat "$dir"/go.mod "$dir"/go.sum "$dir"/*.go 2>/dev/null | sha256sum | cut -c1-16)-$(echo "$go_version $ldflags" | sha256sum | cut -c1-8)"
  local fresh=1 name
  for name in "${outputs[@]}"; do [ -x "$bin/$name" ] || fresh=0; done
  if [ "$fresh" -eq 1 ] && [ "$(cat "$stamps/$part" 2>/dev/null)" = "$stamp" ]; then
    say "$part: up to date (${outputs[*]})"
    return
  fi
  say "$part: downloading modules (scripts/toolchain/$part)"
  (cd "$dir" && "$go_binary" mod download) || fail "$part: go mod download failed in scripts/toolchain/$part (is the Go module proxy reachable?)"
  local i
  for i in "${!packages[@]}"; do
    say "$part: building ${outputs[$i]} from ${packages[$i]}"
    (cd "$dir" && "$go_binary" build -ldflags "$ldflags" -o "$bin/${outputs[$i]}.partial" "${packages[$i]}") \
      || fail "$part: go build of ${packages[$i]} failed (scripts/toolchain/$part, $go_version)"
    mv "$bin/${outputs[$i]}.partial" "$bin/${outputs[$i]}"
  done
  echo "$stamp" >"$stamps/$part"
}

started=$SECONDS
build cli "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$cli_pin" \
  pulumi -- github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
build hosts "-s -w" \
  pulumi-language-nodejs pulumi-language-python -- \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
# The Python host runs this script of the same sdk module, found on PATH beside it.
hosts_sdk="$(cd "$root/scripts/toolchain/hosts" && "$go_binary" list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 755 "$hosts_sdk/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
yaml_pin="$(pin_of yaml github.com/pulumi/pulumi-yaml)"
build yaml "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$yaml_pin" \
  pulumi-language-yaml -- github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
# The ORAS CLI: the setup binary pushes with it and the login uses it by default (preflight requires it).
build oras "-s -w" oras -- oras.land/oras/cmd/oras
if [ -x "$root/scripts/toolchain/govmomi/build.sh" ]; then
  GO="$go_binary" "$root/scripts/toolchain/govmomi/build.sh" "$root/.tools/govmomi/bin" >&2 || fail "govmomi: scripts/toolchain/govmomi/build.sh failed"
fi

"$bin/pulumi" version >/dev/null || fail "cli: the built pulumi does not run"
say "ready in $((SECONDS - started)) s: pulumi $("$bin/pulumi" version), language hosts nodejs, python, yaml, oras (in $bin)"
echo "export PATH=\"$bin:\$PATH\""
