{{/*
The chart name, or nameOverride.
*/}}
{{- define "log-shipper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
A fully qualified app name: the release name, followed by the chart name
unless the release name already contains it. Truncated to 63 characters
because some Kubernetes name fields are limited to that (DNS-1123).
*/}}
{{- define "log-shipper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "log-shipper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels for every object.
*/}}
{{- define "log-shipper.labels" -}}
helm.sh/chart: {{ include "log-shipper.chart" . | quote }}
{{ include "log-shipper.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | replace "+" "_" | trunc 63 | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- with .Values.environment }}
environment: {{ . | quote }}
{{- end }}
{{- with .Values.team }}
team: {{ . | quote }}
{{- end }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Annotations for an object's metadata: commonAnnotations merged with the
object's own (which win), as an "annotations:" block, or nothing at all.
Call with (dict "ctx" . "extra" .Values.x.annotations).
*/}}
{{- define "log-shipper.annotations" -}}
{{- $all := merge (dict) (.extra | default dict) (.ctx.Values.commonAnnotations | default dict) -}}
{{- with $all -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end }}

{{/*
Selector labels: stable for the life of the release, so never the version.
*/}}
{{- define "log-shipper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "log-shipper.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/*
The name of the service account to use.
*/}}
{{- define "log-shipper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "log-shipper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository, then :tag and @digest when set.
*/}}
{{- define "log-shipper.image" -}}
{{- .Values.image.repository }}
{{- with .Values.image.tag }}:{{ . }}{{ end }}
{{- with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}
