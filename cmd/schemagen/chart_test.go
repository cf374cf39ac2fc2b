package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderChart renders a chart laid out like linkerd-crds: its
// templates include a named template from a file:// dependency, one is
// off by default, and only the templates the globs name are returned.
func TestRenderChart(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("charts/partials/Chart.yaml", "apiVersion: v2\nname: partials\nversion: 0.1.0\n")
	write("charts/partials/templates/_metadata.tpl", `{{- define "partials.created-by" -}}created-by: test {{ .Chart.Version }}{{- end -}}`)
	write("charts/crds/Chart.yaml", "apiVersion: v2\nname: crds\nversion: 1.2.3\ndependencies:\n- name: partials\n  version: 0.1.0\n  repository: file://../partials\n")
	write("charts/crds/values.yaml", "installExtra: false\n")
	write("charts/crds/templates/policy/server.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  annotations:\n    {{ include \"partials.created-by\" . }}\n")
	write("charts/crds/templates/extra.yaml", "{{- if .Values.installExtra }}\nkind: Extra\n{{- end }}\n")
	write("charts/crds/templates/other/skipped.yaml", "kind: Skipped\n")

	files, err := renderChart(filepath.Join(root, "charts/crds"), []string{"templates/*.yaml", "templates/policy/*.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || !strings.Contains(string(files["templates/policy/server.yaml"]), "created-by: test 1.2.3") {
		t.Errorf("got %q, want only templates/policy/server.yaml with the dependency's annotation", files)
	}

	if _, err := renderChart(filepath.Join(root, "charts/crds"), []string{"templates/nothing/*.yaml"}); err == nil || !strings.Contains(err.Error(), "no template matches templates/nothing/*.yaml") {
		t.Errorf("a glob matching nothing: got %v", err)
	}
	write("charts/crds/Chart.yaml", "apiVersion: v2\nname: crds\nversion: 1.2.3\ndependencies:\n- name: partials\n  version: 0.1.0\n  repository: https://charts.example.org\n")
	if _, err := renderChart(filepath.Join(root, "charts/crds"), []string{"templates/*.yaml"}); err == nil || !strings.Contains(err.Error(), "not a file:// folder") {
		t.Errorf("a dependency from a chart repository: got %v", err)
	}
}
