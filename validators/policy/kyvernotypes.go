package policy

import (
	admv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The types below read a kyverno.io/v1 ClusterPolicy or Policy with the
// field names of Kyverno's CRD, as far as offline evaluation uses them.
// Free-form parts (patterns, conditions, values) stay decoded YAML.

// kyvernoDoc is a ClusterPolicy or Policy document.
type kyvernoDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Rules                   []KyvernoRule `json:"rules"`
		ValidationFailureAction string        `json:"validationFailureAction"`
		Background              *bool         `json:"background"`
	} `json:"spec"`
}

// KyvernoRule is one rule of a Kyverno policy: which resources it
// matches and what it validates, mutates or generates.
type KyvernoRule struct {
	// Name is the rule's name; generated rules start with "autogen-".
	Name string `json:"name"`
	// Match and Exclude select the resources the rule applies to.
	Match   kyMatch  `json:"match"`
	Exclude *kyMatch `json:"exclude,omitempty"`
	// Context declares variables the rule's expressions can use.
	Context []kyContextEntry `json:"context,omitempty"`
	// Preconditions are conditions ({any, all} or a list) that must hold.
	Preconditions any `json:"preconditions,omitempty"`
	// CELPreconditions are CEL match conditions that must hold.
	CELPreconditions []admv1.MatchCondition `json:"celPreconditions,omitempty"`
	// Validate, Mutate and Generate are the rule's action; one is set.
	Validate *kyValidation  `json:"validate,omitempty"`
	Mutate   *kyMutation    `json:"mutate,omitempty"`
	Generate map[string]any `json:"generate,omitempty"`
	// VerifyImages is kept so that autogen carries it over; aiden does not
	// verify images offline.
	VerifyImages []any `json:"verifyImages,omitempty"`

	// cel is a validate.cel rule compiled (on first use) as a CEL policy;
	// celErr says why it could not be read.
	cel    *CELPolicy
	celErr error
	// policy is the name of the policy the rule belongs to.
	policy string
}

// kyMatch is a match or exclude block.
type kyMatch struct {
	Any       []kyFilter `json:"any,omitempty"`
	All       []kyFilter `json:"all,omitempty"`
	Resources kyResource `json:"resources,omitempty"`
	// User conditions cannot be known offline; they are read and ignored.
	Roles        []string `json:"roles,omitempty"`
	ClusterRoles []string `json:"clusterRoles,omitempty"`
	Subjects     []any    `json:"subjects,omitempty"`
}

// kyFilter is one entry of an any or all list.
type kyFilter struct {
	Resources    kyResource `json:"resources,omitempty"`
	Roles        []string   `json:"roles,omitempty"`
	ClusterRoles []string   `json:"clusterRoles,omitempty"`
	Subjects     []any      `json:"subjects,omitempty"`
}

// kyResource describes the resources a filter selects.
type kyResource struct {
	Kinds             []string              `json:"kinds,omitempty"`
	Name              string                `json:"name,omitempty"`
	Names             []string              `json:"names,omitempty"`
	Namespaces        []string              `json:"namespaces,omitempty"`
	Annotations       map[string]string     `json:"annotations,omitempty"`
	Selector          *metav1.LabelSelector `json:"selector,omitempty"`
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	Operations        []string              `json:"operations,omitempty"`
}

func (r *kyResource) isEmpty() bool {
	return len(r.Kinds) == 0 && r.Name == "" && len(r.Names) == 0 && len(r.Namespaces) == 0 &&
		len(r.Annotations) == 0 && r.Selector == nil && r.NamespaceSelector == nil && len(r.Operations) == 0
}

// kyContextEntry is one context variable; only variable entries can be
// evaluated offline, the others are kept to be reported.
type kyContextEntry struct {
	Name            string      `json:"name"`
	Variable        *kyVariable `json:"variable,omitempty"`
	ConfigMap       any         `json:"configMap,omitempty"`
	APICall         any         `json:"apiCall,omitempty"`
	ImageRegistry   any         `json:"imageRegistry,omitempty"`
	GlobalReference any         `json:"globalReference,omitempty"`
}

type kyVariable struct {
	Value    any    `json:"value,omitempty"`
	JMESPath string `json:"jmesPath,omitempty"`
	Default  any    `json:"default,omitempty"`
}

