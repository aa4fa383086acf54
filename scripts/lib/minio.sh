# shellcheck shell=bash
# MinIO for the local stack: built from its Go module at a pinned pseudo-version, serving HTTPS only
# on loopback (a certs directory makes MinIO refuse plaintext), the web console turned off. Enclave
# stores only ciphertext here; the root credentials live in 0600 files and are never printed.

minio_dir() { echo "$STACK_DIR/minio"; }
minio_bin() { echo "$ENCLAVE_CACHE/minio/$MINIO_MODULE_VERSION/minio"; }

minio_install() {
  local bin tmp
  bin=$(minio_bin)
  [ -x "$bin" ] && return 0
  mkdir -p "$(dirname "$bin")"
  # One build at a time per cache: `make deps` and `scripts/stack up` racing would build it twice.
  (
    flock 9
    [ -x "$bin" ] && exit 0
    log "minio: building $MINIO_MODULE_VERSION from its Go module (several minutes on a fresh machine)"
    tmp=$(mktemp -d)
    GOBIN=$tmp CGO_ENABLED=0 GOFLAGS=-trimpath go install "github.com/minio/minio@$MINIO_MODULE_VERSION" || exit 1
    mv "$tmp/minio" "$bin"
    rmdir "$tmp"
    log "minio: built"
  ) 9>"$(dirname "$bin")/.minio-build.lock" || die "minio: build failed"
}

minio_ready() {
  curl -fsS --cacert "$(tls_dir)/ca.crt" "https://localhost:$MINIO_PORT/minio/health/live" -o /dev/null
}

minio_start() {
  local dir certs
  minio_install
  if is_running minio && minio_ready; then return 0; fi
  port_in_use "$MINIO_PORT" && die "minio: port $MINIO_PORT is taken by another process"
  dir=$(minio_dir)
  certs="$dir/certs"
  private_dir "$dir" "$dir/data" "$certs" "$certs/CAs"
  tls_issue minio localhost 127.0.0.1 ::1
  install -m 644 "$(tls_dir)/minio.crt" "$certs/public.crt"
  install -m 600 "$(tls_dir)/minio.key" "$certs/private.key"
  install -m 644 "$(tls_dir)/ca.crt" "$certs/CAs/ca.crt"
  [ -s "$dir/root.user" ] || echo "enclave-root" | write_secret "$dir/root.user"
  ensure_secret "$dir/root.password" >/dev/null
  log "minio: starting on https://localhost:$MINIO_PORT"
  (
    # Credentials reach the server through its environment only (a subshell's exports), never argv.
    MINIO_ROOT_USER=$(cat "$dir/root.user") MINIO_ROOT_PASSWORD=$(cat "$dir/root.password")
    export MINIO_ROOT_USER MINIO_ROOT_PASSWORD MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off
    run_bg minio "$(minio_bin)" server --quiet --anonymous --address "localhost:$MINIO_PORT" \
      --certs-dir "$certs" "$dir/data"
  )
  wait_for minio 60 minio_ready || die "minio did not start; see: scripts/stack logs minio"
}

minio_stop() { stop_proc minio; }

minio_status() {
  if is_running minio && minio_ready; then
    status_line minio ok "https://localhost:$MINIO_PORT (TLS only)"
  else
    status_line minio down
    return 1
  fi
}

# The locked copy of the audit trail is kept one day here, not the installation default of seven
# years: compliance mode means not even MinIO's root can remove it early, and this stack is a dev box.
minio_env() {
  cat <<EOF
ENCLAVE_S3_ENDPOINT=https://localhost:$MINIO_PORT
ENCLAVE_S3_ACCESS_KEY_FILE=$(minio_dir)/root.user
ENCLAVE_S3_SECRET_KEY_FILE=$(minio_dir)/root.password
ENCLAVE_S3_DATA_DIR=$(minio_dir)/data
ENCLAVE_AUDIT_ARCHIVE_RETENTION_DAYS=1
EOF
}
