# shellcheck shell=bash
# PostgreSQL for the local stack: Debian's PostgreSQL 15 server binaries, a cluster of our own on
# loopback that accepts only TLS connections (hostssl, scram-sha-256, no Unix socket), and the
# least-privilege roles Enclave's components log in as.
#
# Roles: `postgres` (superuser, for the stack script and the tamper tests only), `enclave_owner`
# (owns the schema, runs migrations), `enclave_api` and `enclave_audit` (no superuser, no BYPASSRLS,
# no CREATEROLE/CREATEDB; their table rights come from the migrations), `keycloak` (owns its own
# database). Each password lives in a 0600 file under $STACK_DIR/postgres and is never printed.

PG_BIN="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
PG_ROLES=(enclave_owner enclave_api enclave_audit keycloak)

pg_dir() { echo "$STACK_DIR/postgres"; }
pg_data() { echo "$STACK_DIR/postgres/data"; }

# The database's system user: `postgres` when we are root (the server refuses to run as root),
# ourselves otherwise.
if [ "$(id -u)" = 0 ]; then PG_AS_OWNER=(runuser -u postgres --); else PG_AS_OWNER=(); fi
pg_as_owner() { "${PG_AS_OWNER[@]}" "$@"; }

postgres_install() {
  [ -x "$PG_BIN/postgres" ] && return 0
  log "postgres: installing Debian's postgresql-$POSTGRES_MAJOR"
  apt_install "postgresql-$POSTGRES_MAJOR" "postgresql-client-$POSTGRES_MAJOR"
}

# psql over verified TLS as ROLE (default: the superuser), on DATABASE (default: postgres).
pg_psql() {
  local role=${PG_ROLE:-postgres} db=${PG_DB:-postgres}
  PGPASSWORD=$(cat "$(pg_dir)/$role.password") "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=localhost port=$POSTGRES_PORT dbname=$db user=$role sslmode=verify-full sslrootcert=$(tls_dir)/ca.crt" "$@"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h localhost -p "$POSTGRES_PORT"; }

pg_init_cluster() {
  local dir data pwfile
  dir=$(pg_dir)
  data=$(pg_data)
  [ -s "$data/PG_VERSION" ] && return 0
  log "postgres: initialising a new cluster"
  mkdir -p "$dir"
  chmod 711 "$STACK_DIR" "$dir"
  ensure_secret "$dir/postgres.password" >/dev/null
  rm -rf "$data"
  mkdir -p "$data"
  chmod 700 "$data"
  # initdb reads the superuser password from a file the database user can read; it is removed at once.
  pwfile="$dir/initdb.pw"
  write_secret "$pwfile" <"$dir/postgres.password"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data" "$pwfile"; fi
  pg_as_owner "$PG_BIN/initdb" -D "$data" --username=postgres --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --data-checksums >/dev/null
  rm -f "$pwfile"
}

pg_configure() {
  local data
  data=$(pg_data)
  tls_issue postgres localhost 127.0.0.1 ::1
  # The server reads its key as the database user and insists on 0600; it gets its own copy.
  install -m 600 "$(tls_dir)/postgres.key" "$data/server.key"
  install -m 644 "$(tls_dir)/postgres.crt" "$data/server.crt"
  install -m 644 "$(tls_dir)/ca.crt" "$data/root.crt"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data/server.key" "$data/server.crt" "$data/root.crt"; fi
  pg_as_owner tee "$data/postgresql.auto.conf" >/dev/null <<EOF
# Written by scripts/stack on every start; edits here are lost.
listen_addresses = 'localhost'
port = $POSTGRES_PORT
unix_socket_directories = ''
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_ca_file = 'root.crt'
ssl_min_protocol_version = 'TLSv1.2'
# TLS 1.2 with AEAD suites only (no CBC): what tests/security/test_tls_scan.py holds every port to.
ssl_ciphers = 'ECDHE+AESGCM:ECDHE+CHACHA20'
password_encryption = 'scram-sha-256'
max_connections = 200
shared_buffers = '256MB'
log_connections = on
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  # TLS only: no `host` or `local` line, so a plaintext connection finds no entry and is refused.
  pg_as_owner tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# TYPE   DATABASE  USER  ADDRESS        METHOD
hostssl  all       all   127.0.0.1/32   scram-sha-256
hostssl  all       all   ::1/128        scram-sha-256
EOF
}

pg_ensure_roles() {
  local dir role
  dir=$(pg_dir)
  for role in "${PG_ROLES[@]}"; do
    ensure_secret "$dir/$role.password" >/dev/null
    # The password reaches psql through its environment (\getenv), never a command line.
    ROLE_PASSWORD=$(cat "$dir/$role.password") pg_psql -v role="$role" <<'SQL'
\getenv pw ROLE_PASSWORD
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION PASSWORD %L', :'role', :'pw') \gexec
SQL
  done
  pg_psql <<'SQL'
SELECT 'CREATE DATABASE enclave OWNER enclave_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'enclave') \gexec
SELECT 'CREATE DATABASE keycloak OWNER keycloak' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'keycloak') \gexec
REVOKE ALL ON DATABASE enclave FROM PUBLIC;
REVOKE ALL ON DATABASE keycloak FROM PUBLIC;
GRANT CONNECT ON DATABASE enclave TO enclave_owner, enclave_api, enclave_audit;
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE keycloak TO keycloak;
SQL
  PG_DB=enclave pg_psql <<'SQL'
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO enclave_owner;
GRANT USAGE ON SCHEMA public TO enclave_api, enclave_audit;
SQL
}

postgres_start() {
  postgres_install
  if is_running postgres && pg_ready; then return 0; fi
  port_in_use "$POSTGRES_PORT" && die "postgres: port $POSTGRES_PORT is taken by another process"
  pg_init_cluster
  pg_configure
  log "postgres: starting on localhost:$POSTGRES_PORT (TLS only)"
  run_bg postgres "${PG_AS_OWNER[@]}" "$PG_BIN/postgres" -D "$(pg_data)"
  wait_for "postgres" 60 pg_ready || die "postgres did not start; see: scripts/stack logs postgres"
  pg_ensure_roles
}

postgres_stop() { stop_proc postgres 60; }

postgres_status() {
  if is_running postgres && pg_ready; then
    status_line postgres ok "localhost:$POSTGRES_PORT (TLS only)"
  else
    status_line postgres down
    return 1
  fi
}

postgres_env() {
  local dir
  dir=$(pg_dir)
  cat <<EOF
ENCLAVE_DB_HOST=localhost
ENCLAVE_DB_PORT=$POSTGRES_PORT
ENCLAVE_DB_NAME=enclave
ENCLAVE_DB_USER=enclave_api
ENCLAVE_DB_PASSWORD_FILE=$dir/enclave_api.password
ENCLAVE_DB_OWNER_USER=enclave_owner
ENCLAVE_DB_OWNER_PASSWORD_FILE=$dir/enclave_owner.password
ENCLAVE_DB_AUDIT_USER=enclave_audit
ENCLAVE_DB_AUDIT_PASSWORD_FILE=$dir/enclave_audit.password
ENCLAVE_DB_SUPERUSER=postgres
ENCLAVE_DB_SUPERUSER_PASSWORD_FILE=$dir/postgres.password
EOF
}
