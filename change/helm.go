package change

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/internal/lazyre"
)

// helm changes a chart: values.yaml (or values-<env>.yaml) for what the
// templates already read, and a new template with its values for an HPA,
// Ingress, PodDisruptionBudget or NetworkPolicy the chart does not have.
func (a *author) helm(in intent) error {
	var envs []envVar
	var drop []string
	for _, o := range in.ops {
		var err error
		switch o.kind {
		case opReplicas:
			err = a.helmReplicas(in.env, o)
		case opImage:
			err = a.helmImage(in.env, o)
		case opResources:
			err = a.helmResources(in.env, o)
		case opEnvSet:
			envs = append(envs, o.env)
		case opEnvRemove:
			drop = append(drop, o.env.Name)
		case opHPA:
			err = a.helmHPA(o)
		case opHPARemove:
			err = a.helmHPARemove()
		case opIngress:
			err = a.helmIngress(o)
		case opPDB:
			err = a.helmPDB(o)
		case opNetPol:
			err = a.helmNetworkPolicy(o)
		case opStorage:
			err = a.helmStorage(in.env, o)
		case opSchedule:
			err = a.helmSchedule(in.env, o)
		default:
			err = unsupported(KindHelm, "%s (%q) in a Helm chart", o.kind, o.from)
		}
		if err != nil {
			return err
		}
	}
	if len(envs) > 0 || len(drop) > 0 {
		return a.helmEnv(in.env, envs, drop)
	}
	return nil
}

// values opens the values file of env: values-<env>.yaml when the chart
// has one, values.yaml otherwise (for no environment, or for the one the
// chart's path names).
func (a *author) values(env string) (*yamlFile, *yaml.Node, error) {
	name := "values.yaml"
	if env != "" {
		switch {
		case a.has("values-" + env + ".yaml"):
			name = "values-" + env + ".yaml"
		case planner.PathEnvironment(a.app.Root, "clusters") == env:
		default:
			return nil, nil, unsupported(KindHelm, "a change for %s only: the chart has no values-%s.yaml (it has %s)", env, env, strings.Join(a.valuesFiles(), ", "))
		}
	}
	if !a.has(name) {
		return nil, nil, unsupported(KindHelm, "%s: the chart has no %s", a.app.Root, name)
	}
	f, err := a.open(name)
	if err != nil {
		return nil, nil, err
	}
	if len(f.docs) == 0 {
		return f, nil, unsupported(KindHelm, "%s: it is empty", f.path)
	}
	root, err := f.doc()
	return f, root, err
}

