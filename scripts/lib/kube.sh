# shellcheck shell=bash
# The Kubernetes toolchain the chart and operator tests use: kube-apiserver, kubectl, etcd, helm and
# kubeconform, each built from its Go module at a pinned version and cached by version under
# $ENCLAVE_CACHE/kube. Sourced by scripts/kube-tools after lib/common.sh (for log, die, ENCLAVE_CACHE).
#
# Owns: the pinned versions, the wrapper modules that make kube-apiserver and etcd buildable with
# `go build`, and the cache layout. Must never: write into the repository, or leave a half-built binary
# where a later run would take it for a whole one (builds land in a temp dir and move in when complete).

# Changing a version here builds that tool into a new cache directory on the next run.
KUBE_VERSION=v1.37.2            # kube-apiserver and kubectl (k8s.io/kubernetes, staging modules v0.37.2)
ETCD_VERSION=v3.6.16            # go.etcd.io/etcd/server/v3
HELM_VERSION=v4.3.2             # helm.sh/helm/v4
KUBECONFORM_VERSION=v0.8.0      # github.com/yannh/kubeconform

kube_cache() { echo "$ENCLAVE_CACHE/kube"; }
# Each tool has its own directory keyed by its own version, so bumping helm does not rebuild the
# twelve-minute kube-apiserver.
kube_tool_dir() { echo "$(kube_cache)/$1-$2/bin"; }
# The directory callers use: symlinks to the four tool directories, keyed by the whole version set.
kube_bin_dir() {
  echo "$(kube_cache)/$KUBE_VERSION-etcd$ETCD_VERSION-helm$HELM_VERSION-kubeconform$KUBECONFORM_VERSION/bin"
}

# kube_build NAME VERSION BUILD_FUNCTION BINARY... — runs BUILD_FUNCTION OUT_DIR WORK_DIR unless every
# BINARY is already cached, under a lock so two runs never build the same tool at once.
kube_build() {
  local name=$1 version=$2 fn=$3 dest tmp started
  shift 3
  dest=$(kube_tool_dir "$name" "$version")
  _kube_have "$dest" "$@" && return 0
  mkdir -p "$(kube_cache)/.tmp"
  (
    flock 9
    _kube_have "$dest" "$@" && exit 0
    started=$(date +%s)
    # What a killed build of this tool left behind (the lock says no build of it is running now).
    rm -rf "$(kube_cache)/.tmp/$name-$version".*
    tmp=$(mktemp -d -p "$(kube_cache)/.tmp" "$name-$version.XXXXXX")
    # A failed or interrupted build leaves nothing behind.
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/bin" "$tmp/work"
    "$fn" "$tmp/bin" "$tmp/work" || exit 1
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$tmp/bin" "$dest"
    log "$name $version: built in $(($(date +%s) - started))s"
  ) 9>"$(kube_cache)/.$name-$version.lock" || die "$name $version: build failed"
}

