package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psa "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/stackgen/aiden/validators/yamlpos"
	"github.com/stackgen/aiden/workspace"
)

// aConfigMap comes before the object under test in every file, so that
// lines are counted in a multi-document file.
const aConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata:\n  a: b\n---\n"

// markedLine returns the line of content that ends with the marker "#<".
func markedLine(t *testing.T, content string) int {
	t.Helper()
	for i, l := range strings.Split(content, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "#<") {
			return i + 1
		}
	}
	t.Fatal("no line is marked #<")
	return 0
}

// deploy wraps a pod spec (indented for a Deployment's template spec) in
// a Deployment.
func deploy(podSpec string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n" + podSpec
}

// Each Pod Security check gives the pointers of the fields that break it,
// through the object as written, and the first of them is on the marked
// line of a multi-document file.
func TestPSSFieldPaths(t *testing.T) {
	const tpl = "/spec/template/spec"
	for _, tc := range []struct {
		name     string
		id       psa.CheckID
		level    psaapi.Level
		version  string // default latest
		manifest string
		want     []string
	}{
		{name: "allowPrivilegeEscalation set and missing", id: "allowPrivilegeEscalation", level: psaapi.LevelRestricted, manifest: deploy(`      initContainers:
      - name: init
        image: busybox:1.36
        securityContext:
          allowPrivilegeEscalation: true #<
      containers:
      - name: a
        image: nginx:1.27
        securityContext: {allowPrivilegeEscalation: false}
      - name: b
        image: nginx:1.27
`), want: []string{tpl + "/initContainers/0/securityContext/allowPrivilegeEscalation", tpl + "/containers/1"}},
		{name: "allowPrivilegeEscalation missing from a securityContext", id: "allowPrivilegeEscalation", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext: #<
          runAsNonRoot: true
`), want: []string{tpl + "/containers/0/securityContext"}},
		{name: "appArmorProfile", id: "appArmorProfile", level: psaapi.LevelBaseline, manifest: deploy(`      securityContext:
        appArmorProfile:
          type: Unconfined #<
      containers:
      - name: a
        image: nginx:1.27
`) + "", want: []string{tpl + "/securityContext/appArmorProfile/type"}},
		{name: "appArmor annotation", id: "appArmorProfile", level: psaapi.LevelBaseline, manifest: `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: x
  annotations:
    container.apparmor.security.beta.kubernetes.io/a: unconfined #<
spec:
  containers:
  - name: a
    image: nginx:1.27
`, want: []string{"/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1a"}},
		{name: "capabilities_baseline", id: "capabilities_baseline", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          capabilities:
            add:
            - NET_BIND_SERVICE
            - SYS_ADMIN #<
`), want: []string{tpl + "/containers/0/securityContext/capabilities/add/1"}},
		{name: "capabilities_restricted", id: "capabilities_restricted", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          capabilities: #<
            add: [NET_ADMIN]
      - name: b
        image: nginx:1.27
        securityContext:
          capabilities:
            drop: [NET_RAW]
`), want: []string{tpl + "/containers/0/securityContext/capabilities", tpl + "/containers/1/securityContext/capabilities/drop", tpl + "/containers/0/securityContext/capabilities/add/0"}},
		{name: "hostNamespaces", id: "hostNamespaces", level: psaapi.LevelBaseline, manifest: deploy(`      hostPID: true
      hostNetwork: true #<
      containers:
      - name: a
        image: nginx:1.27
`), want: []string{tpl + "/hostNetwork", tpl + "/hostPID"}},
		{name: "hostPathVolumes", id: "hostPathVolumes", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
      volumes:
      - name: tmp
        emptyDir: {}
      - name: root
        hostPath: #<
          path: /
`), want: []string{tpl + "/volumes/1/hostPath"}},
		{name: "hostPorts", id: "hostPorts", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        ports:
        - containerPort: 80
        - containerPort: 443
          hostPort: 443 #<
`), want: []string{tpl + "/containers/0/ports/1/hostPort"}},
		{name: "hostProbesAndHostLifecycle", id: "hostProbesAndHostLifecycle", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        readinessProbe:
          httpGet:
            host: 10.0.0.1 #<
            port: 80
        lifecycle:
          preStop:
            tcpSocket: {host: 10.0.0.2, port: 80}
`), want: []string{tpl + "/containers/0/readinessProbe/httpGet/host", tpl + "/containers/0/lifecycle/preStop/tcpSocket/host"}},
		{name: "privileged in a CronJob", id: "privileged", level: psaapi.LevelBaseline, manifest: `apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: x}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: a
            image: busybox:1.36
            securityContext:
              privileged: true #<
`, want: []string{"/spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged"}},
		{name: "procMount", id: "procMount", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          procMount: Unmasked #<
`), want: []string{tpl + "/containers/0/securityContext/procMount"}},
		{name: "procMount_restricted", id: "procMount_restricted", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
      ephemeralContainers:
      - name: debug
        image: busybox:1.36
        securityContext: {procMount: Unmasked} #<
`), want: []string{tpl + "/ephemeralContainers/0/securityContext/procMount"}},
		{name: "restrictedVolumes", id: "restrictedVolumes", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
      volumes:
      - name: tmp
        emptyDir: {}
      - name: share
        nfs: {server: nfs.example.com, path: /} #<
`), want: []string{tpl + "/volumes/1/nfs"}},
		{name: "runAsNonRoot missing", id: "runAsNonRoot", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a #<
        image: nginx:1.27
      - name: b
        image: nginx:1.27
        securityContext: {allowPrivilegeEscalation: false}
`), want: []string{tpl + "/containers/0", tpl + "/containers/1/securityContext"}},
		{name: "runAsNonRoot false", id: "runAsNonRoot", level: psaapi.LevelRestricted, manifest: deploy(`      securityContext:
        runAsNonRoot: false #<
      containers:
      - name: a
        image: nginx:1.27
`), want: []string{tpl + "/securityContext/runAsNonRoot"}},
		{name: "runAsUser", id: "runAsUser", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          runAsUser: 0 #<
`), want: []string{tpl + "/containers/0/securityContext/runAsUser"}},
		{name: "seLinuxOptions", id: "seLinuxOptions", level: psaapi.LevelBaseline, manifest: deploy(`      securityContext:
        seLinuxOptions:
          type: spc_t #<
          user: system_u
      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          seLinuxOptions: {type: container_engine_t}
`), want: []string{tpl + "/securityContext/seLinuxOptions/type", tpl + "/securityContext/seLinuxOptions/user"}},
		{name: "seLinuxOptions type allowed only from 1.31", id: "seLinuxOptions", level: psaapi.LevelBaseline, version: "v1.30", manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          seLinuxOptions: {type: container_engine_t} #<
`), want: []string{tpl + "/containers/0/securityContext/seLinuxOptions/type"}},
		{name: "seccompProfile_baseline", id: "seccompProfile_baseline", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          seccompProfile:
            type: Unconfined #<
`), want: []string{tpl + "/containers/0/securityContext/seccompProfile/type"}},
		{name: "seccompProfile_baseline annotations before 1.19", id: "seccompProfile_baseline", level: psaapi.LevelBaseline, version: "v1.18", manifest: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: x}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
        container.seccomp.security.alpha.kubernetes.io/a: unconfined #<
    spec:
      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          seccompProfile: {type: Unconfined}
`, want: []string{"/spec/template/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1a"}},
		{name: "seccompProfile_restricted missing", id: "seccompProfile_restricted", level: psaapi.LevelRestricted, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext: #<
          runAsNonRoot: true
`), want: []string{tpl + "/containers/0/securityContext"}},
		{name: "seccompProfile_restricted set at the pod", id: "seccompProfile_restricted", level: psaapi.LevelRestricted, manifest: deploy(`      securityContext:
        seccompProfile: {type: Unconfined} #<
      containers:
      - name: a
        image: nginx:1.27
`), want: []string{tpl + "/securityContext/seccompProfile/type"}},
		{name: "sysctls", id: "sysctls", level: psaapi.LevelBaseline, manifest: deploy(`      securityContext:
        sysctls:
        - {name: kernel.shm_rmid_forced, value: "0"}
        - {name: net.core.somaxconn, value: "1024"} #<
      containers:
      - name: a
        image: nginx:1.27
`), want: []string{tpl + "/securityContext/sysctls/1"}},
		{name: "windowsHostProcess", id: "windowsHostProcess", level: psaapi.LevelBaseline, manifest: deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          windowsOptions:
            hostProcess: true #<
`), want: []string{tpl + "/containers/0/securityContext/windowsOptions/hostProcess"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			content := aConfigMap + tc.manifest
			objs, err := DecodeObjects("m.yaml", []byte(content))
			if err != nil || len(objs) != 2 {
				t.Fatalf("decode: %d objects, %v", len(objs), err)
			}
			o := objs[1]
			meta, spec, prefix, ok := podOf(o.Content)
			if !ok {
				t.Fatal("not a pod")
			}
			version := psaapi.LatestVersion()
			if tc.version != "" {
				if version, err = psaapi.ParseVersion(tc.version); err != nil {
					t.Fatal(err)
				}
			}
			var got *pssViolation
			vs := evaluatePSS(o.Content, prefix, meta, spec, psaapi.LevelVersion{Level: tc.level, Version: version})
			for i := range vs {
				if vs[i].ID == tc.id {
					got = &vs[i]
				}
			}
			if got == nil {
				t.Fatalf("%s passes; violations: %+v", tc.id, vs)
			}
			if !slices.Equal(got.Paths, tc.want) {
				t.Errorf("paths\n %q, want\n %q", got.Paths, tc.want)
			}
			pos, ok := yamlpos.LocateIn([]byte(content), o.Line, got.Paths[0], "")
			if want := markedLine(t, content); !ok || pos.Line != want {
				t.Errorf("%s is on line %d (%v), want %d", got.Paths[0], pos.Line, ok, want)
			}
		})
	}
}