func (a *author) valuesFiles() []string {
	var out []string
	for p := range a.files {
		rel := strings.TrimPrefix(p, a.app.Root+"/")
		if strings.HasPrefix(rel, "values") && strings.HasSuffix(rel, ".yaml") && !strings.Contains(rel, "/") {
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out
}

// baseValues opens values.yaml.
func (a *author) baseValues() (*yamlFile, *yaml.Node, error) { return a.values("") }

func (a *author) helmReplicas(env string, o op) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	key := "replicaCount"
	if _, v := get(root, "replicaCount"); v == nil {
		if _, v := get(root, "replicas"); v != nil {
			key = "replicas"
		} else if f.path == a.rel("values.yaml") && !a.readsValue("replicaCount") {
			return unsupported(KindHelm, "replicas: neither values.yaml nor the templates have replicaCount")
		}
	}
	if _, v := get(root, key); v != nil {
		a.fact("replicas", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
	}
	if err := f.merge(nil, root, num(key, o.n)); err != nil {
		return err
	}
	a.did("%s %d in %s", key, o.n, f.path)
	if _, v := get(root, "autoscaling", "enabled"); v != nil && v.Value == "true" {
		a.did("the HPA owns the replica count while autoscaling.enabled is true")
	}
	return nil
}

// imageNode finds the image value: image at the top, or the only image
// one level down (redis.image, app.image).
func imageNode(root *yaml.Node) (k, v *yaml.Node) {
	if k, v = get(root, "image"); k != nil {
		return k, v
	}
	var found [][2]*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := get(root.Content[i+1], "image"); k != nil {
			found = append(found, [2]*yaml.Node{k, v})
		}
	}
	if len(found) == 1 {
		return found[0][0], found[0][1]
	}
	return nil, nil
}

func (a *author) helmImage(env string, o op) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	k, v := imageNode(root)
	if k == nil {
		if env != "" {
			if _, broot, err := a.baseValues(); err == nil {
				if _, bv := imageNode(broot); bv != nil && bv.Kind == yaml.MappingNode {
					return a.setImageMap(f, root, nil, o)
				}
			}
		}
		return unsupported(KindHelm, "the image: %s has no image value", f.path)
	}
	if v.Kind == yaml.ScalarNode {
		cur, _ := parseImage(v.Value)
		a.fact("image", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
		img := o.image
		if o.tag != "" {
			img = planner.Image{Repository: cmpOr(cur.Repository, v.Value), Tag: o.tag}
		}
		if err := f.setScalar(v, img.String(), true); err != nil {
			return err
		}
		a.did("image %s in %s", img, f.path)
		return nil
	}
	return a.setImageMap(f, root, k, o)
}

// setImageMap sets repository, tag and digest in an image mapping (or
// adds one to an environment's values file).
func (a *author) setImageMap(f *yamlFile, root, k *yaml.Node, o op) error {
	var kids []item
	tag := cmpOr(o.tag, o.image.Tag)
	var v *yaml.Node
	if k != nil {
		_, v = imageNode(root)
		if _, rv := get(v, "repository"); rv != nil {
			_, tv := get(v, "tag")
			cur := rv.Value
			if tv != nil && tv.Value != "" {
				cur += ":" + tv.Value
			}
			a.fact("image", cur, fmt.Sprintf("(%s:%d)", f.path, rv.Line))
		}
	}
	if o.image.Repository != "" {
		kids = append(kids, str("repository", o.image.Repository))
	}
	if tag != "" {
		t := quoted("tag", tag)
		if v != nil {
			if _, tv := get(v, "tag"); tv != nil && tv.Style == 0 {
				t = str("tag", tag)
			}
		}
		kids = append(kids, t)
	}
	if o.image.Digest != "" {
		kids = append(kids, quoted("digest", o.image.Digest))
	} else if v != nil {
		// A digest wins over the tag; a new tag clears the old pin.
		if _, dv := get(v, "digest"); dv != nil && dv.Value != "" {
			kids = append(kids, quoted("digest", ""))
		}
	}
	if v == nil {
		if err := f.merge(nil, root, mp("image", kids...)); err != nil {
			return err
		}
	} else if err := f.merge(k, v, kids...); err != nil {
		return err
	}
	if o.image.Repository != "" {
		a.did("image %s in %s", o.image, f.path)
	} else {
		a.did("image tag %s in %s", tag, f.path)
	}
	return nil
}

// resourceItems returns the requests and limits r sets.
func resourceItems(r planner.Resources) []item {
	var req, lim []item
	if r.CPURequest != "" {
		req = append(req, str("cpu", r.CPURequest))
	}
	if r.MemoryRequest != "" {
		req = append(req, str("memory", r.MemoryRequest))
	}
	if r.CPULimit != "" {
		lim = append(lim, str("cpu", r.CPULimit))
	}
	if r.MemoryLimit != "" {
		lim = append(lim, str("memory", r.MemoryLimit))
	}
	var out []item
	if req != nil {
		out = append(out, mp("requests", req...))
	}
	if lim != nil {
		out = append(out, mp("limits", lim...))
	}
	return out
}

func (a *author) helmResources(env string, o op) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	if _, v := get(root, "resources"); v == nil && !a.readsValue("resources") {
		return unsupported(KindHelm, "requests and limits: the chart's templates do not read .Values.resources")
	}
	if err := f.merge(nil, root, mp("resources", resourceItems(o.res)...)); err != nil {
		return err
	}
	a.did("resources in %s", f.path)
	return nil
}

