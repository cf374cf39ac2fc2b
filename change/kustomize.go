package change

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/stackgen/aiden/generator/planner"
)

// manifest is one object of a Kustomize app's resources.
type manifest struct {
	file string // path relative to the app
	f    *yamlFile
	doc  *yaml.Node
	kind string
	name string
}

// kustomize changes a Kustomize app: the base's manifests for a change of
// the app, one overlay's kustomization.yaml for a change of one
// environment.
func (a *author) kustomize(in intent) error {
	base := ""
	if a.has("base/kustomization.yaml") {
		base = "base"
	} else if a.has("base/kustomization.yml") {
		base = "base"
	}
	if in.env != "" {
		ov := path.Join("overlays", in.env, "kustomization.yaml")
		if a.has(ov) {
			return a.overlay(in, base, ov)
		}
		if planner.PathEnvironment(a.app.Root, "clusters") != in.env {
			return unsupported(KindKustomize, "a change for %s only: %s has no overlays/%s (it has %s)", in.env, a.app.Root, in.env, orNone(a.environments()))
		}
	}
	ms, kfile, err := a.manifests(base)
	if err != nil {
		return err
	}
	if base == "" && len(ms) == 0 {
		// The folder is an overlay of a base elsewhere in the repository
		// (clusters/<env>/apps/<app> over base/<app>): the change goes into
		// its kustomization, over the base's objects as they are.
		if bms := a.repoManifests(a.app.Root, 0); len(bms) > 0 {
			return a.overlayOver(in, kfile, bms)
		}
	}
	var envs []envVar
	var drop []string
	for _, o := range in.ops {
		switch o.kind {
		case opReplicas:
			w, err := workload(ms, "Deployment", "StatefulSet")
			if err != nil {
				return err
			}
			if err := a.setManifest(w, num("replicas", o.n), "spec"); err != nil {
				return err
			}
			a.did("replicas %d in %s", o.n, w.f.path)
		case opImage:
			err = a.manifestImage(ms, o)
		case opResources:
			w, c, err := container(ms)
			if err != nil {
				return err
			}
			if err := w.f.merge(nil, c, mp("resources", resourceItems(o.res)...)); err != nil {
				return err
			}
			a.did("resources in %s", w.f.path)
		case opEnvSet:
			envs = append(envs, o.env)
		case opEnvRemove:
			drop = append(drop, o.env.Name)
		case opHPA:
			err = a.kustomizeHPA(ms, kfile, base, o)
		case opHPARemove:
			err = a.kustomizeHPARemove(ms, kfile)
		case opIngress:
			err = a.kustomizeIngress(ms, kfile, base, o)
		case opPDB:
			err = a.kustomizePDB(ms, kfile, base, o)
		case opNetPol:
			err = a.kustomizeNetworkPolicy(ms, kfile, base, o)
		case opStorage:
			err = a.manifestStorage(ms, o)
		case opSchedule:
			var w *manifest
			if w, err = workload(ms, "CronJob"); err == nil {
				if _, v := get(w.doc, "spec", "schedule"); v != nil {
					a.fact("schedule", v.Value, fmt.Sprintf("(%s:%d)", w.f.path, v.Line))
				}
				if err = a.setManifest(w, quoted("schedule", o.value), "spec"); err == nil {
					a.did("schedule %q in %s", o.value, w.f.path)
				}
			}
		default:
			err = unsupported(KindKustomize, "%s (%q) in a Kustomize app", o.kind, o.from)
		}
		if err != nil {
			return err
		}
	}
	if len(envs) > 0 || len(drop) > 0 {
		w, c, err := container(ms)
		if err != nil {
			return err
		}
		k, v := get(c, "env")
		return a.editEnvList(w.f, c, k, v, envs, drop)
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// manifests reads the objects the kustomization in dir lists.
func (a *author) manifests(dir string) ([]*manifest, string, error) {
	kfile := path.Join(dir, "kustomization.yaml")
	if !a.has(kfile) {
		kfile = path.Join(dir, "kustomization.yml")
	}
	k, err := a.open(kfile)
	if err != nil {
		return nil, "", err
	}
	root, err := k.doc()
	if err != nil {
		return nil, "", err
	}
	var out []*manifest
	_, res := get(root, "resources")
	if res == nil || res.Kind != yaml.SequenceNode {
		return nil, kfile, unsupported(KindKustomize, "%s lists no resources", k.path)
	}
	for _, r := range res.Content {
		p := path.Join(dir, r.Value)
		if !a.has(p) {
			continue // a folder or a remote base: not this app's own files
		}
		f, err := a.open(p)
		if err != nil {
			return nil, "", err
		}
		for _, d := range f.docs {
			_, kind := get(d, "kind")
			_, name := get(d, "metadata", "name")
			if kind == nil || name == nil {
				continue
			}
			out = append(out, &manifest{file: p, f: f, doc: d, kind: kind.Value, name: name.Value})
		}
	}
	return out, kfile, nil
}

func workload(ms []*manifest, kinds ...string) (*manifest, error) {
	for _, m := range ms {
		for _, k := range kinds {
			if m.kind == k {
				return m, nil
			}
		}
	}
	return nil, unsupported(KindKustomize, "a change to the workload: the app has no %s", strings.Join(kinds, " or "))
}

// podSpec returns the pod template's spec of a workload.
func podSpec(m *manifest) *yaml.Node {
	if m.kind == "CronJob" {
		_, v := get(m.doc, "spec", "jobTemplate", "spec", "template", "spec")
		return v
	}
	_, v := get(m.doc, "spec", "template", "spec")
	return v
}

// container returns the workload's main container (the first).
func container(ms []*manifest) (*manifest, *yaml.Node, error) {
	w, err := workload(ms, "Deployment", "StatefulSet", "CronJob", "DaemonSet")
	if err != nil {
		return nil, nil, err
	}
	_, cs := get(podSpec(w), "containers")
	if cs == nil || cs.Kind != yaml.SequenceNode || len(cs.Content) == 0 {
		return nil, nil, unsupported(KindKustomize, "a change to the container: %s has no containers", w.f.path)
	}
	return w, cs.Content[0], nil
}

// setManifest merges value into the mapping at keys of a manifest.
func (a *author) setManifest(m *manifest, value item, keys ...string) error {
	k, v := get(m.doc, keys...)
	if v == nil || v.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: %s has no %s", m.f.path, m.kind, strings.Join(keys, "."))
	}
	if _, old := get(v, value.key); old != nil && old.Kind == yaml.ScalarNode {
		a.fact(value.key, old.Value, fmt.Sprintf("(%s:%d)", m.f.path, old.Line))
	}
	return m.f.merge(k, v, value)
}

func (a *author) manifestImage(ms []*manifest, o op) error {
	w, c, err := container(ms)
	if err != nil {
		return err
	}
	_, v := get(c, "image")
	if v == nil {
		return unsupported(KindKustomize, "the image: %s has no image", w.f.path)
	}
	a.fact("image", v.Value, fmt.Sprintf("(%s:%d)", w.f.path, v.Line))
	img := o.image
	if o.tag != "" {
		cur, _ := parseImage(v.Value)
		img = planner.Image{Repository: cmpOr(cur.Repository, v.Value), Tag: o.tag}
	}
	if err := w.f.setScalar(v, img.String(), true); err != nil {
		return err
	}
	a.did("image %s in %s", img, w.f.path)
	return nil
}

func (a *author) manifestStorage(ms []*manifest, o op) error {
	for _, m := range ms {
		var v *yaml.Node
		switch m.kind {
		case "StatefulSet":
			if _, t := get(m.doc, "spec", "volumeClaimTemplates"); t != nil && t.Kind == yaml.SequenceNode && len(t.Content) > 0 {
				_, v = get(t.Content[0], "spec", "resources", "requests", "storage")
			}
		case "PersistentVolumeClaim":
			_, v = get(m.doc, "spec", "resources", "requests", "storage")
		}
		if v != nil {
			a.fact("storage", v.Value, fmt.Sprintf("(%s:%d)", m.f.path, v.Line))
			if err := m.f.setScalar(v, o.size, true); err != nil {
				return err
			}
			a.did("storage %s in %s", o.size, m.f.path)
			return nil
		}
	}
	return unsupported(KindKustomize, "storage size: the app has no volume claim")
}

// register adds a new manifest to the kustomization's resources.
func (a *author) register(kfile, name string) error {
	k, err := a.open(kfile)
	if err != nil {
		return err
	}
	root, err := k.doc()
	if err != nil {
		return err
	}
	rk, rv := get(root, "resources")
	return k.appendItems(rk, rv, item{scalar: name})
}

// selectorOf returns the selector labels of a workload.
func selectorOf(w *manifest) []item {
	_, ml := get(w.doc, "spec", "selector", "matchLabels")
	var out []item
	if ml != nil {
		for i := 0; i+1 < len(ml.Content); i += 2 {
			out = append(out, str(ml.Content[i].Value, ml.Content[i+1].Value))
		}
	}
	return out
}

// newManifest writes a new object of the app as block YAML.
func newManifest(apiVersion, kind, name string, labels []item, spec ...item) string {
	f := &yamlFile{step: 2, dash: true}
	meta := []item{str("name", name)}
	if len(labels) > 0 {
		meta = append(meta, mp("labels", labels...))
	}
	lines := f.render(append([]item{sc("apiVersion", apiVersion), sc("kind", kind), mp("metadata", meta...)}, spec...), 0)
	return strings.Join(lines, "\n") + "\n"
}

func (a *author) kustomizeHPA(ms []*manifest, kfile, dir string, o op) error {
	w, err := workload(ms, "Deployment", "StatefulSet")
	if err != nil {
		return err
	}
	o.min, o.max, o.cpu = cmpInt(o.min, 2), cmpInt(o.max, max(o.min, 5)), cmpInt(o.cpu, 80)
	for _, m := range ms {
		if m.kind == "HorizontalPodAutoscaler" {
			if err := a.setManifest(m, num("minReplicas", o.min), "spec"); err != nil {
				return err
			}
			if err := a.setManifest(m, num("maxReplicas", o.max), "spec"); err != nil {
				return err
			}
			a.did("HPA %d to %d replicas in %s", o.min, o.max, m.f.path)
			return nil
		}
	}
	content := newManifest("autoscaling/v2", "HorizontalPodAutoscaler", w.name, selectorOf(w),
		mp("spec", mp("scaleTargetRef", sc("apiVersion", "apps/v1"), sc("kind", w.kind), str("name", w.name)),
			num("minReplicas", o.min), num("maxReplicas", o.max),
			sq("metrics", item{kids: []item{sc("type", "Resource"), mp("resource", sc("name", "cpu"), mp("target", sc("type", "Utilization"), num("averageUtilization", o.cpu)))}})))
	if err := a.create(path.Join(dir, "hpa.yaml"), content); err != nil {
		return err
	}
	if err := a.register(kfile, "hpa.yaml"); err != nil {
		return err
	}
	a.did("HPA added (%s), %d to %d replicas at %d%% CPU", a.rel(path.Join(dir, "hpa.yaml")), o.min, o.max, o.cpu)
	return nil
}

func (a *author) kustomizeHPARemove(ms []*manifest, kfile string) error {
	for _, m := range ms {
		if m.kind != "HorizontalPodAutoscaler" {
			continue
		}
		if len(m.f.docs) > 1 {
			return unsupported(KindKustomize, "removing the HPA: %s holds other objects too", m.f.path)
		}
		k, err := a.open(kfile)
		if err != nil {
			return err
		}
		root, _ := k.doc()
		rk, rv := get(root, "resources")
		dir := path.Dir(kfile)
		for i, r := range rv.Content {
			if path.Join(dir, r.Value) == m.file {
				if err := k.removeItem(rk, rv, i); err != nil {
					return err
				}
			}
		}
		a.remove(m.file)
		a.did("HPA removed (%s)", m.f.path)
		return nil
	}
	return unsupported(KindKustomize, "removing the HPA: the app has none")
}

func (a *author) kustomizeIngress(ms []*manifest, kfile, dir string, o op) error {
	for _, m := range ms {
		if m.kind == "Ingress" {
			_, rules := get(m.doc, "spec", "rules")
			if rules == nil || len(rules.Content) == 0 {
				return unsupported(KindKustomize, "the Ingress host: %s has no rules", m.f.path)
			}
			_, hv := get(rules.Content[0], "host")
			if hv == nil {
				return unsupported(KindKustomize, "the Ingress host: %s has no host", m.f.path)
			}
			a.fact("host", hv.Value, fmt.Sprintf("(%s:%d)", m.f.path, hv.Line))
			if err := m.f.setScalar(hv, o.host, true); err != nil {
				return err
			}
			if _, tls := get(m.doc, "spec", "tls"); tls != nil && tls.Kind == yaml.SequenceNode && len(tls.Content) > 0 {
				if _, hs := get(tls.Content[0], "hosts"); hs != nil && len(hs.Content) > 0 {
					if err := m.f.setScalar(hs.Content[0], o.host, true); err != nil {
						return err
					}
				}
			} else if o.tls {
				if err := a.setManifest(m, sq("tls", item{kids: []item{seqOf("hosts", o.host), str("secretName", m.name+"-tls")}}), "spec"); err != nil {
					return err
				}
			}
			a.did("Ingress host %s%s in %s", o.host, tlsNote(o.tls), m.f.path)
			return nil
		}
	}
	var svc *manifest
	for _, m := range ms {
		if m.kind == "Service" {
			svc = m
			break
		}
	}
	if svc == nil {
		return unsupported(KindKustomize, "an Ingress: the app has no Service to route to")
	}
	_, ports := get(svc.doc, "spec", "ports")
	if ports == nil || len(ports.Content) == 0 {
		return unsupported(KindKustomize, "an Ingress: %s has no ports", svc.f.path)
	}
	port := item{}
	if _, n := get(ports.Content[0], "name"); n != nil {
		port = mp("port", str("name", n.Value))
	} else if _, p := get(ports.Content[0], "port"); p != nil {
		port = mp("port", sc("number", p.Value))
	}
	w, _ := workload(ms, "Deployment", "StatefulSet")
	var labels []item
	if w != nil {
		labels = selectorOf(w)
	}
	spec := []item{}
	if o.tls {
		spec = append(spec, sq("tls", item{kids: []item{seqOf("hosts", o.host), str("secretName", svc.name+"-tls")}}))
	}
	spec = append(spec, sq("rules", item{kids: []item{str("host", o.host), mp("http", sq("paths", item{kids: []item{
		sc("path", "/"), sc("pathType", "Prefix"), mp("backend", mp("service", str("name", svc.name), port))}}))}}))
	content := newManifest("networking.k8s.io/v1", "Ingress", svc.name, labels, mp("spec", spec...))
	if err := a.create(path.Join(dir, "ingress.yaml"), content); err != nil {
		return err
	}
	if err := a.register(kfile, "ingress.yaml"); err != nil {
		return err
	}
	a.did("Ingress added (%s) at %s%s", a.rel(path.Join(dir, "ingress.yaml")), o.host, tlsNote(o.tls))
	return nil
}

func (a *author) kustomizePDB(ms []*manifest, kfile, dir string, o op) error {
	for _, m := range ms {
		if m.kind == "PodDisruptionBudget" {
			return unsupported(KindKustomize, "a PodDisruptionBudget: the app already has one (%s)", m.f.path)
		}
	}
	w, err := workload(ms, "Deployment", "StatefulSet")
	if err != nil {
		return err
	}
	budget := num("maxUnavailable", 1)
	if o.n > 0 {
		budget = num("minAvailable", o.n)
	}
	content := newManifest("policy/v1", "PodDisruptionBudget", w.name, selectorOf(w),
		mp("spec", budget, mp("selector", mp("matchLabels", selectorOf(w)...))))
	if err := a.create(path.Join(dir, "pdb.yaml"), content); err != nil {
		return err
	}
	if err := a.register(kfile, "pdb.yaml"); err != nil {
		return err
	}
	a.did("PodDisruptionBudget added (%s)", a.rel(path.Join(dir, "pdb.yaml")))
	return nil
}

func (a *author) kustomizeNetworkPolicy(ms []*manifest, kfile, dir string, o op) error {
	w, err := workload(ms, "Deployment", "StatefulSet")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.kind != "NetworkPolicy" {
			continue
		}
		_, ing := get(m.doc, "spec", "ingress")
		if ing == nil || len(ing.Content) == 0 {
			return unsupported(KindKustomize, "a NetworkPolicy: %s has no ingress rule to extend", m.f.path)
		}
		fk, fv := get(ing.Content[0], "from")
		if fk == nil {
			return unsupported(KindKustomize, "a NetworkPolicy: %s has no from list to extend", m.f.path)
		}
		if err := m.f.appendItems(fk, fv, peerItems(o.peers)...); err != nil {
			return err
		}
		a.did("NetworkPolicy allows traffic from %s, in %s", peerDesc(o.peers), m.f.path)
		return nil
	}
	content := newManifest("networking.k8s.io/v1", "NetworkPolicy", w.name, selectorOf(w),
		mp("spec", mp("podSelector", mp("matchLabels", selectorOf(w)...)), seqOf("policyTypes", "Ingress"),
			sq("ingress", item{kids: []item{sq("from", peerItems(o.peers)...)}})))
	if err := a.create(path.Join(dir, "networkpolicy.yaml"), content); err != nil {
		return err
	}
	if err := a.register(kfile, "networkpolicy.yaml"); err != nil {
		return err
	}
	a.did("NetworkPolicy added (%s) allowing traffic from %s", a.rel(path.Join(dir, "networkpolicy.yaml")), peerDesc(o.peers))
	return nil
}