// The table above covers every check pod-security-admission runs.
func TestPSSFieldPathsCoverEveryCheck(t *testing.T) {
	src, err := os.ReadFile("podsecurityfields_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pssChecks() {
		if !strings.Contains(string(src), fmt.Sprintf("id: %q", c.id)) {
			t.Errorf("check %s has no case in TestPSSFieldPaths", c.id)
		}
	}
	if len(pssChecks()) != 19 {
		t.Errorf("%d checks, this test was written for 19: add cases for the new ones", len(pssChecks()))
	}
}

// The built-in pss rules report each failed control at its first field,
// through the object as written, in a file of several objects.
func TestBuiltinPSSFindingsPoint(t *testing.T) {
	content := aConfigMap + deploy(`      hostNetwork: true
      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          privileged: true
`) + "---\n" + `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
spec:
  containers:
  - name: a
    image: nginx:1.27
    securityContext:
      runAsUser: 0
`
	ctx := context.Background()
	eng, err := New(ctx, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := eng.Check(ctx, []workspace.File{{Path: "m.yaml", Content: []byte(content)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type at struct {
		rule, path string
		line       int
	}
	var got []at
	for _, f := range fs {
		if !strings.HasPrefix(f.Rule, "pss-") {
			continue
		}
		pos, ok := yamlpos.LocateIn([]byte(content), f.Line, f.Path, f.Message)
		if !ok {
			t.Fatalf("%s: no document at line %d", f.Path, f.Line)
		}
		got = append(got, at{f.Rule, f.Path, pos.Line})
	}
	want := []at{
		{"pss-baseline", "/spec/template/spec/hostNetwork", 16},
		{"pss-baseline", "/spec/template/spec/containers/0/securityContext/privileged", 21},
		{"pss-restricted", "/spec/template/spec/containers/0/securityContext", 20},
		{"pss-restricted", "/spec/template/spec/containers/0/securityContext", 20},
		{"pss-restricted", "/spec/template/spec/containers/0/securityContext", 20},
		{"pss-restricted", "/spec/template/spec/containers/0/securityContext", 20},
		{"pss-restricted", "/spec/containers/0/securityContext", 30},
		{"pss-restricted", "/spec/containers/0/securityContext", 30},
		{"pss-restricted", "/spec/containers/0/securityContext", 30},
		{"pss-restricted", "/spec/containers/0/securityContext", 30},
		{"pss-restricted", "/spec/containers/0/securityContext/runAsUser", 31},
	}
	sortAt := func(s []at) {
		slices.SortFunc(s, func(a, b at) int {
			return strings.Compare(fmt.Sprint(a.line, a.rule, a.path), fmt.Sprint(b.line, b.rule, b.path))
		})
	}
	sortAt(got)
	sortAt(want)
	if !slices.Equal(got, want) {
		t.Errorf("pss findings\n %v, want\n %v\n%v", got, want, fs)
	}
}

// A Kyverno podSecurity rule points at the first field its result names,
// outside the containers an exclusion lets break the control.
func TestKyvernoPodSecurityPath(t *testing.T) {
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(deploy(`      containers:
      - name: sidecar
        image: istio/proxyv2:1.24
        securityContext: {privileged: true}
      - name: app
        image: nginx:1.27
        securityContext: {privileged: true}
      volumes:
      - name: h
        hostPath: {path: /}
`)), &obj); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ps   kyPodSecurity
		want string
	}{
		{"first control", kyPodSecurity{Level: "baseline", Version: "latest"}, "/spec/template/spec/volumes/0/hostPath"},
		{"control excluded", kyPodSecurity{Level: "baseline", Version: "latest", Exclude: []kyPSSExclusion{{ControlName: "HostPath Volumes"}}},
			"/spec/template/spec/containers/0/securityContext/privileged"},
		{"container excluded by image", kyPodSecurity{Level: "baseline", Version: "latest", Exclude: []kyPSSExclusion{{ControlName: "HostPath Volumes"}, {ControlName: "Privileged Containers", Images: []string{"istio/*"}}}},
			"/spec/template/spec/containers/1/securityContext/privileged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := evalPodSecurity(&tc.ps, obj)
			if r.Status != StatusFail || r.Path != tc.want {
				t.Errorf("%s at %q (%s), want fail at %q", r.Status, r.Path, r.Message, tc.want)
			}
		})
	}
}

// The Kyverno podSecurity policies of the pod-security and best-practices
// folders, applied to every resource of those folders' tests (pods and pod
// controllers that break each control, as Kyverno's authors wrote them),
// give failing results that each point at a node of the object they are
// about, and at a field rather than at the pod spec.
func TestKyvernoCorpusPodSecurityPathsResolve(t *testing.T) {
	root := corpus(t, "kyverno-policies")
	var tests []string
	for _, folder := range []string{"pod-security", "best-practices"} {
		fs, err := FindKyvernoTests(filepath.Join(root, folder))
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, fs...)
	}
	var policies []*KyvernoPolicy
	var resources []string
	seen := map[string]bool{}
	for _, file := range tests {
		var kt struct {
			Policies  []string `json:"policies"`
			Resources []string `json:"resources"`
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(raw, &kt); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, r := range kt.Resources {
			if p := filepath.Join(filepath.Dir(file), r); !seen[p] {
				seen[p] = true
				resources = append(resources, p)
			}
		}
		for _, p := range kt.Policies {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(file), p))
			if err != nil {
				t.Fatal(err)
			}
			ps, err := ParseKyverno(p, b)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, pol := range ps {
				if slices.ContainsFunc(pol.Rules, func(r KyvernoRule) bool { return r.Validate != nil && r.Validate.PodSecurity != nil }) {
					policies = append(policies, pol)
				}
			}
		}
	}
	if len(policies) < 4 {
		t.Fatalf("%d podSecurity policies in the corpus, want the 4 of pod-security/subrule", len(policies))
	}
	results, atSpec, kinds := 0, 0, map[string]int{}
	for _, res := range resources {
		content, err := os.ReadFile(res)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := DecodeObjects(res, content)
		if err != nil {
			continue // some resource files are not Kubernetes objects (values, contexts)
		}
		docs := yamlpos.Documents(content)
		for _, o := range objs {
			for _, p := range policies {
				for _, r := range p.Apply(o.Content) {
					if r.Status != StatusFail || !strings.Contains(r.Message, "pod security") {
						continue
					}
					results++
					kinds[fmt.Sprint(o.Content["kind"])]++
					rel, _ := filepath.Rel(root, res)
					name := fmt.Sprintf("%s: %s/%s on %s", rel, p.Name, r.Rule, resourceName(o.Content))
					i := yamlpos.DocumentAt(docs, o.Line)
					if i < 0 {
						t.Fatalf("%s: no document at line %d", name, o.Line)
					}
					pos, found := yamlpos.Node(docs[i].Node, yamlpos.PointerSegments(r.Path, ""))
					if !strings.HasPrefix(r.Path, "/") || !found || pos.Line < o.Line {
						t.Errorf("%s: %q does not resolve (line %d, object at %d)", name, r.Path, pos.Line, o.Line)
					}
					if r.Path == "/spec" || r.Path == "/spec/template/spec" || r.Path == "/spec/jobTemplate/spec/template/spec" {
						atSpec++
						t.Errorf("%s: %s is the pod spec, not a field (%s)", name, r.Path, r.Message)
					}
				}
			}
		}
	}
	t.Logf("%d podSecurity policies, %d resource files, %d failing results (by kind %v), %d at a pod spec", len(policies), len(resources), results, kinds, atSpec)
	if results < 100 || len(kinds) < 3 {
		t.Errorf("only %d failing podSecurity results over %d kinds: the corpus was not read", results, len(kinds))
	}
}

