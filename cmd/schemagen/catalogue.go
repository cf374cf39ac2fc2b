package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// crdSet is one entry of the CRD catalogue aiden ships: the CRD manifests
// one project released at one pinned version.
type crdSet struct {
	// Name names the set and its file, crds-<name>.json.gz.
	Name string
	// Project is the project's name as people write it.
	Project string
	// Module is the Go module path and Version the pinned release.
	Module, Version string
	// Globs are the CRD manifests inside the module, slash-separated.
	Globs []string
	// Chart, when set, is a Helm chart inside the module whose templates
	// write the CRDs: it is rendered with its default values and Globs
	// match its template paths (templates/policy/*.yaml).
	Chart string
	// Git is set when the Go module proxy refuses the module: the files
	// come from a checkout of the release tag (-module-dir), and Git
	// names the repository and the tag.
	Git string
	// Fallback sets only add the group/version/kinds no other set has:
	// older releases kept for API versions a newer one dropped, and
	// Gateway API's experimental channel behind the standard one.
	Fallback bool
}

// catalogue lists every CRD set aiden ships, generated with
// `go run ./cmd/schemagen -catalogue all`. docs/crds.md has the same
// table with the licences read from each module.
var catalogue = []crdSet{
	{Name: "cert-manager", Project: "cert-manager", Module: "github.com/cert-manager/cert-manager", Version: "v1.21.2", Globs: []string{"deploy/crds/*.yaml"}},
	{Name: "gateway-api", Project: "Gateway API (standard channel)", Module: "sigs.k8s.io/gateway-api", Version: "v1.6.3", Globs: []string{"config/crd/standard/*.yaml"}},
	{Name: "gateway-api-experimental", Project: "Gateway API (experimental channel)", Module: "sigs.k8s.io/gateway-api", Version: "v1.6.3", Globs: []string{"config/crd/experimental/*.yaml"}, Fallback: true},
	{Name: "flux-source", Project: "Flux source-controller", Module: "github.com/fluxcd/source-controller", Version: "v1.10.1", Globs: []string{"config/crd/bases/*.yaml"}},
	{Name: "flux-kustomize", Project: "Flux kustomize-controller", Module: "github.com/fluxcd/kustomize-controller", Version: "v1.10.1", Globs: []string{"config/crd/bases/*.yaml"}},
	{Name: "flux-helm", Project: "Flux helm-controller", Module: "github.com/fluxcd/helm-controller", Version: "v1.6.3", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/helm-controller tag v1.6.3"},
	{Name: "flux-notification", Project: "Flux notification-controller", Module: "github.com/fluxcd/notification-controller", Version: "v1.9.3", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/notification-controller tag v1.9.3"},
	{Name: "flux-image-reflector", Project: "Flux image-reflector-controller", Module: "github.com/fluxcd/image-reflector-controller", Version: "v1.2.0", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/image-reflector-controller tag v1.2.0"},
	{Name: "flux-image-automation", Project: "Flux image-automation-controller", Module: "github.com/fluxcd/image-automation-controller", Version: "v1.2.1", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/image-automation-controller tag v1.2.1"},
	{Name: "flux-source-watcher", Project: "Flux source-watcher", Module: "github.com/fluxcd/source-watcher", Version: "v2.2.1", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/source-watcher tag v2.2.1"},
	// Flux 2.7's controllers, for the API versions later releases stopped
	// serving (HelmRelease v2beta2, the sources' v1beta2).
	{Name: "flux-2.7-helm", Project: "Flux 2.7 helm-controller", Module: "github.com/fluxcd/helm-controller", Version: "v1.4.0", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/helm-controller tag v1.4.0", Fallback: true},
	{Name: "flux-2.7-source", Project: "Flux 2.7 source-controller", Module: "github.com/fluxcd/source-controller", Version: "v1.7.0", Globs: []string{"config/crd/bases/*.yaml"}, Fallback: true},
	{Name: "flux-2.7-kustomize", Project: "Flux 2.7 kustomize-controller", Module: "github.com/fluxcd/kustomize-controller", Version: "v1.7.0", Globs: []string{"config/crd/bases/*.yaml"}, Git: "https://github.com/fluxcd/kustomize-controller tag v1.7.0", Fallback: true},
	{Name: "argo-cd", Project: "Argo CD", Module: "github.com/argoproj/argo-cd/v3", Version: "v3.6.1", Globs: []string{"manifests/crds/*-crd.yaml"}},
	{Name: "argo-rollouts", Project: "Argo Rollouts", Module: "github.com/argoproj/argo-rollouts", Version: "v1.10.2", Globs: []string{"manifests/crds/*.yaml"}},
	{Name: "flagger", Project: "Flagger", Module: "github.com/fluxcd/flagger", Version: "v1.36.1", Globs: []string{"artifacts/flagger/crd.yaml"}},
	{Name: "external-secrets", Project: "External Secrets Operator", Module: "github.com/external-secrets/external-secrets", Version: "v1.3.2", Globs: []string{"config/crds/bases/*.yaml"}},
	{Name: "sealed-secrets", Project: "Sealed Secrets", Module: "github.com/bitnami-labs/sealed-secrets", Version: "v0.40.0", Globs: []string{"helm/sealed-secrets/crds/*.yaml"}},
	{Name: "kyverno", Project: "Kyverno", Module: "github.com/kyverno/kyverno", Version: "v1.19.1", Globs: []string{"config/crds/kyverno/*.yaml"}},
	{Name: "prometheus-operator", Project: "Prometheus Operator", Module: "github.com/prometheus-operator/prometheus-operator", Version: "v0.85.0", Globs: []string{"example/prometheus-operator-crd/*.yaml"}},
	{Name: "opentelemetry-operator", Project: "OpenTelemetry Operator", Module: "github.com/open-telemetry/opentelemetry-operator", Version: "v0.140.0", Globs: []string{"config/crd/bases/*.yaml"}},
	{Name: "keda", Project: "KEDA", Module: "github.com/kedacore/keda/v2", Version: "v2.21.0", Globs: []string{"config/crd/bases/*.yaml"}},
	{Name: "istio", Project: "Istio", Module: "istio.io/api", Version: "v1.32.0", Globs: []string{"kubernetes/customresourcedefinitions.gen.yaml"}},
	// Linkerd's open-source releases are edge releases since stable-2.14.10
	// (February 2024); its Go module is served only at v0.5.0, and its CRDs
	// are the templates of the linkerd-crds chart (the Gateway API routes it
	// can also install are off by default and come from gateway-api).
	{Name: "linkerd", Project: "Linkerd", Module: "github.com/linkerd/linkerd2", Version: "edge-26.8.3", Chart: "charts/linkerd-crds", Globs: []string{"templates/*.yaml", "templates/policy/*.yaml", "templates/workload/*.yaml"}, Git: "https://github.com/linkerd/linkerd2 tag edge-26.8.3 (commit 19a0d90d5a4a)"},
	{Name: "traefik", Project: "Traefik", Module: "github.com/traefik/traefik/v3", Version: "v3.7.13", Globs: []string{"docs/content/reference/dynamic-configuration/traefik.io_*.yaml"}},
	{Name: "cilium", Project: "Cilium", Module: "github.com/cilium/cilium", Version: "v1.20.2", Globs: []string{"pkg/k8s/apis/cilium.io/client/crds/v2/*.yaml", "pkg/k8s/apis/cilium.io/client/crds/v2alpha1/*.yaml"}},
	{Name: "karpenter", Project: "Karpenter", Module: "sigs.k8s.io/karpenter", Version: "v1.15.0", Globs: []string{"pkg/apis/crds/*.yaml"}},
	{Name: "crossplane", Project: "Crossplane", Module: "github.com/crossplane/crossplane/v2", Version: "v2.1.0", Globs: []string{"cluster/crds/*.yaml"}},
	{Name: "crossplane-v1", Project: "Crossplane 1.x", Module: "github.com/crossplane/crossplane", Version: "v1.20.0", Globs: []string{"cluster/crds/*.yaml"}, Fallback: true},
	{Name: "cloudnative-pg", Project: "CloudNativePG", Module: "github.com/cloudnative-pg/cloudnative-pg", Version: "v1.28.0", Globs: []string{"config/crd/bases/*.yaml"}},
	{Name: "strimzi", Project: "Strimzi", Module: "github.com/strimzi/strimzi-kafka-operator", Version: "1.2.0", Globs: []string{"install/cluster-operator/04*-Crd-*.yaml"}, Git: "https://github.com/strimzi/strimzi-kafka-operator tag 1.2.0 (a Java project: no Go module)"},
	{Name: "strimzi-0", Project: "Strimzi 0.x", Module: "github.com/strimzi/strimzi-kafka-operator", Version: "0.51.0", Globs: []string{"install/cluster-operator/04*-Crd-*.yaml"}, Git: "https://github.com/strimzi/strimzi-kafka-operator tag 0.51.0 (a Java project: no Go module)", Fallback: true},
	{Name: "velero", Project: "Velero", Module: "github.com/vmware-tanzu/velero", Version: "v1.18.3", Globs: []string{"config/crd/v1/bases/*.yaml", "config/crd/v2alpha1/bases/*.yaml"}},
	{Name: "tekton-pipelines", Project: "Tekton Pipelines", Module: "github.com/tektoncd/pipeline", Version: "v1.6.0", Globs: []string{"config/300-crds/*.yaml"}},
	{Name: "knative-serving", Project: "Knative Serving", Module: "knative.dev/serving", Version: "v0.51.0", Globs: []string{"config/core/300-resources/*.yaml"}},
	{Name: "knative-eventing", Project: "Knative Eventing", Module: "knative.dev/eventing", Version: "v0.46.0", Globs: []string{"config/core/resources/*.yaml"}},
}

// runCatalogue writes crds-<name>.json.gz for the named sets ("all" for
// every one).
func runCatalogue(names, out string, local map[string]string) error {
	want := map[string]bool{}
	for _, n := range strings.Split(names, ",") {
		want[strings.TrimSpace(n)] = true
	}
	done := 0
	for _, s := range catalogue {
		if !want["all"] && !want[s.Name] {
			continue
		}
		if err := writeSet(s, out, local); err != nil {
			return fmt.Errorf("crd set %s: %w", s.Name, err)
		}
		done++
	}
	if done == 0 {
		return fmt.Errorf("-catalogue %q: no such set", names)
	}
	return nil
}

// writeSet bundles the served versions of every CRD of one set, with its
// source and licence.
func writeSet(s crdSet, out string, local map[string]string) error {
	dir, ok := local[s.Module+"@"+s.Version]
	if !ok {
		if s.Git != "" {
			return fmt.Errorf("the module proxy does not serve %s@%s: give a checkout of %s with -module-dir %s@%s=DIR",
				s.Module, s.Version, s.Git, s.Module, s.Version)
		}
		var err error
		if dir, err = moduleDir(s.Module, s.Version); err != nil {
			return err
		}
	}
	license, err := readLicense(dir)
	if err != nil {
		return err
	}
	b := &bundle{Kinds: map[string]string{}, Definitions: map[string]any{},
		Name: s.Name, Project: s.Project, Version: s.Version, License: license, Fallback: s.Fallback}
	if s.Chart != "" {
		rendered, err := renderChart(filepath.Join(dir, filepath.FromSlash(s.Chart)), s.Globs)
		if err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(rendered)) {
			if err := addCRDs(b, rendered[name]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	} else if err := addFiles(b, dir, s); err != nil {
		return err
	}
	if len(b.Kinds) == 0 {
		return fmt.Errorf("%s@%s: no CustomResourceDefinition with a schema in %s", s.Module, s.Version, strings.Join(s.Globs, ", "))
	}
	if s.Fallback {
		// A fallback set only adds what no other set has: leave out the
		// kinds the other sets' bundles (written before it) define.
		taken, err := primaryKinds(out)
		if err != nil {
			return err
		}
		for k, def := range b.Kinds {
			if taken[k] {
				delete(b.Kinds, k)
				delete(b.Definitions, def)
			}
		}
	}
	globs := strings.Join(s.Globs, " ")
	if s.Chart != "" {
		globs = "chart " + s.Chart + " rendered with its default values: " + globs
	}
	b.Source = s.Module + "@" + s.Version + " " + globs
	if s.Git != "" {
		b.Source = s.Git + ": " + globs
	}
	data, err := encode(b)
	if err != nil {
		return err
	}
	file := filepath.Join(out, "crds-"+s.Name+".json.gz")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	fmt.Printf("%s: %s %s, %s, %d kinds, %d bytes\n", file, s.Project, s.Version, license, len(b.Kinds), len(data))
	return nil
}

// readLicense names the licence of a module from its LICENSE file, as an
// SPDX identifier; a module without a licence aiden recognizes is refused,
// since what aiden ships must be redistributable.
func readLicense(dir string) (string, error) {
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		text := strings.Join(strings.Fields(string(raw)), " ")
		switch {
		case strings.Contains(text, "Apache License") && strings.Contains(text, "Version 2.0"):
			return "Apache-2.0", nil
		case strings.Contains(text, "Permission is hereby granted, free of charge"):
			return "MIT", nil
		}
		return "", fmt.Errorf("%s: licence not recognized (want Apache-2.0 or MIT)", name)
	}
	return "", fmt.Errorf("%s: no LICENSE file", dir)
}

// primaryKinds reads the group/version/kinds of the catalogue's sets that
// are not fallbacks from their bundles in out.
func primaryKinds(out string) (map[string]bool, error) {
	taken := map[string]bool{}
	for _, s := range catalogue {
		if s.Fallback {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(out, "crds-"+s.Name+".json.gz"))
		if err != nil {
			return nil, fmt.Errorf("fallback sets are written after the others: %w", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("read crds-%s.json.gz: %w", s.Name, err)
		}
		var b struct {
			Kinds map[string]string `json:"kinds"`
		}
		if err := json.NewDecoder(zr).Decode(&b); err != nil {
			return nil, fmt.Errorf("read crds-%s.json.gz: %w", s.Name, err)
		}
		for k := range b.Kinds {
			taken[k] = true
		}
	}
	return taken, nil
}

// addFiles adds the CRDs of the files in dir that s's globs match.
func addFiles(b *bundle, dir string, s crdSet) error {
	var files []string
	for _, g := range s.Globs {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(g)))
		if err != nil || len(m) == 0 {
			return fmt.Errorf("%s@%s: no file matches %s", s.Module, s.Version, g)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read crd: %w", err)
		}
		if err := addCRDs(b, raw); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return nil
}