// overlay changes one environment: kustomize's replicas and images
// fields, and JSON patches in the planner's style for the rest.
func (a *author) overlay(in intent, base, ov string) error {
	ms, _, err := a.manifests(base)
	if err != nil {
		return err
	}
	return a.overlayOver(in, ov, ms)
}

// repoManifests reads, without editing, the objects the kustomization in
// the repository folder dir builds from, following folders it lists.
func (a *author) repoManifests(dir string, depth int) []*manifest {
	read := func(p string) ([]byte, bool) {
		if c, ok := a.files[p]; ok {
			return c, true
		}
		c, ok := a.repo[p]
		return c, ok
	}
	var k []byte
	var ok bool
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if k, ok = read(path.Join(dir, n)); ok {
			break
		}
	}
	if !ok || depth > 4 {
		return nil
	}
	kf, err := parseYAML(path.Join(dir, "kustomization.yaml"), k)
	if err != nil || len(kf.docs) == 0 {
		return nil
	}
	_, res := get(kf.docs[0], "resources")
	if res == nil {
		return nil
	}
	var out []*manifest
	for _, r := range res.Content {
		p := path.Join(dir, r.Value)
		c, isFile := read(p)
		if !isFile {
			out = append(out, a.repoManifests(p, depth+1)...)
			continue
		}
		f, err := parseYAML(p, c)
		if err != nil {
			continue
		}
		for _, d := range f.docs {
			_, kind := get(d, "kind")
			_, name := get(d, "metadata", "name")
			if kind != nil && name != nil {
				out = append(out, &manifest{file: p, f: f, doc: d, kind: kind.Value, name: name.Value})
			}
		}
	}
	return out
}

