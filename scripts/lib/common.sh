# shellcheck shell=bash
# Shared plumbing for scripts/stack: where things live, logging, background processes and TLS.
#
# Owns: the cache directory (downloads and builds, keyed by version, outside the repository), the
# stack's state directory (data, certificates, secrets, logs, pid files) and the stack's private CA.
# Must never: write a secret to stdout or a log, or place anything inside the repository.

: "${ENCLAVE_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/enclave}"
# The stack's name is its state directory's: `stack` for `make up`'s, `test-stack` for the test
# suites' own (scripts/test-stack.env).
: "${ENCLAVE_STACK_NAME:=stack}"
[[ "$ENCLAVE_STACK_NAME" =~ ^[a-z][a-z0-9-]*$ ]] || {
  echo "ENCLAVE_STACK_NAME must be a plain name (lowercase letters, digits, dashes)" >&2
  exit 2
}
# PostgreSQL refuses to run as root, so under root it runs as the `postgres` system user and the
# state directory must be reachable by that user: it then lives under /var/lib instead of $HOME.
if [ "$(id -u)" = 0 ]; then
  : "${STACK_DIR:=${ENCLAVE_STACK_DIR:-/var/lib/enclave/$ENCLAVE_STACK_NAME}}"
else
  : "${STACK_DIR:=${ENCLAVE_STACK_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/enclave/$ENCLAVE_STACK_NAME}}"
fi
export ENCLAVE_CACHE STACK_DIR

# `make up` runs up to this many replicas of the api, the worker and the audit service
# (ENCLAVE_REPLICAS); `scripts/stack down` stops every one of them.
# shellcheck disable=SC2034  # read by scripts/up and scripts/stack
MAX_REPLICAS=16
# replica NAME I — the process name of replica I: the first keeps the plain name.
replica() { if [ "$2" -eq 1 ]; then echo "$1"; else echo "$1-$2"; fi; }

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Creates a directory only the current user can read.
private_dir() { mkdir -p "$@" && chmod 700 "$@"; }

# Writes stdin to FILE with mode 0600, atomically (a reader never sees half a secret).
write_secret() {
  local file=$1 tmp
  tmp=$(umask 077 && mktemp -p "$(dirname "$file")")
  cat >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$file"
}

# Prints the secret in FILE, creating it with a fresh random value on first use.
ensure_secret() {
  local file=$1
  if [ ! -s "$file" ]; then
    openssl rand -hex 24 | write_secret "$file"
  fi
  cat "$file"
}

pid_file() { echo "$STACK_DIR/run/$1.pid"; }

is_running() {
  local pf pid
  pf=$(pid_file "$1")
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf")
  kill -0 "$pid" 2>/dev/null
}

# run_bg NAME CMD... — starts CMD in its own session (so `down` can stop its whole process group),
# stdout and stderr to $STACK_DIR/logs/NAME.log, pid in $STACK_DIR/run/NAME.pid.
run_bg() {
  local name=$1
  shift
  mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs"
  setsid "$@" >>"$STACK_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# stop_proc NAME [TIMEOUT] — SIGTERM to the process group, SIGKILL after TIMEOUT seconds (default 30).
stop_proc() {
  local name=$1 timeout=${2:-30} pf pid i
  pf=$(pid_file "$name")
  [ -s "$pf" ] || return 0
  pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: did not stop in ${timeout}s, killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pf"
}

# wait_for DESCRIPTION TIMEOUT_SECONDS CMD... — polls CMD until it succeeds; fails after the timeout.
wait_for() {
  local desc=$1 timeout=$2 start
  shift 2
  start=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s) - start >= timeout)); then
      log "timed out after ${timeout}s waiting for $desc"
      return 1
    fi
    sleep 0.5
  done
}

# A port is free when nothing accepts a TCP connection on it.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- TLS: one CA per stack, leaf certificates with the right SANs, private keys 0600 ---------------

tls_dir() { echo "$STACK_DIR/tls"; }

tls_ensure_ca() {
  local dir
  dir=$(tls_dir)
  [ -s "$dir/ca.crt" ] && [ -s "$dir/ca.key" ] && return 0
  private_dir "$dir"
  log "tls: creating the stack's certificate authority"
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null)
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 825 \
    -subj "/O=Enclave local stack/CN=Enclave local stack CA $(hostname -s 2>/dev/null || echo local)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt"
  chmod 644 "$dir/ca.crt"
}

# tls_issue NAME SAN... — leaf certificate NAME.crt / NAME.key (0600) for the given DNS names and IPs.
# Idempotent: an existing certificate is kept while it is valid for another 30 days.
tls_issue() {
  local name=$1 dir san="" s
  shift
  tls_ensure_ca
  dir=$(tls_dir)
  if [ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] &&
    openssl x509 -in "$dir/$name.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1; then
    return 0
  fi
  for s in "$@"; do
    if [[ $s =~ ^[0-9.]+$ || $s == *:* ]]; then san+="IP:$s,"; else san+="DNS:$s,"; fi
  done
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null)
  openssl req -new -key "$dir/$name.key" -subj "/O=Enclave local stack/CN=$1" -out "$dir/$name.csr"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 397 -sha256 -out "$dir/$name.crt" \
    -extfile <(printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' "${san%,}") \
    2>/dev/null
  rm -f "$dir/$name.csr"
  chmod 600 "$dir/$name.key"
}

# apt_install PACKAGE... — Debian packages, refreshing the package lists once per boot of this script.
apt_install() {
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  if [ -z "${_APT_UPDATED:-}" ]; then
    "${sudo[@]}" apt-get update -qq
    _APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# status_line NAME ok|down [DETAIL] — one aligned line of `scripts/stack status`.
status_line() { printf '%-10s %-5s %s\n' "$1" "$2" "${3:-}"; }
