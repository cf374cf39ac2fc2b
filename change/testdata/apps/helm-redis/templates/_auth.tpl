{{/*
The password environment variables, read from the existing Secret named in
values (auth.existingSecret); the chart itself never holds a password.
REDISCLI_AUTH lets redis-cli (probes, init) authenticate without the
password on its command line.
*/}}
{{- define "redis.passwordEnv" -}}
{{- if .Values.auth.enabled -}}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "auth.existingSecret must name a Secret holding the password" .Values.auth.existingSecret | quote }}
      key: {{ .Values.auth.existingSecretPasswordKey }}
- name: REDISCLI_AUTH
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret | quote }}
      key: {{ .Values.auth.existingSecretPasswordKey }}
{{- end }}
{{- end }}
