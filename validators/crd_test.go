package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[1]ss.example.com
spec:
  group: example.com
  names: {kind: %[2]s, plural: %[1]ss, singular: %[1]s}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
`

// TestRepositoryCRDs checks that the CustomResourceDefinitions of the
// tree are used for the objects of their kinds: from a plain manifest,
// from a chart's crds/ folder, from an overlay's build, and ahead of the shipped catalogue, where
// a differing CRD is an info finding, not an error.
func TestRepositoryCRDs(t *testing.T) {
	crd := func(name, kind string) string {
		return strings.NewReplacer("%[1]s", name, "%[2]s", kind).Replace(widgetCRD)
	}
	files := []workspace.File{
		{Path: "crds/widget.yaml", Content: []byte(crd("widget", "Widget"))},
		{Path: "apps/widgets.yaml", Content: []byte(`apiVersion: example.com/v1
kind: Widget
metadata: {name: good}
spec: {size: 3}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: bad}
spec:
  size: big
`)},
		{Path: "chart/Chart.yaml", Content: []byte("apiVersion: v2\nname: gadgets\nversion: 0.1.0\n")},
		{Path: "chart/values.yaml", Content: []byte("size: 2\n")},
		{Path: "chart/crds/gadget.yaml", Content: []byte(crd("gadget", "Gadget"))},
		{Path: "chart/templates/gadget.yaml", Content: []byte(`apiVersion: example.com/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}
spec:
  size: {{ .Values.size }}
  colour: red
`)},
		// The repository's own, smaller, Certificate CRD wins over
		// cert-manager's in the catalogue.
		{Path: "crds/certificate.yaml", Content: []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: certificates.cert-manager.io
spec:
  group: cert-manager.io
  names: {kind: Certificate, plural: certificates}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                owner: {type: string}
`)},
		{Path: "apps/cert.yaml", Content: []byte("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\nspec: {owner: team-a}\n")},
		{Path: "apps/thing.yaml", Content: []byte("apiVersion: example.org/v1\nkind: Thing\nmetadata: {name: x}\n")},
		// An overlay whose build holds the CRD of its own objects.
		{Path: "kust/kustomization.yaml", Content: []byte("resources: [sprocket-crd.yaml, sprocket.yaml]\n")},
		{Path: "kust/sprocket-crd.yaml", Content: []byte(crd("sprocket", "Sprocket"))},
		{Path: "kust/sprocket.yaml", Content: []byte("apiVersion: example.com/v1\nkind: Sprocket\nmetadata: {name: s}\nspec:\n  size: 1.5\n")},
	}
	v, err := New(Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Validate(context.Background(), files, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Rule, "schema") {
			got = append(got, f.Severity.String()+" "+f.String())
		}
	}
	want := []string{
		`error chart/templates/gadget.yaml:7:3: Gadget/release-name: /spec: additional properties 'colour' not allowed (schema)`,
		`error kust/sprocket.yaml:5:3: Sprocket/s: /spec/size: got number, want integer (schema)`,
		`error apps/widgets.yaml:10:3: Widget/bad: /spec/size: got string, want integer (schema)`,
		`info crds/certificate.yaml:1: CustomResourceDefinition/certificates.cert-manager.io: defines Certificate cert-manager.io/v1 differently from the shipped cert-manager v1.21.2 schema; objects of the kind are validated against this CRD (schema-crd)`,
		`warning apps/thing.yaml:1: Thing/x: no schema for Thing example.org/v1 in kubernetes 1.35.4, the shipped CRD catalogue, the repository's CRDs or the schema locations; not validated (schema)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range rep.Checks {
		if c.Name == "schema" && !strings.Contains(c.Detail, "1 without schema (Thing example.org/v1: 1)") {
			t.Errorf("schema check detail %q does not count the kind without schema", c.Detail)
		}
	}

	// Strict: the object without schema becomes an error.
	RequireSchemas(&rep)
	for _, f := range rep.Findings {
		if f.File == "apps/thing.yaml" && f.Severity != SeverityError {
			t.Errorf("with RequireSchemas: got %s, want an error", f)
		}
	}
	for _, c := range rep.Checks {
		if c.Name == "schema" && c.Status != CheckFailed {
			t.Errorf("with RequireSchemas: schema check %+v, want failed", c)
		}
	}
}
