# shellcheck shell=bash
# OpenBao (the open-source Vault fork, same HTTP API) for the local stack: built from source through
# the Go module proxy, run as a real (non-dev) server with TLS only, file storage, Shamir seal.
#
# Sourced by scripts/stack after common.sh and versions.env (which set OPENBAO_VERSION,
# OPENBAO_MODULE_VERSION and OPENBAO_PORT). The caller has `set -euo pipefail`.
#
# Owns: $ENCLAVE_CACHE/openbao/$OPENBAO_VERSION/bao and $STACK_DIR/openbao/ (config, data, audit log,
# init.json with the unseal key and root token, root-token), both 0600 / 0700.
# Must never: print the root token or an unseal key, put one on a command line, or skip TLS checks.
#
# Why the build is unusual: OpenBao's root module is `github.com/openbao/openbao` (no /v2), so its
# v2.x.y git tags are not module versions and the proxy only knows the release commit as a
# pseudo-version (OPENBAO_MODULE_VERSION). Its go.mod also `replace`s its nested modules (api, sdk,
# api/auth/*) with ./ paths, which `go install pkg@version` refuses; so we copy the module source
# to a writable directory, put each nested module (fetched from the proxy at the version the root
# go.mod requires) where its replace directive points, and `go build` there.


openbao_bin() { echo "$ENCLAVE_CACHE/openbao/$OPENBAO_VERSION/bao"; }
openbao_url() { echo "https://127.0.0.1:$OPENBAO_PORT"; }
openbao_dir() { echo "$STACK_DIR/openbao"; }

_openbao_go() {
  if command -v go >/dev/null 2>&1; then
    echo go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  else
    die "openbao: Go is required to build OpenBao (not found on PATH or in /usr/local/go/bin)"
  fi
}

openbao_install() {
  : "${OPENBAO_VERSION:?set in scripts/versions.env}" "${OPENBAO_MODULE_VERSION:?set in scripts/versions.env}"
  local bin gobin build_root
  bin=$(openbao_bin)
  if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
    return 0
  fi
  command -v jq >/dev/null 2>&1 || die "openbao: jq is required (apt-get install jq)"
  gobin=$(_openbao_go)
  build_root="$ENCLAVE_CACHE/openbao"
  mkdir -p "$build_root"
  # The build runs in a subshell (its own cwd and environment) whose EXIT trap always removes the
  # temporary tree. Every step checks its own status: `set -e` is not reliable inside `( ) || ...`.
  # One build at a time per cache (flock): `make deps` and `scripts/stack up` may race.
  (
    flock 9
    if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then exit 0; fi
    tmp=$(mktemp -d -p "$build_root") || exit 1
    trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
    _openbao_build "$gobin" "$tmp" "$bin"
  ) 9>"$build_root/.build.lock" || die "openbao: build failed"
  log "openbao: installed $("$bin" version)"
}