// kyValidation is a rule's validate block.
type kyValidation struct {
	Message     string         `json:"message,omitempty"`
	Pattern     any            `json:"pattern,omitempty"`
	AnyPattern  any            `json:"anyPattern,omitempty"`
	Deny        *kyDeny        `json:"deny,omitempty"`
	Foreach     []kyForeach    `json:"foreach,omitempty"`
	PodSecurity *kyPodSecurity `json:"podSecurity,omitempty"`
	CEL         any            `json:"cel,omitempty"`
	Manifests   any            `json:"manifests,omitempty"`
	Assert      any            `json:"assert,omitempty"`
	// FailureAction, its overrides and AllowExistingViolations are carried
	// over by autogen.
	FailureAction           string `json:"failureAction,omitempty"`
	FailureActionOverrides  []any  `json:"failureActionOverrides,omitempty"`
	AllowExistingViolations *bool  `json:"allowExistingViolations,omitempty"`
}

func (v *kyValidation) isEmpty() bool {
	return v == nil || (v.Message == "" && v.Pattern == nil && v.AnyPattern == nil && v.Deny == nil &&
		len(v.Foreach) == 0 && v.PodSecurity == nil && v.CEL == nil && v.Manifests == nil && v.Assert == nil &&
		v.FailureAction == "" && len(v.FailureActionOverrides) == 0 && v.AllowExistingViolations == nil)
}

// kyDeny holds deny conditions.
type kyDeny struct {
	Conditions any `json:"conditions,omitempty"`
}

// kyForeach is one foreach validation; Foreach nests.
type kyForeach struct {
	List          string           `json:"list,omitempty"`
	ElementScope  *bool            `json:"elementScope,omitempty"`
	Context       []kyContextEntry `json:"context,omitempty"`
	Preconditions any              `json:"preconditions,omitempty"`
	Pattern       any              `json:"pattern,omitempty"`
	AnyPattern    any              `json:"anyPattern,omitempty"`
	Deny          *kyDeny          `json:"deny,omitempty"`
	Foreach       []kyForeach      `json:"foreach,omitempty"`
}

// kyPodSecurity is a podSecurity subrule.
type kyPodSecurity struct {
	Level   string           `json:"level,omitempty"`
	Version string           `json:"version,omitempty"`
	Exclude []kyPSSExclusion `json:"exclude,omitempty"`
}

type kyPSSExclusion struct {
	ControlName     string   `json:"controlName"`
	Images          []string `json:"images,omitempty"`
	RestrictedField string   `json:"restrictedField,omitempty"`
	Values          []string `json:"values,omitempty"`
}

// kyMutation is a rule's mutate block.
type kyMutation struct {
	Targets             []any               `json:"targets,omitempty"`
	PatchStrategicMerge any                 `json:"patchStrategicMerge,omitempty"`
	PatchesJSON6902     string              `json:"patchesJson6902,omitempty"`
	Foreach             []kyForeachMutation `json:"foreach,omitempty"`
	MutateExisting      *bool               `json:"mutateExistingOnPolicyUpdate,omitempty"`
}

func (m *kyMutation) isEmpty() bool {
	return m == nil || (len(m.Targets) == 0 && m.PatchStrategicMerge == nil && m.PatchesJSON6902 == "" &&
		len(m.Foreach) == 0 && m.MutateExisting == nil)
}

type kyForeachMutation struct {
	List                string              `json:"list,omitempty"`
	Order               string              `json:"order,omitempty"`
	Context             []kyContextEntry    `json:"context,omitempty"`
	Preconditions       any                 `json:"preconditions,omitempty"`
	PatchStrategicMerge any                 `json:"patchStrategicMerge,omitempty"`
	PatchesJSON6902     string              `json:"patchesJson6902,omitempty"`
	Foreach             []kyForeachMutation `json:"foreach,omitempty"`
}

func (r *KyvernoRule) hasValidate() bool { return !r.Validate.isEmpty() }
func (r *KyvernoRule) hasMutate() bool   { return !r.Mutate.isEmpty() }
func (r *KyvernoRule) hasGenerate() bool { return len(r.Generate) > 0 }
