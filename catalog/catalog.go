// Package catalog lists well-known upstream Helm charts: where each is
// published, the version aiden pins, the component name an intent or a
// generation config refers to it by, and how the facts of an intent
// (replicas, storage, resources, persistence, credentials from an existing
// Secret, ingress host and TLS) map to the chart's values.
//
// The offline author installs these charts when an intent names the
// software, and repository inference proposes them as a generation
// config's preferred charts when a repository defines no source for the
// component.
//
// Every pinned version was read from the chart's Chart.yaml in its public
// source repository (Chart.Source names it); the values each mapping
// writes are checked against the chart's own values.schema.json where the
// chart has one (a pruned copy ships in the binary, see Chart.CheckValues).
package catalog

import (
	"sort"
	"strings"
)

// Chart is one well-known upstream Helm chart.
type Chart struct {
	// Component is the key intents and generation configs use: redis,
	// postgresql, podinfo, ...
	Component string
	// Repository is the chart repository URL: https://... for a Helm
	// index, oci://... for an OCI registry.
	Repository string
	// Chart is the chart's name in the repository.
	Chart string
	// Version is the exact chart version aiden pins.
	Version string
	// AppVersion is the version of the software the pinned chart runs by
	// default (its Chart.yaml appVersion).
	AppVersion string
	// Title is the software's name as people write it: MongoDB, RabbitMQ.
	Title string
	// Aliases are the words an intent names the software by, lowercase,
	// longest first when they overlap ("nginx ingress controller" before
	// "nginx").
	Aliases []string
	// Source is where the version was read: the public Git repository,
	// the chart's folder and the commit or tag.
	Source string
	// Licence is the chart's licence (SPDX identifier).
	Licence string
}

// OCI reports whether the chart is served from an OCI registry.
func (c Chart) OCI() bool { return strings.HasPrefix(c.Repository, "oci://") }

const (
	bitnamiOCI    = "oci://registry-1.docker.io/bitnamicharts"
	bitnamiSource = "github.com/bitnami/charts bitnami/%s @5165628ae06697f8f68a670bef7739d93c4b7f44"
	grafanaRepo   = "https://grafana-community.github.io/helm-charts"
)

func bitnami(component, title, version, app string, aliases ...string) Chart {
	return Chart{Component: component, Repository: bitnamiOCI, Chart: component, Version: version, AppVersion: app,
		Title: title, Aliases: append([]string{component}, aliases...),
		Source: strings.Replace(bitnamiSource, "%s", component, 1), Licence: "Apache-2.0"}
}