// overlayOver changes the overlay kustomization ov (relative to the app)
// of the base objects ms: each operation edits what the overlay already
// says about it (a replicas entry, an images entry, a JSON patch), else
// adds a JSON patch for the workload; the new patches go in at the end.
func (a *author) overlayOver(in intent, ov string, ms []*manifest) error {
	f, err := a.open(ov)
	if err != nil {
		return err
	}
	root, err := f.doc()
	if err != nil {
		return err
	}
	e := &overlayEdit{f: f, root: root}
	for _, o := range in.ops {
		var err error
		switch o.kind {
		case opReplicas:
			err = a.overlayReplicas(e, o, ms)
		case opImage:
			err = a.overlayImage(e, o, ms)
		case opResources:
			err = a.overlayResources(e, o, ms)
		case opEnvSet:
			err = a.overlayEnv(e, o, ms)
		default:
			err = unsupported(KindKustomize, "%s (%q) in the overlay %s: change it in the base", o.kind, o.from, f.path)
		}
		if err != nil {
			return err
		}
	}
	return e.writePatches()
}

// overlayEdit is an overlay kustomization being changed, with the JSON
// patch lines to add for one workload.
type overlayEdit struct {
	f       *yamlFile
	root    *yaml.Node
	target  *manifest
	patches []string // under "patch: |", unindented
}

