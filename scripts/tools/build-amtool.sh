#!/usr/bin/env bash
# Builds amtool (Alertmanager's CLI) from the Go module proxy at a pinned version into the same
# cache as scripts/cluster/build.sh:
#   ${ELIFE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elife-k8s}/bin/amtool-<version>/amtool
# The tests use it as the peer tool for `elife-k8s alertmanager apply`'s validation
# (`amtool check-config`). Prints the binary's path on stdout. Safe to run again: a finished
# build is reused; a build goes into a temporary folder renamed into place only when complete,
# so an interrupted build never counts.
set -euo pipefail
AMTOOL_VERSION=${AMTOOL_VERSION:-v0.34.2}
cache=${ELIFE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elife-k8s}
out="$cache/bin/amtool-$AMTOOL_VERSION"
if [ -x "$out/amtool" ]; then
  printf '%s\n' "$out/amtool"
  exit 0
fi
mkdir -p "$cache/bin"
printf '► building amtool %s from the Go module proxy\n' "$AMTOOL_VERSION" >&2
tmp="$out.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
ld="-s -w -X github.com/prometheus/common/version.Version=${AMTOOL_VERSION#v}"
GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" \
  go install -ldflags "$ld" "github.com/prometheus/alertmanager/cmd/amtool@$AMTOOL_VERSION"
"$tmp/amtool" --version >/dev/null 2>&1 || { echo "✗ the built amtool does not run" >&2; exit 1; }
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
printf '%s\n' "$out/amtool"
