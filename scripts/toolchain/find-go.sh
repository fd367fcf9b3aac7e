# Sourced by scripts/pulumi-toolchain.sh and scripts/python-sdk.sh: sets go_binary to the machine's
# Go 1.25 or newer ($GO, /usr/local/go/bin/go, then go on PATH), never an older one earlier on PATH
# (Debian's golang-go is 1.19), and stops go from fetching a toolchain or editing go.mod by itself.
# shellcheck shell=bash
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
go_binary=""
for candidate in "${GO:-}" /usr/local/go/bin/go "$(command -v go || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  minor="$("$candidate" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  if [ -n "$minor" ] && [ "$minor" -ge 25 ]; then go_binary="$candidate"; break; fi
done
[ -n "$go_binary" ] || { echo "no Go 1.25 or newer found (tried \$GO, /usr/local/go/bin/go, go on PATH)" >&2; exit 1; }
