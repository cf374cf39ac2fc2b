package helmchart

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"

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
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lint chart: %w", err)
	}
	msgs := lintChart(files)
	for _, m := range rendered.Messages {
		if m.Level == Error {
			return msgs, nil
		}
	}
	return append(msgs, r.lintTemplates(files, rendered)...), nil
}

// Compiled on first use, not at every start of the binary.
var (
	crdHook     = lazyre.New(`"?helm\.sh/hook"?:\s+crd-install`)
	releaseTime = lazyre.New(`\.Release\.Time`)
)

// lintTemplates checks the chart's own templates and what they rendered
// to, in the order and with the severities helm lint uses.
func (r *Renderer) lintTemplates(files []workspace.File, rendered Result) []Message {
	out := map[string][]byte{}
	for _, m := range rendered.Manifests {
		out[m.Path] = m.Content
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
		if crdHook.Match(f.Content) {
			add(Warning, f.Path, errors.New("manifest is a crd-install hook. This hook is no longer supported in v3 and all CRDs should also exist the crds/ directory at the top level of the chart"))
		}
		if releaseTime.Match(f.Content) {
			add(Error, f.Path, errors.New(".Release.Time has been removed in v3, please replace with the `now` function in your templates"))
		}
		// helm lint reads only .yaml output past this point.
		text := string(out[f.Path])
		if path.Ext(f.Path) != ".yaml" || strings.TrimSpace(text) == "" {
			continue
		}
		add(Warning, f.Path, topIndent(text))
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
		for {
			var obj *object
			err := dec.Decode(&obj)
			if err == io.EOF {
				break
			}
			if err != nil {
				// Like helm lint, stop at the first unreadable document:
				// everything after it would fail the same way.
				add(Error, f.Path, fmt.Errorf("unable to parse YAML: %w", err))
				return msgs
			}
			if obj == nil {
				continue
			}
			add(Warning, f.Path, objectName(obj))
			add(Warning, f.Path, r.deprecated(obj))
			add(Error, f.Path, matchSelector(obj, text))
			add(Error, f.Path, listAnnotations(obj, text))
		}
	}
	return msgs
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

// builtins is the registry of the Kubernetes API types client-go knows,
// which carry when each version was deprecated and removed. Building it
// takes milliseconds, so it is built once.
var builtins = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := kscheme.AddToScheme(s); err != nil {
		panic(fmt.Sprintf("register Kubernetes types: %v", err)) // static data; cannot fail
	}
	return s
})

// deprecated reports a built-in API version that is deprecated in the
// target Kubernetes version.
func (r *Renderer) deprecated(obj *object) error {
	if obj.APIVersion == "" || obj.Kind == "" {
		return nil
	}
	gvk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind)
	typed, err := builtins().New(gvk)
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
