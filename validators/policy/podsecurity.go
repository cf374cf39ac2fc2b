package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/kyverno/kyverno/ext/wildcard"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "k8s.io/apimachinery/pkg/util/json"
	psaapi "k8s.io/pod-security-admission/api"
	psa "k8s.io/pod-security-admission/policy"
)

// pssCheck is one Pod Security Standards control, evaluated by the
// Kubernetes pod-security-admission library (the reference implementation).
type pssCheck struct {
	id       psa.CheckID
	level    psaapi.Level
	versions []psa.VersionedCheck // oldest first
}

var pssChecks = sync.OnceValue(func() []pssCheck {
	var out []pssCheck
	for _, c := range psa.DefaultChecks() {
		out = append(out, pssCheck{id: c.ID, level: c.Level, versions: c.Versions})
	}
	return out
})

// overridesAt returns the checks that the version of c run at lv replaces
// (a restricted check's stricter form of a baseline one, from the policy
// version that introduced it on): at an older lv the baseline check still
// runs, as in pod-security-admission's evaluator.
func (c pssCheck) overridesAt(lv psaapi.LevelVersion) []psa.CheckID {
	vc, ok := c.version(lv)
	if !ok {
		return nil
	}
	return vc.OverrideCheckIDs
}

// evaluate runs the check as the pod-security-admission evaluator of this
// one check would (psa.NewEvaluator builds a table of every policy version
// for it, which took milliseconds per process): nothing at the privileged
// level, nor for a restricted check at the baseline level; otherwise the
// check's version with the newest minimum version not newer than lv's (a
// newer or "latest" lv gets the check's newest), none when lv predates
// the check.
func (c pssCheck) evaluate(lv psaapi.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []psa.CheckResult {
	vc, ok := c.version(lv)
	if !ok {
		return nil
	}
	return []psa.CheckResult{vc.CheckPod(meta, spec)}
}

// version returns the version of the check evaluate runs at lv; ok is
// false when it runs none.
func (c pssCheck) version(lv psaapi.LevelVersion) (vc psa.VersionedCheck, ok bool) {
	if lv.Level == psaapi.LevelPrivileged || lv.Level == psaapi.LevelBaseline && c.level == psaapi.LevelRestricted {
		return vc, false
	}
	for i := len(c.versions) - 1; i >= 0; i-- {
		if !lv.Version.Older(c.versions[i].MinimumVersion) {
			return c.versions[i], true
		}
	}
	return vc, false
}

// pssControls maps the control names of the Pod Security Standards (as
// Kyverno's podSecurity exclusions spell them) to check ids.
var pssControls = map[string][]psa.CheckID{
	"HostProcess":                       {"windowsHostProcess"},
	"Host Namespaces":                   {"hostNamespaces"},
	"Privileged Containers":             {"privileged"},
	"Capabilities":                      {"capabilities_baseline", "capabilities_restricted"},
	"HostPath Volumes":                  {"hostPathVolumes"},
	"Host Ports":                        {"hostPorts"},
	"Host Probes / Lifecycle Hooks":     {"hostProbesAndHostLifecycle"},
	"AppArmor":                          {"appArmorProfile"},
	"SELinux":                           {"seLinuxOptions"},
	"/proc Mount Type":                  {"procMount", "procMount_restricted"},
	"Seccomp":                           {"seccompProfile_baseline", "seccompProfile_restricted"},
	"Sysctls":                           {"sysctls"},
	"Volume Types":                      {"restrictedVolumes"},
	"Privilege Escalation":              {"allowPrivilegeEscalation"},
	"Running as Non-root":               {"runAsNonRoot"},
	"Running as Non-root user":          {"runAsUser"},
	"Running as Non-root user (v1.23+)": {"runAsUser"},
}

// pssViolation is one failed control.
type pssViolation struct {
	ID      psa.CheckID
	Reason  string
	Details string
	// Paths are JSON pointers, through the object as written, to the
	// fields that break the control, in the order Details names them
	// (pssFields); a field whose absence breaks it is given by its closest
	// parent in the object. Never empty: the pod spec when no field is
	// found.
	Paths []string
}

// podOf extracts the pod metadata and spec of a Pod or a Pod controller.
func podOf(obj map[string]any) (*metav1.ObjectMeta, *corev1.PodSpec, string, bool) {
	var tmpl map[string]any
	prefix := ""
	switch obj["kind"] {
	case "Pod":
		tmpl = obj
	case "CronJob":
		tmpl, _, _ = unstructured.NestedMap(obj, "spec", "jobTemplate", "spec", "template")
		prefix = "/spec/jobTemplate/spec/template"
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
		tmpl, _, _ = unstructured.NestedMap(obj, "spec", "template")
		prefix = "/spec/template"
	default:
		return nil, nil, "", false
	}
	if tmpl == nil {
		return nil, nil, "", false
	}
	var pod corev1.Pod
	if m, ok := tmpl["metadata"].(map[string]any); ok {
		_ = fromUnstructured(m, &pod.ObjectMeta)
	}
	if s, ok := tmpl["spec"].(map[string]any); ok {
		if err := fromUnstructured(s, &pod.Spec); err != nil {
			return nil, nil, "", false
		}
	}
	return &pod.ObjectMeta, &pod.Spec, prefix, true
}

// fromUnstructured decodes a decoded YAML or JSON value into an API type
// through JSON, as the API server does: field names are matched case-
// sensitively and integers kept (k8s.io/apimachinery/pkg/util/json).
// runtime.DefaultUnstructuredConverter decodes the same, but builds its
// reflection data for every type reachable from PodSpec on first use,
// 15–25 ms of a short CLI run.
func fromUnstructured(v map[string]any, into any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return kjson.Unmarshal(js, into)
}

// evaluatePSS returns the controls a pod violates at a level and version,
// with the fields of obj (the object as written, the pod template at
// prefix in it) that break each.
func evaluatePSS(obj map[string]any, prefix string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, lv psaapi.LevelVersion) []pssViolation {
	overridden := map[psa.CheckID]bool{}
	for _, c := range pssChecks() {
		if lv.Level == psaapi.LevelRestricted && c.level == psaapi.LevelRestricted {
			for _, o := range c.overridesAt(lv) {
				overridden[o] = true
			}
		}
	}
	var out []pssViolation
	for _, c := range pssChecks() {
		if overridden[c.id] {
			continue
		}
		vc, ok := c.version(lv)
		if !ok {
			continue
		}
		r := psa.AggregateCheckResults([]psa.CheckResult{vc.CheckPod(meta, spec)})
		if !r.Allowed {
			d := r.ForbiddenDetail()
			if d == "" {
				d = r.ForbiddenReason()
			}
			v := pssViolation{ID: c.id, Reason: r.ForbiddenReason(), Details: d}
			for _, p := range pssFields(c.id, vc, meta, spec) {
				v.Paths = appendNew(v.Paths, pointIn(obj, prefix+p))
			}
			if len(v.Paths) == 0 {
				v.Paths = []string{pointIn(obj, prefix+"/spec")}
			}
			out = append(out, v)
		}
	}
	return out
}

// appendNew appends p to ps unless ps holds it.
func appendNew(ps []string, p string) []string {
	for _, q := range ps {
		if q == p {
			return ps
		}
	}
	return append(ps, p)
}

func checkByID(id psa.CheckID) *pssCheck {
	checks := pssChecks()
	for i := range checks {
		if checks[i].id == id {
			return &checks[i]
		}
	}
	return nil
}

// evalPodSecurity evaluates a Kyverno podSecurity subrule. An exclusion
// names a control and, optionally, images: the control is then ignored for
// containers running those images.
func evalPodSecurity(ps *kyPodSecurity, obj map[string]any) RuleResult {
	meta, spec, prefix, ok := podOf(obj)
	if !ok {
		return RuleResult{Status: StatusSkip, Message: "not a pod or pod controller"}
	}
	version := psaapi.LatestVersion()
	if ps.Version != "" && ps.Version != "latest" {
		v, err := psaapi.ParseVersion(ps.Version)
		if err != nil {
			return RuleResult{Status: StatusError, Message: err.Error()}
		}
		version = v
	}
	lv := psaapi.LevelVersion{Level: psaapi.Level(ps.Level), Version: version}
	var left []string
	path := ""
	for _, v := range evaluatePSS(obj, prefix, meta, spec, lv) {
		if excluded(v.ID, ps.Exclude, meta, spec, lv) {
			continue
		}
		left = append(left, v.Details)
		if path == "" {
			path = notExcluded(v, ps.Exclude, spec, prefix)[0]
		}
	}
	if len(left) == 0 {
		return RuleResult{Status: StatusPass, Message: "pod security standards met"}
	}
	return RuleResult{Status: StatusFail, Path: path,
		Message: fmt.Sprintf("Validation rule failed: pod security %s:%s: %s", lv.Level, ps.Version, strings.Join(left, "; "))}
}

func excluded(id psa.CheckID, excludes []kyPSSExclusion, meta *metav1.ObjectMeta, spec *corev1.PodSpec, lv psaapi.LevelVersion) bool {
	for _, x := range excludes {
		ids := pssControls[x.ControlName]
		hit := false
		for _, i := range ids {
			if i == id {
				hit = true
			}
		}
		if !hit {
			continue
		}
		if len(x.Images) == 0 {
			if len(x.RestrictedField) == 0 {
				return true
			}
			continue
		}
		// Re-evaluate the control without the containers the exclusion covers.
		c := checkByID(id)
		if c == nil {
			continue
		}
		s := spec.DeepCopy()
		s.Containers = keepContainers(s.Containers, x.Images)
		s.InitContainers = keepContainers(s.InitContainers, x.Images)
		var eph []corev1.EphemeralContainer
		for _, e := range s.EphemeralContainers {
			if !imageIn(e.Image, x.Images) {
				eph = append(eph, e)
			}
		}
		s.EphemeralContainers = eph
		if psa.AggregateCheckResults(c.evaluate(lv, meta, s)).Allowed {
			return true
		}
	}
	return false
}

// notExcluded returns the paths of v outside the containers whose images
// an exclusion of v's control names (those containers break it too, but
// the exclusion lets them); all of them when that leaves none.
func notExcluded(v pssViolation, excludes []kyPSSExclusion, spec *corev1.PodSpec, prefix string) []string {
	var images []string
	for _, x := range excludes {
		for _, id := range pssControls[x.ControlName] {
			if id == v.ID {
				images = append(images, x.Images...)
			}
		}
	}
	if len(images) == 0 {
		return v.Paths
	}
	var skip []string
	for _, pc := range podContainers(spec) {
		if imageIn(pc.c.Image, images) {
			skip = append(skip, prefix+pc.path)
		}
	}
	var out []string
	for _, p := range v.Paths {
		under := false
		for _, s := range skip {
			under = under || p == s || strings.HasPrefix(p, s+"/")
		}
		if !under {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return v.Paths
	}
	return out
}

func keepContainers(cs []corev1.Container, images []string) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		if !imageIn(c.Image, images) {
			out = append(out, c)
		}
	}
	return out
}

func imageIn(image string, patterns []string) bool {
	for _, p := range patterns {
		if wildcard.Match(p, image) {
			return true
		}
	}
	return false
}