func (e *overlayEdit) addPatch(w *manifest, lines ...string) {
	e.target = w
	e.patches = append(e.patches, lines...)
}

// overlayReplicas sets the workload's replicas: in a JSON patch that
// already sets them, in the overlay's replicas entry, else in a new patch.
func (a *author) overlayReplicas(e *overlayEdit, o op, ms []*manifest) error {
	f := e.f
	w, err := workload(ms, "Deployment", "StatefulSet")
	if err != nil {
		return err
	}
	done, err := a.patchValue(f, "/spec/replicas", strconv.Itoa(o.n))
	if err != nil {
		return err
	}
	if done {
		a.did("replicas %d in %s", o.n, f.path)
		return nil
	}
	rk, rv := get(e.root, "replicas")
	idx := namedItem(rv, "name", w.name)
	switch {
	case idx >= 0:
		_, c := get(rv.Content[idx], "count")
		if err := f.setScalarText(c, strconv.Itoa(o.n)); err != nil {
			return err
		}
	case rk != nil:
		if err := f.appendItems(rk, rv, item{kids: []item{str("name", w.name), num("count", o.n)}}); err != nil {
			return err
		}
	default:
		// A JSON patch, as the planner writes overlays; "add" sets the
		// field whether or not the base has it.
		verb := "add"
		if _, r := get(w.doc, "spec", "replicas"); r != nil {
			verb = "replace"
		}
		e.addPatch(w, "- op: "+verb, "  path: /spec/replicas", "  value: "+strconv.Itoa(o.n))
	}
	a.did("replicas %d in %s", o.n, f.path)
	return nil
}

