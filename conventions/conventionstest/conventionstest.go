// Package conventionstest checks generated files the way tests over a
// GitOps repository need to: that every reference by name among the
// objects resolves once the conventions renamed them (References), with
// charts rendered the way their Flux HelmRelease installs them (Render);
// that the patch applies with git apply; and that a kustomization builds
// with kustomize (Apply, Build).
package conventionstest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/stackgen/aiden/validators/helmchart"
	"github.com/stackgen/aiden/workspace"
)

// Render returns the objects files hold: every chart (a folder with
// Chart.yaml) rendered as the Flux HelmRelease beside it installs it (its
// name as the release, its namespace; the folder's name and "default"
// without one), and every other YAML manifest as it is. Kustomization
// files, Chart.yaml and values.yaml are left out. A chart that does not
// render is an error.
func Render(ctx context.Context, files []workspace.File) ([]workspace.File, error) {
	roots := map[string][]workspace.File{}
	for _, f := range files {
		if path.Base(f.Path) == "Chart.yaml" {
			roots[path.Dir(f.Path)] = nil
		}
	}
	var out []workspace.File
	for _, f := range files {
		inside := false
		for root := range roots {
			if rel, ok := strings.CutPrefix(f.Path, root+"/"); ok {
				roots[root] = append(roots[root], workspace.File{Path: rel, Content: f.Content})
				inside = strings.Contains(rel, "/")
			}
		}
		switch base := path.Base(f.Path); {
		case inside, !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml"),
			base == "kustomization.yaml", base == "kustomization.yml", base == "Chart.yaml", base == "values.yaml":
			continue
		}
		out = append(out, f)
	}
	dirs := make([]string, 0, len(roots))
	for d := range roots {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, root := range dirs {
		release, ns := path.Base(root), "default"
		for _, o := range mustObjects(files, root+"/") {
			if o.kind == "HelmRelease" && strings.HasSuffix(str(o.body, "spec", "chart", "spec", "chart"), root) {
				release, ns = o.name, cmp.Or(o.namespace, ns)
			}
		}
		r, err := helmchart.New(helmchart.Options{ReleaseName: release, Namespace: ns})
		if err != nil {
			return nil, err
		}
		res, err := r.Render(ctx, roots[root])
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", root, err)
		}
		for _, m := range res.Messages {
			if m.Level == helmchart.Error {
				return nil, fmt.Errorf("render %s: %s", root, m.Text)
			}
		}
		for _, m := range res.Manifests {
			out = append(out, workspace.File{Path: root + "/" + m.Path, Content: m.Content})
		}
	}
	return out, nil
}

// Object is a Kubernetes object of a YAML stream.
type Object struct {
	kind, name, namespace string
	body                  map[string]any
}

// Objects parses the YAML documents of files.
func Objects(files []workspace.File) ([]Object, error) {
	var out []Object
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(f.Content))
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Path, err)
			}
			if m == nil {
				continue
			}
			out = append(out, Object{kind: str(m, "kind"), name: str(m, "metadata", "name"), namespace: str(m, "metadata", "namespace"), body: m})
		}
	}
	return out, nil
}

func mustObjects(files []workspace.File, prefix string) []Object {
	var in []workspace.File
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Path, prefix)
		// Only YAML files: one README or .helmignore must not hide the
		// HelmRelease beside it.
		if ok && !strings.Contains(rest, "/") && (strings.HasSuffix(rest, ".yaml") || strings.HasSuffix(rest, ".yml")) {
			in = append(in, f)
		}
	}
	objs, _ := Objects(in)
	return objs
}

