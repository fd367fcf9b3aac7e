#!/usr/bin/env bash
# Builds the govmomi tools of the tests and benchmarks from this Go module
# (palette-airgap.local/toolchain/govmomi, govmomi pinned by go.mod + go.sum, fetched through the
# Go module proxy) into <out-dir>:
#
#   vcsim   our simulator main (vcsim/main.go): tests/support/vcsim.ts starts it
#   govc    govc (govc/main.go, upstream's command set), the peer of bench/ovaImport.ts
#
#   scripts/toolchain/govmomi/build.sh <out-dir>
#
# Idempotent: <out-dir>/.govmomi-build holds the hash of everything the binaries are built from
# (go.mod, go.sum, both mains, this script, the Go version); when it matches and both binaries
# exist, nothing is built. Concurrent callers (two test workers) take turns on a lock in <out-dir>,
# and binaries are written under temporary names and renamed, so a process that is running the
# previous vcsim keeps it. Prints the two paths on success.
#
# Needs Go >= 1.25 (govmomi v0.56.0's go.mod says so). Debian's golang-go (1.19, /usr/bin/go) may
# still be installed and first on PATH: GO=<path to go> picks one, otherwise the first go >= 1.25
# among PATH's, /usr/local/go's and /usr/lib/go-*'s is used, with its own GOROOT first on PATH
# and GOTOOLCHAIN=local (no toolchain download behind our back).
set -euo pipefail

MODULE="palette-airgap.local/toolchain/govmomi"
MIN_GO_MINOR=25
here="$(cd "$(dirname "$0")" && pwd)"

fail() { echo "$MODULE: $1 failed: $2" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 <out-dir>" >&2; exit 2; }
mkdir -p "$1" || fail "creating the output directory" "cannot create $1"
out="$(cd "$1" && pwd)"

# go_minor <go binary>: prints the minor version of a Go 1.x toolchain, nothing when it is not one.
go_minor() {
    local v
    v="$("$1" version 2>/dev/null)" || return 0
    [[ "$v" =~ go1\.([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
    return 0
}

find_go() {
    local candidates=() c minor
    if [ -n "${GO:-}" ]; then
        candidates=("$GO")
    else
        mapfile -t candidates < <(type -a -P go 2>/dev/null || true)
        candidates+=(/usr/local/go/bin/go)
        for c in /usr/lib/go-*/bin/go; do [ -x "$c" ] && candidates+=("$c"); done
    fi
    for c in "${candidates[@]}"; do
        [ -x "$c" ] || continue
        minor="$(go_minor "$c")"
        if [ -n "$minor" ] && [ "$minor" -ge "$MIN_GO_MINOR" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

go_bin="$(find_go)" || fail "finding Go" "no Go >= 1.$MIN_GO_MINOR found (tried ${GO:-PATH, /usr/local/go/bin/go, /usr/lib/go-*/bin/go}; Debian's golang-go is too old); install Go from go.dev/dl into /usr/local/go or set GO=<path to go>"
goroot="$("$go_bin" env GOROOT)" || fail "go env GOROOT" "$go_bin env GOROOT exited non-zero"
export PATH="$goroot/bin:$PATH"
export GOTOOLCHAIN=local
# A static binary that needs no C toolchain, like upstream's release builds.
export CGO_ENABLED=0
# go.sum is committed: a build must not change it, and a dependency it does not list is an error.
# No VCS stamping: the binaries must depend on the hashed files only, not on the checkout's state.
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"
go_version="$(go version)"

hash="$(cd "$here" && cat go.mod go.sum vcsim/main.go govc/main.go build.sh | { sha256sum; echo "$go_version"; } | sha256sum | cut -c1-32)"
stamp="$out/.govmomi-build"
up_to_date() { [ -x "$out/vcsim" ] && [ -x "$out/govc" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; }
if up_to_date; then
    echo "$out/vcsim"
    echo "$out/govc"
    exit 0
fi
# A cold build takes minutes on two cores: a second caller (the other test worker) waits for the
# first one's binaries rather than compiling the same packages beside it.
exec 9>"$out/.govmomi-build.lock"
flock 9 || fail "locking $out/.govmomi-build.lock" "flock failed"
if up_to_date; then
    echo "$out/vcsim"
    echo "$out/govc"
    exit 0
fi

cd "$here"
log="$(mktemp)"
trap 'rm -f "$log" "$out/vcsim.tmp-$$" "$out/govc.tmp-$$"' EXIT

step() { # step <name> <command...>: runs the command, and on failure names the step and shows its output
    local name="$1"; shift
    if ! "$@" >"$log" 2>&1; then
        fail "$name" "$(printf '%s\n(%s, in %s)' "$(tail -c 8000 "$log")" "$go_version" "$here")"
    fi
}

step "go mod download (github.com/vmware/govmomi through GOPROXY=$(go env GOPROXY))" go mod download github.com/vmware/govmomi
govmomi_version="$(go list -m -f '{{.Version}}' github.com/vmware/govmomi)" || fail "go list -m github.com/vmware/govmomi" "cannot read the pinned version"
govmomi_dir="$(go list -m -f '{{.Dir}}' github.com/vmware/govmomi)"

# govc/main.go must import every command package of this govmomi version (see its comment): a
# version bump that adds or removes one is caught here rather than by a missing command.
expected="$(cd "$govmomi_dir" && grep -rl --include='*.go' --exclude='*_test.go' 'cli.Register(' cli | xargs -n1 dirname | sort -u | sed 's|^|github.com/vmware/govmomi/|')"
actual="$(sed -n 's|^\t_ "\(github.com/vmware/govmomi/cli/[^"]*\)"$|\1|p' govc/main.go | sort -u)"
if [ "$expected" != "$actual" ]; then
    fail "checking govc/main.go's imports against govmomi $govmomi_version's cli/" "$(diff <(echo "$actual") <(echo "$expected") | grep '^[<>]' | head -20)
('<' imported but registers nothing, '>' registers commands but not imported)"
fi

step "go build vcsim (./vcsim)" go build -o "$out/vcsim.tmp-$$" ./vcsim
# govc reports its version from this variable (upstream's .goreleaser.yml sets it the same way,
# without the "v"); the user agent it sends says govc/<version> too.
step "go build govc (./govc, govmomi $govmomi_version)" go build -ldflags "-X github.com/vmware/govmomi/cli/flags.BuildVersion=${govmomi_version#v}" -o "$out/govc.tmp-$$" ./govc
"$out/govc.tmp-$$" version >"$log" 2>&1 || fail "checking the built govc (govc version)" "$(cat "$log")"
grep -qx "govc ${govmomi_version#v}" "$log" || fail "checking the built govc (govc version)" "printed '$(cat "$log")', expected 'govc ${govmomi_version#v}'"

mv -f "$out/vcsim.tmp-$$" "$out/vcsim"
mv -f "$out/govc.tmp-$$" "$out/govc"
echo "$hash" >"$stamp.tmp-$$" && mv -f "$stamp.tmp-$$" "$stamp"
echo "$out/vcsim"
echo "$out/govc"