// envItem is one entry of a container's env list.
func envItem(e envVar) item {
	switch {
	case e.Secret != "":
		return item{kids: []item{str("name", e.Name), mp("valueFrom", mp("secretKeyRef", str("name", e.Secret), str("key", e.Key)))}}
	case e.ConfigMap != "":
		return item{kids: []item{str("name", e.Name), mp("valueFrom", mp("configMapKeyRef", str("name", e.ConfigMap), str("key", e.Key)))}}
	}
	return item{kids: []item{str("name", e.Name), quoted("value", e.Value)}}
}

func envDesc(e envVar) string {
	switch {
	case e.Secret != "":
		return fmt.Sprintf("%s from key %s of Secret %s", e.Name, e.Key, e.Secret)
	case e.ConfigMap != "":
		return fmt.Sprintf("%s from key %s of ConfigMap %s", e.Name, e.Key, e.ConfigMap)
	}
	return fmt.Sprintf("%s=%s", e.Name, e.Value)
}

func (a *author) helmEnv(env string, set []envVar, drop []string) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	k, v := get(root, "env")
	if k == nil && !a.readsValue("env") {
		return unsupported(KindHelm, "environment variables: the chart's templates do not read .Values.env")
	}
	return a.editEnvList(f, root, k, v, set, drop)
}

// editEnvList sets and removes variables in an env list (key k, value v;
// nil when the mapping m has none yet).
func (a *author) editEnvList(f *yamlFile, m, k, v *yaml.Node, set []envVar, drop []string) error {
	index := map[string]int{}
	if v != nil && v.Kind == yaml.SequenceNode {
		for i, it := range v.Content {
			if _, n := get(it, "name"); n != nil {
				index[n.Value] = i
			}
		}
	}
	var add []item
	for _, e := range set {
		if i, ok := index[e.Name]; ok {
			// A literal that stays a literal changes its value only.
			_, val := get(v.Content[i], "value")
			if e.Secret == "" && e.ConfigMap == "" && val != nil && val.Kind == yaml.ScalarNode {
				if err := f.setScalar(val, e.Value, true); err != nil {
					return err
				}
			} else if err := f.replaceItem(v, i, envItem(e)); err != nil {
				return err
			}
		} else {
			add = append(add, envItem(e))
		}
		a.did("env %s in %s", envDesc(e), f.path)
	}
	for _, name := range drop {
		i, ok := index[name]
		if !ok {
			return unsupported(a.app.Kind, "removing %s: %s sets no variable %s", name, f.path, name)
		}
		if err := f.removeItem(k, v, i); err != nil {
			return err
		}
		a.did("env %s removed from %s", name, f.path)
	}
	switch {
	case len(add) == 0:
		return nil
	case k == nil:
		return f.merge(nil, m, sq("env", add...))
	}
	return f.appendItems(k, v, add...)
}

// helpers are how a chart's templates name and label objects.
type helpers struct {
	name     string   // the expression of the workload's name
	labels   []string // lines of the metadata labels (indented 4)
	selector []string // lines of the selector labels (indented 6)
	kind     string   // Deployment or StatefulSet
	file     string   // the workload's template
	annot    string   // the annotations helper, when the chart has one
	fullname string   // the prefix of the fullname helper, when the chart has one
}

var defineRE = lazyre.New(`define\s+"([^"]+)\.(fullname|labels|selectorLabels|annotations)"`)

