package helmchart

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/endpoints/deprecation"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/internal/lazyre"
	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/workspace"
)

// Lint runs the checks of `helm lint` on the chart in files (paths
// relative to the chart root). rendered is Render's result for the same
// files.
//
// The chart-level rules (Chart.yaml, values and their schema,
// dependencies) are aiden's own, with helm lint's messages and levels,
// read from the files in memory (lint_chart.go). The template rules
// (allowed extensions, v2 leftovers, indentation, YAML, object names,
// deprecated APIs, selectors, List annotations) are the same checks as the SDK's, applied to the output
// Render already produced instead of rendering the chart a second time,
// and with the Kubernetes type registry built once per process instead of
// once per object. When rendering failed they are skipped: the render
// message says what is wrong.
func (r *Renderer) Lint(ctx context.Context, files []workspace.File, rendered Result) ([]Message, error) {
	return r.LintDecoded(ctx, files, rendered, nil)
}

// LintDecoded is Lint reading the rendered templates' documents from
// decoded, the split and decode of rendered.Manifests (decoded[i] is
// Manifests[i]) that the other checks of the render read too; nil splits
// and decodes them here.
func (r *Renderer) LintDecoded(ctx context.Context, files []workspace.File, rendered Result, decoded []*manifest.File) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lint chart: %w", err)
	}
	msgs := lintChart(files, rendered.valuesLoaded)
	for _, m := range rendered.Messages {
		if m.Level == Error {
			return msgs, nil
		}
	}
	return append(msgs, r.lintTemplates(files, rendered, decoded)...), nil
}

// Compiled on first use, not at every start of the binary.
var (
	crdHook     = lazyre.New(`"?helm\.sh/hook"?:\s+crd-install`)
	releaseTime = lazyre.New(`\.Release\.Time`)
)

// Text every match of crdHook and releaseTime holds: a template without
// it needs no regular expression run over it.
var (
	crdHookText     = []byte("crd-install")
	releaseTimeText = []byte(".Release.Time")
)

// lintTemplates checks the chart's own templates and what they rendered
// to, in the order and with the severities helm lint uses.
func (r *Renderer) lintTemplates(files []workspace.File, rendered Result, decoded []*manifest.File) []Message {
	out := map[string]*manifest.File{}
	for i, m := range rendered.Manifests {
		if i < len(decoded) && decoded[i] != nil {
			out[m.Path] = decoded[i]
		} else {
			out[m.Path] = manifest.NewFile(m.Path, m.Content)
		}
	}
	var msgs []Message
	add := func(level Level, file string, err error) {
		if err != nil {
			msgs = append(msgs, Message{Check: "lint", Level: level, File: file, Text: err.Error()})
		}
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "templates/") {
			continue
		}
		switch ext := path.Ext(f.Path); ext {
		case ".yaml", ".yml", ".tpl", ".txt":
		default:
			add(Error, f.Path, fmt.Errorf("file extension '%s' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt", ext))
		}
		if bytes.Contains(f.Content, crdHookText) && crdHook.Match(f.Content) {
			add(Warning, f.Path, errors.New("manifest is a crd-install hook. This hook is no longer supported in v3 and all CRDs should also exist the crds/ directory at the top level of the chart"))
		}
		if bytes.Contains(f.Content, releaseTimeText) && releaseTime.Match(f.Content) {
			add(Error, f.Path, errors.New(".Release.Time has been removed in v3, please replace with the `now` function in your templates"))
		}
		// helm lint reads only .yaml output past this point.
		mf := out[f.Path]
		var text string
		if mf != nil {
			text = string(mf.Content)
		}
		if path.Ext(f.Path) != ".yaml" || strings.TrimSpace(text) == "" {
			continue
		}
		add(Warning, f.Path, topIndent(text))
		objs, err := lintObjects(mf, text)
		for _, obj := range objs {
			add(Warning, f.Path, objectName(obj))
			add(Warning, f.Path, r.deprecated(obj))
			add(Error, f.Path, matchSelector(obj, text))
			add(Error, f.Path, listAnnotations(obj, text))
		}
		if err != nil {
			// Like helm lint, stop at the first unreadable document:
			// everything after it would fail the same way.
			add(Error, f.Path, fmt.Errorf("unable to parse YAML: %w", err))
			return msgs
		}
	}
	return msgs
}

