{{- define "pod-identity-agent.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The DaemonSet's name: the release's, with the variant's suffix. */}}
{{- define "pod-identity-agent.fullname" -}}
{{- $base := .top.Release.Name -}}
{{- if not (contains .top.Chart.Name $base) -}}
{{- $base = printf "%s-%s" $base .top.Chart.Name -}}
{{- end -}}
{{- if .ds.nameSuffix -}}
{{- $base = printf "%s-%s" $base .ds.nameSuffix -}}
{{- end -}}
{{- $base | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pod-identity-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pod-identity-agent.name" .top }}
app.kubernetes.io/instance: {{ .top.Release.Name }}
app.kubernetes.io/component: {{ .variant }}
{{- end -}}

{{- define "pod-identity-agent.labels" -}}
{{ include "pod-identity-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .top.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .top.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .top.Chart.Name .top.Chart.Version }}
{{- end -}}

{{- define "pod-identity-agent.image" -}}
{{- $repo := required "image.repository is required: build the image with deploy/Dockerfile and push it" .Values.image.repository -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