// overlayImage sets the container's image in the overlay's images list.
func (a *author) overlayImage(e *overlayEdit, o op, ms []*manifest) error {
	f := e.f
	_, c, err := container(ms)
	if err != nil {
		return err
	}
	_, iv := get(c, "image")
	cur, _ := parseImage(iv.Value)
	name := cmpOr(cur.Repository, iv.Value)
	entry := []item{str("name", name)}
	if o.image.Repository != "" && o.image.Repository != name {
		entry = append(entry, str("newName", o.image.Repository))
	}
	if t := cmpOr(o.tag, o.image.Tag); t != "" {
		entry = append(entry, quoted("newTag", t))
	}
	if o.image.Digest != "" {
		entry = append(entry, str("digest", o.image.Digest))
	}
	ik, images := get(e.root, "images")
	switch idx := namedItem(images, "name", name); {
	case idx >= 0:
		err = f.merge(nil, images.Content[idx], entry[1:]...)
	case ik != nil:
		err = f.appendItems(ik, images, item{kids: entry})
	default:
		err = f.addEntries(nil, e.root, sq("images", item{kids: entry}))
	}
	if err != nil {
		return err
	}
	a.did("image %s in %s", cmpOr(o.tag, o.image.String()), f.path)
	return nil
}

// overlayResources patches the container's requests and limits.
func (a *author) overlayResources(e *overlayEdit, o op, ms []*manifest) error {
	w, _, err := container(ms)
	if err != nil {
		return err
	}
	var lines []string
	for _, q := range []struct{ p, v string }{{"requests/cpu", o.res.CPURequest}, {"requests/memory", o.res.MemoryRequest}, {"limits/cpu", o.res.CPULimit}, {"limits/memory", o.res.MemoryLimit}} {
		if q.v != "" {
			lines = append(lines, "- op: add", "  path: "+containerPath(w)+"/resources/"+q.p, "  value: "+strconv.Quote(q.v))
		}
	}
	e.addPatch(w, lines...)
	a.did("resources in %s", e.f.path)
	return nil
}