// charts holds the entries by component.
var charts = func() map[string]Chart {
	list := []Chart{
		bitnami("redis", "Redis", "23.1.1", "8.2.1"),
		bitnami("postgresql", "PostgreSQL", "17.1.0", "17.6.0", "postgres", "pg"),
		bitnami("mongodb", "MongoDB", "17.0.2", "8.0.13", "mongo"),
		bitnami("mysql", "MySQL", "14.0.5", "9.4.0"),
		bitnami("mariadb", "MariaDB", "23.0.1", "12.0.2", "maria db"),
		bitnami("rabbitmq", "RabbitMQ", "16.0.16", "4.1.3", "rabbit mq", "rabbit"),
		bitnami("kafka", "Apache Kafka", "32.4.4", "4.0.0", "apache kafka"),
		bitnami("elasticsearch", "Elasticsearch", "22.1.7", "9.1.2", "elastic search", "elastic"),
		bitnami("opensearch", "OpenSearch", "2.0.11", "3.2.0", "open search"),
		bitnami("memcached", "memcached", "8.0.0", "1.6.39", "memcache"),
		bitnami("nginx", "NGINX (web server)", "22.1.1", "1.29.1", "nginx web server", "nginx server"),
		bitnami("keycloak", "Keycloak", "25.4.0", "26.3.3"),
		bitnami("minio", "MinIO", "17.0.23", "2025.7.23", "min io"),
		{Component: "ingress-nginx", Repository: "https://kubernetes.github.io/ingress-nginx", Chart: "ingress-nginx", Version: "4.15.1", AppVersion: "1.15.1",
			Title: "ingress-nginx (NGINX ingress controller)", Aliases: []string{"ingress-nginx", "nginx ingress controller", "nginx-ingress controller", "nginx-ingress", "nginx ingress", "ingress controller"},
			Source: "github.com/kubernetes/ingress-nginx charts/ingress-nginx @dbb11b92ddb77bee9c35e462479129354c84f939", Licence: "Apache-2.0"},
		{Component: "cert-manager", Repository: "https://charts.jetstack.io", Chart: "cert-manager", Version: "v1.21.1", AppVersion: "v1.21.1",
			Title: "cert-manager", Aliases: []string{"cert-manager", "cert manager", "certmanager"},
			Source: "github.com/cert-manager/cert-manager deploy/charts/cert-manager @v1.21.1", Licence: "Apache-2.0"},
		{Component: "external-secrets", Repository: "https://charts.external-secrets.io", Chart: "external-secrets", Version: "2.9.0", AppVersion: "v2.9.0",
			Title: "External Secrets Operator", Aliases: []string{"external-secrets operator", "external secrets operator", "external-secrets", "external secrets", "eso"},
			Source: "github.com/external-secrets/external-secrets deploy/charts/external-secrets @cc5bfbc2234ace9cb0caff4ea89c435cf517b27b", Licence: "Apache-2.0"},
		{Component: "kube-prometheus-stack", Repository: "https://prometheus-community.github.io/helm-charts", Chart: "kube-prometheus-stack", Version: "88.5.3", AppVersion: "v0.93.1",
			Title: "kube-prometheus-stack (Prometheus, Alertmanager, Grafana)", Aliases: []string{"kube-prometheus-stack", "kube prometheus stack", "kube-prometheus", "prometheus stack", "prometheus operator", "prometheus"},
			Source: "github.com/prometheus-community/helm-charts charts/kube-prometheus-stack @cf408a290aec489277a94450bb3511432477a53a", Licence: "Apache-2.0"},
		{Component: "grafana", Repository: grafanaRepo, Chart: "grafana", Version: "12.11.1", AppVersion: "13.2.0",
			Title: "Grafana", Aliases: []string{"grafana"},
			Source: "github.com/grafana-community/helm-charts charts/grafana @3386a1156177c6bcd7fdb1ad4c6b1dda094296e0", Licence: "Apache-2.0"},
		{Component: "loki", Repository: grafanaRepo, Chart: "loki", Version: "18.11.0", AppVersion: "3.7.6",
			Title: "Grafana Loki", Aliases: []string{"grafana loki", "loki"},
			Source: "github.com/grafana-community/helm-charts charts/loki @3386a1156177c6bcd7fdb1ad4c6b1dda094296e0", Licence: "Apache-2.0"},
		{Component: "podinfo", Repository: "oci://ghcr.io/stefanprodan/charts", Chart: "podinfo", Version: "6.14.1", AppVersion: "6.14.1",
			Title: "podinfo", Aliases: []string{"podinfo"},
			Source: "github.com/stefanprodan/podinfo charts/podinfo @eec06d1ea459af4cb4e10e806f8be7c7bd58b361", Licence: "Apache-2.0"},
	}
	m := make(map[string]Chart, len(list))
	for _, c := range list {
		sort.SliceStable(c.Aliases, func(i, j int) bool { return len(c.Aliases[i]) > len(c.Aliases[j]) })
		m[c.Component] = c
	}
	return m
}()

// Lookup returns the chart of a component.
func Lookup(component string) (Chart, bool) {
	c, ok := charts[component]
	return c, ok
}

// Components lists the catalogue's components in order.
func Components() []string {
	names := make([]string, 0, len(charts))
	for name := range charts {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Aliases returns every alias of every entry with the component it names,
// longest alias first, so a reader matching them in order takes "nginx
// ingress controller" before "nginx".
func Aliases() []Alias {
	var out []Alias
	for _, name := range Components() {
		for _, a := range charts[name].Aliases {
			out = append(out, Alias{Words: a, Component: name})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Words) > len(out[j].Words) })
	return out
}

// Alias is a way an intent names a component.
type Alias struct {
	Words     string
	Component string
}
