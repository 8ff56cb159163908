{{/*
What the engine's pods and the toolbox share: the environment saldo reads its configuration from,
and the volumes that hold passwords, certificates and the rule set. Called with
(dict "root" $ "instance" true|false): an instance (a StatefulSet pod) also advertises its query
endpoint and keeps its state on the state volume.
*/}}

{{- define "saldo.env" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $passwords := (include "saldo.passwordSources" $root | fromJson).sources -}}
{{- $certificates := (include "saldo.tlsSources" $root | fromJson).sources -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- if .instance }}
# The pod's name is its instance id: a restarted pod keeps it, so the assignor gives it back the
# tasks whose state its volume holds.
{{- end }}
- name: SALDO_INSTANCE_ID
  value: $(POD_NAME)
{{- if .instance }}
- name: SALDO_APPLICATION_SERVER
  value: {{ printf "$(POD_NAME).%s.$(POD_NAMESPACE).svc.%s:%d" (include "saldo.headlessServiceName" $root) $values.clusterDomain (int $values.ports.query) | quote }}
- name: SALDO_OPS_PORT
  value: {{ $values.ports.ops | quote }}
{{- end }}
- name: SALDO_STATE_DIR
  value: /var/lib/saldo/state
- name: SALDO_APPLICATION_ID
  value: {{ $values.saldo.applicationId | quote }}
- name: SALDO_PROCESSING_GUARANTEE
  value: {{ $values.saldo.processingGuarantee | quote }}
- name: SALDO_COMMIT_INTERVAL_MS
  value: {{ $values.saldo.commitIntervalMs | quote }}
- name: SALDO_SESSION_TIMEOUT_MS
  value: {{ $values.saldo.sessionTimeoutMs | quote }}
- name: SALDO_NUM_STANDBY_REPLICAS
  value: {{ $values.saldo.numStandbyReplicas | quote }}
- name: SALDO_STREAM_THREADS
  value: {{ $values.saldo.streamThreads | quote }}
- name: SALDO_LOG_LEVEL
  value: {{ $values.saldo.logLevel | quote }}
- name: SALDO_CREATE_TOPICS
  value: {{ $values.saldo.createTopics | quote }}
- name: SALDO_TRANSACTIONS_TOPIC
  value: {{ $values.saldo.topics.transactions | quote }}
- name: SALDO_BALANCES_TOPIC
  value: {{ $values.saldo.topics.balances | quote }}
- name: SALDO_LIMITS_TOPIC
  value: {{ $values.saldo.topics.accountLimits | quote }}
- name: SALDO_ALERTS_TOPIC
  value: {{ $values.saldo.topics.fraudAlerts | quote }}
- name: SALDO_REDIS_KEY_PREFIX
  value: {{ $values.saldo.redisKeyPrefix | quote }}
{{- if include "saldo.rulesConfigMapName" $root }}
- name: SALDO_RULES
  value: /etc/saldo/rules/rules.json
{{- end }}
- name: NODE_OPTIONS
  value: {{ $values.saldo.nodeOptions | quote }}
- name: MALLOC_ARENA_MAX
  value: {{ $values.saldo.mallocArenaMax | quote }}
{{- if eq $values.saldo.allocator "glibc" }}
- name: LD_PRELOAD
  value: ""
{{- end }}
- name: KAFKA_BROKERS
  value: {{ join "," $values.kafka.brokers | quote }}
- name: SALDO_KAFKA_SECURITY_PROTOCOL
  value: {{ $values.kafka.securityProtocol | quote }}
{{- if has $values.kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL") }}
- name: SALDO_KAFKA_SASL_MECHANISM
  value: {{ $values.kafka.sasl.mechanism | quote }}
- name: SALDO_KAFKA_SASL_USERNAME
  value: {{ $values.kafka.sasl.username | quote }}
{{- end }}
- name: SCHEMA_REGISTRY_URL
  value: {{ $values.schemaRegistry.url | quote }}
{{- with $values.schemaRegistry.username }}
- name: SALDO_SCHEMA_REGISTRY_USERNAME
  value: {{ . | quote }}
{{- end }}
- name: REDIS_URL
  value: {{ $values.redis.url | quote }}
{{- with $values.redis.username }}
- name: SALDO_REDIS_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- /* Passwords and certificates are files of Secret volumes, never environment values. */}}
{{- range $passwords }}
- name: {{ .env }}
  value: {{ printf "/etc/saldo/credentials/%s" .file | quote }}
{{- end }}
{{- range $certificates }}
- name: {{ .env }}
  value: {{ printf "/etc/saldo/tls/%s" .file | quote }}
{{- end }}
{{- with $values.saldo.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "saldo.volumeMounts" -}}
- name: state
  mountPath: /var/lib/saldo
- name: tmp
  mountPath: /tmp
{{- if (include "saldo.passwordSources" .root | fromJson).sources }}
- name: credentials
  mountPath: /etc/saldo/credentials
  readOnly: true
{{- end }}
{{- if (include "saldo.tlsSources" .root | fromJson).sources }}
- name: tls
  mountPath: /etc/saldo/tls
  readOnly: true
{{- end }}
{{- if include "saldo.rulesConfigMapName" .root }}
- name: rules
  mountPath: /etc/saldo/rules
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod's volumes; an instance with persistence gets its state volume from its claim instead. */}}
{{- define "saldo.volumes" -}}
{{- $root := .root -}}
{{- $passwords := (include "saldo.passwordSources" $root | fromJson).sources -}}
{{- $certificates := (include "saldo.tlsSources" $root | fromJson).sources -}}
{{- $rulesConfigMap := include "saldo.rulesConfigMapName" $root -}}
- name: tmp
  emptyDir: {}
{{- if not (and .instance $root.Values.persistence.enabled) }}
- name: state
  emptyDir: {}
{{- end }}
{{- if $passwords }}
- name: credentials
  projected:
    defaultMode: 0440
    sources:
      {{- range $passwords }}
      - secret:
          name: {{ .secret }}
          items:
            - key: {{ .key }}
              path: {{ .file }}
      {{- end }}
{{- end }}
{{- if $certificates }}
- name: tls
  projected:
    defaultMode: 0440
    sources:
      {{- range $certificates }}
      - secret:
          name: {{ .secret }}
          items:
            - key: {{ .key }}
              path: {{ .file }}
      {{- end }}
{{- end }}
{{- if $rulesConfigMap }}
- name: rules
  configMap:
    name: {{ $rulesConfigMap }}
    items:
      - key: {{ $root.Values.fraudRules.key }}
        path: rules.json
{{- end }}
{{- end -}}

{{/* Annotations that roll the pods when what the chart keeps in Secrets or ConfigMaps changes. */}}
{{- define "saldo.configChecksums" -}}
checksum/credentials: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
checksum/rules: {{ include (print .Template.BasePath "/rules-configmap.yaml") . | sha256sum }}
{{- end -}}
