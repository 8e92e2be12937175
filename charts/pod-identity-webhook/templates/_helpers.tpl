{{/*
Chart name (app.kubernetes.io/name).
*/}}
{{- define "pod-identity-webhook.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: the release name, plus the chart name unless the release
name already contains it. 63 characters at most (Service and label limits).
*/}}
{{- define "pod-identity-webhook.fullname" -}}
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

{{- define "pod-identity-webhook.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "pod-identity-webhook.labels" -}}
helm.sh/chart: {{ include "pod-identity-webhook.chart" . }}
{{ include "pod-identity-webhook.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pod-identity-webhook
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Labels that select the webhook pods (Deployment, Service, PDB, spread constraints).
*/}}
{{- define "pod-identity-webhook.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pod-identity-webhook.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of the helm test objects: not the webhook's selector labels, so that no Service or PDB of
the release ever selects the test pod.
*/}}
{{- define "pod-identity-webhook.testLabels" -}}
helm.sh/chart: {{ include "pod-identity-webhook.chart" . }}
app.kubernetes.io/name: {{ include "pod-identity-webhook.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: test
{{- end }}

{{- define "pod-identity-webhook.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pod-identity-webhook.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pod-identity-webhook.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
The Secret holding the serving certificate (tls.crt, tls.key).
*/}}
{{- define "pod-identity-webhook.certSecretName" -}}
{{- if .Values.pki.certManager.enabled }}
{{- printf "%s-cert" (include "pod-identity-webhook.fullname" .) }}
{{- else }}
{{- required "pki.existingSecret is required when pki.certManager.enabled is false" .Values.pki.existingSecret }}
{{- end }}
{{- end }}

{{/*
The role ConfigMap's name is fixed by the binary (--watch-config-map).
*/}}
{{- define "pod-identity-webhook.roleConfigMapName" -}}
pod-identity-webhook
{{- end }}

{{- define "pod-identity-webhook.containerCredentialsConfigMapName" -}}
{{- default (printf "%s-container-credentials" (include "pod-identity-webhook.fullname" .)) .Values.config.containerCredentials.existingConfigMap }}
{{- end }}

{{/*
Where the container-credentials file is mounted.
*/}}
{{- define "pod-identity-webhook.containerCredentialsDir" -}}
/etc/pod-identity-webhook/container-credentials
{{- end }}

{{/*
The caBundle: base64-encoded PEM, whether given as PEM or already encoded.
*/}}
{{- define "pod-identity-webhook.caBundle" -}}
{{- $ca := .Values.pki.caBundle | trim }}
{{- if hasPrefix "-----BEGIN" $ca }}
{{- $ca | b64enc }}
{{- else }}
{{- $ca }}
{{- end }}
{{- end }}

{{/*
The webhook's command-line flags, one per line, from the values.
*/}}
{{- define "pod-identity-webhook.args" -}}
{{- $c := .Values.config -}}
- --port={{ int .Values.containerPort }}
- --metrics-port={{ int .Values.metrics.port }}
- --tls-cert=/etc/webhook/certs/tls.crt
- --tls-key=/etc/webhook/certs/tls.key
- --in-cluster=false
- --namespace={{ .Release.Namespace }}
- {{ printf "--annotation-prefix=%s" $c.annotationPrefix | quote }}
- {{ printf "--token-audience=%s" $c.tokenAudience | quote }}
- --token-expiration={{ int64 $c.tokenExpiration }}
- {{ printf "--token-mount-path=%s" $c.tokenMountPath | quote }}
- --sts-regional-endpoint={{ $c.stsRegionalEndpoint }}
{{- with $c.awsDefaultRegion }}
- {{ printf "--aws-default-region=%s" . | quote }}
{{- end }}
- {{ printf "--service-account-lookup-grace-period=%v" $c.serviceAccountLookupGracePeriod | quote }}
- {{ printf "--shutdown-delay=%v" $c.shutdownDelay | quote }}
- {{ printf "--shutdown-timeout=%v" $c.shutdownTimeout | quote }}
- --log-level={{ $c.logLevel }}
- --log-format={{ $c.logFormat }}
{{- if $c.enableDebuggingHandlers }}
- --enable-debugging-handlers=true
{{- end }}
{{- with $c.tls.minVersion }}
- {{ printf "--tls-min-version=%s" . | quote }}
{{- end }}
{{- with $c.tls.cipherSuites }}
- {{ printf "--tls-cipher-suites=%s" (join "," .) | quote }}
{{- end }}
{{- if $c.composeRoleArn.enabled }}
- --compose-role-arn=true
{{- with $c.composeRoleArn.awsAccountId }}
- {{ printf "--aws-account-id=%s" (toString .) | quote }}
{{- end }}
{{- with $c.composeRoleArn.awsPartition }}
- {{ printf "--aws-partition=%s" . | quote }}
{{- end }}
{{- end }}
{{- if $c.configMap.enabled }}
- --watch-config-map=true
{{- end }}
{{- if $c.containerCredentials.enabled }}
- --watch-container-credentials-config={{ include "pod-identity-webhook.containerCredentialsDir" . }}/config.json
- {{ printf "--container-credentials-audience=%s" $c.containerCredentials.audience | quote }}
- {{ printf "--container-credentials-full-uri=%s" $c.containerCredentials.fullUri | quote }}
- {{ printf "--container-credentials-token-mount-path=%s" $c.containerCredentials.tokenMountPath | quote }}
- {{ printf "--container-credentials-token-volume-name=%s" $c.containerCredentials.tokenVolumeName | quote }}
- {{ printf "--container-credentials-token-path=%s" $c.containerCredentials.tokenPath | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
