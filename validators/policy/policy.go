package policy

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/validators/manifest"
	"github.com/stackgen/aiden/validators/terraform"
	"github.com/stackgen/aiden/workspace"
)

// Severity is a finding's level, in the words validators.ParseSeverity reads.
type Severity string

// Severities.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Finding is one policy violation.
type Finding struct {
	File     string
	Line     int
	Resource string
	Path     string
	// Rule is the rule id: a built-in rule, "kyverno/<policy>/<rule>" or
	// "rego/<namespace>/<deny|violation|warn>".
	Rule     string
	Severity Severity
	Message  string
}

// Config is the `policy:` key of .stackgen/generation-config.yaml.
type Config struct {
	// Rules changes built-in rules by id: a severity, or off.
	Rules map[string]RuleConfig `json:"rules,omitempty"`
	// Folder holds the repository's Kyverno policies and Rego, relative to
	// the repository root. Default: "policies".
	Folder string `json:"folder,omitempty"`
	// AllKyverno applies every Kyverno policy in Folder, not only those
	// annotated stackgen.io/ai-enforce: "true".
	AllKyverno bool `json:"allKyverno,omitempty"`
	// KyvernoSeverity is the severity of a failed Kyverno rule. Default:
	// error for Enforce policies, warning for Audit ones.
	KyvernoSeverity Severity `json:"kyvernoSeverity,omitempty"`
	// RegoNamespaces are the Rego packages queried for deny, violation and
	// warn rules. Default: ["main"].
	RegoNamespaces []string `json:"regoNamespaces,omitempty"`
}

// RuleConfig overrides one built-in rule.
type RuleConfig struct {
	// Severity replaces the rule's default severity.
	Severity Severity `json:"severity,omitempty"`
	// Disabled turns the rule off.
	Disabled bool `json:"disabled,omitempty"`
}

// ReadConfig reads the policy key of the generation config among files; a
// missing file or key gives the zero Config.
func ReadConfig(files []workspace.File) (Config, error) {
	for _, f := range files {
		if f.Path != workspace.ConfigPath && !strings.HasSuffix(f.Path, "/"+workspace.ConfigPath) {
			continue
		}
		var doc struct {
			Policy Config `json:"policy"`
		}
		if err := yaml.Unmarshal(f.Content, &doc); err != nil {
			return Config{}, fmt.Errorf("read %s: %w", f.Path, err)
		}
		return doc.Policy, nil
	}
	return Config{}, nil
}

// Options configure an Engine.
type Options struct {
	// Config is the repository's policy configuration.
	Config Config
	// AllKyverno applies every Kyverno policy found (as Config.AllKyverno).
	AllKyverno bool
	// Namespaces gives, by the path of a rendered file, the namespace its
	// namespaced objects without one are installed in: a chart's release
	// namespace, as helm install puts them there. Objects of other files,
	// and of a file whose namespace is "default", keep what they say (an
	// object without a namespace is evaluated in "default", as Kyverno
	// does).
	Namespaces map[string]string
}

// Engine evaluates the built-in pack, Kyverno policies and Rego. It is
// safe for concurrent use.
type Engine struct {
	cfg     Config
	ns      map[string]string // Options.Namespaces
	kyverno []*KyvernoPolicy
	cel     []*CELPolicy
	params  []map[string]any // objects of the policies folder, for paramRefs
	except  []*PolicyException
	rego    *Rego
}

// New loads the policies of a repository: Kyverno policies and Rego files
// in the configured folder of workspace.
func New(ctx context.Context, ws []workspace.File, opts Options) (*Engine, error) {
	cfg := opts.Config
	if opts.AllKyverno {
		cfg.AllKyverno = true
	}
	if cfg.Folder == "" {
		cfg.Folder = workspace.PoliciesDir
	}
	var pf []workspace.File
	for _, f := range ws {
		if inFolder(f.Path, cfg.Folder) {
			pf = append(pf, f)
		}
	}
	ky, err := LoadKyverno(pf, cfg.AllKyverno)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	cel, err := LoadCEL(pf, cfg.AllKyverno)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	exc, err := LoadExceptions(pf)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	rg, err := LoadRego(ctx, pf, cfg.RegoNamespaces)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	return &Engine{cfg: cfg, ns: opts.Namespaces, kyverno: ky, cel: cel, params: paramObjects(pf), except: exc, rego: rg}, nil
}

// inFolder reports whether p lies in folder, at the repository root or
// below a path prefix (paths may carry the folder the user named).
func inFolder(p, folder string) bool {
	folder = strings.Trim(folder, "/")
	return strings.HasPrefix(p, folder+"/") || strings.Contains(p, "/"+folder+"/")
}

// Summary says what a Check looked at.
type Summary struct {
	Objects, TerraformFiles, KyvernoPolicies, RegoFiles, BuiltinRules int
	// CELPolicies counts ValidatingPolicies, ValidatingAdmissionPolicies
	// and the other CEL policies applied; NeedsCluster the results that
	// could not be evaluated without a cluster or a registry.
	CELPolicies, NeedsCluster int
}

// Check evaluates objects (rendered manifests) and Terraform files. Bad
// input yields findings; an error means a policy could not be evaluated.
func (e *Engine) Check(ctx context.Context, objects, tf []workspace.File) ([]Finding, Summary, error) {
	return e.CheckDecoded(ctx, nil, objects, tf)
}