// pssFields agrees with pod-security-admission's own verdicts and
// messages, for every version of every check, over pods of three
// containers (init, regular, ephemeral) where one container or the pod
// breaks a control: a check that fails gives at least one field, and a
// container or volume has a field exactly when the check's message names
// it.
func TestPSSFieldsAgreeWithTheChecks(t *testing.T) {
	yes, no, root := true, false, int64(0)
	unmasked := corev1.UnmaskedProcMount
	good := func() *corev1.SecurityContext {
		return &corev1.SecurityContext{AllowPrivilegeEscalation: &no, RunAsNonRoot: &yes,
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}}
	}
	base := func() corev1.PodSpec {
		return corev1.PodSpec{
			InitContainers:      []corev1.Container{{Name: "init-x", Image: "i", SecurityContext: good()}},
			Containers:          []corev1.Container{{Name: "main-y", Image: "m", SecurityContext: good()}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "eph-z", Image: "e", SecurityContext: good()}}},
			Volumes:             []corev1.Volume{{Name: "vol-cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}},
		}
	}
	containerBreaks := map[string]func(c *corev1.Container){
		"no securityContext":   func(c *corev1.Container) { c.SecurityContext = nil },
		"privileged":           func(c *corev1.Container) { c.SecurityContext.Privileged = &yes },
		"allowPrivEsc":         func(c *corev1.Container) { c.SecurityContext.AllowPrivilegeEscalation = &yes },
		"allowPrivEsc missing": func(c *corev1.Container) { c.SecurityContext.AllowPrivilegeEscalation = nil },
		"caps add": func(c *corev1.Container) {
			c.SecurityContext.Capabilities.Add = []corev1.Capability{"CHOWN", "SYS_ADMIN"}
		},
		"caps no drop":         func(c *corev1.Container) { c.SecurityContext.Capabilities.Drop = nil },
		"caps nil":             func(c *corev1.Container) { c.SecurityContext.Capabilities = nil },
		"procMount":            func(c *corev1.Container) { c.SecurityContext.ProcMount = &unmasked },
		"runAsNonRoot false":   func(c *corev1.Container) { c.SecurityContext.RunAsNonRoot = &no },
		"runAsNonRoot missing": func(c *corev1.Container) { c.SecurityContext.RunAsNonRoot = nil },
		"runAsUser 0":          func(c *corev1.Container) { c.SecurityContext.RunAsUser = &root },
		"selinux type":         func(c *corev1.Container) { c.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"} },
		"selinux engine type": func(c *corev1.Container) {
			c.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "container_engine_t"}
		},
		"selinux role":       func(c *corev1.Container) { c.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Role: "r"} },
		"seccomp unconfined": func(c *corev1.Container) { c.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined },
		"seccomp missing":    func(c *corev1.Container) { c.SecurityContext.SeccompProfile = nil },
		"apparmor": func(c *corev1.Container) {
			c.SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: "Unconfined"}
		},
		"hostProcess": func(c *corev1.Container) {
			c.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: &yes}
		},
		"hostPort": func(c *corev1.Container) {
			c.Ports = []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 81, HostPort: 81}}
		},
		"probe host": func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: "h"}}}
		},
		"lifecycle host": func(c *corev1.Container) {
			c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Host: "h"}}}
		},
	}
	podBreaks := map[string]func(m *metav1.ObjectMeta, s *corev1.PodSpec){
		"clean": func(*metav1.ObjectMeta, *corev1.PodSpec) {},
		"host":  func(_ *metav1.ObjectMeta, s *corev1.PodSpec) { s.HostIPC, s.HostPID = true, true },
		"sysctls": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.ipv4.ping_group_range"}, {Name: "kernel.msgmax"}}}
		},
		"pod selinux": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{SELinuxOptions: &corev1.SELinuxOptions{User: "u"}}
		},
		"pod seccomp": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: "Unconfined"}}
		},
		"pod apparmor": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: "Unconfined"}}
		},
		"pod nonroot": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &no}
		},
		"pod root": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{RunAsUser: &root}
		},
		"pod windows": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.SecurityContext = &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: &yes}}
		},
		"windows os": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.OS = &corev1.PodOS{Name: corev1.Windows}
			s.Containers[0].SecurityContext = nil
		},
		"user ns": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.HostUsers = &no
			s.Containers[0].SecurityContext.RunAsUser = &root
		},
		"volumes": func(_ *metav1.ObjectMeta, s *corev1.PodSpec) {
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "vol-h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{}}},
				corev1.Volume{Name: "vol-nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{}}}, corev1.Volume{Name: "vol-none"})
		},
		"annotations": func(m *metav1.ObjectMeta, _ *corev1.PodSpec) {
			m.Annotations = map[string]string{"seccomp.security.alpha.kubernetes.io/pod": "unconfined",
				"container.seccomp.security.alpha.kubernetes.io/main-y": "unconfined", "container.seccomp.security.alpha.kubernetes.io/gone": "unconfined",
				"container.apparmor.security.beta.kubernetes.io/init-x": "unconfined", "container.apparmor.security.beta.kubernetes.io/eph-z": "runtime/default"}
		},
	}
	type pod struct {
		name string
		meta metav1.ObjectMeta
		spec corev1.PodSpec
	}
	var pods []pod
	for name, f := range podBreaks {
		p := pod{name: name, spec: base()}
		f(&p.meta, &p.spec)
		pods = append(pods, p)
	}
	// The containers of base, by their pointers, written out here rather
	// than taken from podContainers, which is under test.
	containers := []struct {
		name, path string
		of         func(s *corev1.PodSpec) *corev1.Container
	}{
		{"init-x", "/spec/initContainers/0", func(s *corev1.PodSpec) *corev1.Container { return &s.InitContainers[0] }},
		{"main-y", "/spec/containers/0", func(s *corev1.PodSpec) *corev1.Container { return &s.Containers[0] }},
		{"eph-z", "/spec/ephemeralContainers/0", func(s *corev1.PodSpec) *corev1.Container {
			return (*corev1.Container)(&s.EphemeralContainers[0].EphemeralContainerCommon)
		}},
	}
	for name, f := range containerBreaks {
		for _, c := range containers {
			p := pod{name: name + " in " + c.name, spec: base()}
			f(c.of(&p.spec))
			pods = append(pods, p)
		}
	}
	failed := 0
	for _, c := range pssChecks() {
		for _, vc := range c.versions {
			for _, p := range pods {
				r := vc.CheckPod(&p.meta, &p.spec)
				if r.Allowed {
					continue
				}
				failed++
				where := fmt.Sprintf("%s %s, pod %s", c.id, vc.MinimumVersion, p.name)
				fields := pssFields(c.id, vc, &p.meta, &p.spec)
				if len(fields) == 0 {
					t.Errorf("%s: no field (%s)", where, r.ForbiddenDetail)
					continue
				}
				under := func(prefix string) bool {
					return slices.ContainsFunc(fields, func(f string) bool { return f == prefix || strings.HasPrefix(f, prefix+"/") })
				}
				for _, pc := range containers {
					if named := strings.Contains(r.ForbiddenDetail, `"`+pc.name+`"`); named != under(pc.path) {
						t.Errorf("%s: container %s named %v, fields %q (%s)", where, pc.name, named, fields, r.ForbiddenDetail)
					}
				}
				for i, v := range p.spec.Volumes {
					if named := strings.Contains(r.ForbiddenDetail, `"`+v.Name+`"`); named != under(fmt.Sprintf("/spec/volumes/%d", i)) {
						t.Errorf("%s: volume %s named %v, fields %q (%s)", where, v.Name, named, fields, r.ForbiddenDetail)
					}
				}
				for k := range p.meta.Annotations {
					if named := strings.Contains(r.ForbiddenDetail, k+"="); named != under("/metadata/annotations/"+escapePointer(k)) {
						t.Errorf("%s: annotation %s named %v, fields %q (%s)", where, k, named, fields, r.ForbiddenDetail)
					}
				}
			}
		}
	}
	t.Logf("%d pods, %d failed check versions", len(pods), failed)
	if failed < 100 {
		t.Errorf("only %d failures: the pods break too little", failed)
	}
}