// References returns one line per reference by name among the objects of
// files that names no object there: pod volumes, env and envFrom sources,
// service accounts other than default and image pull secrets of every
// workload; StatefulSet serviceName; HPA scale targets; Ingress backends
// and TLS secrets; RoleBinding roles and subjects; the sourceRef of Flux
// HelmReleases (with its namespace, the HelmRelease's by default). Every
// Service and PodDisruptionBudget selector must also match the pod
// template of a workload. external lists the objects, as Kind/name, that
// are meant to exist outside the files (a Secret the team creates).
func References(files []workspace.File, external ...string) ([]string, error) {
	objs, err := Objects(files)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range external {
		have[e] = true
	}
	for _, o := range objs {
		have[o.kind+"/"+o.name] = true
		have[o.kind+"/"+o.namespace+"/"+o.name] = true
	}
	var out []string
	need := func(o Object, kind, name, field string) {
		if name != "" && !have[kind+"/"+name] {
			out = append(out, fmt.Sprintf("%s/%s: %s names %s %s, which does not exist", o.kind, o.name, field, kind, name))
		}
	}
	for _, o := range objs {
		if spec, prefix := podSpec(o); spec != nil {
			if sa := str(spec, "serviceAccountName"); sa != "default" {
				need(o, "ServiceAccount", sa, prefix+".serviceAccountName")
			}
			for i, s := range list(spec, "imagePullSecrets") {
				need(o, "Secret", str(mp(s), "name"), fmt.Sprintf("%s.imagePullSecrets[%d]", prefix, i))
			}
			for i, v := range list(spec, "volumes") {
				vm := mp(v)
				p := fmt.Sprintf("%s.volumes[%d]", prefix, i)
				need(o, "ConfigMap", str(vm, "configMap", "name"), p+".configMap")
				need(o, "Secret", str(vm, "secret", "secretName"), p+".secret")
				need(o, "PersistentVolumeClaim", str(vm, "persistentVolumeClaim", "claimName"), p+".persistentVolumeClaim")
				for j, s := range list(mp(vm, "projected"), "sources") {
					need(o, "ConfigMap", str(mp(s), "configMap", "name"), fmt.Sprintf("%s.projected.sources[%d].configMap", p, j))
					need(o, "Secret", str(mp(s), "secret", "name"), fmt.Sprintf("%s.projected.sources[%d].secret", p, j))
				}
			}
			for _, kind := range []string{"initContainers", "containers"} {
				for i, c := range list(spec, kind) {
					p := fmt.Sprintf("%s.%s[%d]", prefix, kind, i)
					for j, e := range list(mp(c), "env") {
						need(o, "ConfigMap", str(mp(e), "valueFrom", "configMapKeyRef", "name"), fmt.Sprintf("%s.env[%d]", p, j))
						need(o, "Secret", str(mp(e), "valueFrom", "secretKeyRef", "name"), fmt.Sprintf("%s.env[%d]", p, j))
					}
					for j, e := range list(mp(c), "envFrom") {
						need(o, "ConfigMap", str(mp(e), "configMapRef", "name"), fmt.Sprintf("%s.envFrom[%d]", p, j))
						need(o, "Secret", str(mp(e), "secretRef", "name"), fmt.Sprintf("%s.envFrom[%d]", p, j))
					}
				}
			}
		}
		switch o.kind {
		case "StatefulSet":
			need(o, "Service", str(o.body, "spec", "serviceName"), "spec.serviceName")
		case "HorizontalPodAutoscaler":
			need(o, str(o.body, "spec", "scaleTargetRef", "kind"), str(o.body, "spec", "scaleTargetRef", "name"), "spec.scaleTargetRef")
		case "Ingress":
			need(o, "Service", str(o.body, "spec", "defaultBackend", "service", "name"), "spec.defaultBackend")
			for i, r := range list(mp(o.body, "spec"), "rules") {
				for j, p := range list(mp(r, "http"), "paths") {
					need(o, "Service", str(mp(p), "backend", "service", "name"), fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j))
				}
			}
			for i, tls := range list(mp(o.body, "spec"), "tls") {
				need(o, "Secret", str(mp(tls), "secretName"), fmt.Sprintf("spec.tls[%d]", i))
			}
		case "RoleBinding", "ClusterRoleBinding":
			need(o, str(o.body, "roleRef", "kind"), str(o.body, "roleRef", "name"), "roleRef")
			for i, s := range list(o.body, "subjects") {
				if str(mp(s), "kind") == "ServiceAccount" {
					need(o, "ServiceAccount", str(mp(s), "name"), fmt.Sprintf("subjects[%d]", i))
				}
			}
		case "HelmRelease":
			ref := mp(o.body, "spec", "chart", "spec", "sourceRef")
			ns := cmp.Or(str(ref, "namespace"), o.namespace)
			if name := str(ref, "name"); name != "" && !have[str(ref, "kind")+"/"+ns+"/"+name] {
				out = append(out, fmt.Sprintf("%s/%s: spec.chart.spec.sourceRef names %s %s/%s, which does not exist", o.kind, o.name, str(ref, "kind"), ns, name))
			}
		case "Service":
			if sel := mp(o.body, "spec", "selector"); len(sel) > 0 && !selects(objs, sel) {
				out = append(out, fmt.Sprintf("Service/%s: selector %v matches no pod template", o.name, sel))
			}
		case "PodDisruptionBudget":
			if sel := mp(o.body, "spec", "selector", "matchLabels"); len(sel) > 0 && !selects(objs, sel) {
				out = append(out, fmt.Sprintf("PodDisruptionBudget/%s: selector %v matches no pod template", o.name, sel))
			}
		}
	}
	return out, nil
}

// podSpec returns the pod spec of a workload and the field it sits at.
func podSpec(o Object) (map[string]any, string) {
	switch o.kind {
	case "Pod":
		return mp(o.body, "spec"), "spec"
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return mp(o.body, "spec", "template", "spec"), "spec.template.spec"
	case "CronJob":
		return mp(o.body, "spec", "jobTemplate", "spec", "template", "spec"), "spec.jobTemplate.spec.template.spec"
	}
	return nil, ""
}

// selects reports whether sel matches the pod template labels of a
// workload among objs.
func selects(objs []Object, sel map[string]any) bool {
	for _, o := range objs {
		var labels map[string]any
		switch o.kind {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
			labels = mp(o.body, "spec", "template", "metadata", "labels")
		default:
			continue
		}
		ok := true
		for k, v := range sel {
			if labels[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Apply copies the repository at repo into a temporary git work tree and
// applies patch there with git apply (checked first); it returns the work
// tree. The test is skipped when git is not on PATH.
func Apply(t testing.TB, repo string, patch []byte) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(repo)); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(dir, ".git", "aiden.patch"), patch, 0o644); err != nil {
		t.Fatal(err)
	}
	git("apply", "--check", ".git/aiden.patch")
	git("apply", ".git/aiden.patch")
	return dir
}

// Build runs kustomize build (krusty) on the folder dir of the work tree
// root and returns what it prints, as a file named after the folder.
func Build(t testing.TB, root, dir string) workspace.File {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return workspace.File{Path: dir + ".yaml", Content: out}
}

func mp(v any, keys ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

func str(m map[string]any, keys ...string) string {
	if len(keys) == 0 {
		return ""
	}
	s, _ := mp(m, keys[:len(keys)-1]...)[keys[len(keys)-1]].(string)
	return s
}

func list(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}
