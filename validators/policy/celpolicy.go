package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"

	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/workspace"
)

// CEL policy kinds aiden reads.
const (
	KindValidatingAdmissionPolicy        = "ValidatingAdmissionPolicy"
	KindValidatingAdmissionPolicyBinding = "ValidatingAdmissionPolicyBinding"
	KindMutatingAdmissionPolicy          = "MutatingAdmissionPolicy"
	KindMutatingAdmissionPolicyBinding   = "MutatingAdmissionPolicyBinding"
	KindValidatingPolicy                 = "ValidatingPolicy"
	KindNamespacedValidatingPolicy       = "NamespacedValidatingPolicy"
	KindMutatingPolicy                   = "MutatingPolicy"
	KindImageValidatingPolicy            = "ImageValidatingPolicy"
	KindGeneratingPolicy                 = "GeneratingPolicy"
	KindDeletingPolicy                   = "DeletingPolicy"
)

// CELPolicy is a CEL admission policy: a Kubernetes
// ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) with the
// bindings found beside it, or a Kyverno policies.kyverno.io
// ValidatingPolicy, MutatingPolicy or ImageValidatingPolicy. Its
// expressions are compiled once, on first use, and reused for every
// object.
type CELPolicy struct {
	// Name is the policy's metadata.name.
	Name string
	// Kind is the policy's kind.
	Kind string
	// Namespace is set for a namespaced policy, which only applies there.
	Namespace string
	// File is the file the policy came from.
	File string
	// Enforced says whether the policy carries stackgen.io/ai-enforce: "true".
	Enforced bool
	// Bindings are the ValidatingAdmissionPolicyBindings naming the policy.
	Bindings []*CELBinding

	spec     celSpec
	autogen  []celSpec // the spec for Pod controllers, as Kyverno extends it
	once     sync.Once
	compiled []*celCompiled
}

// CELBinding is a ValidatingAdmissionPolicyBinding or a
// MutatingAdmissionPolicyBinding.
type CELBinding struct {
	// Name is the binding's metadata.name.
	Name string
	// Kind is the binding's kind.
	Kind string
	// File is the file the binding came from.
	File string
	spec admv1.ValidatingAdmissionPolicyBindingSpec
}

// celSpec is the spec of a VAP or of a Kyverno CEL policy, as far as
// offline evaluation uses it (the fields are those of the CRDs).
type celSpec struct {
	ParamKind         *admv1.ParamKind         `json:"paramKind,omitempty"`
	ParamRef          *admv1.ParamRef          `json:"paramRef,omitempty"`
	MatchConstraints  *admv1.MatchResources    `json:"matchConstraints,omitempty"`
	MatchConditions   []admv1.MatchCondition   `json:"matchConditions,omitempty"`
	Variables         []admv1.Variable         `json:"variables,omitempty"`
	Validations       []admv1.Validation       `json:"validations,omitempty"`
	AuditAnnotations  []admv1.AuditAnnotation  `json:"auditAnnotations,omitempty"`
	FailurePolicy     *admv1.FailurePolicyType `json:"failurePolicy,omitempty"`
	ValidationActions []string                 `json:"validationActions,omitempty"`
	// Conditions are a DeletingPolicy's.
	Conditions []admv1.MatchCondition `json:"conditions,omitempty"`
	// Mutations are a MutatingPolicy's.
	Mutations []celMutation `json:"mutations,omitempty"`
	// TargetMatchConstraints select a mutate-existing MutatingPolicy's
	// targets (celtargets.go).
	TargetMatchConstraints *celTargetMatch `json:"targetMatchConstraints,omitempty"`
	// Autogen is Kyverno's autogen configuration.
	Autogen *struct {
		PodControllers *struct {
			Controllers []string `json:"controllers,omitempty"`
		} `json:"podControllers,omitempty"`
	} `json:"autogen,omitempty"`
	// Evaluation is Kyverno's evaluation configuration.
	Evaluation *struct {
		Mode       string `json:"mode,omitempty"`
		Background *struct {
			Enabled *bool `json:"enabled,omitempty"`
		} `json:"background,omitempty"`
		MutateExisting *struct {
			Enabled *bool `json:"enabled,omitempty"`
		} `json:"mutateExisting,omitempty"`
	} `json:"evaluation,omitempty"`
	// Kyverno ImageValidatingPolicy fields, kept to be reported.
	ValidationConfigurations any   `json:"validationConfigurations,omitempty"`
	Attestors                []any `json:"attestors,omitempty"`
}