// A control that fails at baseline is reported once, by pss-baseline, even
// where restricted runs a stricter check of its own in its place
// (procMount_restricted for procMount, capabilities_restricted for
// capabilities_baseline): pss-restricted lists only what lies beyond.
func TestBuiltinPSSReportsABaselineControlOnce(t *testing.T) {
	content := deploy(`      containers:
      - name: a
        image: nginx:1.27
        securityContext:
          procMount: Unmasked
          capabilities:
            add: [SYS_ADMIN]
`)
	ctx := context.Background()
	eng, err := New(ctx, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := eng.Check(ctx, []workspace.File{{Path: "m.yaml", Content: []byte(content)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, "pss-") {
			count[f.Path]++
			t.Logf("%s %s: %s", f.Rule, f.Path, f.Message)
		}
	}
	for _, p := range []string{"/spec/template/spec/containers/0/securityContext/procMount", "/spec/template/spec/containers/0/securityContext/capabilities/add/0"} {
		if count[p] != 1 {
			t.Errorf("%d findings at %s, want 1", count[p], p)
		}
	}
}

// An item of a v1 List is found below /items/N of its document, so its
// findings point at the item's field, not at the List's first line.
func TestFindingsInAListPointIntoTheItem(t *testing.T) {
	content := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c, namespace: x}
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: x}
  spec:
    containers:
    - name: a
      image: nginx:1.27
      securityContext:
        privileged: true
`
	ctx := context.Background()
	eng, err := New(ctx, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := eng.Check(ctx, []workspace.File{{Path: "list.yaml", Content: []byte(content)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range fs {
		if f.Rule != "pss-baseline" {
			continue
		}
		found = true
		if want := "/items/1/spec/containers/0/securityContext/privileged"; f.Path != want {
			t.Errorf("path %s, want %s", f.Path, want)
		}
		if pos, ok := yamlpos.LocateIn([]byte(content), f.Line, f.Path, f.Message); !ok || pos.Line != 15 {
			t.Errorf("located at %+v (%v), want line 15", pos, ok)
		}
	}
	if !found {
		t.Fatal("no pss-baseline finding for the privileged Pod in the List")
	}
}
