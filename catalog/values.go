package catalog

import (
	"fmt"
	"strings"
)

// Facts are what an intent asked of an upstream chart. Zero values mean
// "not asked": the chart's own defaults stand.
type Facts struct {
	// Replicas is the number of pods (or members, or brokers) asked for.
	Replicas int
	// Storage is the size of each persistent volume ("20Gi").
	Storage string
	// Persistence is nil when not asked, else whether data must persist.
	Persistence *bool
	// CPU and Memory are the container requests and limits asked for.
	CPU, Memory string
	// AuthSecret is an existing Secret holding the credentials.
	AuthSecret string
	// Host is the ingress host; TLS asks for HTTPS at it.
	Host string
	TLS  bool
}

// UnsupportedError says which fact a chart's mapping cannot carry.
type UnsupportedError struct {
	Component string
	// Fact is the fact: replicas, storage, persistence, resources, auth,
	// host or tls.
	Fact string
	// Reason says why, and what the chart does instead.
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s: %s is not supported: %s", e.Component, e.Fact, e.Reason)
}

// mapper writes the values of one chart.
type mapper func(v values, f Facts) error

// values is a nested values map with dotted-path setters.
type values map[string]any

// set sets a dotted path ("primary.persistence.size").
func (v values) set(path string, val any) {
	parts := strings.Split(path, ".")
	m := map[string]any(v)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

func resources(f Facts) map[string]any {
	req, lim := map[string]any{}, map[string]any{}
	if f.CPU != "" {
		req["cpu"], lim["cpu"] = f.CPU, f.CPU
	}
	if f.Memory != "" {
		req["memory"], lim["memory"] = f.Memory, f.Memory
	}
	return map[string]any{"requests": req, "limits": lim}
}

func hasResources(f Facts) bool { return f.CPU != "" || f.Memory != "" }

// scale sets the replica count and the container resources the intent
// asked for, at the chart's paths for them; what was not asked is left to
// the chart's defaults.
func (v values) scale(f Facts, replicasPath, resourcesPath string) {
	if f.Replicas != 0 {
		v.set(replicasPath, f.Replicas)
	}
	if hasResources(f) {
		v.set(resourcesPath, resources(f))
	}
}

// persistence writes <prefix>.persistence.enabled and .size.
func persistence(v values, prefix string, f Facts) {
	on := f.Persistence == nil || *f.Persistence
	if f.Persistence != nil {
		v.set(prefix+"persistence.enabled", on)
	}
	if f.Storage != "" && on {
		v.set(prefix+"persistence.enabled", true)
		v.set(prefix+"persistence.size", f.Storage)
	}
}

// bitnamiIngress writes the ingress block Bitnami charts share. Their
// ingress.tls only takes effect with a cert-manager annotation, a
// self-signed certificate or certificates in values, so TLS is written as
// extraTls naming the Secret that holds the certificate.
func bitnamiIngress(v values, block string, f Facts) {
	if f.Host == "" {
		return
	}
	v.set(block+".enabled", true)
	v.set(block+".hostname", f.Host)
	if f.TLS {
		v.set(block+".extraTls", []any{map[string]any{"hosts": []any{f.Host}, "secretName": tlsSecret(f.Host)}})
	}
}

func unsupported(component, fact, reason string) error {
	return &UnsupportedError{Component: component, Fact: fact, Reason: reason}
}

// refuse returns an UnsupportedError for the first fact of asked that is
// set in f.
func refuse(component string, f Facts, reason map[string]string) error {
	for _, fact := range []string{"replicas", "storage", "persistence", "resources", "auth", "host", "tls"} {
		r, ok := reason[fact]
		if !ok {
			continue
		}
		set := map[string]bool{"replicas": f.Replicas != 0, "storage": f.Storage != "", "persistence": f.Persistence != nil,
			"resources": hasResources(f), "auth": f.AuthSecret != "", "host": f.Host != "", "tls": f.TLS}[fact]
		if set {
			return unsupported(component, fact, r)
		}
	}
	return nil
}

const (
	noHost    = "it is not a web application; it has no ingress of its own"
	noStorage = "it keeps no data of its own"
	noAuth    = "it has no credentials to take from a Secret"
)

// primaryReplicas maps the charts that run a primary and read-only
// copies: n pods are a primary and n-1 secondaries.
func primaryReplicas(v values, f Facts, secondaries string) {
	switch {
	case f.Replicas > 1:
		v.set("architecture", "replication")
		v.set(secondaries+".replicaCount", f.Replicas-1)
	case f.Replicas == 1:
		v.set("architecture", "standalone")
	}
}

var mappers = map[string]mapper{
	"redis": func(v values, f Facts) error {
		if err := refuse("redis", f, map[string]string{"host": noHost}); err != nil {
			return err
		}
		switch {
		case f.Replicas > 1:
			// Every pod runs Redis and Sentinel; Sentinel promotes a
			// replica when the primary fails.
			v.set("architecture", "replication")
			v.set("sentinel.enabled", true)
			v.set("replica.replicaCount", f.Replicas)
		case f.Replicas == 1:
			v.set("architecture", "standalone")
		}
		persistence(v, "master.", f)
		if f.Replicas > 1 {
			persistence(v, "replica.", f)
		}
		if hasResources(f) {
			v.set("master.resources", resources(f))
			if f.Replicas > 1 {
				v.set("replica.resources", resources(f))
			}
		}
		if f.AuthSecret != "" {
			v.set("auth.enabled", true)
			v.set("auth.existingSecret", f.AuthSecret)
		}
		return nil
	},
	"postgresql": func(v values, f Facts) error {
		if err := refuse("postgresql", f, map[string]string{"host": noHost}); err != nil {
			return err
		}
		if f.Persistence != nil && !*f.Persistence {
			return unsupported("postgresql", "persistence", "a database keeps its data; the chart always persists it")
		}
		primaryReplicas(v, f, "readReplicas")
		persistence(v, "primary.", f)
		if f.Replicas > 1 && f.Storage != "" {
			v.set("readReplicas.persistence.size", f.Storage)
		}
		if hasResources(f) {
			v.set("primary.resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("auth.existingSecret", f.AuthSecret)
		}
		return nil
	},
	"mongodb": func(v values, f Facts) error {
		if err := refuse("mongodb", f, map[string]string{"host": noHost}); err != nil {
			return err
		}
		switch {
		case f.Replicas > 1:
			v.set("architecture", "replicaset")
			v.set("replicaCount", f.Replicas)
		case f.Replicas == 1:
			v.set("architecture", "standalone")
		}
		persistence(v, "", f)
		if hasResources(f) {
			v.set("resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("auth.existingSecret", f.AuthSecret)
		}
		return nil
	},
	"mysql":   sqlMapper("mysql"),
	"mariadb": sqlMapper("mariadb"),
	"rabbitmq": func(v values, f Facts) error {
		if f.Replicas != 0 {
			v.set("replicaCount", f.Replicas)
		}
		persistence(v, "", f)
		if hasResources(f) {
			v.set("resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("auth.existingPasswordSecret", f.AuthSecret)
		}
		bitnamiIngress(v, "ingress", f)
		return nil
	},
	"kafka": func(v values, f Facts) error {
		if err := refuse("kafka", f, map[string]string{"host": noHost,
			"auth": "Kafka's SASL users are configured per listener (sasl.client.users); name the listeners with a model"}); err != nil {
			return err
		}
		// KRaft: the controller-eligible nodes are the brokers.
		if f.Replicas != 0 {
			v.set("controller.replicaCount", f.Replicas)
		}
		persistence(v, "controller.", f)
		if hasResources(f) {
			v.set("controller.resources", resources(f))
		}
		return nil
	},
	"elasticsearch": searchMapper("elasticsearch"),
	"opensearch":    searchMapper("opensearch"),
	"memcached": func(v values, f Facts) error {
		if err := refuse("memcached", f, map[string]string{"host": noHost,
			"storage":     "memcached is a cache and keeps no data worth a volume",
			"persistence": "memcached is a cache and keeps no data worth a volume",
			"auth":        "the chart takes the SASL user name in its values, not from the Secret, and needs a writable root filesystem for it"}); err != nil {
			return err
		}
		switch {
		case f.Replicas > 1:
			// The standalone architecture runs one pod only.
			v.set("architecture", "high-availability")
			v.set("replicaCount", f.Replicas)
		case f.Replicas == 1:
			v.set("architecture", "standalone")
			v.set("replicaCount", 1)
		}
		if hasResources(f) {
			v.set("resources", resources(f))
		}
		return nil
	},
	"nginx": func(v values, f Facts) error {
		if err := refuse("nginx", f, map[string]string{"storage": noStorage, "persistence": noStorage, "auth": noAuth}); err != nil {
			return err
		}
		v.scale(f, "replicaCount", "resources")
		if f.Host != "" {
			// A web server behind the cluster's ingress: no LoadBalancer of
			// its own.
			v.set("service.type", "ClusterIP")
		}
		bitnamiIngress(v, "ingress", f)
		return nil
	},
	"keycloak": func(v values, f Facts) error {
		if err := refuse("keycloak", f, map[string]string{"storage": "Keycloak keeps its data in its PostgreSQL database, not on a volume of its own",
			"persistence": "Keycloak keeps its data in its PostgreSQL database, not on a volume of its own"}); err != nil {
			return err
		}
		v.scale(f, "replicaCount", "resources")
		if f.AuthSecret != "" {
			v.set("auth.existingSecret", f.AuthSecret)
		}
		bitnamiIngress(v, "ingress", f)
		return nil
	},
	"minio": func(v values, f Facts) error {
		switch {
		case f.Replicas >= 4:
			v.set("mode", "distributed")
			v.set("statefulset.replicaCount", f.Replicas)
		case f.Replicas > 1:
			return unsupported("minio", "replicas", fmt.Sprintf("distributed MinIO needs at least 4 nodes, not %d; ask for 1 or 4 and more", f.Replicas))
		case f.Replicas == 1:
			v.set("mode", "standalone")
		}
		persistence(v, "", f)
		if hasResources(f) {
			v.set("resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("auth.existingSecret", f.AuthSecret)
		}
		// The host serves MinIO's S3 API (the chart's ingress; the console
		// has its own).
		bitnamiIngress(v, "ingress", f)
		return nil
	},
	"ingress-nginx": func(v values, f Facts) error {
		if err := refuse("ingress-nginx", f, map[string]string{"storage": noStorage, "persistence": noStorage, "auth": noAuth,
			"host": "the controller serves the hosts of every Ingress; give each app its own host", "tls": "TLS is set per Ingress, not on the controller"}); err != nil {
			return err
		}
		v.scale(f, "controller.replicaCount", "controller.resources")
		return nil
	},
	"cert-manager": func(v values, f Facts) error {
		if err := refuse("cert-manager", f, map[string]string{"storage": noStorage, "persistence": noStorage, "auth": noAuth, "host": noHost, "tls": noHost}); err != nil {
			return err
		}
		// The chart installs and upgrades cert-manager's CRDs.
		v.set("crds.enabled", true)
		v.scale(f, "replicaCount", "resources")
		return nil
	},
	"external-secrets": func(v values, f Facts) error {
		if err := refuse("external-secrets", f, map[string]string{"storage": noStorage, "persistence": noStorage, "auth": noAuth, "host": noHost, "tls": noHost}); err != nil {
			return err
		}
		v.set("installCRDs", true)
		v.scale(f, "replicaCount", "resources")
		return nil
	},
	"kube-prometheus-stack": func(v values, f Facts) error {
		if err := refuse("kube-prometheus-stack", f, map[string]string{
			"host": "the stack runs Prometheus, Alertmanager and Grafana; say which to expose with a model, or install grafana on its own"}); err != nil {
			return err
		}
		if f.Persistence != nil && !*f.Persistence {
			return nil
		}
		if f.Replicas != 0 {
			v.set("prometheus.prometheusSpec.replicas", f.Replicas)
		}
		if f.Storage != "" {
			v.set("prometheus.prometheusSpec.storageSpec", map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
				"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": f.Storage}}}}})
		} else if f.Persistence != nil {
			return unsupported("kube-prometheus-stack", "persistence", "say how much storage Prometheus keeps (\"50Gi of storage\")")
		}
		if hasResources(f) {
			v.set("prometheus.prometheusSpec.resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("grafana.admin.existingSecret", f.AuthSecret)
		}
		return nil
	},
	"grafana": func(v values, f Facts) error {
		if f.Replicas != 0 {
			v.set("replicas", f.Replicas)
		}
		persistence(v, "", f)
		if hasResources(f) {
			v.set("resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("admin.existingSecret", f.AuthSecret)
		}
		if f.Host != "" {
			v.set("ingress.enabled", true)
			v.set("ingress.hosts", []any{f.Host})
			if f.TLS {
				v.set("ingress.tls", []any{map[string]any{"secretName": tlsSecret(f.Host), "hosts": []any{f.Host}}})
			}
		}
		return nil
	},
	"loki": func(v values, f Facts) error {
		if err := refuse("loki", f, map[string]string{"host": "Loki's gateway is exposed with a model or by hand; Grafana reads Loki inside the cluster",
			"auth": "Loki runs without multi-tenant authentication here"}); err != nil {
			return err
		}
		if f.Persistence != nil && !*f.Persistence {
			return unsupported("loki", "persistence", "single-binary Loki keeps its chunks on its volume")
		}
		// One binary with its chunks on a filesystem volume: the smallest
		// Loki, as its chart documents for a single node.
		v.set("deploymentMode", "SingleBinary")
		v.set("loki.auth_enabled", false)
		v.set("loki.commonConfig.replication_factor", 1)
		v.set("loki.storage.type", "filesystem")
		v.set("loki.schemaConfig.configs", []any{map[string]any{"from": "2024-04-01", "store": "tsdb", "object_store": "filesystem",
			"schema": "v13", "index": map[string]any{"prefix": "loki_index_", "period": "24h"}}})
		v.set("singleBinary.replicas", max(f.Replicas, 1))
		if f.Replicas > 1 {
			return unsupported("loki", "replicas", "several Loki replicas need object storage (S3, GCS) for their chunks; ask for 1, or configure object storage with a model")
		}
		if f.Storage != "" {
			v.set("singleBinary.persistence.size", f.Storage)
		}
		if hasResources(f) {
			v.set("singleBinary.resources", resources(f))
		}
		for _, target := range []string{"backend", "read", "write"} {
			v.set(target+".replicas", 0)
		}
		return nil
	},
	"podinfo": func(v values, f Facts) error {
		if err := refuse("podinfo", f, map[string]string{"storage": noStorage, "persistence": noStorage, "auth": noAuth}); err != nil {
			return err
		}
		v.scale(f, "replicaCount", "resources")
		if f.Host != "" {
			v.set("ingress.enabled", true)
			v.set("ingress.hosts", []any{map[string]any{"host": f.Host, "paths": []any{map[string]any{"path": "/", "pathType": "ImplementationSpecific"}}}})
			if f.TLS {
				v.set("ingress.tls", []any{map[string]any{"secretName": tlsSecret(f.Host), "hosts": []any{f.Host}}})
			}
		}
		return nil
	},
}

func sqlMapper(component string) mapper {
	return func(v values, f Facts) error {
		if err := refuse(component, f, map[string]string{"host": noHost}); err != nil {
			return err
		}
		if f.Persistence != nil && !*f.Persistence {
			return unsupported(component, "persistence", "a database keeps its data; the chart always persists it")
		}
		primaryReplicas(v, f, "secondary")
		persistence(v, "primary.", f)
		if f.Replicas > 1 && f.Storage != "" {
			v.set("secondary.persistence.size", f.Storage)
		}
		if hasResources(f) {
			v.set("primary.resources", resources(f))
		}
		if f.AuthSecret != "" {
			v.set("auth.existingSecret", f.AuthSecret)
		}
		return nil
	}
}

func searchMapper(component string) mapper {
	return func(v values, f Facts) error {
		if err := refuse(component, f, map[string]string{
			"auth": "the chart's security settings need TLS certificates as well; configure them with a model"}); err != nil {
			return err
		}
		// Data nodes hold the indices: replicas and storage are theirs.
		if f.Replicas != 0 {
			v.set("data.replicaCount", f.Replicas)
		}
		persistence(v, "data.", f)
		if hasResources(f) {
			v.set("data.resources", resources(f))
		}
		bitnamiIngress(v, "ingress", f)
		return nil
	}
}

func tlsSecret(host string) string {
	return strings.ReplaceAll(host, ".", "-") + "-tls"
}

// Values returns the chart values that carry f, checked against the
// chart's values schema where it has one. A fact the chart cannot carry
// is an *UnsupportedError.
func (c Chart) Values(f Facts) (map[string]any, error) {
	v, err := c.RawValues(f)
	if err != nil {
		return nil, err
	}
	if err := c.CheckValues(v); err != nil {
		return nil, err
	}
	return v, nil
}

// SampleFacts are fact sets that between them ask a chart for everything
// a mapping can write: one fact at a time, then all at once.
func SampleFacts() []Facts {
	on, off := true, false
	return []Facts{
		{Replicas: 1}, {Replicas: 3}, {Replicas: 4}, {Storage: "20Gi"}, {Persistence: &on}, {Persistence: &off},
		{Persistence: &on, Storage: "20Gi"}, {CPU: "500m", Memory: "1Gi"}, {AuthSecret: "app-credentials"},
		{Host: "app.example.com"}, {Host: "app.example.com", TLS: true},
		{Replicas: 3, Storage: "20Gi", Persistence: &on, CPU: "1", Memory: "2Gi", AuthSecret: "app-credentials", Host: "app.example.com", TLS: true},
	}
}

// RawValues returns the values the mapping writes for f, without the
// schema check (an *UnsupportedError when it cannot carry f).
func (c Chart) RawValues(f Facts) (map[string]any, error) {
	m, ok := mappers[c.Component]
	if !ok {
		return nil, fmt.Errorf("%s: no values mapping", c.Component)
	}
	v := values{}
	if err := m(v, f); err != nil {
		return nil, err
	}
	return v, nil
}