_kube_have() {
  local dir=$1 b
  shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

# _kube_progress PID WHAT — one line a minute while a long build runs, so a log shows it is alive.
_kube_progress() {
  local pid=$1 what=$2 start last now
  start=$(date +%s)
  last=$start
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    now=$(date +%s)
    if ((now - last >= 60)) && kill -0 "$pid" 2>/dev/null; then
      log "$what: still building ($((now - start))s)"
      last=$now
    fi
  done
  wait "$pid"
}

_kube_go() { (CGO_ENABLED=0 GOFLAGS=-trimpath "$@") & _kube_progress $! "$KUBE_STEP"; }

# kube-apiserver and kubectl: `go install k8s.io/kubernetes/cmd/...` is refused because the main
# module replaces its staging modules with local folders, so a wrapper module points each of those
# replaces at the published k8s.io/<name> v0.<minor>.<patch> instead.
build_kubernetes() {
  local out=$1 work=$2 gomod staging ld
  staging="v0${KUBE_VERSION#v1}"
  KUBE_STEP="kubernetes $KUBE_VERSION"
  log "$KUBE_STEP: resolving the staging modules"
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p') || return 1
  [ -s "$gomod" ] || { log "$KUBE_STEP: no go.mod found for k8s.io/kubernetes"; return 1; }
  {
    printf 'module local/k8sbuild\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
    # Generated from upstream's own replace list (it changes between releases); the sample modules
    # are examples nothing imports.
    grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod" |
      awk '{print $1}' | grep -vE '^k8s\.io/sample-(cli-plugin|controller)$' |
      sort -u | while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    printf ')\n'
  } >"$work/go.mod"
  log "$KUBE_STEP: $(grep -c ' => ' "$work/go.mod") replace lines; fetching modules"
  (cd "$work" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" \
    "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION") || return 1
  # Without the version stamped in, the server reports v0.0.0-master and helm's and kubectl's
  # version checks misbehave.
  local minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
  ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
  log "$KUBE_STEP: building kube-apiserver (about 10 minutes on 2 cores with cold caches)"
  (cd "$work" && _kube_go go build -ldflags "$ld" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) ||
    return 1
  log "$KUBE_STEP: building kubectl"
  (cd "$work" && _kube_go go build -ldflags "$ld" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl) || return 1
}

build_etcd() {
  local out=$1 work=$2
  KUBE_STEP="etcd $ETCD_VERSION"
  log "$KUBE_STEP: building"
  printf 'module local/etcdbuild\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$work/go.mod"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' \
    >"$work/main.go"
  (cd "$work" && go mod tidy) || return 1
  (cd "$work" && _kube_go go build -ldflags "-s -w" -o "$out/etcd" .) || return 1
}

build_helm() {
  local out=$1
  KUBE_STEP="helm $HELM_VERSION"
  log "$KUBE_STEP: building (3-5 minutes with cold caches)"
  # Without the -X, `helm version` prints only the minor version.
  GOBIN=$out _kube_go go install -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
}

build_kubeconform() {
  local out=$1
  KUBE_STEP="kubeconform $KUBECONFORM_VERSION"
  log "$KUBE_STEP: building"
  # Without the -X, `kubeconform -v` prints "development".
  GOBIN=$out _kube_go go install -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
}

# kube_install — builds what is missing (small tools first, so the chart can be linted while the
# API server still builds elsewhere) and makes the combined bin directory.
kube_install() {
  local bin
  bin=$(kube_bin_dir)
  if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kubectl" ] && [ -x "$bin/etcd" ] && [ -x "$bin/helm" ] &&
    [ -x "$bin/kubeconform" ]; then
    return 0
  fi
  kube_build kubeconform "$KUBECONFORM_VERSION" build_kubeconform kubeconform
  kube_build helm "$HELM_VERSION" build_helm helm
  kube_build etcd "$ETCD_VERSION" build_etcd etcd
  kube_build kubernetes "$KUBE_VERSION" build_kubernetes kube-apiserver kubectl
  _kube_link "$bin"
}

# The combined directory is assembled beside its final place and renamed into it, so a reader
# never sees it with some links missing.
_kube_link() {
  local bin=$1 tmp
  mkdir -p "$(dirname "$bin")"
  tmp=$(mktemp -d -p "$(dirname "$bin")" .bin.XXXXXX)
  ln -s "$(kube_tool_dir kubernetes "$KUBE_VERSION")/kube-apiserver" "$tmp/kube-apiserver"
  ln -s "$(kube_tool_dir kubernetes "$KUBE_VERSION")/kubectl" "$tmp/kubectl"
  ln -s "$(kube_tool_dir etcd "$ETCD_VERSION")/etcd" "$tmp/etcd"
  ln -s "$(kube_tool_dir helm "$HELM_VERSION")/helm" "$tmp/helm"
  ln -s "$(kube_tool_dir kubeconform "$KUBECONFORM_VERSION")/kubeconform" "$tmp/kubeconform"
  chmod 755 "$tmp"
  if ! mv -T "$tmp" "$bin" 2>/dev/null; then
    # Another run made it first; theirs is identical.
    rm -rf "$tmp"
  fi
}