// chartHelpers detects the chart's fullname, labels and selectorLabels
// helpers, or falls back to what its workload template writes.
func (a *author) chartHelpers() (helpers, error) {
	var h helpers
	tpls := a.templates()
	var names []string
	for n := range tpls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := tpls[n]
		for _, kind := range []string{"Deployment", "StatefulSet"} {
			if h.kind == "" && regexp.MustCompile(`(?m)^kind:\s*`+kind+`\s*$`).MatchString(t) {
				h.kind, h.file = kind, n
			}
		}
	}
	if h.kind == "" {
		return h, unsupported(KindHelm, "a new template: the chart has no Deployment or StatefulSet template to point it at")
	}
	defs := map[string]string{}
	for _, n := range names {
		for _, m := range defineRE.FindAllStringSubmatch(tpls[n], -1) {
			if _, ok := defs[m[2]]; !ok {
				defs[m[2]] = m[1]
			}
		}
	}
	if p, ok := defs["fullname"]; ok {
		h.fullname = p
		h.name = fmt.Sprintf(`{{ include "%s.fullname" . | quote }}`, p)
	}
	if p, ok := defs["labels"]; ok {
		h.labels = []string{fmt.Sprintf(`    {{- include "%s.labels" . | nindent 4 }}`, p)}
	}
	if p, ok := defs["selectorLabels"]; ok {
		h.selector = []string{fmt.Sprintf(`      {{- include "%s.selectorLabels" . | nindent 6 }}`, p)}
	}
	if p, ok := defs["annotations"]; ok && strings.Contains(tpls[h.file], p+".annotations") {
		h.annot = p
	}
	// Without helpers, copy what the workload template writes.
	w := strings.Split(tpls[h.file], "\n")
	for i, l := range w {
		t := strings.TrimSpace(l)
		switch {
		case h.name == "" && strings.HasPrefix(t, "name:") && indentOf(l) == 2:
			h.name = strings.TrimSpace(strings.TrimPrefix(t, "name:"))
		case h.selector == nil && t == "matchLabels:":
			ind := indentOf(l)
			for _, s := range w[i+1:] {
				if strings.TrimSpace(s) == "" || indentOf(s) <= ind {
					break
				}
				h.selector = append(h.selector, "      "+strings.TrimSpace(s))
			}
		}
	}
	if h.name == "" || h.selector == nil {
		return h, unsupported(KindHelm, "a new template: cannot tell how %s names and selects its pods", h.file)
	}
	if h.labels == nil {
		for _, s := range h.selector {
			h.labels = append(h.labels, "    "+strings.TrimSpace(s))
		}
	}
	return h, nil
}

// nameArg is the workload's name as a template argument: the fullname
// helper's include, or the release name when the chart has no helper.
func (h helpers) nameArg() string {
	if h.fullname != "" {
		return fmt.Sprintf(`(include "%s.fullname" .)`, h.fullname)
	}
	return ".Release.Name"
}

// header writes the metadata of a new object in the chart's style.
func (h helpers) header(cond, apiVersion, kind, annotations string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{{- if %s }}\napiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  labels:\n%s\n", cond, apiVersion, kind, h.name, strings.Join(h.labels, "\n"))
	if h.annot != "" {
		fmt.Fprintf(&b, "  {{- with include \"%s.annotations\" (dict \"ctx\" . \"extra\" %s) }}\n  {{- . | nindent 2 }}\n  {{- end }}\n", h.annot, annotations)
	}
	return b.String()
}

func (a *author) helmHPA(o op) error {
	f, root, err := a.baseValues()
	if err != nil {
		return err
	}
	o.min, o.max, o.cpu = cmpInt(o.min, 2), cmpInt(o.max, max(o.min, 5)), cmpInt(o.cpu, 80)
	if o.max < o.min {
		return unsupported(KindHelm, "an HPA with at most %d and at least %d replicas", o.max, o.min)
	}
	cpuKey := "targetCPUUtilizationPercentage"
	if _, v := get(root, "autoscaling"); v != nil {
		for _, k := range []string{"targetCPUUtilizationPercentage", "targetCPU", "targetCPUUtilization", "cpu"} {
			if kk, _ := get(v, k); kk != nil {
				cpuKey = k
			}
		}
	}
	block := []item{sc("enabled", "true"), num("minReplicas", o.min), num("maxReplicas", o.max), num(cpuKey, o.cpu)}
	if _, v := get(root, "autoscaling"); v != nil && a.readsValue("autoscaling") {
		if err := f.merge(nil, root, mp("autoscaling", block...)); err != nil {
			return err
		}
		a.did("HPA enabled, %d to %d replicas at %d%% CPU, in %s", o.min, o.max, o.cpu, f.path)
		return nil
	}
	if a.has("templates/hpa.yaml") {
		return unsupported(KindHelm, "an HPA: templates/hpa.yaml exists but values.yaml has no autoscaling block it reads")
	}
	h, err := a.chartHelpers()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(h.header(".Values.autoscaling.enabled", "autoscaling/v2", "HorizontalPodAutoscaler", "(dict)"))
	fmt.Fprintf(&b, "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: %s\n    name: %s\n", h.kind, h.name)
	b.WriteString("  minReplicas: {{ .Values.autoscaling.minReplicas }}\n  maxReplicas: {{ .Values.autoscaling.maxReplicas }}\n")
	b.WriteString("  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n")
	fmt.Fprintf(&b, "          averageUtilization: {{ .Values.autoscaling.%s }}\n{{- end }}\n", cpuKey)
	if err := a.create("templates/hpa.yaml", b.String()); err != nil {
		return err
	}
	entry := mp("autoscaling", block...)
	entry.comment = "A HorizontalPodAutoscaler (autoscaling/v2) on average CPU; while it is\nenabled it owns the replica count."
	after := "replicaCount"
	if err := f.insertAfter(root, after, entry); err != nil {
		return err
	}
	if err := a.guardReplicas(h); err != nil {
		return err
	}
	a.did("HPA added (templates/hpa.yaml), %d to %d replicas at %d%% CPU", o.min, o.max, o.cpu)
	return nil
}

