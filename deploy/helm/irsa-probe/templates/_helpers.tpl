{{/* The image the policies inject: registry/repository:tag. */}}
{{- define "irsa-probe.image" -}}
{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The API (group/version/Kind) injection.engine's object needs. */}}
{{- define "irsa-probe.engineAPI" -}}
{{- get (dict "kyverno" "kyverno.io/v1/ClusterPolicy" "kyverno-cel" "policies.kyverno.io/v1/MutatingPolicy" "mutatingAdmissionPolicy" "admissionregistration.k8s.io/v1beta1/MutatingAdmissionPolicy") .Values.injection.engine -}}
{{- end }}

{{/*
injection.engine when the cluster serves its API, else empty: the chart
installs what the cluster can take and NOTES.txt names what it skipped
(helm template: pass the APIs with --api-versions).
*/}}
{{- define "irsa-probe.engine" -}}
{{- $api := include "irsa-probe.engineAPI" . -}}
{{- if and $api (.Capabilities.APIVersions.Has $api) -}}
{{ .Values.injection.engine }}
{{- end -}}
{{- end }}

{{/* The API the PrometheusRule needs. */}}
{{- define "irsa-probe.prometheusRuleAPI" -}}
monitoring.coreos.com/v1/PrometheusRule
{{- end }}
