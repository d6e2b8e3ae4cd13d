{{/* Names, labels and the derived settings every template shares. */}}

{{- define "enduro.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "enduro.fullname" -}}
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

{{- define "enduro.selectorLabels" -}}
app.kubernetes.io/name: {{ include "enduro.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "enduro.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "enduro.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: enduro
{{- end -}}

{{- define "enduro.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "enduro.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "enduro.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces the operator watches in namespaced scope (JSON list). */}}
{{- define "enduro.watchNamespaces" -}}
{{- if .Values.operator.watchNamespaces -}}
{{- toJson .Values.operator.watchNamespaces -}}
{{- else -}}
{{- toJson (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* In namespaced scope, the catalogue namespace when the operator must watch it besides
the watched namespaces (JSON list: empty, or that one namespace). A run in a watched
namespace may reference a public Benchmark there, and the operator resolves it from what
it watches; it only reads there (see the catalogue Role in rbac.yaml). */}}
{{- define "enduro.catalogueWatch" -}}
{{- $ns := .Values.catalogue.namespace -}}
{{- $watched := include "enduro.watchNamespaces" . | fromJsonArray -}}
{{- if and .Values.catalogue.enabled (eq .Values.operator.scope "namespaced") (not (has $ns $watched)) -}}
{{- toJson (list $ns) -}}
{{- else -}}
{{- toJson (list) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces step pods run in and NetworkPolicies go to (JSON list). */}}
{{- define "enduro.policyNamespaces" -}}
{{- if .Values.networkPolicies.namespaces -}}
{{- toJson .Values.networkPolicies.namespaces -}}
{{- else if eq .Values.operator.scope "namespaced" -}}
{{- include "enduro.watchNamespaces" . -}}
{{- else -}}
{{- toJson (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* Rules the operator needs on the resources of one namespace (or all of them). */}}
{{- define "enduro.namespacedRules" -}}
# The catalogue: read, plus patch for kopf's finalizers and progress annotations.
- apiGroups: ["enduro.dev"]
  resources: ["benchmarks", "agents", "scenarios", "scorers"]
  verbs: ["get", "list", "watch", "patch"]
# Runs: a BenchmarkRun fans out into ScenarioRuns the operator creates and may delete.
- apiGroups: ["enduro.dev"]
  resources: ["benchmarkruns", "scenarioruns"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["enduro.dev"]
  resources:
    - benchmarks/status
    - agents/status
    - benchmarkruns/status
    - scenarioruns/status
    - scenarios/status
    - scorers/status
  verbs: ["get", "patch", "update"]
# Step pods: created per attempt, read for termination messages, deleted after a step.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "delete"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
# The per-ScenarioRun workspace; deleted explicitly when the run is cleaned up.
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Suites of explicit scenarios are mounted read-only from operator-owned ConfigMaps.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- if .Values.rbac.checkRequiredSecrets }}
# A run of explicit scenarios checks that the Secrets they require exist (get by name
# only: no list, no watch). Off by default: `get` would let the operator read them.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
# Kueue: a run checks that its LocalQueue exists (a missing one keeps it Pending).
- apiGroups: ["kueue.x-k8s.io"]
  resources: ["localqueues"]
  verbs: ["get"]
# kopf posts handler outcomes as events.
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
