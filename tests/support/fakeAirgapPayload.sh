#!/usr/bin/env bash
# Payload of the fake airgap binaries built by tests/support/makeselfBinaries.ts: behaves like
# the real setup/pack binary's script. Its settings come from fake.env, baked into the archive.
set -uo pipefail
here=$PWD
. "$here/fake.env"

run=$(( $(cat "$COUNTER_FILE" 2>/dev/null || echo 0) + 1 ))
echo "$run" >"$COUNTER_FILE"

if [ -n "$ENV_DUMP" ]; then env >"$ENV_DUMP"; fi
if [ -n "$AUTH_DUMP" ]; then
  { echo "DOCKER_CONFIG=${DOCKER_CONFIG:-}"; cat "${DOCKER_CONFIG:-/nonexistent}/config.json" 2>&1; } >"$AUTH_DUMP"
fi

if [ -n "${OCI_IMAGE_REGISTRY:-}${OCI_PACK_REGISTRY:-}" ]; then
  for v in OCI_IMAGE_REGISTRY OCI_IMAGE_BASE OCI_PACK_REGISTRY OCI_PACK_BASE; do
    [ -n "${!v:-}" ] || { echo "Error: $v is not set" >&2; exit 3; }
  done
  image_dest="$OCI_IMAGE_REGISTRY/$OCI_IMAGE_BASE"
  pack_dest="$OCI_PACK_REGISTRY/$OCI_PACK_BASE"
elif [ -n "${ECR_IMAGE_REGISTRY:-}${ECR_PACK_REGISTRY:-}" ]; then
  for v in ECR_IMAGE_REGISTRY ECR_IMAGE_BASE ECR_IMAGE_REGISTRY_REGION ECR_PACK_REGISTRY ECR_PACK_BASE ECR_PACK_REGISTRY_REGION; do
    [ -n "${!v:-}" ] || { echo "Error: $v is not set" >&2; exit 3; }
  done
  image_dest="$ECR_IMAGE_REGISTRY/$ECR_IMAGE_BASE"
  pack_dest="$ECR_PACK_REGISTRY/$ECR_PACK_BASE"
else
  echo "Error: set OCI_IMAGE_REGISTRY, OCI_IMAGE_BASE, OCI_PACK_REGISTRY, OCI_PACK_BASE (or the ECR_* variables)" >&2
  exit 3
fi

cert_args=()
if [ -n "${FAKE_AIRGAP_CERT_DIR:-}" ]; then cert_args=(--dest-cert-dir "$FAKE_AIRGAP_CERT_DIR"); fi

pushes=0
push() { # destination reference
  pushes=$((pushes + 1))
  if [ "$pushes" -eq 1 ]; then
    if [ "$SLEEP_BEFORE_PUSH" != 0 ]; then sleep "$SLEEP_BEFORE_PUSH"; fi
    if [ -n "$PS_DUMP" ]; then
      { ps -eo args 2>/dev/null
        for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f" 2>/dev/null; echo; done; } >"$PS_DUMP"
    fi
  fi
  if [ "$FAIL_AT_PUSH" -gt 0 ] && [ "$pushes" -eq "$FAIL_AT_PUSH" ] && [ "$run" -le "$FAIL_RUNS" ]; then
    echo "Error: failed to push $1: simulated failure at push $pushes (run $run)" >&2
    exit 1
  fi
  if ! skopeo --insecure-policy copy --quiet --dest-authfile "${DOCKER_CONFIG:-$HOME/.docker}/config.json" "${cert_args[@]}" \
      "oci:$here/oci:latest" "docker://$1" 2>&1; then
    echo "Error: push of $1 failed" >&2
    exit 1
  fi
}

if [ "$PRINT_MIB" != 0 ]; then
  # 100-character lines (99 + newline), PRINT_MIB MiB of them.
  yes 'I: pushing layer sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ..... ok' |
    head -c $((PRINT_MIB * 1024 * 1024))
fi
if [ "$PRINT_LONG_LINE_MIB" != 0 ]; then
  head -c $((PRINT_LONG_LINE_MIB * 1024 * 1024)) /dev/zero | tr '\0' 'z'
  echo
fi

echo "Setting up Packs"
if [ -n "$HANG_PID_FILE" ]; then
  if [ -n "$HANG_IGNORES_TERM" ]; then trap '' TERM; fi
  sleep 100000 &
  echo "$$ $!" >"$HANG_PID_FILE"
  echo "- Pushing Pack (hangs here)"
  wait "$!" || true
  while :; do sleep 100000; done
fi
for pack in $PACKS; do
  echo "- Pushing Pack $pack"
  push "$pack_dest/$pack"
done
if [ "$MODE" = setup ]; then
  echo "Setting up Images"
  echo "W: image layers are pushed with skopeo (a line on stderr)" >&2
  for image in $IMAGES; do
    echo "- Pushing image $image"
    push "$image_dest/$image"
  done
  stage=$(mktemp -d)
  mkdir -p "$stage/roar/nickfury/$VERSION"
  # The documented shape, which `palette ec install` and the validation read.
  printf 'versions:\n  - version: "%s"\n    filepath: "/roar/nickfury/%s/version.yaml"\n' "$VERSION" "$VERSION" >"$stage/roar/nickfury/versions.yaml"
  printf 'version: "%s"\n' "$VERSION" >"$stage/roar/nickfury/$VERSION/version.yaml"
  zip_file="$MANIFESTS_DIR/spectro-manifests-$(date +%s%3N).zip"
  (cd "$stage" && zip -qr "$zip_file" roar) || { echo "Error: cannot write $zip_file" >&2; exit 1; }
  rm -rf "$stage"
  if [ -z "$NO_MANIFESTS_LINE" ]; then echo "Manifests are available in $zip_file"; fi
fi
if [ -z "$NO_COMPLETED" ]; then echo "Setup Completed"; fi
exit 0
