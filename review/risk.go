package review

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/validators"
)

// Risk rules: changes that commonly break production.
const (
	RuleImmutable    = "review/immutable-field"
	RulePDBRemoved   = "review/pdb-removed"
	RuleReplicasZero = "review/replicas-zero"
	RuleUnpinned     = "review/unpinned-image"
	RuleNSDeleted    = "review/namespace-deleted"
	RuleCRDDeleted   = "review/crd-deleted"
	RuleMajorBump    = "review/chart-major-bump"
)

// immutable lists, by kind, the fields the API server refuses to change
// on an existing object: the apply fails and the object must be
// recreated.
var immutable = map[string][]string{
	"Deployment":            {"/spec/selector"},
	"ReplicaSet":            {"/spec/selector"},
	"DaemonSet":             {"/spec/selector"},
	"StatefulSet":           {"/spec/selector", "/spec/volumeClaimTemplates", "/spec/serviceName", "/spec/podManagementPolicy"},
	"Job":                   {"/spec/selector", "/spec/template"},
	"Service":               {"/spec/clusterIP", "/spec/clusterIPs"},
	"PersistentVolumeClaim": {"/spec/storageClassName", "/spec/accessModes", "/spec/volumeName"},
}

// risks compares base and head unit by unit.
func risks(base, head *side) []validators.Finding {
	all := map[unitKey]bool{}
	for k := range base.units {
		all[k] = true
	}
	for k := range head.units {
		all[k] = true
	}
	var out []validators.Finding
	for _, k := range sortedUnits(all) {
		b, h := base.units[k], head.units[k]
		ids := make([]string, 0, len(b)+len(h))
		for id := range b {
			ids = append(ids, id)
		}
		for id := range h {
			if b[id] == nil {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			out = append(out, objectRisks(k, b[id], h[id])...)
		}
	}
	out = append(out, chartBumps(base, head)...)
	return out
}

func finding(rule string, sev validators.Severity, o *object, pointer, msg string) validators.Finding {
	file, line, col := o.locate(pointer)
	return validators.Finding{File: file, Line: line, Column: col, Resource: o.id, Path: pointer, Rule: rule, Severity: sev, Message: msg}
}

// objectRisks returns the risks of one object's change; b or h is nil
// when the object is added or removed.
func objectRisks(k unitKey, b, h *object) []validators.Finding {
	var out []validators.Finding
	if h == nil {
		removed := func(rule string, sev validators.Severity, msg string) {
			// The file that declared it at the base; its line there
			// says nothing of the head.
			file, _, _ := b.locate("")
			out = append(out, validators.Finding{File: file, Resource: b.id, Rule: rule, Severity: sev, Message: msg})
		}
		switch b.kind {
		case "PodDisruptionBudget":
			removed(RulePDBRemoved, validators.SeverityWarning, "the PodDisruptionBudget is removed: voluntary disruptions (node drains, upgrades) may then take every replica down at once")
		case "Namespace":
			removed(RuleNSDeleted, validators.SeverityError, "the Namespace is deleted: with pruning, everything in it is deleted too")
		case "CustomResourceDefinition":
			removed(RuleCRDDeleted, validators.SeverityError, "the CustomResourceDefinition is deleted: every custom resource of its kinds is deleted with it")
		}
		return out
	}
	if b != nil {
		bf, hf := map[string]string{}, map[string]string{}
		flatten("", b.body, bf)
		flatten("", h.body, hf)
		for _, field := range immutable[h.kind] {
			if h.kind == "Service" && !hasPrefixKey(bf, field) {
				continue // left to the API server to allocate before
			}
			if leaf, ok := changedUnder(bf, hf, field); ok {
				f := finding(RuleImmutable, validators.SeverityError, h, field,
					fmt.Sprintf("%s of a %s cannot be changed on an existing object: the apply fails until the object is deleted and created again", field, h.kind))
				if leaf != field {
					// Where the change is made: an overlay's patch may
					// write below the field, which its base holds.
					f.File, f.Line, f.Column = h.locate(leaf)
				}
				out = append(out, f)
			}
		}
	}
	if r, ok := dig(h.body, "spec", "replicas").(int); ok && r == 0 {
		if br, bok := replicasOf(b); b == nil || !bok || br != 0 {
			out = append(out, finding(RuleReplicasZero, validators.SeverityWarning, h, "/spec/replicas", "replicas is set to 0: the workload stops serving"))
		}
	}
	before := map[string]string{}
	if b != nil {
		for _, c := range containers(b.body) {
			before[c.pointer] = c.image
		}
	}
	for _, c := range containers(h.body) {
		if before[c.pointer] == c.image || c.image == "" {
			continue
		}
		if why := unpinned(c.image); why != "" {
			out = append(out, finding(RuleUnpinned, validators.SeverityWarning, h, c.pointer,
				fmt.Sprintf("image %s %s: what runs changes without a change to the repository", c.image, why)))
		}
	}
	if b != nil {
		for _, v := range chartVersions(h) {
			old := versionAt(b, v.pointer)
			if bm, hm := major(old), major(v.version); bm >= 0 && hm > bm {
				out = append(out, finding(RuleMajorBump, validators.SeverityWarning, h, v.pointer,
					fmt.Sprintf("chart %s goes from %s to %s, a new major version: read its upgrade notes for breaking changes", v.chart, old, v.version)))
			}
		}
	}
	return out
}

func replicasOf(o *object) (int, bool) {
	if o == nil {
		return 0, false
	}
	r, ok := dig(o.body, "spec", "replicas").(int)
	return r, ok
}

func hasPrefixKey(m map[string]string, prefix string) bool {
	for k := range m {
		if k == prefix || strings.HasPrefix(k, prefix+"/") {
			return true
		}
	}
	return false
}

// changedUnder reports whether a leaf at or under prefix differs, with
// the first (by pointer) that the head holds changed or added, else
// prefix (leaves only removed).
func changedUnder(b, h map[string]string, prefix string) (string, bool) {
	under := func(k string) bool { return k == prefix || strings.HasPrefix(k, prefix+"/") }
	var leaves []string
	for k, v := range h {
		if bv, ok := b[k]; under(k) && (!ok || bv != v) {
			leaves = append(leaves, k)
		}
	}
	if len(leaves) > 0 {
		sort.Strings(leaves)
		return leaves[0], true
	}
	for k := range b {
		if _, ok := h[k]; under(k) && !ok {
			return prefix, true // only removed below prefix: nothing at the head to point at
		}
	}
	return "", false
}

// container is one container of a pod template (or a Pod).
type container struct{ pointer, image string }

// podSpec returns the pod spec of a workload, a CronJob's or a Pod's,
// with its pointer.
func podSpec(body map[string]any) (map[string]any, string) {
	if kind := str(body, "kind"); kind == "Pod" {
		s, _ := body["spec"].(map[string]any)
		return s, "/spec"
	} else if kind == "CronJob" {
		s, _ := dig(body, "spec", "jobTemplate", "spec", "template", "spec").(map[string]any)
		return s, "/spec/jobTemplate/spec/template/spec"
	}
	s, _ := dig(body, "spec", "template", "spec").(map[string]any)
	return s, "/spec/template/spec"
}

func containers(body map[string]any) []container {
	spec, base := podSpec(body)
	if spec == nil {
		return nil
	}
	var out []container
	for _, list := range []string{"initContainers", "containers"} {
		items, _ := spec[list].([]any)
		for i, it := range items {
			c, _ := it.(map[string]any)
			out = append(out, container{pointer: fmt.Sprintf("%s/%s/%d/image", base, list, i), image: str(c, "image")})
		}
	}
	return out
}

// unpinned says why an image reference is not pinned, or "".
func unpinned(image string) string {
	if strings.Contains(image, "@sha256:") {
		return ""
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	switch {
	case i < 0:
		return "has no tag (so latest)"
	case name[i+1:] == "latest":
		return "is tagged latest"
	}
	return ""
}

// chartVersion is a chart version an object pins.
type chartVersion struct{ pointer, chart, version string }

// chartVersions returns the chart versions a Flux HelmRelease, a Flux
// HelmChart from a HelmRepository or an Argo CD Application pins.
func chartVersions(o *object) []chartVersion {
	switch o.kind {
	case "HelmRelease":
		if v := str(asMap(dig(o.body, "spec", "chart", "spec")), "version"); v != "" {
			return []chartVersion{{"/spec/chart/spec/version", str(asMap(dig(o.body, "spec", "chart", "spec")), "chart"), v}}
		}
	case "HelmChart":
		// A HelmRelease's chartRef to a HelmChart from a chart
		// repository: the HelmChart pins the version.
		spec := asMap(o.body["spec"])
		if v := str(spec, "version"); v != "" && str(asMap(spec["sourceRef"]), "kind") == "HelmRepository" {
			return []chartVersion{{"/spec/version", str(spec, "chart"), v}}
		}
	case "Application":
		var out []chartVersion
		if src := asMap(dig(o.body, "spec", "source")); str(src, "chart") != "" {
			out = append(out, chartVersion{"/spec/source/targetRevision", str(src, "chart"), str(src, "targetRevision")})
		}
		items, _ := dig(o.body, "spec", "sources").([]any)
		for i, it := range items {
			if src := asMap(it); str(src, "chart") != "" {
				out = append(out, chartVersion{fmt.Sprintf("/spec/sources/%d/targetRevision", i), str(src, "chart"), str(src, "targetRevision")})
			}
		}
		return out
	}
	return nil
}

func versionAt(o *object, pointer string) string {
	m := map[string]string{}
	flatten("", o.body, m)
	v := m[pointer]
	if s, err := strconv.Unquote(v); err == nil {
		return s
	}
	return v
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

var majorRE = lazyre.New(`\d+`)

// major returns the major version of a version or constraint ("v2.1.0",
// "19.6.x", "~1.2"), or -1.
func major(v string) int {
	m := majorRE.Regexp().FindString(v)
	if m == "" {
		return -1
	}
	n, err := strconv.Atoi(m)
	if err != nil {
		return -1
	}
	return n
}

// chartBumps flags a chart's dependency whose version goes up a major
// version in Chart.yaml.
func chartBumps(base, head *side) []validators.Finding {
	type dep struct {
		Name    string `yaml:"name"`
		Version string `yaml:"version"`
	}
	type chart struct {
		Dependencies []dep `yaml:"dependencies"`
	}
	var roots []string
	for root := range head.charts {
		if _, ok := base.charts[root]; ok {
			roots = append(roots, root)
		}
	}
	sort.Strings(roots)
	var out []validators.Finding
	for _, root := range roots {
		var b, h chart
		if yaml.Unmarshal(base.charts[root], &b) != nil || yaml.Unmarshal(head.charts[root], &h) != nil {
			continue
		}
		old := map[string]string{}
		for _, d := range b.Dependencies {
			old[d.Name] = d.Version
		}
		for i, d := range h.Dependencies {
			bv, ok := old[d.Name]
			if bm, hm := major(bv), major(d.Version); ok && bm >= 0 && hm > bm {
				out = append(out, validators.Finding{File: join(root, "Chart.yaml"), Line: lineOf(head.charts[root], d.Version), Path: fmt.Sprintf("/dependencies/%d/version", i),
					Rule: RuleMajorBump, Severity: validators.SeverityWarning,
					Message: fmt.Sprintf("chart %s goes from %s to %s, a new major version: read its upgrade notes for breaking changes", d.Name, bv, d.Version)})
			}
		}
	}
	return out
}

// lineOf returns the first line of content holding s, or 0.
func lineOf(content []byte, s string) int {
	for i, l := range strings.Split(string(content), "\n") {
		if strings.Contains(l, "version") && strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}
