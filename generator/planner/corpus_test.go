package planner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// corpusLine is one intent of testdata/corpus.txt with what its answer
// must hold.
type corpusLine struct {
	line   int
	format string // helm, kustomize, terraform; +flux or +argo: the repository has Flux or Argo CD
	flux   bool
	argo   bool
	intent string
	expect []string
}

// TestIntentCorpus reads every intent of testdata/corpus.txt as the
// offline author would, and checks each answer against what the intent
// asked: a decline (ErrNotCovered or ErrIncomplete, which the CLI exits 2
// on) saying what it names, or files that hold every stated property:
// kinds, replicas, storage, images, hosts, TLS, schedules, versions,
// Secrets and chart values. Helm charts are rendered with the Helm SDK
// and Kustomize overlays built with krusty first, so the properties are
// checked in the objects a cluster would get.
func TestIntentCorpus(t *testing.T) {
	lines := readCorpus(t, "testdata/corpus.txt")
	if len(lines) < 150 {
		t.Errorf("corpus has %d intents, want at least 150", len(lines))
	}
	answered, declined := 0, 0
	for _, c := range lines {
		t.Run(fmt.Sprintf("%03d", c.line), func(t *testing.T) {
			t.Logf("%s | %s", c.format, c.intent)
			decl, ok := declineWant(c.expect)
			plan, err := Parse(c.intent, Hints{Format: c.format, Flux: c.flux, ArgoCD: c.argo})
			var files []workspace.File
			if err == nil {
				files, err = plan.Files(c.format)
			}
			if ok {
				declined++
				if err == nil {
					t.Fatalf("answered, want a decline: %s", plan.Summary())
				}
				if !errors.Is(err, ErrNotCovered) && !errors.Is(err, ErrIncomplete) {
					t.Fatalf("error %v is not a decline (exit 2)", err)
				}
				for _, s := range decl {
					if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
						t.Errorf("decline %q does not say %q", err, s)
					}
				}
				return
			}
			answered++
			if err != nil {
				t.Fatalf("declined, want an answer: %v", err)
			}
			if len(c.expect) == 0 {
				t.Fatal("an answered intent must state at least one property to check")
			}
			for _, w := range plan.Ignored {
				if !isFiller(w) {
					t.Errorf("not used: %q is not filler", w)
				}
			}
			docs := corpusDocs(t, files)
			for _, e := range c.expect {
				if msg := checkProperty(plan, files, docs, e); msg != "" {
					t.Errorf("%s: %s", e, msg)
				}
			}
			if t.Failed() {
				for _, f := range files {
					t.Logf("--- %s\n%s", f.Path, f.Content)
				}
			}
		})
	}
	t.Logf("%d intents: %d answered, %d declined", len(lines), answered, declined)
}

func readCorpus(t *testing.T, name string) []corpusLine {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.Split(l, " | ")
		if len(parts) != 3 {
			t.Fatalf("%s:%d: want format | intent | expectations, got %q", name, n, l)
		}
		c := corpusLine{line: n, format: strings.TrimSpace(parts[0]), intent: strings.TrimSpace(parts[1])}
		c.format, c.flux = strings.CutSuffix(c.format, "+flux")
		c.format, c.argo = strings.CutSuffix(c.format, "+argo")
		c.expect = splitExpect(parts[2])
		out = append(out, c)
	}
	return out
}

// splitExpect splits on spaces, keeping quoted values together
// (decline="did you mean", contains='cpu: "1"').
func splitExpect(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`[^\s"']+(?:"[^"]*"|'[^']*')?`).FindAllString(s, -1) {
		if i := strings.IndexAny(m, `"'`); i >= 0 {
			m = m[:i] + m[i+1:len(m)-1]
		}
		out = append(out, m)
	}
	return out
}

func declineWant(expect []string) ([]string, bool) {
	var says []string
	found := false
	for _, e := range expect {
		if e == "decline" {
			found = true
		} else if s, ok := strings.CutPrefix(e, "decline="); ok {
			found = true
			says = append(says, s)
		}
	}
	return says, found
}