// celMutation is one mutation of a MutatingPolicy.
type celMutation struct {
	PatchType          string `json:"patchType"`
	ApplyConfiguration *struct {
		Expression string `json:"expression"`
	} `json:"applyConfiguration,omitempty"`
	JSONPatch *struct {
		Expression string `json:"expression"`
	} `json:"jsonPatch,omitempty"`
}

type celDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec"`
}

// isCELKind reports whether apiVersion/kind is a CEL policy or binding.
func isCELKind(apiVersion, kind string) bool {
	group, _, _ := strings.Cut(apiVersion, "/")
	switch group {
	case "admissionregistration.k8s.io":
		return kind == KindValidatingAdmissionPolicy || kind == KindValidatingAdmissionPolicyBinding ||
			kind == KindMutatingAdmissionPolicy || kind == KindMutatingAdmissionPolicyBinding
	case "policies.kyverno.io":
		switch kind {
		case KindValidatingPolicy, KindNamespacedValidatingPolicy, KindMutatingPolicy, KindImageValidatingPolicy,
			KindGeneratingPolicy, KindDeletingPolicy, "NamespacedMutatingPolicy", "NamespacedImageValidatingPolicy",
			"NamespacedGeneratingPolicy", "NamespacedDeletingPolicy":
			return true
		}
	}
	return false
}

// ParseCEL reads every CEL policy and ValidatingAdmissionPolicyBinding in
// a YAML file (other documents are ignored). Bindings are returned apart;
// LinkBindings attaches them to their policies.
func ParseCEL(file string, content []byte) ([]*CELPolicy, []*CELBinding, error) {
	var ps []*CELPolicy
	var bs []*CELBinding
	for _, doc := range splitYAML(content) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil || !isCELKind(head.APIVersion, head.Kind) {
			continue
		}
		var d celDoc
		if err := yaml.Unmarshal(doc, &d); err != nil {
			return nil, nil, fmt.Errorf("parse %s %s: %w", head.Kind, file, err)
		}
		if head.Kind == KindValidatingAdmissionPolicyBinding || head.Kind == KindMutatingAdmissionPolicyBinding {
			b := &CELBinding{Name: d.Metadata.Name, Kind: head.Kind, File: file}
			if err := json.Unmarshal(d.Spec, &b.spec); err != nil {
				return nil, nil, fmt.Errorf("parse binding %s in %s: %w", d.Metadata.Name, file, err)
			}
			bs = append(bs, b)
			continue
		}
		p := &CELPolicy{Name: d.Metadata.Name, Kind: head.Kind, File: file,
			Enforced: strings.EqualFold(d.Metadata.Annotations[EnforceAnnotation], "true")}
		if strings.HasPrefix(head.Kind, "Namespaced") {
			p.Kind = strings.TrimPrefix(head.Kind, "Namespaced")
			p.Namespace = d.Metadata.Namespace
			if p.Namespace == "" {
				p.Namespace = "default"
			}
		}
		if len(d.Spec) > 0 {
			if err := json.Unmarshal(d.Spec, &p.spec); err != nil {
				return nil, nil, fmt.Errorf("parse %s %s in %s: %w", head.Kind, d.Metadata.Name, file, err)
			}
		}
		if p.Kind == KindValidatingPolicy || p.Kind == KindMutatingPolicy || p.Kind == KindImageValidatingPolicy {
			p.autogen = celAutogen(p.spec)
		}
		ps = append(ps, p)
	}
	return ps, bs, nil
}

// LinkBindings attaches each binding to the policy it names.
func LinkBindings(ps []*CELPolicy, bs []*CELBinding) {
	for _, b := range bs {
		for _, p := range ps {
			if p.Kind+"Binding" == b.Kind && p.Name == b.spec.PolicyName {
				p.Bindings = append(p.Bindings, b)
			}
		}
	}
}

// LoadCEL parses the CEL policies among files and links the bindings.
// With all false, only policies annotated stackgen.io/ai-enforce: "true"
// are kept.
func LoadCEL(files []workspace.File, all bool) ([]*CELPolicy, error) {
	var ps []*CELPolicy
	var bs []*CELBinding
	for _, f := range files {
		switch strings.ToLower(path.Ext(f.Path)) {
		case ".yaml", ".yml":
		default:
			continue
		}
		if !bytes.Contains(f.Content, []byte("admissionregistration.k8s.io/")) && !bytes.Contains(f.Content, []byte("policies.kyverno.io/")) {
			continue
		}
		p, b, err := ParseCEL(f.Path, f.Content)
		if err != nil {
			return nil, err
		}
		ps, bs = append(ps, p...), append(bs, b...)
	}
	LinkBindings(ps, bs)
	var out []*CELPolicy
	for _, p := range ps {
		if all || p.Enforced {
			out = append(out, p)
		}
	}
	return out, nil
}

