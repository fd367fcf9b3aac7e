#!/usr/bin/env bash
# The one test command (README "The two commands"): installs what the tests need on a fresh Debian
# machine (Debian packages, npm ci, the Pulumi toolchain built from Go modules), type-checks, runs
# every test (end-to-end ones under the real pulumi CLI), and prints one summary line.
# Under CI=true a skipped test fails the run: nothing may skip silently in CI.
#
#   ./tests/run-all.sh            every test
#   ./tests/run-all.sh --quick    unit, contract and mock tests only: day-to-day work (README "Quick start")
#
# Test files run in TEST_JOBS mocha worker processes (default 2: both cores of the reference
# machine; 1 runs them in this process), slowest first (tests/durations.json), so one long file
# does not finish alone at the end. Files are independent: every service a test starts binds a
# free port on 127.0.0.1 (the end-to-end file-server guest: ports 22 and 80 of a loopback address
# of its own, 127.0.x.y) and lives in its own temporary directory. UPDATE_DURATIONS=1 records the
# measured times into tests/durations.json.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  "") ;;
  --quick) mode=quick ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
jobs="${TEST_JOBS:-2}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "TEST_JOBS must be a positive whole number, not '$jobs'" >&2; exit 2; }

# Debian packages the integration tests use (the vSphere simulator, vcsim, is not one of them: it is
# built from govmomi's Go module with Go >= 1.25 by scripts/toolchain/govmomi/build.sh, which
# Debian's golang-go is too old for); openssl makes the test CAs;
# docker-registry (TLS + htpasswd from apache2-utils) stands in for Harbor's registry; makeself
# builds the fake setup and pack binaries, which push with skopeo and zip the manifests; curl is
# the benchmarks' reference uploader; openssh-server and nginx-light are the file server the
# manifests are published to, over SSH, and served from; openssh-client (ssh, ssh-agent) copies
# the zip there, as on the machine that runs pulumi up; cloud-init validates the VM's user data
# and systemd (systemd-analyze) its fallback web-server units; tmux is the terminal the stack
# generator's interactive test types into; sudo is the file-server guest's in the end-to-end tests
# (the publish runs as a non-root user with sudo, as on the VM), and git lists the checkout's files
# they copy; python3-venv holds the Pulumi Python SDK of the Python e2e test (scripts/python-sdk.sh);
# g++, make and python3 build the native SHA-256 addon
# (node-gyp).
DEBIAN_PACKAGES=(openssl docker-registry apache2-utils skopeo makeself zip unzip jq curl openssh-server openssh-client nginx-light cloud-init systemd tmux g++ make python3 sudo git python3-venv)

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The native SHA-256 addon (native/sha256pair.c), in both modes: its tests, the OVA import and the
# plugin use it, and under CI a missing addon fails its tests rather than falling back. A clean
# rebuild that fails the run; `npm run build` below only relinks when a source changed.
echo "Building the native SHA-256 addon (npm run build:native)"
npm run build:native --silent >/dev/null

# The provider plugin (bin/pulumi-resource-palette-airgap) runs the compiled JavaScript in dist/;
# the plugin tests start it as the engine does. Built once here, before the workers start (two
# workers building it at once would race); the quick mode has no plugin tests.
if [ "$mode" = full ]; then
  echo "Building the provider plugin (npm run build)"
  npm run build --silent
  # The Pulumi CLI, its language hosts, ORAS, vcsim and govc from Go modules (the end-to-end
  # tests run the real CLI); seconds when already built, about 15 minutes cold.
  echo "Building the Pulumi toolchain from Go modules (scripts/pulumi-toolchain.sh)"
  ./scripts/pulumi-toolchain.sh >/dev/null
  # The Pulumi Python SDK (PyPI, the CLI's version) and its SDK generator, for the Python e2e test.
  echo "Installing the Pulumi Python SDK (scripts/python-sdk.sh)"
  ./scripts/python-sdk.sh >/dev/null
fi

log=$(mktemp)
durations=$(mktemp)
typecheck_log=$(mktemp)
typecheck_pid=""
cleanup() {
  [ -z "$typecheck_pid" ] || kill "$typecheck_pid" 2>/dev/null || true
  rm -f "$log" "$durations" "$typecheck_log"
}
trap cleanup EXIT

# The type check (one core, 10-40 s) runs beside the tests, which run transpile-only; either
# failing fails the run.
echo "Type-checking (tsc --noEmit) while the tests run"
node_modules/.bin/tsc --noEmit -p . >"$typecheck_log" 2>&1 &
typecheck_pid=$!
mapfile -t files < <(node tests/support/testFiles.js "$mode")
[ ${#files[@]} -gt 0 ] || { echo "no test files found for mode $mode" >&2; exit 1; }
parallel=()
[ "$jobs" -eq 1 ] || parallel=(--parallel --jobs "$jobs" --require tests/support/fileDurations.js)
set +e
TEST_DURATIONS_LOG="$durations" npx mocha "${parallel[@]}" "${files[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "${UPDATE_DURATIONS:-}" = "1" ] && [ -s "$durations" ]; then
  node tests/support/testFiles.js --record "$durations"
fi

typecheck_status=0
wait "$typecheck_pid" || typecheck_status=$?
typecheck_pid=""
if [ "$typecheck_status" -ne 0 ]; then
  cat "$typecheck_log"
  echo "type check failed (tsc --noEmit, above)" >&2
fi

count() { grep -Eo "^ +[0-9]+ $1" "$log" | grep -Eo '[0-9]+' | tail -1 || true; }
passed=$(count passing); failed=$(count failing); skipped=$(count pending)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
if [ "$typecheck_status" -ne 0 ]; then
  exit "$typecheck_status"
fi
if [ "${CI:-}" = "true" ] && [ "$skipped" -ne 0 ]; then
  echo "CI: ${skipped} test(s) skipped; every test must run in CI" >&2
  exit 1
fi