// corpusDocs returns the objects of the answer: a chart's rendered
// manifests (and its values), or the YAML files as written.
func corpusDocs(t *testing.T, files []workspace.File) []map[string]any {
	var docs []map[string]any
	isChart, hasTemplates := false, false
	for _, f := range files {
		isChart = isChart || f.Path == "Chart.yaml"
		hasTemplates = hasTemplates || strings.HasPrefix(f.Path, "templates/")
	}
	add := func(b []byte) {
		for _, d := range bytes.Split(b, []byte("\n---")) {
			var m map[string]any
			if err := yaml.Unmarshal(d, &m); err == nil && m != nil {
				docs = append(docs, m)
			}
		}
	}
	if isChart && hasTemplates {
		var bf []*loader.BufferedFile
		for _, f := range files {
			bf = append(bf, &loader.BufferedFile{Name: f.Path, Data: f.Content})
		}
		ch, err := loader.LoadFiles(bf)
		if err != nil {
			t.Fatalf("load chart: %v", err)
		}
		vals, err := chartutil.ToRenderValues(ch, map[string]any{}, chartutil.ReleaseOptions{Name: "corpus", Namespace: "default", IsInstall: true}, chartutil.DefaultCapabilities)
		if err != nil {
			t.Fatalf("values: %v", err)
		}
		out, err := engine.Render(ch, vals)
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		for name, s := range out {
			if strings.HasSuffix(name, ".yaml") {
				add([]byte(s))
			}
		}
	}
	overlays := false
	fsys := filesys.MakeFsInMemory()
	for _, f := range files {
		overlays = overlays || strings.HasPrefix(f.Path, "overlays/")
		if err := fsys.WriteFile("/app/"+f.Path, f.Content); err != nil {
			t.Fatal(err)
		}
	}
	if overlays {
		// A Kustomize base with overlays: what each overlay builds to.
		for _, f := range files {
			if !strings.HasPrefix(f.Path, "overlays/") || path.Base(f.Path) != "kustomization.yaml" {
				continue
			}
			res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, "/app/"+path.Dir(f.Path))
			if err != nil {
				t.Fatalf("kustomize build %s: %v", path.Dir(f.Path), err)
			}
			out, err := res.AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			add(out)
		}
		return docs
	}
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".yaml") && !strings.HasPrefix(f.Path, "templates/") {
			add(f.Content)
		}
	}
	return docs
}

// pairs returns every key and value in the documents, at any depth.
func pairs(docs []map[string]any) [][2]any {
	var out [][2]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				out = append(out, [2]any{k, sub})
				walk(sub)
			}
		case []any:
			for _, sub := range x {
				walk(sub)
			}
		}
	}
	for _, d := range docs {
		walk(d)
	}
	return out
}

// anyPair reports whether some key of keys holds a value ok accepts.
func anyPair(docs []map[string]any, keys string, ok func(v any) bool) bool {
	want := setOf(keys)()
	for _, p := range pairs(docs) {
		if want[p[0].(string)] && ok(p[1]) {
			return true
		}
	}
	return false
}

func equals(s string) func(v any) bool {
	return func(v any) bool {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if fmt.Sprint(e) == s {
					return true
				}
			}
			return false
		}
		return fmt.Sprint(v) == s
	}
}

func kinds(docs []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, d := range docs {
		if k, ok := d["kind"].(string); ok {
			out[k] = true
		}
	}
	return out
}

