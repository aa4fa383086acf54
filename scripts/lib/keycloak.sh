# shellcheck shell=bash
# Keycloak for the local stack: the upstream Quarkus distribution from Maven Central
# (org.keycloak:keycloak-quarkus-dist), built once per version into the cache and run in production
# mode (`kc.sh start --optimized`) on loopback only: HTTPS on $KEYCLOAK_PORT, the management
# interface (health) over HTTPS on $KEYCLOAK_MGMT_PORT, PostgreSQL over verify-full TLS.
#
# Needs: common.sh (log, die, run_bg, is_running, stop_proc, tls_issue, ensure_secret, ...),
# versions.env (KEYCLOAK_VERSION, KEYCLOAK_PORT, KEYCLOAK_MGMT_PORT, KEYCLOAK_JAVA, POSTGRES_PORT),
# and the `keycloak` role/database made by postgres.sh (password in $STACK_DIR/postgres/keycloak.password).
# Must never: put a password on a command line, print one, or listen beyond 127.0.0.1.

# Heap for the server JVM (kc.sh reads JAVA_OPTS_KC_HEAP); the machine is small.
: "${KEYCLOAK_HEAP:=-Xms256m -Xmx768m}"
# Metrics are a build-time option; off unless asked for (they would be served on the management port).
: "${KEYCLOAK_METRICS_ENABLED:=false}"
# First start creates the schema (~150 tables) before the server reports ready.
: "${KEYCLOAK_START_TIMEOUT:=180}"

keycloak_home() { echo "$ENCLAVE_CACHE/keycloak/$KEYCLOAK_VERSION"; }
keycloak_url() { echo "https://localhost:$KEYCLOAK_PORT"; }

# Build-time options, fixed for the stack. Changing them (or the version) triggers a new build.
keycloak_build_opts() {
  printf '%s\n' --db=postgres --health-enabled=true "--metrics-enabled=$KEYCLOAK_METRICS_ENABLED"
}

# The JDK Keycloak runs on. Keycloak 26.6+ supports OpenJDK 17 (deprecated), 21 and 25 (recommended);
# we pin KEYCLOAK_JAVA (the machine's Temurin 25) and fall back to another supported JDK if it is absent.
keycloak_java_home() {
  local j
  for j in ${KEYCLOAK_JAVA:+"$KEYCLOAK_JAVA"} /usr/lib/jvm/temurin-25-jdk-amd64 \
    /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 \
    /usr/lib/jvm/java-21-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-amd64; do
    if [ -x "$j/bin/java" ]; then
      [ "$j" = "${KEYCLOAK_JAVA:-}" ] || log "keycloak: KEYCLOAK_JAVA=${KEYCLOAK_JAVA:-} not found, using $j"
      echo "$j"
      return 0
    fi
  done
  die "keycloak: no supported JDK (25, 21 or 17) found; set KEYCLOAK_JAVA"
}

keycloak_install() {
  [ -n "${KEYCLOAK_VERSION:-}" ] || die "keycloak: KEYCLOAK_VERSION is not set (scripts/versions.env)"
  local home stamp want
  home=$(keycloak_home)
  stamp="$home/.enclave-build"
  want="$KEYCLOAK_VERSION $(keycloak_build_opts | tr '\n' ' ')"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  mkdir -p "$ENCLAVE_CACHE/keycloak"
  # One installer at a time per cache (two `up`s racing would otherwise unpack over each other).
  (
    flock 9
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0
    _keycloak_fetch "$home"
    _keycloak_build "$home"
    printf '%s' "$want" >"$stamp"
  ) 9>"$ENCLAVE_CACHE/keycloak/.lock"
}

_keycloak_fetch() {
  local home=$1 dl tmp
  [ -x "$home/bin/kc.sh" ] && return 0
  log "keycloak: fetching $KEYCLOAK_VERSION from Maven Central (1/2)"
  dl="$ENCLAVE_CACHE/keycloak/download-$KEYCLOAK_VERSION"
  rm -rf "$dl"
  mkdir -p "$dl"
  # Maven's output (only errors, with -q) is shown if the fetch fails.
  if ! mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$ENCLAVE_CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
    -DoutputDirectory="$dl" >"$dl.log" 2>&1; then
    cat "$dl.log" >&2
    die "keycloak: mvn could not fetch org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz"
  fi
  rm -f "$dl.log"
  # Unpack beside the target and rename, so a half-unpacked tree is never taken for an install.
  tmp="$home.unpack.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  tar -xzf "$dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$tmp" --strip-components=1
  [ -x "$tmp/bin/kc.sh" ] || die "keycloak: unexpected archive layout (no bin/kc.sh)"
  rm -rf "$home"
  mv "$tmp" "$home"
  rm -rf "$dl"
}

