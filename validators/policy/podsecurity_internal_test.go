package policy

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psa "k8s.io/pod-security-admission/policy"
)

// pssCheck.evaluate gives what the pod-security-admission evaluator of
// that one check gives, for every check, level and policy version (from
// 1.0 to one past the newest check, and latest), over pods that break
// each control and one that breaks none.
func TestPSSEvaluateMatchesEvaluator(t *testing.T) {
	pods, versions := pssTestPods(), pssTestVersions()
	meta := &metav1.ObjectMeta{Name: "p"}
	compared, forbidden := 0, 0
	for _, c := range pssChecks() {
		var check psa.Check
		for _, d := range psa.DefaultChecks() {
			if d.ID == c.id {
				check = d
			}
		}
		eval, err := psa.NewEvaluator([]psa.Check{check}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, spec := range pods {
			for _, level := range []psaapi.Level{psaapi.LevelPrivileged, psaapi.LevelBaseline, psaapi.LevelRestricted} {
				for _, v := range versions {
					lv := psaapi.LevelVersion{Level: level, Version: v}
					wantResult := psa.AggregateCheckResults(eval.EvaluatePod(lv, meta, &spec))
					want := fmt.Sprintf("%+v", wantResult)
					if !wantResult.Allowed {
						forbidden++
					}
					got := fmt.Sprintf("%+v", psa.AggregateCheckResults(c.evaluate(lv, meta, &spec)))
					if got != want {
						t.Errorf("%s, pod %s, %s: %s, the evaluator's %s", c.id, name, lv, got, want)
					}
					compared++
				}
			}
		}
	}
	t.Logf("%d checks, %d comparisons, %d forbidden", len(pssChecks()), compared, forbidden)
	if forbidden < compared/20 {
		t.Errorf("only %d of %d results forbid the pod: the pods break too little", forbidden, compared)
	}
}

// pssTestPods are pods that break each control (and some that break
// several, or none).
func pssTestPods() map[string]corev1.PodSpec {
	yes, no := true, false
	root := int64(0)
	unmasked := corev1.UnmaskedProcMount
	pods := map[string]corev1.PodSpec{
		"procMount": {Containers: []corev1.Container{{Name: "a", Image: "a", SecurityContext: &corev1.SecurityContext{ProcMount: &unmasked}}}},
		"sysadmin":  {Containers: []corev1.Container{{Name: "a", Image: "a", SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}}}},
		"clean": {Containers: []corev1.Container{{Name: "a", Image: "a", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no, RunAsNonRoot: &yes,
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}}}},
		"bare":       {Containers: []corev1.Container{{Name: "a", Image: "a"}}},
		"privileged": {Containers: []corev1.Container{{Name: "a", Image: "a", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}},
		"host":       {HostNetwork: true, HostPID: true, HostIPC: true, Containers: []corev1.Container{{Name: "a", Image: "a", Ports: []corev1.ContainerPort{{HostPort: 80, ContainerPort: 80}}}}},
		"root":       {SecurityContext: &corev1.PodSecurityContext{RunAsUser: &root}, Containers: []corev1.Container{{Name: "a", Image: "a", SecurityContext: &corev1.SecurityContext{RunAsUser: &root, Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_ADMIN"}}}}}},
		"volumes":    {Volumes: []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}, Containers: []corev1.Container{{Name: "a", Image: "a"}}},
		"sysctls":    {SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "kernel.msgmax", Value: "1"}}, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}, Containers: []corev1.Container{{Name: "a", Image: "a"}}},
	}
	return pods
}

// pssTestVersions are the policy versions from 1.0 to one past the
// newest check's, and latest.
func pssTestVersions() []psaapi.Version {
	newest := psaapi.MajorMinorVersion(1, 0)
	for _, c := range pssChecks() {
		if v := c.versions[len(c.versions)-1].MinimumVersion; newest.Older(v) {
			newest = v
		}
	}
	versions := []psaapi.Version{psaapi.LatestVersion()}
	for minor := 0; minor <= newest.Minor()+1; minor++ {
		versions = append(versions, psaapi.MajorMinorVersion(1, minor))
	}
	return versions
}

// evaluatePSS fails a pod on exactly the controls pod-security-admission's
// evaluator of every check fails it on, with the same reasons and details,
// at every level and policy version: a restricted check replaces a
// baseline one only from the version that made it do so.
func TestEvaluatePSSMatchesEvaluator(t *testing.T) {
	eval, err := psa.NewEvaluator(psa.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	meta := &metav1.ObjectMeta{Name: "p", Annotations: map[string]string{"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
	compared, forbidden := 0, 0
	for name, spec := range pssTestPods() {
		for _, m := range []*metav1.ObjectMeta{{Name: "p"}, meta} {
			for _, level := range []psaapi.Level{psaapi.LevelPrivileged, psaapi.LevelBaseline, psaapi.LevelRestricted} {
				for _, v := range pssTestVersions() {
					lv := psaapi.LevelVersion{Level: level, Version: v}
					var want []string
					for _, r := range eval.EvaluatePod(lv, m, &spec) {
						if !r.Allowed {
							agg := psa.AggregateCheckResults([]psa.CheckResult{r}) // as evaluatePSS words it
							want = append(want, agg.ForbiddenReason()+": "+cmp.Or(agg.ForbiddenDetail(), agg.ForbiddenReason()))
						}
					}
					var got []string
					obj := map[string]any{"kind": "Pod", "spec": map[string]any{}}
					for _, x := range evaluatePSS(obj, "", m, &spec, lv) {
						got = append(got, x.Reason+": "+x.Details)
					}
					slices.Sort(want)
					slices.Sort(got)
					if !slices.Equal(got, want) {
						t.Errorf("pod %s (annotations %v), %s:\n got %q\nwant %q", name, m.Annotations, lv, got, want)
					}
					compared++
					if len(want) > 0 {
						forbidden++
					}
				}
			}
		}
	}
	t.Logf("%d comparisons, %d forbidding", compared, forbidden)
	if forbidden < compared/4 {
		t.Errorf("only %d of %d evaluations forbid the pod", forbidden, compared)
	}
}