// overlayEnv patches an environment variable into the container: appended
// to its env list, or as the list when it has none.
func (a *author) overlayEnv(e *overlayEdit, o op, ms []*manifest) error {
	w, c, err := container(ms)
	if err != nil {
		return err
	}
	ef := &yamlFile{step: 2, dash: true}
	if _, ev := get(c, "env"); ev != nil && ev.Kind == yaml.SequenceNode && len(ev.Content) > 0 {
		lines := []string{"- op: add", "  path: " + containerPath(w) + "/env/-", "  value:"}
		e.addPatch(w, append(lines, ef.render(envItem(o.env).kids, 4)...)...)
	} else {
		lines := []string{"- op: add", "  path: " + containerPath(w) + "/env", "  value:"}
		e.addPatch(w, append(lines, ef.renderSeq([]item{envItem(o.env)}, 4)...)...)
	}
	a.did("env %s in %s", envDesc(o.env), e.f.path)
	return nil
}

// namedItem returns the index of the mapping in the sequence seq whose key
// holds value, or -1.
func namedItem(seq *yaml.Node, key, value string) int {
	idx := -1
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return idx
	}
	for i, it := range seq.Content {
		if _, n := get(it, key); n != nil && n.Value == value {
			idx = i
		}
	}
	return idx
}

