# shellcheck shell=bash
# Redis for the local stack: Debian's Redis 7 with the plaintext port closed (port 0), a TLS port on
# loopback, the `default` user disabled and one ACL user, `enclave`, whose password is stored in the
# server's configuration only as its SHA-256 (the plaintext stays in a 0600 file).

redis_dir() { echo "$STACK_DIR/redis"; }

redis_install() {
  command -v redis-server >/dev/null && return 0
  log "redis: installing Debian's redis-server"
  apt_install redis-server redis-tools
}

redis_cli() {
  REDISCLI_AUTH=$(cat "$(redis_dir)/enclave.password") redis-cli --no-auth-warning \
    --tls --cacert "$(tls_dir)/ca.crt" -h localhost -p "$REDIS_PORT" --user enclave "$@"
}

redis_ready() { [ "$(redis_cli PING 2>/dev/null)" = PONG ]; }

redis_configure() {
  local dir hash
  dir=$(redis_dir)
  private_dir "$dir" "$dir/data"
  tls_issue redis localhost 127.0.0.1 ::1
  hash=$(ensure_secret "$dir/enclave.password" | tr -d '\n' | sha256sum | cut -d' ' -f1)
  write_secret "$dir/redis.conf" <<EOF
# Written by scripts/stack on every start; edits here are lost.
bind 127.0.0.1 ::1
protected-mode yes
port 0
tls-port $REDIS_PORT
tls-cert-file $(tls_dir)/redis.crt
tls-key-file $(tls_dir)/redis.key
tls-ca-cert-file $(tls_dir)/ca.crt
tls-auth-clients no
tls-protocols "TLSv1.2 TLSv1.3"
tls-ciphers "ECDHE+AESGCM:ECDHE+CHACHA20"
dir $dir/data
daemonize no
appendonly yes
user default off
user enclave on #$hash ~* &* +@all -@dangerous +info +flushdb +flushall
EOF
}

redis_start() {
  redis_install
  if is_running redis && redis_ready; then return 0; fi
  port_in_use "$REDIS_PORT" && die "redis: port $REDIS_PORT is taken by another process"
  redis_configure
  log "redis: starting on localhost:$REDIS_PORT (TLS only)"
  run_bg redis redis-server "$(redis_dir)/redis.conf"
  wait_for redis 30 redis_ready || die "redis did not start; see: scripts/stack logs redis"
}

redis_stop() { stop_proc redis; }

redis_status() {
  if is_running redis && redis_ready; then
    status_line redis ok "rediss://localhost:$REDIS_PORT (TLS only)"
  else
    status_line redis down
    return 1
  fi
}

redis_env() {
  cat <<EOF
ENCLAVE_REDIS_URL=rediss://localhost:$REDIS_PORT/0
ENCLAVE_REDIS_USER=enclave
ENCLAVE_REDIS_PASSWORD_FILE=$(redis_dir)/enclave.password
EOF
}
