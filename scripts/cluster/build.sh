#!/usr/bin/env bash
# Builds the local test cluster's binaries from the Go module proxy at the versions pinned in
# versions.env, once, into a cache outside the repo keyed by version:
#   ${ELIFE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elife-k8s}/bin/<component>-<version>/
# Prints the cache's bin root on stdout. Safe to run again: finished builds are skipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${ELIFE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elife-k8s}
mkdir -p "$cache/bin" "$cache/src"
export GOFLAGS="${GOFLAGS:-} -trimpath"
export CGO_ENABLED=0

log() { printf '► %s\n' "$*" >&2; }

# Each component is built into a temporary folder and renamed into place only when complete,
# so an interrupted build never leaves a half-populated cache entry.
finish() { rm -rf "$2"; mv "$1" "$2"; }

build_kubernetes() {
  local out="$cache/bin/kubernetes-$K8S_VERSION"
  [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ] && [ -x "$out/kube-scheduler" ] && [ -x "$out/kube-controller-manager" ] && return 0
  log "building kubernetes $K8S_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)"
  local src="$cache/src/kubernetes-$K8S_VERSION"
  rm -rf "$src"; mkdir -p "$src"
  # k8s.io/kubernetes replaces its staging modules with local paths, so it cannot be
  # `go install`ed. A wrapper module requires it and points each staging module at its
  # published v0.<minor>.<patch> release instead.
  local staging="v0.${K8S_VERSION#v1.}"
  ( cd "$src"
    go mod init elife-k8s.local/kubernetes >/dev/null 2>&1
    go mod edit -go=1.25.0 -require="k8s.io/kubernetes@$K8S_VERSION"
    local gomod
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod" | while read -r m; do
      go mod edit -replace="$m=$m@$staging"
    done
    cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    go mod tidy -e >/dev/null 2>&1 || true
    local major=${K8S_VERSION#v}; major=${major%%.*}
    local minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
    local ld="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    go build -tags tools -ldflags "$ld" -o "$out.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  )
  finish "$out.tmp" "$out"
}

build_etcd() {
  local out="$cache/bin/etcd-$ETCD_VERSION"
  [ -x "$out/etcd" ] && return 0
  log "building etcd $ETCD_VERSION"
  local src="$cache/src/etcd-$ETCD_VERSION"
  rm -rf "$src"; mkdir -p "$src"
  # etcd's root module also uses local replaces; its main is one call into server/v3's etcdmain.
  ( cd "$src"
    go mod init elife-k8s.local/etcd >/dev/null 2>&1
    cat > main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
    go mod tidy >/dev/null 2>&1
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    go build -ldflags "-s -w" -o "$out.tmp/etcd" .
  )
  finish "$out.tmp" "$out"
}

build_kwok() {
  local out="$cache/bin/kwok-$KWOK_VERSION"
  [ -x "$out/kwok" ] && return 0
  log "building kwok $KWOK_VERSION"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  finish "$out.tmp" "$out"
}

build_helm() {
  local out="$cache/bin/helm-$HELM_VERSION"
  [ -x "$out/helm" ] && return 0
  log "building helm $HELM_VERSION"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  GOBIN="$out.tmp" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  finish "$out.tmp" "$out"
}

# Our own stand-in for the kubelet's attach to ephemeral containers (kubelet-front/main.go), keyed
# by a hash of its source, so a change to it rebuilds it. Its dependencies are kwok's.
build_kubelet_front() {
  local key
  key=$(cat "$here/kubelet-front/go.mod" "$here/kubelet-front/go.sum" "$here/kubelet-front/main.go" | sha256sum | cut -c1-12)
  local out="$cache/bin/kubelet-front-$key"
  [ -x "$out/kubelet-front" ] && return 0
  log "building kubelet-front ($key)"
  rm -rf "$out.tmp"; mkdir -p "$out.tmp"
  ( cd "$here/kubelet-front" && go build -ldflags "-s -w" -o "$out.tmp/kubelet-front" . )
  finish "$out.tmp" "$out"
}

only=${1:-all}
case "$only" in
  all) build_etcd; build_kwok; build_kubelet_front; build_helm; build_kubernetes ;;
  kubernetes|etcd|kwok|helm) "build_$only" ;;
  kubelet-front) build_kubelet_front ;;
  *) echo "usage: build.sh [all|kubernetes|etcd|kwok|kubelet-front|helm]" >&2; exit 2 ;;
esac
echo "$cache/bin"