// lintObjects returns the objects of a rendered template's output, text,
// as helm lint's decoder (k8s.io/apimachinery's YAMLOrJSONDecoder) reads
// them, up to the first document it cannot read, and that document's
// error. It reads the shared decode of f when f is Plain, not a JSON
// stream, and every document's value maps to an object plainly; any other
// output (a document that does not decode among them, whose error names
// a line of the decoder's own document) goes through the decoder itself.
func lintObjects(f *manifest.File, text string) ([]*object, error) {
	docs, ok := f.Docs()
	if !ok || utilyaml.IsJSONBuffer(f.Content[:min(len(f.Content), jsonPeek)]) {
		return decodeObjects(text)
	}
	objs := make([]*object, 0, len(docs))
	for _, d := range docs {
		obj, ok := asObject(d.Value)
		if d.Err != nil || !ok || !d.EndsLines() {
			return decodeObjects(text)
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

// jsonPeek is how far helm lint's decoder looks for a JSON stream's
// opening brace.
const jsonPeek = 4096

// decodeObjects reads text with helm lint's decoder.
func decodeObjects(text string) ([]*object, error) {
	var objs []*object
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), jsonPeek)
	for {
		var obj *object
		err := dec.Decode(&obj)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return objs, err
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
}

// asObject is the object a decoded document's value unmarshals to, when
// that is plain to see: nil for nil, and for a mapping whose apiVersion,
// kind and metadata.name are strings or absent, with no other key that
// encoding/json would match to them (it matches field names ignoring
// case). Anything else (a number sigs.k8s.io/yaml would turn into a
// string, a scalar document) is not plain: ok is false.
func asObject(v any) (obj *object, ok bool) {
	if v == nil {
		return nil, true
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, false
	}
	obj = &object{}
	for k, x := range m {
		var dst *string
		switch k {
		case "apiVersion":
			dst = &obj.APIVersion
		case "kind":
			dst = &obj.Kind
		case "metadata":
			if !nameOf(x, &obj.Metadata.Name) {
				return nil, false
			}
			continue
		default:
			if strings.EqualFold(k, "apiVersion") || strings.EqualFold(k, "kind") || strings.EqualFold(k, "metadata") {
				return nil, false
			}
			continue
		}
		if !stringInto(x, dst) {
			return nil, false
		}
	}
	return obj, true
}

// nameOf reads metadata.name from a decoded metadata value into name,
// reporting false when the value is not plain (see asObject).
func nameOf(md any, name *string) bool {
	if md == nil {
		return true
	}
	m, ok := md.(map[string]any)
	if !ok {
		return false
	}
	for k, x := range m {
		switch {
		case k == "name":
			if !stringInto(x, name) {
				return false
			}
		case strings.EqualFold(k, "name"):
			return false
		}
	}
	return true
}

// stringInto stores x in dst when it is a string; nil leaves dst as it is,
// as encoding/json does with null.
func stringInto(x any, dst *string) bool {
	switch s := x.(type) {
	case nil:
		return true
	case string:
		*dst = s
		return true
	}
	return false
}

// object is the part of a rendered document the template rules read.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// topIndent reports output whose first line is indented, which YAML
// parsers read differently.
func topIndent(text string) error {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			return fmt.Errorf("document starts with an illegal indent: %q, which may cause parsing problems", line)
		}
		return nil
	}
	return sc.Err()
}

// objectName checks metadata.name with the rule the API server applies to
// the kind.
func objectName(obj *object) error {
	var check validation.ValidateNameFunc
	switch strings.ToLower(obj.Kind) {
	case "service":
		check = validation.NameIsDNS1035Label
	case "namespace":
		check = validation.ValidateNamespaceName
	case "serviceaccount":
		check = validation.ValidateServiceAccountName
	case "certificatesigningrequest":
		return nil
	case "role", "clusterrole", "rolebinding", "clusterrolebinding":
		check = func(name string, _ bool) []string { return content.IsPathSegmentName(name) }
	default:
		check = validation.NameIsDNSSubdomain
	}
	var errs field.ErrorList
	for _, p := range check(obj.Metadata.Name, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata").Child("name"), obj.Metadata.Name, p))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("object name does not conform to Kubernetes naming requirements: %q: %w", obj.Metadata.Name, errs.ToAggregate())
}

// extensionsGroup is the API group Helm's chartutil adds to client-go's
// registry (kscheme.Scheme) when it loads; helm lint looks deprecations up
// in a registry of client-go's types alone, so those of this group are
// not built-in kinds to it.
const extensionsGroup = "apiextensions.k8s.io"

// deprecated reports a built-in API version that is deprecated in the
// target Kubernetes version.
func (r *Renderer) deprecated(obj *object) error {
	if obj.APIVersion == "" || obj.Kind == "" {
		return nil
	}
	gvk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind)
	if gvk.Group == extensionsGroup {
		return nil // helm lint's registry has no CRD types (see extensionsGroup)
	}
	// client-go's registry of the Kubernetes API types, built when its
	// package loads, carries when each version was deprecated and removed.
	typed, err := kscheme.Scheme.New(gvk)
	if err != nil {
		if runtime.IsNotRegisteredError(err) {
			return nil // not a built-in kind
		}
		return err
	}
	major, err := strconv.Atoi(r.kube.Major)
	if err != nil {
		return fmt.Errorf("kube version %q: %w", r.kube.Version, err)
	}
	minor, err := strconv.Atoi(r.kube.Minor)
	if err != nil {
		return fmt.Errorf("kube version %q: %w", r.kube.Version, err)
	}
	typed.GetObjectKind().SetGroupVersionKind(gvk)
	if !deprecation.IsDeprecated(typed, major, minor) {
		return nil
	}
	return errors.New(deprecation.WarningMessage(typed))
}

// matchSelector reports workloads whose output names no selector.
func matchSelector(obj *object, text string) error {
	switch obj.Kind {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet":
		if !strings.Contains(text, "matchLabels") && !strings.Contains(text, "matchExpressions") {
			return fmt.Errorf("a %s must contain matchLabels or matchExpressions, and %q does not", obj.Kind, obj.Metadata.Name)
		}
	}
	return nil
}

// listAnnotations reports helm.sh/resource-policy inside a List, where
// Helm ignores it.
func listAnnotations(obj *object, text string) error {
	if obj.Kind != "List" {
		return nil
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := yaml.Unmarshal([]byte(text), &list); err != nil {
		return fmt.Errorf("unable to parse YAML: %w", err)
	}
	for _, item := range list.Items {
		if _, ok := item.Metadata.Annotations["helm.sh/resource-policy"]; ok {
			//lint:ignore ST1005 helm lint's own words, so the finding reads as helm's does
			return errors.New("Annotation 'helm.sh/resource-policy' within List objects are ignored")
		}
	}
	return nil
}
