package action

import (
	"slices"
	"strings"

	"github.com/stackgen/aiden/validators/policy"
)

// Rule explains one rule id a finding can carry: what it checks, why it
// matters and how to fix a finding of it.
type Rule struct {
	// ID is the rule id, or for a family the prefix ("kyverno/").
	ID string `json:"id"`
	// Check is the check that reports it (render, lint, schema, policy,
	// conventions, terraform, redaction, ...).
	Check string `json:"check"`
	// Summary says in one line what the rule asks for.
	Summary string `json:"summary"`
	// Why says why it matters.
	Why string `json:"why"`
	// Fix says how to fix a finding of it.
	Fix string `json:"fix"`
	// Docs names the page of the repository that documents it.
	Docs string `json:"docs"`
}

// Explain returns the rule a finding's rule id names: a rule of the
// built-in policy pack, a conventions or schema rule, a Terraform check,
// or a Kyverno or Rego rule of the repository's policies (by family). ok
// is false for an id no check emits.
func Explain(id string) (Rule, bool) {
	id = strings.TrimSpace(id)
	for _, r := range rules {
		if r.ID == id && !strings.HasSuffix(id, "/") {
			return r, true
		}
	}
	for _, r := range rules {
		if strings.HasSuffix(r.ID, "/") && strings.HasPrefix(id, r.ID) && len(id) > len(r.ID) {
			r.ID = id
			return r, true
		}
	}
	for _, b := range policy.Builtin {
		if b.ID == id {
			return builtinRule(b), true
		}
	}
	return Rule{}, false
}