var replicasLineRE = lazyre.New(`^(\s*)replicas:\s*\{\{-?\s*\.Values\.(replicaCount|replicas)\s*-?\}\}\s*$`)

// guardReplicas makes the workload leave the replica count to the HPA
// while autoscaling is enabled.
func (a *author) guardReplicas(h helpers) error {
	t, err := a.openText(h.file)
	if err != nil {
		return err
	}
	for i, l := range t.lines {
		m := replicasLineRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if strings.Contains(t.line(i-1), "autoscaling.enabled") {
			return nil
		}
		return t.edit(i, i+1, m[1]+"{{- if not .Values.autoscaling.enabled }}", l, m[1]+"{{- end }}")
	}
	return nil
}

func (a *author) helmHPARemove() error {
	f, root, err := a.baseValues()
	if err != nil {
		return err
	}
	if _, v := get(root, "autoscaling", "enabled"); v != nil {
		if v.Value != "true" {
			return unsupported(KindHelm, "removing the HPA: autoscaling is already off in %s", f.path)
		}
		if err := f.setScalarText(v, "false"); err != nil {
			return err
		}
		a.did("HPA disabled in %s (autoscaling.enabled false)", f.path)
		return nil
	}
	if a.has("templates/hpa.yaml") {
		a.remove("templates/hpa.yaml")
		a.did("HPA removed (templates/hpa.yaml)")
		return nil
	}
	return unsupported(KindHelm, "removing the HPA: the chart has none")
}