# _openbao_build GO TMPDIR DEST — runs in a subshell.
_openbao_build() {
  local gobin=$1 tmp=$2 bin=$3 mod=github.com/openbao/openbao info srcdir commit
  local npath ndir nver ninfo nsrc
  export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

  log "openbao: downloading modules (1/3) — $mod@$OPENBAO_MODULE_VERSION (OpenBao $OPENBAO_VERSION)"
  info=$("$gobin" mod download -json "$mod@$OPENBAO_MODULE_VERSION") || {
    log "openbao: the module proxy does not serve $mod@$OPENBAO_MODULE_VERSION"
    return 1
  }
  srcdir=$(printf '%s\n' "$info" | jq -r '.Dir // empty')
  commit=$(printf '%s\n' "$info" | jq -r '.Origin.Hash // empty')
  [ -n "$commit" ] || commit=${OPENBAO_MODULE_VERSION##*-}
  [ -d "$srcdir" ] || return 1
  cp -R "$srcdir" "$tmp/src" && chmod -R u+w "$tmp/src" && cd "$tmp/src" || return 1

  # Each `replace X => ./dir`: fetch X at the version the root go.mod requires and put it there.
  # A nested module the proxy does not serve gets a stub go.mod; that is fine as long as only
  # tests import it (true of api/auth/approle and api/auth/userpass) — otherwise the build fails.
  # Sorted by directory, so ./api is in place before ./api/auth/... goes inside it.
  "$gobin" mod edit -json | jq -r '
      (.Require // []) as $req
      | (.Replace // [])[]
      | select(.New.Path | startswith("./") or startswith("../"))
      | . as $r
      | [$r.Old.Path, $r.New.Path, ([$req[] | select(.Path == $r.Old.Path) | .Version][0] // "")]
      | @tsv' | sort -t$'\t' -k2,2 >"$tmp/replaces.tsv" || return 1
  while IFS=$'\t' read -r npath ndir nver; do
    [ -n "$nver" ] || continue
    rm -rf "$ndir" && mkdir -p "$ndir" || return 1
    if ninfo=$("$gobin" mod download -json "$npath@$nver" 2>/dev/null); then
      nsrc=$(printf '%s\n' "$ninfo" | jq -r '.Dir // empty')
      [ -d "$nsrc" ] && cp -R "$nsrc/." "$ndir/" && chmod -R u+w "$ndir" || return 1
    else
      log "openbao: $npath@$nver is not on the module proxy; a stub stands in (only tests import it)"
      printf 'module %s\n\ngo 1.22\n' "$npath" >"$ndir/go.mod" || return 1
    fi
  done <"$tmp/replaces.tsv"
  # Fetch exactly the modules the server's packages need (not every test dependency in go.mod).
  "$gobin" list -deps . >/dev/null 2>"$tmp/download.log" || {
    tail -n 20 "$tmp/download.log" >&2
    return 1
  }

  log "openbao: compiling (2/3) — takes several minutes on a fresh machine"
  "$gobin" build -trimpath -o "$tmp/bao" \
    -ldflags "-s -w -X $mod/version.GitCommit=$commit -X $mod/version.fullVersion=$OPENBAO_VERSION" . ||
    return 1

  log "openbao: installing (3/3)"
  "$tmp/bao" version >/dev/null || return 1
  mkdir -p "$(dirname "$bin")" && mv -f "$tmp/bao" "$bin" # same filesystem: an atomic rename
}

# --- the bao CLI against the local server, TLS verified against the stack CA ---------------------

# A BAO_* variable set (even to "") wins over its VAULT_* twin, so blanking them here keeps stray
# VAULT_*/BAO_* settings of the caller's shell (a skip-verify, another address, a proxy) out.
_openbao_cli() {
  BAO_ADDR=$(openbao_url) BAO_CACERT="$STACK_DIR/tls/ca.crt" BAO_CACERT_BYTES="" BAO_CAPATH="" \
    BAO_CLIENT_CERT="" BAO_CLIENT_KEY="" BAO_SKIP_VERIFY="" BAO_TLS_SERVER_NAME="" \
    BAO_NAMESPACE="" BAO_AGENT_ADDR="" BAO_PROXY_ADDR="" BAO_HTTP_PROXY="" BAO_TOKEN="${BAO_TOKEN:-}" \
    "$(openbao_bin)" "$@"
}

# Like _openbao_cli, authenticated with the root token (in the environment, never in argv).
_openbao_root_cli() {
  local token
  token=$(cat "$(openbao_dir)/root-token")
  BAO_TOKEN=$token _openbao_cli "$@"
}

# Exit status of `bao status`: 0 unsealed, 2 sealed, 1 not answering (or error).
_openbao_seal_state() {
  local rc=0
  _openbao_cli status -format=json >/dev/null 2>&1 || rc=$?
  return "$rc"
}

_openbao_answers() {
  local rc=0
  _openbao_seal_state || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 2 ]
}

# (`bao status` exits 2 while sealed, so its status is not the answer here; the JSON is.)
_openbao_initialized() {
  local out
  out=$(_openbao_cli status -format=json 2>/dev/null) || true
  printf '%s\n' "$out" | jq -e '.initialized == true' >/dev/null 2>&1
}

_openbao_write_config() {
  local dir
  dir=$(openbao_dir)
  cat >"$dir/config.hcl" <<EOF
# Written by scripts/lib/openbao.sh — regenerated on every start.
storage "file" {
  path = "$dir/data"
}

listener "tcp" {
  address         = "127.0.0.1:$OPENBAO_PORT"
  tls_cert_file   = "$STACK_DIR/tls/openbao.crt"
  tls_key_file    = "$STACK_DIR/tls/openbao.key"
  tls_min_version = "tls12"
  # TLS 1.2 with AEAD suites only (the stack's certificates are ECDSA); TLS 1.3's are all AEAD.
  tls_cipher_suites = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
}

# Audit devices are declarative in OpenBao 2.4+ (the API refuses to create them by default).
audit "file" "file" {
  description = "Enclave local stack audit log"
  options {
    file_path = "$dir/audit.log"
    mode      = "0600"
  }
}

api_addr      = "$(openbao_url)"
disable_mlock = true
ui            = false
log_level     = "info"
EOF
  chmod 600 "$dir/config.hcl"
}

# First start only: initialise (1 key share, threshold 1), keep the result 0600.
_openbao_init() {
  local dir
  dir=$(openbao_dir)
  log "openbao: initialising (first start)"
  _openbao_cli operator init -key-shares=1 -key-threshold=1 -format=json | write_secret "$dir/init.json"
  jq -e -r '.root_token' "$dir/init.json" | write_secret "$dir/root-token"
  [ -s "$dir/root-token" ] || die "openbao: init returned no root token"
}

_openbao_unseal() {
  local dir rc=0
  dir=$(openbao_dir)
  _openbao_seal_state || rc=$?
  [ "$rc" = 2 ] || return 0
  [ -s "$dir/init.json" ] || die "openbao: sealed, and $dir/init.json (the unseal key) is missing"
  log "openbao: unsealing"
  # The key travels on stdin (as a JSON body), never on a command line.
  jq -c '{key: .unseal_keys_b64[0]}' "$dir/init.json" |
    curl -sS --fail --noproxy '*' --cacert "$STACK_DIR/tls/ca.crt" -X PUT --data-binary @- \
      "$(openbao_url)/v1/sys/unseal" >/dev/null ||
    die "openbao: unseal request failed"
  wait_for "openbao to unseal" 30 _openbao_seal_state || die "openbao: still sealed"
}

# Every start (one cheap check): the transit engine. (The file audit device comes
# from the config file.)
_openbao_configure() {
  if ! _openbao_root_cli secrets list -format=json 2>/dev/null | jq -e 'has("transit/")' >/dev/null; then
    log "openbao: enabling the transit secrets engine at transit/"
    _openbao_root_cli secrets enable -path=transit transit >/dev/null ||
      die "openbao: could not enable the transit secrets engine"
  fi
  _openbao_approle
}

# The api's own identity: AppRole `enclave-api`, whose policy reaches only the tenants' transit keys
# (named enclave-*). Role id and secret id are kept 0600 and reach the api as file paths.
_openbao_approle() {
  local dir
  dir=$(openbao_dir)
  if ! _openbao_root_cli auth list -format=json 2>/dev/null | jq -e 'has("approle/")' >/dev/null; then
    log "openbao: enabling AppRole authentication"
    _openbao_root_cli auth enable approle >/dev/null || die "openbao: could not enable AppRole"
  fi
  _openbao_root_cli policy write enclave-api - >/dev/null <<'HCL' || die "openbao: could not write the enclave-api policy"
# Tenant keys only: create, rotate, configure, delete (crypto-shredding) and use them.
path "transit/keys/enclave-*" { capabilities = ["create", "read", "update", "delete"] }
path "transit/keys/enclave-*/config" { capabilities = ["update"] }
path "transit/keys/enclave-*/rotate" { capabilities = ["update"] }
path "transit/datakey/plaintext/enclave-*" { capabilities = ["update"] }
path "transit/datakey/wrapped/enclave-*" { capabilities = ["update"] }
path "transit/encrypt/enclave-*" { capabilities = ["update"] }
path "transit/decrypt/enclave-*" { capabilities = ["update"] }
path "transit/rewrap/enclave-*" { capabilities = ["update"] }
path "transit/sign/enclave-*" { capabilities = ["update"] }
path "transit/verify/enclave-*" { capabilities = ["update"] }
# The audit checkpoints' key: its public half only (to verify the trail), never a signature.
path "transit/keys/audit-checkpoints" { capabilities = ["read"] }
HCL
  _openbao_root_cli write auth/approle/role/enclave-api token_policies=enclave-api \
    token_ttl=1h token_max_ttl=4h secret_id_ttl=0 >/dev/null || die "openbao: could not write the AppRole role"
  if [ ! -s "$dir/approle-role-id" ]; then
    _openbao_root_cli read -field=role_id auth/approle/role/enclave-api/role-id | write_secret "$dir/approle-role-id"
  fi
  if [ ! -s "$dir/approle-secret-id" ]; then
    _openbao_root_cli write -f -field=secret_id auth/approle/role/enclave-api/secret-id |
      write_secret "$dir/approle-secret-id"
  fi
  _openbao_audit_approle
  _openbao_operator_approle
}

# The operator's own identity: AppRole `enclave-operator`, which makes and destroys the tenants' keys
# and writes each tenant's own policy (enclave-tenant-<id>), as the chart's README asks of an
# installation's Vault. Nothing else: it cannot use a key, nor sign in as anyone.
_openbao_operator_approle() {
  local dir
  dir=$(openbao_dir)
  _openbao_root_cli policy write enclave-operator - >/dev/null <<'HCL' || die "openbao: could not write the enclave-operator policy"
# Any transit mount: an organization may keep its key in another (spec.kms.transitMount).
path "+/keys/enclave-*" { capabilities = ["create", "read", "update", "delete"] }
path "+/keys/enclave-*/config" { capabilities = ["update"] }
path "sys/policies/acl/enclave-tenant-*" { capabilities = ["create", "read", "update", "delete"] }
HCL
  _openbao_root_cli write auth/approle/role/enclave-operator token_policies=enclave-operator \
    token_ttl=1h token_max_ttl=4h secret_id_ttl=0 >/dev/null || die "openbao: could not write the operator AppRole"
  if [ ! -s "$dir/operator-role-id" ]; then
    _openbao_root_cli read -field=role_id auth/approle/role/enclave-operator/role-id |
      write_secret "$dir/operator-role-id"
  fi
  if [ ! -s "$dir/operator-secret-id" ]; then
    _openbao_root_cli write -f -field=secret_id auth/approle/role/enclave-operator/secret-id |
      write_secret "$dir/operator-secret-id"
  fi
}

# The audit service's own identity: AppRole `enclave-audit`, which alone may sign checkpoints with
# the ed25519 key `audit-checkpoints` (outside the api's enclave-* reach) and read its public half.
_openbao_audit_approle() {
  local dir
  dir=$(openbao_dir)
  _openbao_root_cli policy write enclave-audit - >/dev/null <<'HCL' || die "openbao: could not write the enclave-audit policy"
path "transit/keys/audit-checkpoints" { capabilities = ["create", "read", "update"] }
path "transit/sign/audit-checkpoints" { capabilities = ["update"] }
path "transit/verify/audit-checkpoints" { capabilities = ["update"] }
HCL
  _openbao_root_cli write auth/approle/role/enclave-audit token_policies=enclave-audit \
    token_ttl=1h token_max_ttl=4h secret_id_ttl=0 >/dev/null || die "openbao: could not write the audit AppRole"
  if [ ! -s "$dir/audit-role-id" ]; then
    _openbao_root_cli read -field=role_id auth/approle/role/enclave-audit/role-id | write_secret "$dir/audit-role-id"
  fi
  if [ ! -s "$dir/audit-secret-id" ]; then
    _openbao_root_cli write -f -field=secret_id auth/approle/role/enclave-audit/secret-id |
      write_secret "$dir/audit-secret-id"
  fi
}

openbao_start() {
  local dir bin
  dir=$(openbao_dir)
  bin=$(openbao_bin)
  command -v jq >/dev/null 2>&1 || die "openbao: jq is required (apt-get install jq)"
  command -v curl >/dev/null 2>&1 || die "openbao: curl is required"
  openbao_install
  private_dir "$dir" "$dir/data"
  tls_issue openbao localhost 127.0.0.1

  if is_running openbao && _openbao_answers; then
    : # already running; fall through to unseal/configure checks
  else
    if is_running openbao; then
      log "openbao: process running but not answering; restarting it"
      stop_proc openbao
    fi
    if port_in_use "$OPENBAO_PORT"; then
      die "openbao: port $OPENBAO_PORT is already taken by another process"
    fi
    _openbao_write_config
    log "openbao: starting on $(openbao_url)"
    run_bg openbao "$bin" server -config="$dir/config.hcl"
    if ! wait_for "openbao to answer on $(openbao_url)" 60 _openbao_answers; then
      tail -n 20 "$STACK_DIR/logs/openbao.log" >&2 || true
      die "openbao: server did not come up (log: $STACK_DIR/logs/openbao.log)"
    fi
  fi

  if ! _openbao_initialized; then
    [ ! -s "$dir/init.json" ] ||
      die "openbao: server is not initialised but $dir/init.json exists (stale data dir?)"
    _openbao_init
  fi
  if [ ! -s "$dir/root-token" ]; then
    jq -e -r '.root_token' "$dir/init.json" | write_secret "$dir/root-token"
  fi
  _openbao_unseal
  _openbao_configure
}

openbao_stop() {
  if is_running openbao; then
    log "openbao: stopping"
  fi
  stop_proc openbao
}

openbao_status() {
  local rc=0
  if ! is_running openbao; then
    status_line openbao down
    return 1
  fi
  _openbao_seal_state || rc=$?
  case $rc in
    0) status_line openbao ok "$(openbao_url) (unsealed)" ;;
    2)
      status_line openbao down "$(openbao_url) (sealed)"
      return 1
      ;;
    *)
      status_line openbao down "$(openbao_url) (not answering)"
      return 1
      ;;
  esac
}

openbao_env() {
  echo "ENCLAVE_VAULT_URL=$(openbao_url)"
  echo "ENCLAVE_VAULT_TOKEN_FILE=$(openbao_dir)/root-token"
  echo "ENCLAVE_VAULT_ROLE_ID_FILE=$(openbao_dir)/approle-role-id"
  echo "ENCLAVE_VAULT_SECRET_ID_FILE=$(openbao_dir)/approle-secret-id"
  echo "ENCLAVE_AUDIT_VAULT_ROLE_ID_FILE=$(openbao_dir)/audit-role-id"
  echo "ENCLAVE_AUDIT_VAULT_SECRET_ID_FILE=$(openbao_dir)/audit-secret-id"
}
