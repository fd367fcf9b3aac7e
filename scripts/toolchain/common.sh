# Sourced by scripts/pulumi-toolchain.sh and scripts/python-sdk.sh (which set $root): sets go_binary
# to the machine's Go 1.25 or newer ($GO, /usr/local/go/bin/go, then go on PATH), never an older one
# earlier on PATH (Debian's golang-go is 1.19), stops go from fetching a toolchain or editing go.mod
# by itself, and defines how a pin is read from a lock file and from a tools module.
# shellcheck shell=bash
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly
go_binary=""
for candidate in "${GO:-}" /usr/local/go/bin/go "$(command -v go || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  minor="$("$candidate" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  if [ -n "$minor" ] && [ "$minor" -ge 25 ]; then go_binary="$candidate"; break; fi
done
[ -n "$go_binary" ] || { echo "no Go 1.25 or newer found (tried \$GO, /usr/local/go/bin/go, go on PATH)" >&2; exit 1; }

# The version package-lock.json holds of an npm package.
lock_version() { node -p "require('$root/package-lock.json').packages['node_modules/$1'].version"; }
# The version a tools module (scripts/toolchain/<part>) requires of a module (a `require` line, in a block or not).
pin_of() { sed -n "s#^\(require \)\{0,1\}[[:space:]]*$2 v\([^ ]*\).*#\2#p" "$root/scripts/toolchain/$1/go.mod" | head -1; }