// CheckDecoded is Check reading the objects' documents from decoded, the
// split and decode of a render every check of it reads (nil: split and
// decode them here).
func (e *Engine) CheckDecoded(ctx context.Context, decoded *manifest.Set, objects, tf []workspace.File) ([]Finding, Summary, error) {
	sum := Summary{KyvernoPolicies: len(e.kyverno), CELPolicies: len(e.cel), RegoFiles: e.rego.Files(), BuiltinRules: len(Builtin)}
	var all []Object
	var findings []Finding
	for _, f := range objects {
		objs, err := decodeFile(decoded.File(f.Path, f.Content))
		if err != nil {
			continue // the schema check reports unreadable YAML
		}
		if ns := e.ns[f.Path]; ns != "" && ns != "default" {
			for i := range objs {
				objs[i].Content = placeIn(objs[i].Content, ns)
			}
		}
		all = append(all, objs...)
	}
	sum.Objects = len(all)
	findings = append(findings, e.builtin(all, objects)...)
	cluster := e.cluster(all)
	for _, o := range all {
		cf, nc := e.checkCEL(o, cluster)
		findings = append(findings, cf...)
		sum.NeedsCluster += nc
		for _, p := range e.kyverno {
			for _, r := range p.ApplyIn(o.Content, cluster) {
				if r.Status != StatusFail && r.Status != StatusError && r.Status != StatusNeedsCluster && r.Status != StatusWarn {
					continue
				}
				sev := e.cfg.KyvernoSeverity
				if sev == "" {
					sev = Error
					if !strings.EqualFold(p.action, "Enforce") {
						sev = Warning
					}
				}
				msg := r.Message
				if r.Status == StatusError {
					sev, msg = Warning, "not evaluated offline: "+r.Message
				}
				if r.Status == StatusNeedsCluster {
					sum.NeedsCluster++
					sev = Warning
				}
				if r.Status == StatusWarn {
					sev = Warning
				}
				findings = append(findings, Finding{File: o.File, Line: o.Line, Resource: resourceName(o.Content),
					Path: o.at(r.Path), Rule: "kyverno/" + p.Name + "/" + r.Rule, Severity: sev, Message: msg})
			}
		}
		rf, err := e.rego.Eval(ctx, o.Content)
		if err != nil {
			return nil, sum, err
		}
		for _, f := range rf {
			f.File, f.Line, f.Resource, f.Path = o.File, o.Line, resourceName(o.Content), o.at(f.Path)
			findings = append(findings, f)
		}
	}
	var tfFiles []workspace.File
	for _, f := range tf {
		if strings.HasSuffix(f.Path, ".tf") {
			tfFiles = append(tfFiles, f)
		}
	}
	if len(tfFiles) > 0 {
		sum.TerraformFiles = len(tfFiles)
		m := terraform.Parse(tfFiles)
		for _, f := range tfFiles {
			in, err := m.Input(f.Path)
			if err != nil {
				continue // the terraform check reports files that do not parse
			}
			findings = append(findings, e.terraformRules(f.Path, in)...)
			rf, err := e.rego.Eval(ctx, in)
			if err != nil {
				return nil, sum, err
			}
			for _, x := range rf {
				x.File = f.Path
				findings = append(findings, x)
			}
		}
		findings = append(findings, e.credentials(tfFiles)...)
	}
	sort.SliceStable(findings, func(i, j int) bool {
		if findings[i].File != findings[j].File {
			return findings[i].File < findings[j].File
		}
		return findings[i].Line < findings[j].Line
	})
	return findings, sum, nil
}

// placeIn returns obj put in ns when it names no namespace and its kind
// is one of Kubernetes' namespaced kinds; a kind aiden does not know to be
// namespaced (a custom resource, a cluster-scoped kind) is left as it is.
// obj itself is not changed (other checks may read it): the object placed
// is a copy of its top level and metadata.
func placeIn(obj map[string]any, ns string) map[string]any {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = "" // the core group: "v1"
	}
	if _, has := objectName(obj); has != "" || !namespacedKinds[group+"/"+kind] {
		return obj
	}
	placed := maps.Clone(obj)
	md, ok := obj["metadata"].(map[string]any)
	if ok {
		md = maps.Clone(md)
	} else {
		md = map[string]any{}
	}
	md["namespace"] = ns
	placed["metadata"] = md
	return placed
}

// namespacedKinds are Kubernetes' built-in namespaced kinds, by group and
// kind, that a chart may render.
var namespacedKinds = map[string]bool{
	"/Pod": true, "/Service": true, "/ConfigMap": true, "/Secret": true, "/ServiceAccount": true,
	"/PersistentVolumeClaim": true, "/Endpoints": true, "/Event": true, "/LimitRange": true,
	"/ResourceQuota": true, "/ReplicationController": true, "/PodTemplate": true,
	"apps/Deployment": true, "apps/StatefulSet": true, "apps/DaemonSet": true, "apps/ReplicaSet": true,
	"apps/ControllerRevision": true, "batch/Job": true, "batch/CronJob": true,
	"autoscaling/HorizontalPodAutoscaler": true, "policy/PodDisruptionBudget": true,
	"networking.k8s.io/Ingress": true, "networking.k8s.io/NetworkPolicy": true,
	"rbac.authorization.k8s.io/Role": true, "rbac.authorization.k8s.io/RoleBinding": true,
	"coordination.k8s.io/Lease": true, "discovery.k8s.io/EndpointSlice": true, "events.k8s.io/Event": true,
	"storage.k8s.io/CSIStorageCapacity": true, "resource.k8s.io/ResourceClaim": true,
	"resource.k8s.io/ResourceClaimTemplate": true,
}

func resourceName(obj map[string]any) string {
	kind, _ := obj["kind"].(string)
	name, ns := objectName(obj)
	if ns != "" {
		return kind + "/" + ns + "/" + name
	}
	return kind + "/" + name
}