// checkProperty checks one expectation; "" when it holds.
func checkProperty(plan *Plan, files []workspace.File, docs []map[string]any, e string) string {
	key, val, _ := strings.Cut(e, "=")
	switch key {
	case "kind":
		if !kinds(docs)[val] {
			return fmt.Sprintf("no %s among %v", val, keyList(kinds(docs)))
		}
	case "nokind":
		if kinds(docs)[val] {
			return "a " + val + " was written"
		}
	case "replicas":
		if !anyPair(docs, "replicas replicaCount minReplicas", equals(val)) && !patches(docs, "/spec/replicas", val) {
			return "no replicas or replicaCount of " + val
		}
	case "storage":
		if !anyPair(docs, "storage size", equals(val)) {
			return "no storage or size of " + val
		}
	case "image":
		if !anyPair(docs, "image", equals(val)) {
			return "no image " + val
		}
	case "host":
		if !anyPair(docs, "host hostname hosts", equals(val)) {
			return "no host " + val
		}
	case "tls":
		if !anyPair(docs, "tls extraTls", func(v any) bool {
			switch x := v.(type) {
			case bool:
				return x
			case []any:
				return len(x) > 0
			case map[string]any:
				return len(x) > 0
			}
			return false
		}) {
			return "no TLS"
		}
	case "schedule":
		if !anyPair(docs, "schedule", equals(val)) {
			return "no schedule " + val
		}
	case "secret":
		if !anyPair(docs, "existingSecret existingPasswordSecret name secretName", equals(val)) {
			return "no reference to the Secret " + val
		}
	case "env":
		if plan.Environment != val {
			return "environment " + plan.Environment
		}
	case "port":
		if !anyPair(docs, "containerPort port targetPort", equals(val)) {
			return "no port " + val
		}
	case "chart":
		name, version, _ := strings.Cut(val, "@")
		if !chartPinned(docs, name, version) {
			return "no pin of chart " + val
		}
	case "value":
		p, want, _ := strings.Cut(val, "=")
		if !valueIn(plan, docs, p, want) {
			return fmt.Sprintf("no values with %s = %s", p, want)
		}
	case "field":
		k, v, _ := strings.Cut(val, "=")
		if !anyPair(docs, k, equals(v)) {
			return "no field " + k + " = " + v
		}
	case "file":
		for _, f := range files {
			if f.Path == val {
				return ""
			}
		}
		return "no file " + val
	case "contains":
		for _, f := range files {
			if bytes.Contains(f.Content, []byte(val)) {
				return ""
			}
		}
		return "no file contains " + strconv.Quote(val)
	default:
		return "unknown expectation"
	}
	return ""
}

// chartPinned finds the chart at the version in a HelmRelease, an
// OCIRepository or a Chart.yaml dependency.
func chartPinned(docs []map[string]any, name, version string) bool {
	for _, d := range docs {
		switch d["kind"] {
		case "HelmRelease":
			spec, _ := d["spec"].(map[string]any)
			if c, ok := spec["chart"].(map[string]any); ok {
				cs, _ := c["spec"].(map[string]any)
				if cs["chart"] == name && fmt.Sprint(cs["version"]) == version {
					return true
				}
			}
		case "Application":
			spec, _ := d["spec"].(map[string]any)
			src, _ := spec["source"].(map[string]any)
			if src["chart"] == name && fmt.Sprint(src["targetRevision"]) == version {
				return true
			}
		case "OCIRepository":
			spec, _ := d["spec"].(map[string]any)
			ref, _ := spec["ref"].(map[string]any)
			if path.Base(fmt.Sprint(spec["url"])) == name && fmt.Sprint(ref["tag"]) == version {
				return true
			}
		}
		if deps, ok := d["dependencies"].([]any); ok {
			for _, dep := range deps {
				m, _ := dep.(map[string]any)
				if m["name"] == name && fmt.Sprint(m["version"]) == version {
					return true
				}
			}
		}
	}
	return false
}

// valueIn finds the chart value at the dotted path in the values the
// answer writes: a HelmRelease's spec.values, or a wrapper chart's
// values.yaml under the upstream chart's name.
func valueIn(plan *Plan, docs []map[string]any, dotted, want string) bool {
	for _, d := range docs {
		var vals any
		if d["kind"] == "HelmRelease" {
			spec, _ := d["spec"].(map[string]any)
			vals = spec["values"]
		} else if d["kind"] == "Application" {
			spec, _ := d["spec"].(map[string]any)
			src, _ := spec["source"].(map[string]any)
			helm, _ := src["helm"].(map[string]any)
			vals = helm["valuesObject"]
		} else {
			vals = d
		}
		if got, ok := valueAt(vals, dotted); ok && fmt.Sprint(got) == want {
			return true
		}
	}
	return false
}

func valueAt(cur any, dotted string) (any, bool) {
	for _, k := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func keyList(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// patches reports whether a JSON 6902 patch of an overlay sets path to
// value.
func patches(docs []map[string]any, path, value string) bool {
	for _, d := range docs {
		for _, p := range pairs([]map[string]any{d}) {
			ops, ok := p[1].([]any)
			if !ok {
				continue
			}
			for _, op := range ops {
				m, _ := op.(map[string]any)
				if m["path"] == path && fmt.Sprint(m["value"]) == value {
					return true
				}
			}
		}
	}
	return false
}