func (a *author) helmIngress(o op) error {
	f, root, err := a.baseValues()
	if err != nil {
		return err
	}
	if k, v := get(root, "ingress"); k != nil && a.readsValue("ingress") {
		if hk, hv := get(v, "host"); hk != nil {
			a.fact("host", hv.Value, fmt.Sprintf("(%s:%d)", f.path, hv.Line))
		}
		kids := []item{sc("enabled", "true")}
		if _, hosts := get(v, "hosts"); hosts != nil && hosts.Kind == yaml.SequenceNode && len(hosts.Content) > 0 {
			if _, hv := get(hosts.Content[0], "host"); hv != nil {
				if err := f.setScalar(hv, o.host, true); err != nil {
					return err
				}
			}
		} else {
			kids = append(kids, str("host", o.host))
		}
		if o.tls {
			if _, tv := get(v, "tls"); tv != nil && tv.Kind == yaml.SequenceNode {
				kids = append(kids, sq("tls", item{kids: []item{str("secretName", path0(a.app.Root)+"-tls"), seqOf("hosts", o.host)}}))
			} else {
				kids = append(kids, mp("tls", sc("enabled", "true")))
			}
		}
		if err := f.merge(k, v, kids...); err != nil {
			return err
		}
		a.did("Ingress at %s%s in %s", o.host, tlsNote(o.tls), f.path)
		return nil
	}
	h, err := a.chartHelpers()
	if err != nil {
		return err
	}
	port := "name: http"
	if _, v := get(root, "service", "port"); v != nil {
		port = "number: {{ .Values.service.port }}"
	}
	var b strings.Builder
	b.WriteString(strings.Replace(h.header(".Values.ingress.enabled", "networking.k8s.io/v1", "Ingress", ".Values.ingress.annotations"), " }}\n", " -}}\n", 1))
	b.WriteString("spec:\n  {{- with .Values.ingress.className }}\n  ingressClassName: {{ . }}\n  {{- end }}\n")
	fmt.Fprintf(&b, "  {{- if .Values.ingress.tls.enabled }}\n  tls:\n    - hosts:\n        - {{ .Values.ingress.host | quote }}\n      secretName: {{ .Values.ingress.tls.secretName | default (printf \"%%s-tls\" %s) }}\n  {{- end }}\n", h.nameArg())
	fmt.Fprintf(&b, "  rules:\n    - host: {{ required \"ingress.host is required when the ingress is enabled\" .Values.ingress.host | quote }}\n      http:\n        paths:\n          - path: {{ .Values.ingress.path }}\n            pathType: Prefix\n            backend:\n              service:\n                name: %s\n                port:\n                  %s\n{{- end }}\n", h.name, port)
	if err := a.create("templates/ingress.yaml", b.String()); err != nil {
		return err
	}
	entry := mp("ingress", sc("enabled", "true"), quoted("className", ""), sc("annotations", "{}"), str("host", o.host), sc("path", "/"),
		mp("tls", sc("enabled", strconv.FormatBool(o.tls)), quoted("secretName", "")))
	entry.comment = "An Ingress to the Service; tls.secretName empty means <fullname>-tls."
	if err := f.addEntries(nil, root, entry); err != nil {
		return err
	}
	a.did("Ingress added (templates/ingress.yaml) at %s%s", o.host, tlsNote(o.tls))
	return nil
}

func tlsNote(tls bool) string {
	if tls {
		return " with TLS"
	}
	return ""
}

func path0(root string) string {
	i := strings.LastIndex(root, "/")
	return root[i+1:]
}

func (a *author) helmPDB(o op) error {
	f, root, err := a.baseValues()
	if err != nil {
		return err
	}
	if k, v := get(root, "podDisruptionBudget"); k != nil && a.readsValue("podDisruptionBudget") {
		kids := []item{sc("enabled", "true")}
		if o.n > 0 {
			kids = append(kids, num("minAvailable", o.n))
		}
		if err := f.merge(k, v, kids...); err != nil {
			return err
		}
		a.did("PodDisruptionBudget enabled in %s", f.path)
		return nil
	}
	for n, t := range a.templates() {
		if strings.Contains(t, "kind: PodDisruptionBudget") {
			return unsupported(KindHelm, "a PodDisruptionBudget: the chart already has one (%s)", n)
		}
	}
	h, err := a.chartHelpers()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(h.header(".Values.podDisruptionBudget.enabled", "policy/v1", "PodDisruptionBudget", "(dict)"))
	b.WriteString("spec:\n  {{- with .Values.podDisruptionBudget.minAvailable }}\n  minAvailable: {{ . }}\n  {{- end }}\n")
	b.WriteString("  {{- with .Values.podDisruptionBudget.maxUnavailable }}\n  maxUnavailable: {{ . }}\n  {{- end }}\n")
	fmt.Fprintf(&b, "  selector:\n    matchLabels:\n%s\n{{- end }}\n", strings.Join(h.selector, "\n"))
	if err := a.create("templates/pdb.yaml", b.String()); err != nil {
		return err
	}
	kids := []item{sc("enabled", "true")}
	if o.n > 0 {
		kids = append(kids, num("minAvailable", o.n))
	} else {
		kids = append(kids, num("maxUnavailable", 1))
	}
	entry := mp("podDisruptionBudget", kids...)
	entry.comment = "Voluntary disruptions (node drains, upgrades) keep this many pods."
	if err := f.addEntries(nil, root, entry); err != nil {
		return err
	}
	a.did("PodDisruptionBudget added (templates/pdb.yaml)")
	return nil
}