// writePatches adds the JSON patches gathered, as one more entry of the
// overlay's patches (the list made when there is none).
func (e *overlayEdit) writePatches() error {
	f := e.f
	if len(e.patches) == 0 {
		return nil
	}
	head := fmt.Sprintf("- target: {kind: %s, name: %s}", e.target.kind, e.target.name)
	pk, pv := get(e.root, "patches")
	if pk == nil {
		ind := f.seqIndent()
		lines := []string{"patches:", strings.Repeat(" ", ind) + head, strings.Repeat(" ", ind+2) + "patch: |"}
		for _, l := range e.patches {
			lines = append(lines, strings.Repeat(" ", ind+4)+l)
		}
		at := f.endLine(e.root)
		return f.edit(at, at, f.spaced(at, 0, lines)...)
	}
	if pv.Kind != yaml.SequenceNode || len(pv.Content) == 0 {
		return unsupported(KindKustomize, "a patch: %s has patches that are not a list", f.path)
	}
	d := f.dashColumn(pv.Content[0])
	lines := []string{strings.Repeat(" ", d) + head, strings.Repeat(" ", d+2) + "patch: |"}
	for _, l := range e.patches {
		lines = append(lines, strings.Repeat(" ", d+4)+l)
	}
	at := f.endLine(pv)
	return f.edit(at, at, lines...)
}

func containerPath(w *manifest) string {
	if w.kind == "CronJob" {
		return "/spec/jobTemplate/spec/template/spec/containers/0"
	}
	return "/spec/template/spec/containers/0"
}

// patchValue sets the value of an existing JSON patch operation on
// jsonPath in the overlay (inside a "patch: |" block), if there is one.
func (a *author) patchValue(f *yamlFile, jsonPath, value string) (bool, error) {
	for i, l := range f.lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		if t != "path: "+jsonPath {
			continue
		}
		ind := indentOf(strings.Replace(l, "- ", "  ", 1))
		for j := i + 1; j < len(f.lines) && j < i+4; j++ {
			n := f.lines[j]
			if indentOf(n) == ind && strings.HasPrefix(strings.TrimSpace(n), "value:") {
				a.fact("replicas", strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n), "value:")), fmt.Sprintf("(%s:%d)", f.path, j+1))
				return true, f.edit(j, j+1, n[:ind]+"value: "+value)
			}
		}
	}
	return false, nil
}