_keycloak_build() {
  local home=$1 java buildlog
  local -a opts
  java=$(keycloak_java_home)
  mapfile -t opts < <(keycloak_build_opts)
  buildlog="$ENCLAVE_CACHE/keycloak/build-$KEYCLOAK_VERSION.log"
  log "keycloak: kc.sh build ${opts[*]} on $("$java/bin/java" -version 2>&1 | head -n1) (2/2)"
  if ! JAVA_HOME="$java" JAVA_OPTS_KC_HEAP="$KEYCLOAK_HEAP" "$home/bin/kc.sh" build "${opts[@]}" \
    >"$buildlog" 2>&1; then
    tail -n 30 "$buildlog" >&2
    die "keycloak: kc.sh build failed; full log: $buildlog"
  fi
}

# Ready = the management interface answers /health/ready over verified TLS.
keycloak_ready() {
  curl -fs -o /dev/null --max-time 5 --cacert "$(tls_dir)/ca.crt" \
    "https://127.0.0.1:$KEYCLOAK_MGMT_PORT/health/ready"
}

keycloak_start() {
  keycloak_install
  if is_running keycloak && keycloak_ready; then
    _keycloak_audit_client
    return 0
  fi
  local home java dbpass_file admin_file tls
  home=$(keycloak_home)
  tls=$(tls_dir)
  dbpass_file="$STACK_DIR/postgres/keycloak.password"
  admin_file="$STACK_DIR/keycloak/admin.password"
  [ -s "$dbpass_file" ] || die "keycloak: $dbpass_file is missing; start postgres first"
  if ! is_running keycloak; then
    port_in_use "$KEYCLOAK_PORT" && die "keycloak: port $KEYCLOAK_PORT is taken by another process"
    port_in_use "$KEYCLOAK_MGMT_PORT" && die "keycloak: port $KEYCLOAK_MGMT_PORT is taken by another process"
    java=$(keycloak_java_home)
    tls_issue keycloak localhost 127.0.0.1
    private_dir "$STACK_DIR/keycloak"
    # The bootstrap admin's password is used only when the master realm is created (first start).
    ensure_secret "$admin_file" >/dev/null
    log "keycloak: starting $KEYCLOAK_VERSION on $(keycloak_url) (management https://127.0.0.1:$KEYCLOAK_MGMT_PORT)"
    # Secrets reach Keycloak through the environment of a subshell, never through argv.
    (
      export JAVA_HOME="$java" JAVA_OPTS_KC_HEAP="$KEYCLOAK_HEAP"
      export KC_DB_PASSWORD KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD
      KC_DB_PASSWORD=$(cat "$dbpass_file")
      KC_BOOTSTRAP_ADMIN_PASSWORD=$(cat "$admin_file")
      run_bg keycloak "$home/bin/kc.sh" start --optimized \
        --http-enabled=false \
        --http-host=127.0.0.1 \
        --https-port="$KEYCLOAK_PORT" \
        --https-certificate-file="$tls/keycloak.crt" \
        --https-certificate-key-file="$tls/keycloak.key" \
        --https-protocols=TLSv1.3,TLSv1.2 \
        --https-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 \
        --hostname="$(keycloak_url)" \
        --http-management-host=127.0.0.1 \
        --http-management-port="$KEYCLOAK_MGMT_PORT" \
        --http-management-scheme=inherited \
        --db-url="jdbc:postgresql://localhost:$POSTGRES_PORT/keycloak?sslmode=verify-full&sslrootcert=$tls/ca.crt" \
        --db-username=keycloak \
        --cache=local \
        --truststore-paths="$tls/ca.crt"
    )
  fi
  local start=$SECONDS
  until keycloak_ready; do
    if ! is_running keycloak; then
      tail -n 30 "$STACK_DIR/logs/keycloak.log" >&2 || true
      die "keycloak exited during startup; see $STACK_DIR/logs/keycloak.log"
    fi
    if ((SECONDS - start >= KEYCLOAK_START_TIMEOUT)); then
      die "keycloak not ready after ${KEYCLOAK_START_TIMEOUT}s; see $STACK_DIR/logs/keycloak.log"
    fi
    sleep 1
  done
  log "keycloak: ready after $((SECONDS - start))s"
  _keycloak_audit_client
}

# --- admin REST calls, as the bootstrap admin -----------------------------------------------------

# Prints an access token of the bootstrap admin (admin-cli, password grant). The password reaches
# curl on stdin, the token leaves on stdout: neither is ever on a command line.
_keycloak_admin_token() {
  jq -jn --rawfile password "$STACK_DIR/keycloak/admin.password" \
    '"grant_type=password&client_id=admin-cli&username=admin&password=" + ($password | rtrimstr("\n") | @uri)' |
    curl -fsS --noproxy '*' --cacert "$(tls_dir)/ca.crt" --data-binary @- \
      -H 'Content-Type: application/x-www-form-urlencoded' \
      "$(keycloak_url)/realms/master/protocol/openid-connect/token" |
    jq -er '.access_token'
}

