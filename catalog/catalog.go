// Package catalog lists well-known upstream Helm charts: where each is
// published, the version aiden pins, and the component name an intent or a
// generation config refers to it by.
//
// The offline author installs these charts when an intent names the
// software, and repository inference proposes them as a generation
// config's preferred charts when a repository defines no source for the
// component.
package catalog

import "sort"

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
}

// charts holds the entries by component.
var charts = map[string]Chart{
	"redis":   {Component: "redis", Repository: "https://charts.bitnami.com/bitnami", Chart: "redis", Version: "19.6.4"},
	"podinfo": {Component: "podinfo", Repository: "oci://ghcr.io/stefanprodan/charts", Chart: "podinfo", Version: "6.9.2"},
}

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
