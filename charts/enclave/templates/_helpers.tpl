{{/*
Shared pieces of every template: names, labels, images, the restricted security contexts, the TLS and
credential Secrets' names, and the ENCLAVE_* settings Enclave's processes read. One place each, so no
two templates can disagree about a name or a setting.
*/}}

{{- define "enclave.name" -}}
{{- .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The name of one component's objects: <name>-<component>. */}}
{{- define "enclave.component" -}}
{{- printf "%s-%s" (include "enclave.name" .root) .component -}}
{{- end -}}

{{- define "enclave.selectorLabels" -}}
app.kubernetes.io/name: enclave
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "enclave.labels" -}}
{{ include "enclave.selectorLabels" . }}
app.kubernetes.io/part-of: enclave
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Object metadata: name, namespace and labels of one component's object. */}}
{{- define "enclave.metadata" -}}
name: {{ .name | default (include "enclave.component" .) }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "enclave.labels" . | nindent 2 }}
{{- end -}}

{{/* <registry>/<repository>@<digest>: images are pinned by digest only. */}}
{{- define "enclave.image" -}}
{{- printf "%s/%s@%s" (trimSuffix "/" .root.Values.global.imageRegistry) .image.repository .image.digest -}}
{{- end -}}

{{- define "enclave.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "enclave.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end -}}

