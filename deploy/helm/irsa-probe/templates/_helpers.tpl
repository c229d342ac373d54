{{/* The image the policies inject: registry/repository:tag. */}}
{{- define "irsa-probe.image" -}}
{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