// Deny reports whether a failure of the policy would be denied at
// admission (validationActions Deny, the default), rather than warned or
// audited.
func (p *CELPolicy) Deny() bool {
	actions := p.spec.ValidationActions
	if p.Kind == KindValidatingAdmissionPolicy {
		actions = nil
		for _, b := range p.Bindings {
			for _, a := range b.spec.ValidationActions {
				actions = append(actions, string(a))
			}
		}
	}
	if len(actions) == 0 {
		return true
	}
	for _, a := range actions {
		if strings.EqualFold(a, "Deny") {
			return true
		}
	}
	return false
}

// celAutogen extends a Kyverno CEL policy that matches Pods to the Pod
// controllers, as Kyverno does: one spec for DaemonSet, Deployment, Job,
// ReplicaSet and StatefulSet with object.spec and object.metadata moved
// under spec.template, one for CronJob under spec.jobTemplate.spec.template.
func celAutogen(spec celSpec) []celSpec {
	m := spec.MatchConstraints
	if m == nil || (m.ObjectSelector != nil && (len(m.ObjectSelector.MatchLabels) > 0 || len(m.ObjectSelector.MatchExpressions) > 0)) ||
		len(m.ExcludeResourceRules) != 0 || len(m.ResourceRules) != 1 {
		return nil
	}
	r := m.ResourceRules[0]
	if len(r.ResourceNames) > 0 || len(r.APIGroups) != 1 || r.APIGroups[0] != "" || len(r.APIVersions) != 1 ||
		r.APIVersions[0] != "v1" || len(r.Resources) != 1 || r.Resources[0] != "pods" {
		return nil
	}
	controllers := []string{"daemonsets", "deployments", "jobs", "replicasets", "statefulsets", "cronjobs"}
	if a := spec.Autogen; a != nil && a.PodControllers != nil && a.PodControllers.Controllers != nil {
		controllers = a.PodControllers.Controllers
	}
	var defaults, cron []string
	for _, c := range controllers {
		switch c {
		case "daemonsets", "deployments", "replicasets", "statefulsets", "jobs":
			defaults = append(defaults, c)
		case "cronjobs":
			cron = append(cron, c)
		}
	}
	var out []celSpec
	for _, g := range []struct {
		resources []string
		to        string
	}{{defaults, "spec.template."}, {cron, "spec.jobTemplate.spec.template."}} {
		if len(g.resources) == 0 {
			continue
		}
		s := spec
		var rules []admv1.NamedRuleWithOperations
		for _, res := range g.resources {
			group := "apps"
			if res == "jobs" || res == "cronjobs" {
				group = "batch"
			}
			rules = append(rules, admv1.NamedRuleWithOperations{RuleWithOperations: admv1.RuleWithOperations{
				Operations: r.Operations,
				Rule:       admv1.Rule{APIGroups: []string{group}, APIVersions: []string{"v1"}, Resources: []string{res}},
			}})
		}
		s.MatchConstraints = &admv1.MatchResources{ResourceRules: rules, NamespaceSelector: m.NamespaceSelector}
		s.Autogen = nil
		b, err := json.Marshal(s)
		if err != nil {
			continue
		}
		for _, from := range []string{"spec", "metadata"} {
			b = replaceUnprotected(b, "object."+from, "object."+g.to+from)
			b = replaceUnprotected(b, "oldObject."+from, "oldObject."+g.to+from)
		}
		var out1 celSpec
		if err := json.Unmarshal(b, &out1); err != nil {
			continue
		}
		out = append(out, out1)
	}
	return out
}

// replaceUnprotected replaces from with to except where from is followed
// by ".namespace" (a workload's own namespace stays where it is), and
// except inside a longer identifier (oldObject for object).
func replaceUnprotected(data []byte, from, to string) []byte {
	var buf bytes.Buffer
	for {
		i := bytes.Index(data, []byte(from))
		if i < 0 {
			buf.Write(data)
			return buf.Bytes()
		}
		buf.Write(data[:i])
		rest := data[i+len(from):]
		prev := byte(' ')
		if i > 0 {
			prev = data[i-1]
		}
		protected := bytes.HasPrefix(rest, []byte(".namespace")) && (len(rest) == len(".namespace") || !isIdentByte(rest[len(".namespace")]))
		if protected || isIdentByte(prev) || (len(rest) > 0 && isIdentByte(rest[0])) {
			buf.WriteString(from)
		} else {
			buf.WriteString(to)
		}
		data = rest
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
