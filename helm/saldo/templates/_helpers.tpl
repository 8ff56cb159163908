{{/* Names and labels shared by every template. */}}

{{- define "saldo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's resources are named after it (and "saldo" unless the release name says so already). */}}
{{- define "saldo.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The headless Service: the pods' stable DNS names, which they advertise as query endpoints. */}}
{{- define "saldo.headlessServiceName" -}}
{{- printf "%s-headless" (include "saldo.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}

{{- define "saldo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "saldo.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "saldo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "saldo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The engine's pods (the StatefulSet's), which Services, the PDB and spreading select. */}}
{{- define "saldo.engineSelectorLabels" -}}
{{ include "saldo.selectorLabels" . }}
app.kubernetes.io/component: engine
{{- end -}}

{{- define "saldo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "saldo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: saldo
{{- end -}}

{{- define "saldo.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The Secret the chart creates for passwords given as values (trials; production names its own). */}}
{{- define "saldo.credentialsSecretName" -}}
{{- printf "%s-credentials" (include "saldo.fullname" .) -}}
{{- end -}}

{{/*
The passwords the pods read from files, as a list of {env, file, secret, key}: each from the Secret
the user names (existingSecret) or from the chart's own Secret (value).
*/}}
{{- define "saldo.passwordSources" -}}
{{- $sources := list -}}
{{- $chartSecret := include "saldo.credentialsSecretName" . -}}
{{- $candidates := list
  (dict "env" "SALDO_KAFKA_SASL_PASSWORD_FILE" "file" "kafka-sasl-password" "password" .Values.kafka.sasl.password)
  (dict "env" "SALDO_SCHEMA_REGISTRY_PASSWORD_FILE" "file" "schema-registry-password" "password" .Values.schemaRegistry.password)
  (dict "env" "SALDO_REDIS_PASSWORD_FILE" "file" "redis-password" "password" .Values.redis.password) -}}
{{- range $candidates -}}
{{- if .password.existingSecret -}}
{{- $sources = append $sources (dict "env" .env "file" .file "secret" .password.existingSecret "key" .password.key) -}}
{{- else if .password.value -}}
{{- $sources = append $sources (dict "env" .env "file" .file "secret" $chartSecret "key" .file) -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "sources" $sources) -}}
{{- end -}}

{{/* The certificate files the pods read, as a list of {env, file, secret, key}. */}}
{{- define "saldo.tlsSources" -}}
{{- $sources := list -}}
{{- with .Values.kafka.tls.ca -}}
{{- if .existingSecret -}}
{{- $sources = append $sources (dict "env" "SALDO_KAFKA_TLS_CA_FILE" "file" "kafka-ca.crt" "secret" .existingSecret "key" .key) -}}
{{- end -}}
{{- end -}}
{{- with .Values.kafka.tls.clientCert -}}
{{- if .existingSecret -}}
{{- $sources = append $sources (dict "env" "SALDO_KAFKA_TLS_CERT_FILE" "file" "kafka-client.crt" "secret" .existingSecret "key" .certKey) -}}
{{- $sources = append $sources (dict "env" "SALDO_KAFKA_TLS_KEY_FILE" "file" "kafka-client.key" "secret" .existingSecret "key" .keyKey) -}}
{{- end -}}
{{- end -}}
{{- with .Values.schemaRegistry.tls.ca -}}
{{- if .existingSecret -}}
{{- $sources = append $sources (dict "env" "SALDO_SCHEMA_REGISTRY_TLS_CA_FILE" "file" "schema-registry-ca.crt" "secret" .existingSecret "key" .key) -}}
{{- end -}}
{{- end -}}
{{- with .Values.redis.tls.ca -}}
{{- if .existingSecret -}}
{{- $sources = append $sources (dict "env" "SALDO_REDIS_TLS_CA_FILE" "file" "redis-ca.crt" "secret" .existingSecret "key" .key) -}}
{{- end -}}
{{- end -}}
{{- toJson (dict "sources" $sources) -}}
{{- end -}}

{{- define "saldo.rulesConfigMapName" -}}
{{- if .Values.fraudRules.existingConfigMap -}}
{{- .Values.fraudRules.existingConfigMap -}}
{{- else if .Values.fraudRules.inline -}}
{{- printf "%s-rules" (include "saldo.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
Checks between values that the schema cannot express. A clean stop commits the batch in flight:
the grace period must cover the commit interval with a margin (a commit, closing the stores,
leaving the group).
*/}}
{{- define "saldo.validate" -}}
{{- $commitSeconds := div (add .Values.saldo.commitIntervalMs 999) 1000 -}}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int (add $commitSeconds 30)) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least the commit interval (%d s) + 30 s, or a stopping pod is killed before its last commit" (int .Values.terminationGracePeriodSeconds) (int $commitSeconds)) -}}
{{- end -}}
{{- if and .Values.fraudRules.existingConfigMap .Values.fraudRules.inline -}}
{{- fail "fraudRules: set existingConfigMap or inline, not both" -}}
{{- end -}}
{{- range $name, $password := dict "kafka.sasl.password" .Values.kafka.sasl.password "schemaRegistry.password" .Values.schemaRegistry.password "redis.password" .Values.redis.password -}}
{{- if and $password.existingSecret $password.value -}}
{{- fail (printf "%s: set existingSecret or value, not both" $name) -}}
{{- end -}}
{{- end -}}
{{- $sasl := has .Values.kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL") -}}
{{- if and $sasl (not .Values.kafka.sasl.username) -}}
{{- fail (printf "kafka.securityProtocol %s needs kafka.sasl.username and a password (kafka.sasl.password)" .Values.kafka.securityProtocol) -}}
{{- end -}}
{{- if and $sasl (not (or .Values.kafka.sasl.password.existingSecret .Values.kafka.sasl.password.value)) -}}
{{- fail (printf "kafka.securityProtocol %s needs kafka.sasl.password.existingSecret (or .value)" .Values.kafka.securityProtocol) -}}
{{- end -}}
{{- end -}}