{{- define "enclave.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end -}}

{{/*
Pod-level settings every pod shares: no API token (only the operator talks to Kubernetes, and it
mounts its own), pull secrets, the restricted security context, and spreading over nodes.
*/}}
{{- define "enclave.podCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- include "enclave.podSecurityContext" .root | nindent 2 }}
{{- include "enclave.imagePullSecrets" .root }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "enclave.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* ---- TLS ---------------------------------------------------------------------------------- */}}

{{/* The Secret (type kubernetes.io/tls, plus ca.crt) holding one component's certificate. */}}
{{- define "enclave.tlsSecret" -}}
{{- printf "%s-%s-tls" (include "enclave.name" .root) .component -}}
{{- end -}}

{{/* The Secret whose ca.crt every pod trusts. */}}
{{- define "enclave.trustSecret" -}}
{{- if .Values.tls.trustBundle.existingSecret -}}
{{- .Values.tls.trustBundle.existingSecret -}}
{{- else -}}
{{- printf "%s-ca" (include "enclave.name" .) -}}
{{- end -}}
{{- end -}}

{{/* The in-cluster DNS name of a component's Service. */}}
{{- define "enclave.host" -}}
{{- printf "%s.%s.svc" (include "enclave.component" .) .root.Release.Namespace -}}
{{- end -}}

{{/* ---- Credentials: the bundled component's generated Secret, or the customer's ------------ */}}

{{- define "enclave.postgresqlSecret" -}}
{{- if .Values.postgresql.enabled -}}
{{- .Values.postgresql.existingSecret | default (printf "%s-postgresql-credentials" (include "enclave.name" .)) -}}
{{- else -}}
{{- .Values.externalPostgresql.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "enclave.redisSecret" -}}
{{- if .Values.redis.enabled -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis-credentials" (include "enclave.name" .)) -}}
{{- else -}}
{{- .Values.externalRedis.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "enclave.s3Secret" -}}
{{- if .Values.minio.enabled -}}
{{- .Values.minio.existingSecret | default (printf "%s-minio-credentials" (include "enclave.name" .)) -}}
{{- else -}}
{{- .Values.externalS3.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "enclave.keycloakSecret" -}}
{{- if .Values.keycloak.enabled -}}
{{- .Values.keycloak.existingSecret | default (printf "%s-keycloak-credentials" (include "enclave.name" .)) -}}
{{- else -}}
{{- .Values.externalKeycloak.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "enclave.vaultSecret" -}}
{{- if .Values.openbao.enabled -}}
{{- .Values.openbao.existingSecret -}}
{{- else -}}
{{- .Values.externalVault.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "enclave.sessionSecret" -}}
{{- .Values.session.existingSecret | default (printf "%s-session" (include "enclave.name" .)) -}}
{{- end -}}

{{/*
A generated credential: the value already stored in the named Secret (so an upgrade keeps it), or a
fresh random one on first install. Arguments: root, secret (name), key.
*/}}
{{/* The Secret the operator copies each own bucket's credentials into, for the api and worker. */}}
{{- define "enclave.customerCredentialsSecret" -}}
{{- include "enclave.component" (dict "root" . "component" "customer-credentials") -}}
{{- end -}}

{{- define "enclave.keptRandom" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum 40 | b64enc -}}
{{- end -}}
{{- end -}}

{{/* ---- Endpoints --------------------------------------------------------------------------- */}}

{{- define "enclave.dbHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "enclave.host" (dict "root" . "component" "postgresql") -}}
{{- else -}}
{{- .Values.externalPostgresql.host -}}
{{- end -}}
{{- end -}}

{{- define "enclave.dbPort" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.externalPostgresql.port }}{{- end -}}
{{- end -}}

{{- define "enclave.redisUrl" -}}
{{- if .Values.redis.enabled -}}
{{- printf "rediss://%s:6379/0" (include "enclave.host" (dict "root" . "component" "redis")) -}}
{{- else -}}
{{- .Values.externalRedis.url -}}
{{- end -}}
{{- end -}}

{{- define "enclave.s3Endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "https://%s:9000" (include "enclave.host" (dict "root" . "component" "minio")) -}}
{{- else -}}
{{- .Values.externalS3.endpoint -}}
{{- end -}}
{{- end -}}

{{- define "enclave.keycloakUrl" -}}
{{- if .Values.keycloak.enabled -}}
{{- printf "https://%s:8443" (include "enclave.host" (dict "root" . "component" "keycloak")) -}}
{{- else -}}
{{- .Values.externalKeycloak.url -}}
{{- end -}}
{{- end -}}

{{- define "enclave.vaultUrl" -}}
{{- if .Values.openbao.enabled -}}
{{- printf "https://%s:8200" (include "enclave.host" (dict "root" . "component" "openbao")) -}}
{{- else -}}
{{- .Values.externalVault.url -}}
{{- end -}}
{{- end -}}

{{/* ---- Enclave's processes: settings and mounted credentials -------------------------------- */}}

{{/*
The ENCLAVE_* variables of an Enclave process (api, worker, audit, operator, migrations). Secrets are
never values: each *_FILE names a file of the projected "credentials" volume (see enclave.appVolumes),
which holds only the keys that component is given. Arguments: root, component.
*/}}
{{- define "enclave.appEnv" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $v := $root.Values -}}
{{- $ext := $v.externalPostgresql -}}
- name: ENCLAVE_TLS_CA_FILE
  value: /etc/enclave/tls/ca/ca.crt
- name: ENCLAVE_DB_HOST
  value: {{ include "enclave.dbHost" $root | quote }}
- name: ENCLAVE_DB_PORT
  value: {{ include "enclave.dbPort" $root | quote }}
- name: ENCLAVE_DB_NAME
  value: {{ ternary "enclave" $ext.database $v.postgresql.enabled | quote }}
- name: ENCLAVE_DB_USER
  value: {{ ternary "enclave_api" $ext.apiUser $v.postgresql.enabled | quote }}
- name: ENCLAVE_DB_PASSWORD_FILE
  value: /var/run/secrets/enclave/db/api-password
- name: ENCLAVE_DB_OWNER_USER
  value: {{ ternary "enclave_owner" $ext.ownerUser $v.postgresql.enabled | quote }}
- name: ENCLAVE_DB_AUDIT_USER
  value: {{ ternary "enclave_audit" $ext.auditUser $v.postgresql.enabled | quote }}
{{- if eq $c "migrations" }}
- name: ENCLAVE_DB_OWNER_PASSWORD_FILE
  value: /var/run/secrets/enclave/db/owner-password
{{- end }}
{{- if eq $c "audit" }}
- name: ENCLAVE_DB_AUDIT_PASSWORD_FILE
  value: /var/run/secrets/enclave/db/audit-password
{{- end }}
{{- if has $c (list "api" "worker") }}
- name: ENCLAVE_REDIS_URL
  value: {{ include "enclave.redisUrl" $root | quote }}
- name: ENCLAVE_REDIS_USER
  value: {{ ternary "enclave" $v.externalRedis.user $v.redis.enabled | quote }}
- name: ENCLAVE_REDIS_PASSWORD_FILE
  value: /var/run/secrets/enclave/redis/password
- name: ENCLAVE_SESSION_KEY_FILE
  value: /var/run/secrets/enclave/session/session.key
- name: ENCLAVE_API_PUBLIC_URL
  value: {{ $v.publicUrl | quote }}
- name: ENCLAVE_API_HOST
  value: "0.0.0.0"
- name: ENCLAVE_API_PORT
  value: "8443"
# The api serves with its own certificate; the worker reads the same settings object, so it is given
# its own certificate too (it serves nothing with it).
- name: ENCLAVE_API_TLS_CERT_FILE
  value: /etc/enclave/tls/self/tls.crt
- name: ENCLAVE_API_TLS_KEY_FILE
  value: /etc/enclave/tls/self/tls.key
- name: ENCLAVE_API_WORKERS
  value: {{ $v.api.workers | quote }}
- name: ENCLAVE_API_MAX_UPLOAD_BYTES
  value: {{ $v.api.maxUploadBytes | int64 | quote }}
- name: ENCLAVE_WORKER_LEASE_S
  value: {{ $v.worker.leaseSeconds | quote }}
{{- end }}
{{- if ne $c "migrations" }}
- name: ENCLAVE_S3_ENDPOINT
  value: {{ include "enclave.s3Endpoint" $root | quote }}
- name: ENCLAVE_S3_REGION
  value: {{ ternary "us-east-1" $v.externalS3.region $v.minio.enabled | quote }}
- name: ENCLAVE_S3_ACCESS_KEY_FILE
  value: /var/run/secrets/enclave/s3/access-key
- name: ENCLAVE_S3_SECRET_KEY_FILE
  value: /var/run/secrets/enclave/s3/secret-key
- name: ENCLAVE_VAULT_URL
  value: {{ include "enclave.vaultUrl" $root | quote }}
- name: ENCLAVE_VAULT_TRANSIT_MOUNT
  value: {{ ternary "transit" $v.externalVault.transitMount $v.openbao.enabled | quote }}
- name: ENCLAVE_KEYCLOAK_URL
  value: {{ include "enclave.keycloakUrl" $root | quote }}
- name: ENCLAVE_KEYCLOAK_ADMIN_USER
  value: {{ ternary "admin" $v.externalKeycloak.adminUser $v.keycloak.enabled | quote }}
{{- end }}
{{- if has $c (list "api" "worker" "operator") }}
- name: ENCLAVE_S3_EXTERNAL_ENDPOINTS
  value: {{ $v.customerStorage.endpoints | toJson | quote }}
- name: ENCLAVE_VAULT_EXTERNAL_ENDPOINTS
  value: {{ $v.customerKms.endpoints | toJson | quote }}
{{- end }}
{{- if has $c (list "api" "worker") }}
- name: ENCLAVE_S3_EXTERNAL_SECRETS_DIR
  value: /var/run/secrets/enclave-customer
- name: ENCLAVE_VAULT_EXTERNAL_SECRETS_DIR
  value: /var/run/secrets/enclave-customer
- name: ENCLAVE_VAULT_ROLE_ID_FILE
  value: /var/run/secrets/enclave/vault/api-role-id
- name: ENCLAVE_VAULT_SECRET_ID_FILE
  value: /var/run/secrets/enclave/vault/api-secret-id
{{- end }}
{{- if has $c (list "api" "operator") }}
- name: ENCLAVE_KEYCLOAK_ADMIN_PASSWORD_FILE
  value: /var/run/secrets/enclave/keycloak/admin-password
{{- end }}
{{- if eq $c "operator" }}
# The operator makes and keeps the audit service's Keycloak client, with the secret the audit service has.
- name: ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE
  value: /var/run/secrets/enclave/keycloak/audit-client-secret
{{- end }}
{{- if eq $c "audit" }}
- name: ENCLAVE_AUDIT_VAULT_ROLE_ID_FILE
  value: /var/run/secrets/enclave/vault/audit-role-id
- name: ENCLAVE_AUDIT_VAULT_SECRET_ID_FILE
  value: /var/run/secrets/enclave/vault/audit-secret-id
- name: ENCLAVE_AUDIT_KEYCLOAK_CLIENT_SECRET_FILE
  value: /var/run/secrets/enclave/keycloak/audit-client-secret
- name: ENCLAVE_AUDIT_ARCHIVE_RETENTION_DAYS
  value: {{ $v.audit.archiveRetentionDays | quote }}
{{- end }}
{{- if eq $c "operator" }}
- name: ENCLAVE_VAULT_ROLE_ID_FILE
  value: /var/run/secrets/enclave/vault/operator-role-id
- name: ENCLAVE_VAULT_SECRET_ID_FILE
  value: /var/run/secrets/enclave/vault/operator-secret-id
- name: ENCLAVE_OPERATOR_NAMESPACES
  value: {{ $v.operator.namespaces | toJson | quote }}
- name: ENCLAVE_OPERATOR_PEERING_NAME
  value: {{ include "enclave.component" (dict "root" $root "component" "operator") | quote }}
- name: ENCLAVE_OPERATOR_PEERING_LIFETIME_S
  value: {{ $v.operator.peeringLifetimeSeconds | quote }}
- name: ENCLAVE_OPERATOR_DRIFT_INTERVAL_S
  value: {{ $v.operator.driftIntervalSeconds | quote }}
# Each own bucket's credentials go into this Secret, which the api and worker mount.
- name: ENCLAVE_OPERATOR_CREDENTIALS_NAMESPACE
  value: {{ $root.Release.Namespace | quote }}
- name: ENCLAVE_OPERATOR_CREDENTIALS_SECRET
  value: {{ include "enclave.customerCredentialsSecret" $root | quote }}
# Each realm's web client redirects users here.
- name: ENCLAVE_OPERATOR_API_PUBLIC_URL
  value: {{ $v.publicUrl | quote }}
{{- end }}
{{- end -}}

{{/* One Secret's keys as projected-volume items under a folder. Arguments: secret, folder, keys. */}}
{{- define "enclave.projectSecret" -}}
- secret:
    name: {{ .secret }}
    items:
      {{- range .keys }}
      - key: {{ . }}
        path: {{ $.folder }}/{{ . }}
      {{- end }}
{{- end -}}

{{/*
The volumes of an Enclave process: the trusted CA bundle, its own certificate, a writable /tmp, and
one projected volume with exactly the credentials that component needs. Arguments: root, component.
*/}}
{{- define "enclave.appVolumes" -}}
{{- $root := .root -}}
{{- $c := .component -}}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
- name: ca
  secret:
    secretName: {{ include "enclave.trustSecret" $root }}
    items:
      - key: ca.crt
        path: ca.crt
{{- if has $c (list "api" "worker") }}
# The customer's own buckets' and KMSs' credentials: the operator's copies (each organization's, kept
# up to date by the kubelet as the operator changes them) and the datasets' named ones.
- name: customer-credentials
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ include "enclave.customerCredentialsSecret" $root }}
          optional: true
      {{- range $root.Values.customerStorage.credentialsSecrets }}
      - secret:
          name: {{ . }}
      {{- end }}
- name: self-tls
  secret:
    secretName: {{ include "enclave.tlsSecret" (dict "root" $root "component" $c) }}
    defaultMode: 0440
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
- name: credentials
  projected:
    defaultMode: 0440
    sources:
      {{- $db := list "api-password" -}}
      {{- if eq $c "migrations" }}{{ $db = append $db "owner-password" }}{{ end -}}
      {{- if eq $c "audit" }}{{ $db = append $db "audit-password" }}{{ end }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.postgresqlSecret" $root) "folder" "db" "keys" $db) | nindent 6 }}
      {{- if has $c (list "api" "worker") }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.redisSecret" $root) "folder" "redis" "keys" (list "password")) | nindent 6 }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.sessionSecret" $root) "folder" "session" "keys" (list "session.key")) | nindent 6 }}
      {{- end }}
      {{- if ne $c "migrations" }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.s3Secret" $root) "folder" "s3" "keys" (list "access-key" "secret-key")) | nindent 6 }}
      {{- $vault := list "api-role-id" "api-secret-id" -}}
      {{- if eq $c "audit" }}{{ $vault = list "audit-role-id" "audit-secret-id" }}{{ end -}}
      {{- if eq $c "operator" }}{{ $vault = list "operator-role-id" "operator-secret-id" }}{{ end }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.vaultSecret" $root) "folder" "vault" "keys" $vault) | nindent 6 }}
      {{- end }}
      {{- if eq $c "api" }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.keycloakSecret" $root) "folder" "keycloak" "keys" (list "admin-password")) | nindent 6 }}
      {{- end }}
      {{- if eq $c "operator" }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.keycloakSecret" $root) "folder" "keycloak" "keys" (list "admin-password" "audit-client-secret")) | nindent 6 }}
      {{- end }}
      {{- if eq $c "audit" }}
      {{- include "enclave.projectSecret" (dict "secret" (include "enclave.keycloakSecret" $root) "folder" "keycloak" "keys" (list "audit-client-secret")) | nindent 6 }}
      {{- end }}
{{- end -}}

{{- define "enclave.appVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: ca
  mountPath: /etc/enclave/tls/ca
  readOnly: true
{{- if has .component (list "api" "worker") }}
- name: self-tls
  mountPath: /etc/enclave/tls/self
  readOnly: true
- name: customer-credentials
  mountPath: /var/run/secrets/enclave-customer
  readOnly: true
{{- end }}
- name: credentials
  mountPath: /var/run/secrets/enclave
  readOnly: true
{{- end -}}

{{/* A container's image, pull policy, security context and resources. Arguments: root, values. */}}
{{- define "enclave.containerCommon" -}}
image: {{ include "enclave.image" (dict "root" .root "image" .values.image) }}
imagePullPolicy: IfNotPresent
securityContext:
  {{- include "enclave.containerSecurityContext" .root | nindent 2 }}
resources:
  {{- toYaml .values.resources | nindent 2 }}
{{- end -}}

{{/* The volumeClaimTemplates of a bundled StatefulSet. Arguments: root, values. */}}
{{- define "enclave.dataClaim" -}}
volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      {{- with .values.storage.storageClassName }}
      storageClassName: {{ . }}
      {{- end }}
      resources:
        requests:
          storage: {{ .values.storage.size }}
{{- end -}}

{{/* A HorizontalPodAutoscaler for a Deployment. Arguments: root, component, values. */}}
{{- define "enclave.hpa" -}}
{{- if .values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  {{- include "enclave.metadata" . | nindent 2 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "enclave.component" . }}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{/*
A PodDisruptionBudget. maxUnavailable rather than minAvailable, so a single replica never blocks a
node drain. Arguments: root, component, values.
*/}}
{{- define "enclave.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "enclave.metadata" . | nindent 2 }}
spec:
  maxUnavailable: {{ .values.podDisruptionBudget.maxUnavailable | default 1 }}
  selector:
    matchLabels:
      {{- include "enclave.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/*
A ServiceAccount that holds no rights and mounts no token: pods run under their own identity rather
than the namespace's default. Arguments: root, component.
*/}}
{{- define "enclave.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "enclave.metadata" . | nindent 2 }}
automountServiceAccountToken: false
{{- end -}}

{{/*
The replicas line of a Deployment. None when autoscaling: the HPA owns the count, and a replicas line
would reset it to the chart's number on every upgrade. Arguments: values.
*/}}
{{- define "enclave.replicas" -}}
{{- if not .values.autoscaling.enabled -}}
replicas: {{ .values.replicas }}
{{- end -}}
{{- end -}}

{{/*
A checksum of the certificates, so pods restart when one changes (and only then): it is taken over
the same material tls.yaml writes, which on upgrade is what lookup read back.
*/}}
{{- define "enclave.configChecksum" -}}
{{- if .Values.tls.certManager.enabled -}}
checksum/tls: {{ toJson .Values.tls.certManager | sha256sum | trunc 16 }}
{{- else -}}
checksum/tls: {{ include "enclave.tlsMaterial" . | sha256sum | trunc 16 }}
{{- end -}}
{{- end -}}

{{/* The components with a certificate of their own (JSON list): the servers, and the worker (see appEnv). */}}
{{- define "enclave.tlsComponents" -}}
{{- $components := list "api" "worker" -}}
{{- range $c := list "postgresql" "redis" "minio" "keycloak" "openbao" -}}
{{- if (index $.Values $c).enabled }}{{ $components = append $components $c }}{{ end -}}
{{- end -}}
{{- toJson $components -}}
{{- end -}}

{{/*
The installation CA and each component's certificate, base64 (JSON: {ca: {crt, key}, leaves: {name:
{crt, key}}}). Read back from the cluster with lookup when they exist, so an upgrade changes nothing;
made otherwise (genCA, genSignedCert). Made once per render and kept in .Values._tlsMaterial, so that
tls.yaml and every pod's checksum see the same certificates (each template would otherwise make its
own on a first install).
*/}}
{{- define "enclave.tlsMaterial" -}}
{{- if not (hasKey .Values "_tlsMaterial") -}}
{{- $name := include "enclave.name" . -}}
{{- $ns := .Release.Namespace -}}
{{- $existingCA := lookup "v1" "Secret" $ns (printf "%s-ca" $name) -}}
{{- $ca := dict -}}
{{- if and $existingCA $existingCA.data (hasKey $existingCA.data "ca.key") -}}
{{- $ca = buildCustomCert (index $existingCA.data "ca.crt") (index $existingCA.data "ca.key") -}}
{{- else -}}
{{- $ca = genCA (printf "Enclave %s installation CA" $ns) (int .Values.tls.caValidityDays) -}}
{{- end -}}
{{- $leaves := dict -}}
{{- range $c := include "enclave.tlsComponents" . | fromJsonArray -}}
{{- $svc := include "enclave.component" (dict "root" $ "component" $c) -}}
{{- $existing := lookup "v1" "Secret" $ns (include "enclave.tlsSecret" (dict "root" $ "component" $c)) -}}
{{- if and $existing $existing.data (hasKey $existing.data "tls.key") -}}
{{- $_ := set $leaves $c (dict "crt" (index $existing.data "tls.crt") "key" (index $existing.data "tls.key")) -}}
{{- else -}}
{{- $dns := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc $ns) nil $dns (int $.Values.tls.certificateValidityDays) $ca -}}
{{- $_ := set $leaves $c (dict "crt" ($cert.Cert | b64enc) "key" ($cert.Key | b64enc)) -}}
{{- end -}}
{{- end -}}
{{- $_ := set .Values "_tlsMaterial" (dict "ca" (dict "crt" ($ca.Cert | b64enc) "key" ($ca.Key | b64enc)) "leaves" $leaves) -}}
{{- end -}}
{{- toJson .Values._tlsMaterial -}}
{{- end -}}

{{/*
The Deployment of a background process that serves no port (the worker, the audit service).
Arguments: root, component, values, command (list).
*/}}
{{- define "enclave.backgroundDeployment" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  {{- include "enclave.metadata" . | nindent 2 }}
  annotations:
    # It listens on no port, so there is nothing for an HTTP or TCP probe to ask, and the image has no
    # shell for an exec probe: a failure ends the process, and the kubelet restarts it. It takes no
    # traffic, so there is nothing for readiness to gate.
    checkov.io/skip1: CKV_K8S_8=listens on no port; a failure ends the process and the kubelet restarts it
    checkov.io/skip2: CKV_K8S_9=takes no traffic, so readiness gates nothing
spec:
  {{- include "enclave.replicas" . | nindent 2 }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "enclave.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "enclave.labels" . | nindent 8 }}
      annotations:
        {{- include "enclave.configChecksum" .root | nindent 8 }}
    spec:
      serviceAccountName: {{ include "enclave.component" . }}
      # A stopping worker drops its job and releases the lease at once (SIGTERM), so it needs little.
      terminationGracePeriodSeconds: 30
      {{- include "enclave.podCommon" . | nindent 6 }}
      containers:
        - name: {{ .component }}
          {{- include "enclave.containerCommon" . | nindent 10 }}
          command: {{ toJson .command }}
          env:
            {{- include "enclave.appEnv" . | nindent 12 }}
          volumeMounts:
            {{- include "enclave.appVolumeMounts" . | nindent 12 }}
      volumes:
        {{- include "enclave.appVolumes" . | nindent 8 }}
{{- end -}}
