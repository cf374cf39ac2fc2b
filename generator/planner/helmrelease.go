package planner

import (
	"bytes"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// Upstream is a preferred upstream Helm chart, as a repository's
// generation config names it.
type Upstream struct {
	// Repository is the chart repository URL: https://... for a Helm
	// index, oci://... for an OCI registry.
	Repository string
	// Chart is the chart's name in the repository.
	Chart string
	// Version is a semver constraint or version ("19.6.x").
	Version string
}

// ChartSource is the Flux HelmRepository a HelmRelease reads its chart
// from.
type ChartSource struct {
	// Name is the HelmRepository's name; empty means the app's name.
	Name string
	// Namespace is the HelmRepository's namespace, written in the
	// HelmRelease's sourceRef; empty leaves it out, which means the
	// HelmRelease's own namespace.
	Namespace string
	// Existing says the repository already has the HelmRepository: none is
	// written.
	Existing bool
}

// Component returns the catalog component of the plan, the key a
// generation config's preferred charts are looked up by: redis,
// postgresql, web, worker, cronjob or image, or the catalogue component
// of a chart blueprint (mongodb, grafana, ...).
func (p *Plan) Component() string {
	if p.Chart != nil {
		return p.Chart.Component
	}
	if p.Blueprint == BlueprintRedisSentinel {
		return BlueprintRedis
	}
	return p.Blueprint
}

// HelmRelease returns a Flux HelmRelease that installs the upstream chart
// pinned to its version from src, with values for the plan, a
// HelmRepository for the chart unless src already exists, and a
// kustomization.yaml listing them. Paths are relative to the target folder.
func (p *Plan) HelmRelease(up Upstream, src ChartSource) ([]workspace.File, error) {
	if p.App == "" {
		return nil, fmt.Errorf("plan has no app name")
	}
	if up.Repository == "" || up.Chart == "" || up.Version == "" {
		return nil, fmt.Errorf("upstream chart needs repository, chart and version")
	}
	repoName := src.Name
	if repoName == "" {
		repoName = p.App
	}
	values, err := yaml.Marshal(p.upstreamValues(up.Chart))
	if err != nil {
		return nil, fmt.Errorf("write values: %w", err)
	}

	var hr bytes.Buffer
	fmt.Fprintf(&hr, "# %s, from the upstream chart %s %s (the repository's preferred chart).\n", p.Summary(), up.Chart, up.Version)
	fmt.Fprintf(&hr, "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: %s\n", p.App)
	fmt.Fprintf(&hr, "spec:\n  interval: 10m\n  chart:\n    spec:\n      chart: %s\n", up.Chart)
	fmt.Fprintf(&hr, "      # Flux picks the newest chart version the constraint allows.\n      version: %s\n", quoteYAML(up.Version))
	fmt.Fprintf(&hr, "      sourceRef:\n        kind: HelmRepository\n        name: %s\n", repoName)
	if src.Namespace != "" {
		fmt.Fprintf(&hr, "        namespace: %s\n", src.Namespace)
	}
	fmt.Fprintf(&hr, "      interval: 1h\n")
	fmt.Fprintf(&hr, "  install:\n    remediation:\n      retries: 3\n  upgrade:\n    remediation:\n      retries: 3\n")
	fmt.Fprintf(&hr, "  values:\n")
	for _, l := range strings.Split(strings.TrimSuffix(string(values), "\n"), "\n") {
		fmt.Fprintf(&hr, "    %s\n", l)
	}
	files := []workspace.File{{Path: "helmrelease.yaml", Content: hr.Bytes()}}
	resources := []string{"helmrelease.yaml"}

	if !src.Existing {
		var repo bytes.Buffer
		fmt.Fprintf(&repo, "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: %s\n", repoName)
		if src.Namespace != "" {
			fmt.Fprintf(&repo, "  namespace: %s\n", src.Namespace)
		}
		fmt.Fprintf(&repo, "spec:\n  interval: 1h\n")
		if strings.HasPrefix(up.Repository, "oci://") {
			fmt.Fprintf(&repo, "  type: oci\n")
		}
		fmt.Fprintf(&repo, "  url: %s\n", up.Repository)
		files = append(files, workspace.File{Path: "helmrepository.yaml", Content: repo.Bytes()})
		resources = append(resources, "helmrepository.yaml")
	}
	var k bytes.Buffer
	fmt.Fprintf(&k, "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "  - %s\n", r)
	}
	files = append(files, workspace.File{Path: "kustomization.yaml", Content: k.Bytes()})
	for _, f := range files {
		var check map[string]any
		if err := yaml.Unmarshal(f.Content, &check); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return files, nil
}

// upstreamValues returns the chart values that carry the plan, in the
// value layout of the well-known charts (Bitnami's redis and postgresql);
// other charts get the conventional replicaCount, image and resources.
func (p *Plan) upstreamValues(chart string) map[string]any {
	res := map[string]any{
		"requests": map[string]any{"cpu": p.Resources.CPURequest, "memory": p.Resources.MemoryRequest},
		"limits":   map[string]any{"cpu": p.Resources.CPULimit, "memory": p.Resources.MemoryLimit},
	}
	persistence := map[string]any{"enabled": p.Persistence}
	if p.Persistence && p.Storage != "" {
		persistence["size"] = p.Storage
	}
	switch {
	case chart == "redis" && (p.Blueprint == BlueprintRedis || p.Blueprint == BlueprintRedisSentinel):
		v := map[string]any{
			"auth":   map[string]any{"enabled": true, "existingSecret": p.App + "-auth", "existingSecretPasswordKey": "password"},
			"master": map[string]any{"persistence": persistence, "resources": res},
		}
		if p.Replicas > 1 || p.Failover {
			v["architecture"] = "replication"
			v["replica"] = map[string]any{"replicaCount": p.Replicas, "persistence": persistence, "resources": res}
			v["sentinel"] = map[string]any{"enabled": p.Failover}
		} else {
			v["architecture"] = "standalone"
		}
		return v
	case chart == "postgresql" && p.Blueprint == BlueprintPostgreSQL:
		return map[string]any{
			"auth":    map[string]any{"existingSecret": p.App + "-auth", "database": strings.ReplaceAll(p.App, "-", "_")},
			"primary": map[string]any{"persistence": persistence, "resources": res},
		}
	}
	v := map[string]any{"replicaCount": p.Replicas, "resources": res}
	if p.Image.Repository != "" {
		img := map[string]any{"repository": p.Image.Repository}
		if p.Image.Tag != "" {
			img["tag"] = p.Image.Tag
		}
		v["image"] = img
	}
	return v
}