# _keycloak_admin TOKEN METHOD PATH [CURL-ARG...] — a request under /admin/realms/master; the token
# is read by curl from a file descriptor (a header file), not from its arguments.
_keycloak_admin() {
  local token=$1 method=$2 path=$3
  shift 3
  curl -fsS --noproxy '*' --cacert "$(tls_dir)/ca.crt" -X "$method" \
    -H @<(printf 'Authorization: Bearer %s\n' "$token") \
    "$(keycloak_url)/admin/realms/master$path" "$@"
}

# The audit service's own identity: the confidential client `enclave-audit` of the master realm, with
# a service account and no other flow. It holds no role of its own: whoever creates an organization
# realm (RealmService.ensure_realm) grants it `view-events` of that realm, so it reads those login
# events and nothing else. Its secret is kept 0600 and reaches the audit service as a file path.
KEYCLOAK_AUDIT_CLIENT=enclave-audit

_keycloak_audit_client_json() {
  jq -n --arg id "$KEYCLOAK_AUDIT_CLIENT" '{
    clientId: $id,
    name: "Enclave audit service",
    description: "Reads the login events of the organization realms it is granted view-events of.",
    enabled: true,
    protocol: "openid-connect",
    publicClient: false,
    bearerOnly: false,
    clientAuthenticatorType: "client-secret",
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    frontchannelLogout: false,
    attributes: {
      "oauth2.device.authorization.grant.enabled": "false",
      "oidc.ciba.grant.enabled": "false",
      "standard.token.exchange.enabled": "false"
    }
  }'
}

_keycloak_audit_client() {
  local token id account defaults secret file="$STACK_DIR/keycloak/audit-client.secret"
  command -v jq >/dev/null 2>&1 || die "keycloak: jq is required (apt-get install jq)"
  token=$(_keycloak_admin_token) || die "keycloak: could not sign in as the bootstrap admin"
  id=$(_keycloak_admin "$token" GET "/clients?clientId=$KEYCLOAK_AUDIT_CLIENT" | jq -r '.[0].id // empty') ||
    die "keycloak: could not look up the $KEYCLOAK_AUDIT_CLIENT client"
  if [ -z "$id" ]; then
    log "keycloak: creating the audit service's client $KEYCLOAK_AUDIT_CLIENT"
    _keycloak_audit_client_json |
      _keycloak_admin "$token" POST /clients -H 'Content-Type: application/json' --data-binary @- ||
      die "keycloak: could not create the $KEYCLOAK_AUDIT_CLIENT client"
    id=$(_keycloak_admin "$token" GET "/clients?clientId=$KEYCLOAK_AUDIT_CLIENT" | jq -er '.[0].id') ||
      die "keycloak: the $KEYCLOAK_AUDIT_CLIENT client was not created"
  else
    # Kept in line on every start (Keycloak keeps what this representation leaves out).
    _keycloak_audit_client_json |
      _keycloak_admin "$token" PUT "/clients/$id" -H 'Content-Type: application/json' --data-binary @- ||
      die "keycloak: could not update the $KEYCLOAK_AUDIT_CLIENT client"
  fi
  # Its service account starts with the master realm's default roles (account console, offline
  # access); it needs none of them.
  account=$(_keycloak_admin "$token" GET "/clients/$id/service-account-user" | jq -er '.id') ||
    die "keycloak: the $KEYCLOAK_AUDIT_CLIENT client has no service account"
  defaults=$(_keycloak_admin "$token" GET "/users/$account/role-mappings/realm" |
    jq -c '[.[] | select(.name == "default-roles-master")]') ||
    die "keycloak: could not read the roles of the $KEYCLOAK_AUDIT_CLIENT service account"
  if [ "$defaults" != "[]" ]; then
    printf '%s' "$defaults" |
      _keycloak_admin "$token" DELETE "/users/$account/role-mappings/realm" \
        -H 'Content-Type: application/json' --data-binary @- ||
      die "keycloak: could not take the default roles from the $KEYCLOAK_AUDIT_CLIENT service account"
  fi
  secret=$(_keycloak_admin "$token" GET "/clients/$id/client-secret" | jq -er '.value') ||
    die "keycloak: could not read the $KEYCLOAK_AUDIT_CLIENT client's secret"
  if [ ! -s "$file" ] || [ "$(cat "$file")" != "$secret" ]; then
    printf '%s\n' "$secret" | write_secret "$file"
  fi
}

keycloak_stop() { stop_proc keycloak 30; }

keycloak_status() {
  if is_running keycloak && keycloak_ready; then
    status_line keycloak ok "$(keycloak_url)"
  else
    status_line keycloak down
    return 1
  fi
}

keycloak_env() {
  cat <<EOF
ENCLAVE_KEYCLOAK_URL=$(keycloak_url)
ENCLAVE_KEYCLOAK_ADMIN_USER=admin
ENCLAVE_KEYCLOAK_ADMIN_PASSWORD_FILE=$STACK_DIR/keycloak/admin.password
EOF
  # Once `up` has made the audit client (the settings refuse a path to a file that does not exist).
  if [ -s "$STACK_DIR/keycloak/audit-client.secret" ]; then
    echo "ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE=$STACK_DIR/keycloak/audit-client.secret"
  fi
}