// Rules returns every rule and rule family Explain knows, built-in policy
// rules included, sorted by id.
func Rules() []Rule {
	out := slices.Clone(rules)
	for _, b := range policy.Builtin {
		out = append(out, builtinRule(b))
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func builtinRule(b policy.BuiltinRule) Rule {
	e := builtinWhy[b.ID]
	return Rule{ID: b.ID, Check: "policy", Summary: b.Summary + " (built-in, " + string(b.Severity) + " by default)",
		Why: e[0], Fix: e[1], Docs: "docs/policies.md#" + b.ID}
}

// builtinWhy holds why each built-in policy rule matters and how to fix it
// (docs/policies.md says the same at length).
var builtinWhy = map[string][2]string{
	"pss-baseline": {"The baseline Pod Security Standard forbids the known privilege escalations (privileged containers, host namespaces, hostPath volumes, host ports, added capabilities, unsafe sysctls); a namespace enforcing baseline rejects such pods at admission.",
		"Remove the field the message names (privileged: true, hostNetwork, the hostPath volume, ...)."},
	"pss-restricted": {"The restricted Pod Security Standard is the hardening best practice: non-root, no privilege escalation, all capabilities dropped, a RuntimeDefault seccomp profile.",
		"Set the pod and container securityContext as the message says: runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault."},
	"resources": {"Without requests the scheduler packs pods blindly and they are evicted first; without a memory limit one leak takes the node's memory.",
		"Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container and init container."},
	"probes": {"Without a liveness probe a hung process keeps its pod; without a readiness probe traffic reaches it before it is ready and during shutdown.",
		"Add a livenessProbe and a readinessProbe (HTTP, TCP or exec) to each long-running container."},
	"image-tag": {"With :latest or no tag the image changes under the same manifest: rollbacks and audits cannot tell what ran.",
		"Pin a version tag, or better a digest (@sha256:...)."},
	"secret-plaintext": {"A Secret's data is base64, not encryption; committed to Git it is a leaked credential.",
		"Commit a SealedSecret or an ExternalSecret instead and reference the resulting Secret by name."},
	"credential-literal": {"A password, token or key written as a literal (env value, ConfigMap, chart values, HCL) leaks with the repository.",
		"Use valueFrom.secretKeyRef to a SealedSecret or ExternalSecret, or a Terraform variable marked sensitive fed from a secret store."},
	"statefulset-pvc-retention": {"whenDeleted or whenScaled: Delete deletes the claims, and usually the data, when the StatefulSet is deleted or scaled down.",
		"Use Retain (the default: omit persistentVolumeClaimRetentionPolicy)."},
	"pdb": {"A workload with more than one replica exists to stay up; without a PodDisruptionBudget a node drain can evict every replica at once.",
		"Add a PodDisruptionBudget (minAvailable or maxUnavailable) whose selector matches the pod labels, in the same chart or folder."},
	"default-namespace": {"The default namespace mixes unrelated workloads and cannot carry its own quotas, policies or RBAC.",
		"Name the application's namespace (or leave it unset so the release or Kustomize namespace applies)."},
	"tf-public-bucket": {"Public buckets are the most common cloud data leak.",
		"Use a private ACL and a public access block with all four settings true; serve public content through a CDN or signed URLs."},
	"tf-unencrypted-storage": {"Unencrypted volumes and databases leak through snapshots and decommissioned disks, and fail most compliance regimes.",
		"Set encrypted = true or storage_encrypted = true (optionally with a KMS key)."},
	"tf-admin-port-open": {"SSH (22) and RDP (3389) open to the internet are brute-forced within minutes.",
		"Restrict the source CIDR to a VPN or office range, or use a bastion, SSM Session Manager or IAP."},
	"policy-exception": {"An exception must say why, for the reviewer and the next reader.",
		"Put the reason in the exception.policy.stackgen.io/<rule> annotation's value."},
}

// rules are the rules that are not in the built-in policy pack. An id
// ending in "/" is a family: every id with that prefix.
var rules = []Rule{
	{ID: "render", Check: "render", Summary: "the Helm chart renders (helm template) with its values",
		Why: "A chart that does not render cannot be installed: Flux or Argo CD stop at it and nothing of the app is deployed.",
		Fix: "Fix the template or value the message names (a missing value, a bad function call, a Chart.yaml field); run aiden validate on the chart folder to see it again.", Docs: "README.md"},
	{ID: "lint", Check: "lint", Summary: "the Helm chart passes helm lint",
		Why: "helm lint catches chart metadata and template mistakes that render but break installs, upgrades or chart repositories.",
		Fix: "Do what the lint message asks (for example add the icon field to Chart.yaml); info-level lint findings never fail the gate.", Docs: "README.md"},
	{ID: "schema", Check: "schema", Summary: "every Kubernetes object is valid against its schema (kubeconform, strict)",
		Why: "The API server rejects an object with a wrong type or an unknown field, so the sync fails; strict mode also catches misspelt fields that would be silently dropped.",
		Fix: "Correct the field at the JSON path the finding names; for a custom resource without a schema, add its CRD to the repository or pass --schema-location.", Docs: "README.md"},
	{ID: "schema-crd", Check: "schema", Summary: "a CustomResourceDefinition in the repository differs from the schema aiden ships for the same kind and version (info)",
		Why: "The repository's CRD is what its objects are validated against, ahead of the shipped catalogue; a difference usually means the cluster runs another release of the project than the one the catalogue was made from.",
		Fix: "Nothing to fix when the repository's CRD is the one the cluster runs; otherwise update the CRD in the repository to the release the cluster has. `aiden schemas show KIND` says which release aiden ships.", Docs: "docs/crds.md"},
	{ID: "yaml", Check: "schema", Summary: "every file parses as YAML and each document is a Kubernetes object with apiVersion and kind",
		Why: "A file that does not parse, or an object without kind, is never applied; the rest of the folder may still sync and hide the gap.",
		Fix: "Fix the YAML syntax at the line named, and give each document apiVersion and kind.", Docs: "README.md"},
	{ID: "kustomize", Check: "kustomize", Summary: "every Kustomize overlay builds (kustomize build) over the repository",
		Why: "An overlay that does not build is skipped by Flux and Argo CD: the environment keeps its old state.",
		Fix: "Fix the reference the message names (a missing base, Component or patch target); bases outside the paths given are read from the repository that holds them.", Docs: "docs/kustomize.md"},
	{ID: "input", Check: "input", Summary: "every file named is something aiden can check: a Kubernetes manifest, a chart, a kustomization or Terraform",
		Why: "A file named on the command line that no check reads would pass without being checked.",
		Fix: "Name the chart or Kustomize folder, a manifest, or a .tf file; files found while walking a folder that are none of these are skipped.", Docs: "README.md"},
	{ID: "output", Check: "generate", Summary: "a generated file lies inside the target folder and is a kind of file the format allows",
		Why: "A model's answer may name files outside the folder it was asked to write, or of the wrong kind; those are refused so a generation never touches the rest of the repository.",
		Fix: "Nothing to fix in the repository: the file was left out. Rephrase the intent or name the target folder if the file was needed.", Docs: "docs/models.md"},
	{ID: "config", Check: "conventions", Summary: "the generation config (.stackgen/generation-config.yaml) is valid",
		Why: "An invalid key or value in the generation config would make every generation and check in the repository use the wrong conventions.",
		Fix: "Correct the key at the line named; docs/generation-config.md lists every key and its values.", Docs: "docs/generation-config.md"},
	{ID: "conventions/naming", Check: "conventions", Summary: "object names follow the generation config's naming pattern",
		Why: "Names the team's conventions expect keep dashboards, alerts and RBAC rules that match on names working.",
		Fix: "Rename the object as the message says; generate fixes it in the files it writes (the finding is then marked fixed).", Docs: "docs/conventions.md"},
	{ID: "conventions/labels", Check: "conventions", Summary: "objects carry the labels the generation config requires",
		Why: "Required labels (team, cost centre, app) drive ownership, cost reports and selectors.",
		Fix: "Add the label with the value the message names, in the chart's values or the overlay's commonLabels.", Docs: "docs/conventions.md"},
	{ID: "conventions/annotations", Check: "conventions", Summary: "objects carry the annotations the generation config requires",
		Why: "Required annotations feed tools outside the cluster (owners, on-call, documentation links).",
		Fix: "Add the annotation the message names, in the chart's values or the overlay's commonAnnotations.", Docs: "docs/conventions.md"},
	{ID: "conventions/namespace", Check: "conventions", Summary: "objects live in the namespace the generation config gives the environment",
		Why: "A workload in the wrong namespace escapes the quotas, network policies and RBAC set up for its environment.",
		Fix: "Set the namespace the message names (the overlay's namespace: or the Flux HelmRelease's targetNamespace).", Docs: "docs/conventions.md"},
	{ID: "conventions/sources", Check: "conventions", Summary: "a chart comes from a HelmRepository the cluster already defines",
		Why: "A chart source the cluster does not know makes the HelmRelease fail to fetch; two sources for one repository drift apart.",
		Fix: "Point the HelmRelease's sourceRef at the cluster's existing HelmRepository the message names, or add one under the cluster's sources.", Docs: "docs/conventions.md"},
	{ID: "conventions/environment", Check: "conventions", Summary: "the environment is one the generation config knows",
		Why: "An environment the config does not list gets none of its namespace and label conventions.",
		Fix: "Use one of the config's environments, or add the environment to .stackgen/generation-config.yaml.", Docs: "docs/generation-config.md"},
	{ID: "hcl", Check: "terraform", Summary: "every Terraform file parses as HCL",
		Why: "terraform plan stops at the first file that does not parse.",
		Fix: "Fix the syntax at the line named.", Docs: "docs/terraform.md"},
	{ID: "terraform", Check: "terraform", Summary: "Terraform blocks are well formed: required arguments, known references, no duplicates",
		Why: "A reference to an undeclared variable or a duplicate block fails terraform validate and plan.",
		Fix: "Declare the variable or resource the message names, or remove the duplicate.", Docs: "docs/terraform.md"},
	{ID: "terraform-schema", Check: "terraform", Summary: "Terraform resources match their provider's schema",
		Why: "An unknown argument or a wrong type is rejected by the provider at plan time.",
		Fix: "Correct the argument the message names against the provider's documentation.", Docs: "docs/terraform.md"},
	{ID: "terraform-validate", Check: "terraform", Summary: "terraform (or tofu) validate accepts the module",
		Why: "It is the check terraform itself runs before every plan.",
		Fix: "Do what the diagnostic says.", Docs: "docs/terraform.md"},
	{ID: "terraform/too-deep", Check: "terraform", Summary: "Terraform nesting stays within what the parser is given",
		Why: "Input nested deeper than the bound is refused rather than risk exhausting the checker.",
		Fix: "Flatten the expression or block the message names.", Docs: "docs/security.md"},
	{ID: RuleCredentialRedacted, Check: "redaction", Summary: "a credential-looking literal that the generator wrote was replaced by <redacted:RULE>",
		Why: "Nothing that leaves aiden (the response, the patch, the record) may carry a credential, even one a model made up.",
		Fix: "Put the secret in a SealedSecret or ExternalSecret and reference it; the redacted placeholder must not be committed as is.", Docs: "docs/secrets.md"},
	{ID: RuleSecretWithheld, Check: "redaction", Summary: "the patch carries a file without a credential the workspace held in it",
		Why: "A patch may be posted to chat or stored; a credential already in your files is never copied into it.",
		Fix: "Nothing to fix for the patch; the credential itself should move to a secret store (see credential-literal).", Docs: "docs/secrets.md"},
	{ID: "kyverno/", Check: "policy", Summary: "a Kyverno policy of the repository's policies folder (kyverno/<policy>/<rule>; kyverno/<policy> for a CEL ValidatingPolicy)",
		Why: "The repository's own policies say what its cluster admits; a violation would be rejected at admission or flagged by the policy reports.",
		Fix: "Read the policy and rule the id names in the policies folder and do what its message asks.", Docs: "docs/policies.md#kyverno"},
	{ID: "vap/", Check: "policy", Summary: "a Kubernetes ValidatingAdmissionPolicy of the repository's policies folder (vap/<policy>/<binding>)",
		Why: "The API server itself evaluates these CEL expressions at admission; a failing validation with validationActions Deny is rejected.",
		Fix: "Read the policy's failing expression and message in the policies folder and change the object so that it holds.", Docs: "docs/policies.md#cel-policies"},
	{ID: "rego/", Check: "policy", Summary: "a Rego (conftest) rule of the repository's policies folder (rego/<namespace>/<rule>)",
		Why: "The repository's own Rego policies encode its organisation's rules; deny and violation fail the gate, warn does not.",
		Fix: "Read the rule the id names in the policies folder and do what its message asks.", Docs: "docs/policies.md#rego"},
}