// peerItems are NetworkPolicy peers.
func peerItems(peers []peer) []item {
	var out []item
	for _, p := range peers {
		if p.Namespace != "" {
			out = append(out, item{kids: []item{mp("namespaceSelector", mp("matchLabels", str("kubernetes.io/metadata.name", p.Namespace)))}})
		} else {
			out = append(out, item{kids: []item{mp("podSelector", mp("matchLabels", str(p.Label, p.Val)))}})
		}
	}
	return out
}

func peerDesc(peers []peer) string {
	var s []string
	for _, p := range peers {
		if p.Namespace != "" {
			s = append(s, "namespace "+p.Namespace)
		} else {
			s = append(s, "pods labelled "+p.Label+"="+p.Val)
		}
	}
	return strings.Join(s, " and ")
}

func (a *author) helmNetworkPolicy(o op) error {
	f, root, err := a.baseValues()
	if err != nil {
		return err
	}
	if k, v := get(root, "networkPolicy"); k != nil && a.readsValue("networkPolicy") {
		fk, fv := get(v, "from")
		if fk == nil {
			return unsupported(KindHelm, "a NetworkPolicy: %s has networkPolicy without a from list", f.path)
		}
		if ek, ev := get(v, "enabled"); ek != nil && ev.Value != "true" {
			if err := f.setScalarText(ev, "true"); err != nil {
				return err
			}
		}
		if err := f.appendItems(fk, fv, peerItems(o.peers)...); err != nil {
			return err
		}
		a.did("NetworkPolicy allows traffic from %s, in %s", peerDesc(o.peers), f.path)
		return nil
	}
	h, err := a.chartHelpers()
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(h.header(".Values.networkPolicy.enabled", "networking.k8s.io/v1", "NetworkPolicy", "(dict)"))
	fmt.Fprintf(&b, "spec:\n  podSelector:\n    matchLabels:\n%s\n", strings.Join(h.selector, "\n"))
	b.WriteString("  policyTypes:\n    - Ingress\n  ingress:\n    - from:\n        {{- toYaml .Values.networkPolicy.from | nindent 8 }}\n{{- end }}\n")
	if err := a.create("templates/networkpolicy.yaml", b.String()); err != nil {
		return err
	}
	entry := mp("networkPolicy", sc("enabled", "true"), sq("from", peerItems(o.peers)...))
	entry.comment = "A NetworkPolicy admits traffic to the pods only from these peers."
	if err := f.addEntries(nil, root, entry); err != nil {
		return err
	}
	a.did("NetworkPolicy added (templates/networkpolicy.yaml) allowing traffic from %s", peerDesc(o.peers))
	return nil
}

func (a *author) helmStorage(env string, o op) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	var paths [][]string
	for _, p := range [][]string{{"persistence", "size"}, {"storage", "size"}, {"storageSize"}, {"volumeSize"}} {
		if _, v := get(root, p...); v != nil {
			paths = append(paths, p)
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if _, v := get(root.Content[i+1], "persistence", "size"); v != nil {
			paths = append(paths, []string{root.Content[i].Value, "persistence", "size"})
		}
	}
	if len(paths) == 0 {
		return unsupported(KindHelm, "storage size: %s has no persistence.size", f.path)
	}
	for _, p := range paths {
		_, v := get(root, p...)
		a.fact("storage", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
		if err := f.setScalar(v, o.size, true); err != nil {
			return err
		}
		a.did("%s %s in %s", strings.Join(p, "."), o.size, f.path)
	}
	return nil
}

func (a *author) helmSchedule(env string, o op) error {
	f, root, err := a.values(env)
	if err != nil {
		return err
	}
	_, v := get(root, "schedule")
	if v == nil {
		return unsupported(KindHelm, "the schedule: %s has no schedule", f.path)
	}
	a.fact("schedule", v.Value, fmt.Sprintf("(%s:%d)", f.path, v.Line))
	if err := f.setScalar(v, o.value, true); err != nil {
		return err
	}
	a.did("schedule %q in %s", o.value, f.path)
	return nil
}

func cmpInt(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}
