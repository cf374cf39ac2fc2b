package change

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// helmRelease changes a Flux HelmRelease: its values and its chart
// version.
func (a *author) helmRelease(in intent) error {
	file := "helmrelease.yaml"
	if !a.has(file) {
		file = "helmrelease.yml"
	}
	f, err := a.open(file)
	if err != nil {
		return err
	}
	var doc *yaml.Node
	for _, d := range f.docs {
		if _, k := get(d, "kind"); k != nil && k.Value == "HelmRelease" {
			doc = d
		}
	}
	if doc == nil {
		return unsupported(KindHelmRelease, "%s holds no HelmRelease", f.path)
	}
	vk, values := get(doc, "spec", "values")
	if values == nil || values.Kind != yaml.MappingNode {
		return unsupported(KindHelmRelease, "%s has no spec.values to change", f.path)
	}
	var envs []envVar
	var drop []string
	for _, o := range in.ops {
		switch o.kind {
		case opReplicas:
			key := "replicaCount"
			if _, v := get(values, "replica", "replicaCount"); v != nil { // Bitnami's redis
				key = "replica"
				if err := f.merge(vk, values, mp("replica", num("replicaCount", o.n))); err != nil {
					return err
				}
			} else if err := f.merge(vk, values, num(key, o.n)); err != nil {
				return err
			}
			a.did("%s %d in %s", key, o.n, f.path)
		case opImage:
			k, v := imageNode(values)
			if k == nil || v.Kind != yaml.MappingNode {
				return unsupported(KindHelmRelease, "the image: %s sets no image values", f.path)
			}
			if err := a.setImageMap(f, values, k, o); err != nil {
				return err
			}
		case opResources:
			_, v := get(values, "resources")
			if v == nil {
				return unsupported(KindHelmRelease, "requests and limits: %s sets no resources value (the chart's layout is unknown)", f.path)
			}
			if err := f.merge(vk, values, mp("resources", resourceItems(o.res)...)); err != nil {
				return err
			}
			a.did("resources in %s", f.path)
		case opChartVersion:
			_, v := get(doc, "spec", "chart", "spec", "version")
			if v == nil {
				return unsupported(KindHelmRelease, "the chart version: %s has no spec.chart.spec.version", f.path)
			}
			a.fact("chart-version", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
			if err := f.setScalar(v, o.value, true); err != nil {
				return err
			}
			a.did("chart version %s in %s", o.value, f.path)
		case opStorage:
			n := 0
			for _, p := range [][]string{{"persistence", "size"}, {"master", "persistence", "size"}, {"replica", "persistence", "size"}, {"primary", "persistence", "size"}} {
				if _, v := get(values, p...); v != nil {
					a.fact("storage", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
					if err := f.setScalar(v, o.size, true); err != nil {
						return err
					}
					n++
				}
			}
			if n == 0 {
				return unsupported(KindHelmRelease, "storage size: %s sets no persistence.size", f.path)
			}
			a.did("storage %s in %s", o.size, f.path)
		case opEnvSet:
			envs = append(envs, o.env)
		case opEnvRemove:
			drop = append(drop, o.env.Name)
		default:
			return unsupported(KindHelmRelease, "%s (%q) in a HelmRelease", o.kind, o.from)
		}
	}
	if len(envs) > 0 || len(drop) > 0 {
		k, v := get(values, "env")
		if k == nil && len(drop) == 0 {
			return a.editEnvList(f, values, nil, nil, envs, nil)
		}
		return a.editEnvList(f, values, k, v, envs, drop)
	}
	return nil
}
