package policy

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	psaapi "k8s.io/pod-security-admission/api"
	psa "k8s.io/pod-security-admission/policy"

	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/workspace"
)

// BuiltinRule describes one rule of the built-in pack (docs/policies.md
// documents each).
type BuiltinRule struct {
	ID       string
	Severity Severity
	Summary  string
}

// Builtin is the built-in pack.
var Builtin = []BuiltinRule{
	{"pss-baseline", Error, "Pod Security Standards, baseline level"},
	{"pss-restricted", Warning, "Pod Security Standards, restricted level (controls beyond baseline)"},
	{"resources", Warning, "containers set CPU and memory requests and a memory limit"},
	{"probes", Warning, "long-running containers have liveness and readiness probes"},
	{"image-tag", Error, "images are pinned: a tag other than latest, or a digest"},
	{"secret-plaintext", Error, "no Secret objects with data: use SealedSecret or ExternalSecret"},
	{"credential-literal", Error, "no credential-looking literals in env, values or HCL"},
	{"statefulset-pvc-retention", Warning, "StatefulSet volume claims are kept when the set is deleted or scaled down"},
	{"pdb", Warning, "replicated workloads have a PodDisruptionBudget"},
	{"default-namespace", Warning, "objects do not name the default namespace"},
	{"tf-public-bucket", Error, "Terraform: storage buckets are not public"},
	{"tf-unencrypted-storage", Error, "Terraform: disks, databases and buckets are encrypted"},
	{"tf-admin-port-open", Error, "Terraform: SSH and RDP are not open to 0.0.0.0/0"},
	{"policy-exception", Warning, "exception annotations carry a reason"},
}

// ExceptionPrefix starts the annotation that exempts an object from one
// built-in rule: exception.policy.stackgen.io/<rule-id>: "<reason>".
const ExceptionPrefix = "exception.policy.stackgen.io/"

// severity applies the configuration to a rule; ok is false when it is off.
func (e *Engine) severity(id string) (Severity, bool) {
	sev := Warning
	for _, r := range Builtin {
		if r.ID == id {
			sev = r.Severity
		}
	}
	if c, found := e.cfg.Rules[id]; found {
		if c.Disabled {
			return "", false
		}
		if c.Severity != "" {
			sev = c.Severity
		}
	}
	return sev, true
}

// reporter collects built-in findings about one object, honouring the
// configuration and the object's exception annotations.
type reporter struct {
	e   *Engine
	o   Object
	out *[]Finding
	ann map[string]string
}

func (r *reporter) add(id, path, msg string) {
	sev, ok := r.e.severity(id)
	if !ok {
		return
	}
	if reason, found := r.ann[ExceptionPrefix+id]; found && strings.TrimSpace(reason) != "" {
		return
	}
	*r.out = append(*r.out, Finding{File: r.o.File, Line: r.o.Line, Resource: resourceName(r.o.Content),
		Path: r.o.at(path), Rule: id, Severity: sev, Message: msg})
}

var workloadKinds = map[string]bool{"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicaSet": true, "Job": true, "CronJob": true, "ReplicationController": true}

// builtin runs the Kubernetes rules of the built-in pack over objects and
// the credential rule over their files.
func (e *Engine) builtin(objs []Object, files []workspace.File) []Finding {
	var out []Finding
	var pdbs []*metav1.LabelSelector
	for _, o := range objs {
		if o.Content["kind"] == "PodDisruptionBudget" {
			sel, _ := nested(o.Content, "spec", "selector").(map[string]any)
			var ls metav1.LabelSelector
			if sel != nil && fromUnstructured(sel, &ls) == nil {
				pdbs = append(pdbs, &ls)
			}
		}
	}
	for _, o := range objs {
		md, _ := o.Content["metadata"].(map[string]any)
		ann := map[string]string{}
		if a, ok := md["annotations"].(map[string]any); ok {
			for k, v := range a {
				ann[k] = fmt.Sprint(v)
			}
		}
		r := &reporter{e: e, o: o, out: &out, ann: ann}
		for k, v := range ann {
			if strings.HasPrefix(k, ExceptionPrefix) && strings.TrimSpace(v) == "" {
				r.add("policy-exception", "/metadata/annotations", fmt.Sprintf("exception %s has no reason; it is ignored", k))
			}
		}
		kind, _ := o.Content["kind"].(string)
		if ns, _ := md["namespace"].(string); ns == "default" {
			r.add("default-namespace", "/metadata/namespace", "the object is placed in the default namespace: name a namespace of its own")
		}
		if kind == "Secret" {
			for _, key := range []string{"data", "stringData"} {
				if d, ok := o.Content[key].(map[string]any); ok && len(d) > 0 {
					r.add("secret-plaintext", "/"+key, "Secret holds its values in the manifest (base64 is not encryption): commit a SealedSecret or an ExternalSecret instead")
					break
				}
			}
		}
		if workloadKinds[kind] {
			e.workload(r, kind, pdbs)
		}
	}
	out = append(out, e.credentials(files)...)
	return out
}

func (e *Engine) workload(r *reporter, kind string, pdbs []*metav1.LabelSelector) {
	meta, spec, prefix, ok := podOf(r.o.Content)
	if !ok {
		return
	}
	base := evaluatePSS(r.o.Content, prefix, meta, spec, psaapi.LevelVersion{Level: psaapi.LevelBaseline, Version: psaapi.LatestVersion()})
	baseIDs := map[string]bool{}
	for _, v := range base {
		baseIDs[string(v.ID)] = true
		r.add("pss-baseline", v.Paths[0], "Pod Security baseline: "+v.Details)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, v := range evaluatePSS(r.o.Content, prefix, meta, spec, restricted) {
		if baseIDs[string(v.ID)] || repeatsBaseline(v.ID, restricted, baseIDs) {
			continue
		}
		r.add("pss-restricted", v.Paths[0], "Pod Security restricted: "+v.Details)
	}
	longRunning := kind != "Job" && kind != "CronJob"
	for i, c := range spec.Containers {
		p := fmt.Sprintf("%s/spec/containers/%d", prefix, i)
		checkImage(r, p+"/image", c.Image)
		checkResources(r, p+"/resources", c)
		if longRunning {
			var missing []string
			if c.LivenessProbe == nil {
				missing = append(missing, "livenessProbe")
			}
			if c.ReadinessProbe == nil {
				missing = append(missing, "readinessProbe")
			}
			if len(missing) > 0 {
				r.add("probes", p, fmt.Sprintf("container %q has no %s: the kubelet cannot restart it when it hangs or keep traffic from it before it is ready", c.Name, strings.Join(missing, " or ")))
			}
		}
	}
	for i, c := range spec.InitContainers {
		p := fmt.Sprintf("%s/spec/initContainers/%d", prefix, i)
		checkImage(r, p+"/image", c.Image)
		checkResources(r, p+"/resources", c)
	}
	if kind == "StatefulSet" {
		if vct, ok := nested(r.o.Content, "spec", "volumeClaimTemplates").([]any); ok && len(vct) > 0 {
			for _, field := range []string{"whenDeleted", "whenScaled"} {
				if v, _ := nested(r.o.Content, "spec", "persistentVolumeClaimRetentionPolicy", field).(string); v == "Delete" {
					r.add("statefulset-pvc-retention", "/spec/persistentVolumeClaimRetentionPolicy/"+field,
						fmt.Sprintf("%s: Delete removes the volume claims and their data; use Retain (the default)", field))
				}
			}
		}
	}
	if kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" {
		replicas := int64(1)
		switch v := nested(r.o.Content, "spec", "replicas").(type) {
		case int64:
			replicas = v
		case float64:
			replicas = int64(v)
		case nil:
			// no replicas field: one, or an autoscaler owns it
		}
		if replicas > 1 && !covered(meta.Labels, pdbs) {
			r.add("pdb", "/spec/replicas", fmt.Sprintf("%d replicas and no PodDisruptionBudget selects their pods: a node drain can take them all down at once", replicas))
		}
	}
}

func covered(podLabels map[string]string, pdbs []*metav1.LabelSelector) bool {
	for _, s := range pdbs {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(podLabels)) {
			return true
		}
	}
	return false
}

func checkImage(r *reporter, p, image string) {
	if image == "" || strings.Contains(image, "@sha256:") {
		return
	}
	ref := image
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	i := strings.LastIndex(ref, ":")
	switch {
	case i < 0:
		r.add("image-tag", p, fmt.Sprintf("image %q has no tag and runs whatever latest is at pull time: pin a version or a digest", image))
	case ref[i+1:] == "latest":
		r.add("image-tag", p, fmt.Sprintf("image %q uses the latest tag: pin a version or a digest", image))
	}
}

func checkResources(r *reporter, p string, c corev1.Container) {
	var missing []string
	if c.Resources.Requests.Cpu().IsZero() {
		missing = append(missing, "requests.cpu")
	}
	if c.Resources.Requests.Memory().IsZero() {
		missing = append(missing, "requests.memory")
	}
	if c.Resources.Limits.Memory().IsZero() {
		missing = append(missing, "limits.memory")
	}
	if len(missing) > 0 {
		r.add("resources", p, fmt.Sprintf("container %q sets no %s: the scheduler cannot place it well and it can starve its neighbours", c.Name, strings.Join(missing, ", ")))
	}
}

// Credentials reports the credential-literal findings of files that are
// not objects, such as a chart's values files (see credentials).
func (e *Engine) Credentials(files []workspace.File) []Finding {
	return e.credentials(files)
}

// credentials runs the secrets detector over files. Secret data is the
// secret-plaintext rule's to report.
func (e *Engine) credentials(files []workspace.File) []Finding {
	sev, ok := e.severity("credential-literal")
	if !ok {
		return nil
	}
	var out []Finding
	for _, f := range files {
		for _, m := range secrets.Find(f.Path, f.Content) {
			if m.Rule == "k8s-secret-data" {
				continue
			}
			what := "a credential-looking literal"
			if m.Key != "" {
				what = fmt.Sprintf("a credential-looking literal in %s", m.Key)
			}
			out = append(out, Finding{File: f.Path, Line: m.Line, Rule: "credential-literal", Severity: sev,
				Message: fmt.Sprintf("%s (%s, %s): reference a Secret (SealedSecret/ExternalSecret) or a variable instead", what, m.Rule, m.Excerpt)})
		}
	}
	return out
}

// terraformRules runs the Terraform rules over one file in conftest's layout.
func (e *Engine) terraformRules(file string, in map[string]any) []Finding {
	var out []Finding
	add := func(id, addr, msg string) {
		if sev, ok := e.severity(id); ok {
			out = append(out, Finding{File: file, Resource: addr, Rule: id, Severity: sev, Message: msg})
		}
	}
	for typ, names := range asMap(in["resource"]) {
		for name, bodies := range asMap(names) {
			for _, b := range asList(bodies) {
				body := asMap(b)
				addr := typ + "." + name
				terraformResource(add, typ, addr, body)
			}
		}
	}
	return out
}

func terraformResource(add func(id, addr, msg string), typ, addr string, body map[string]any) {
	switch typ {
	case "aws_s3_bucket", "aws_s3_bucket_acl":
		if acl, _ := body["acl"].(string); acl == "public-read" || acl == "public-read-write" || acl == "authenticated-read" {
			add("tf-public-bucket", addr, fmt.Sprintf("acl %q makes the bucket's objects readable outside the account", acl))
		}
	case "aws_s3_bucket_public_access_block":
		for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if v, ok := body[k].(bool); ok && !v {
				add("tf-public-bucket", addr, fmt.Sprintf("%s = false lets the bucket become public", k))
			}
		}
	case "google_storage_bucket_iam_member", "google_storage_bucket_iam_binding":
		for _, k := range []string{"member", "members"} {
			for _, m := range asStrings(body[k]) {
				if m == "allUsers" || m == "allAuthenticatedUsers" {
					add("tf-public-bucket", addr, fmt.Sprintf("grants %s access to the bucket", m))
				}
			}
		}
	case "aws_ebs_volume":
		if v, _ := body["encrypted"].(bool); !v {
			add("tf-unencrypted-storage", addr, "EBS volume is not encrypted: set encrypted = true")
		}
	case "aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster":
		if v, _ := body["storage_encrypted"].(bool); !v {
			add("tf-unencrypted-storage", addr, "database storage is not encrypted: set storage_encrypted = true")
		}
	case "aws_efs_file_system":
		if v, _ := body["encrypted"].(bool); !v {
			add("tf-unencrypted-storage", addr, "EFS file system is not encrypted: set encrypted = true")
		}
	case "azurerm_managed_disk":
		for _, s := range asList(body["encryption_settings"]) {
			if v, ok := asMap(s)["enabled"].(bool); ok && !v {
				add("tf-unencrypted-storage", addr, "managed disk encryption_settings.enabled is false")
			}
		}
	case "aws_security_group":
		for _, rule := range asList(body["ingress"]) {
			openAdmin(add, addr, asMap(rule))
		}
	case "aws_security_group_rule":
		if t, _ := body["type"].(string); t == "ingress" {
			openAdmin(add, addr, body)
		}
	case "aws_vpc_security_group_ingress_rule":
		openAdmin(add, addr, map[string]any{"from_port": body["from_port"], "to_port": body["to_port"],
			"cidr_blocks": []any{body["cidr_ipv4"]}, "ipv6_cidr_blocks": []any{body["cidr_ipv6"]}, "protocol": body["ip_protocol"]})
	case "google_compute_firewall":
		if !anyOpen(asStrings(body["source_ranges"])) {
			return
		}
		for _, a := range asList(body["allow"]) {
			for _, p := range asStrings(asMap(a)["ports"]) {
				for _, admin := range adminPorts {
					if portIn(p, admin.port) {
						add("tf-admin-port-open", addr, fmt.Sprintf("%s (port %d) is open to the internet", admin.name, admin.port))
					}
				}
			}
		}
	}
}

var adminPorts = []struct {
	port int
	name string
}{{22, "SSH"}, {3389, "RDP"}}

func openAdmin(add func(id, addr, msg string), addr string, rule map[string]any) {
	cidrs := append(asStrings(rule["cidr_blocks"]), asStrings(rule["ipv6_cidr_blocks"])...)
	if !anyOpen(cidrs) {
		return
	}
	from, fok := asInt(rule["from_port"])
	to, tok := asInt(rule["to_port"])
	proto := fmt.Sprint(rule["protocol"])
	for _, admin := range adminPorts {
		all := proto == "-1" || proto == "all"
		if all || (fok && tok && from <= admin.port && admin.port <= to) || (fok && tok && from == 0 && to == 0 && all) {
			add("tf-admin-port-open", addr, fmt.Sprintf("%s (port %d) is open to the internet (0.0.0.0/0): restrict the source range or use a bastion or SSM", admin.name, admin.port))
		}
	}
}

func anyOpen(cidrs []string) bool {
	for _, c := range cidrs {
		if _, n, err := net.ParseCIDR(c); err == nil {
			if ones, _ := n.Mask.Size(); ones == 0 {
				return true
			}
		}
	}
	return false
}

func portIn(spec string, port int) bool {
	if a, b, ok := strings.Cut(spec, "-"); ok {
		lo, e1 := strconv.Atoi(a)
		hi, e2 := strconv.Atoi(b)
		return e1 == nil && e2 == nil && lo <= port && port <= hi
	}
	n, err := strconv.Atoi(spec)
	return err == nil && n == port
}

func nested(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case map[string]any:
		return []any{t}
	}
	return nil
}

func asStrings(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func asInt(v any) (int, bool) {
	switch t := v.(type) {
	case float64:
		return int(t), true
	case int:
		return t, true
	case int64:
		return int(t), true
	case string:
		n, err := strconv.Atoi(t)
		return n, err == nil
	}
	return 0, false
}

// repeatsBaseline reports whether the restricted check id, run at lv, is
// the stricter form of a baseline check that already failed (procMount_
// restricted of procMount, capabilities_restricted of capabilities_baseline):
// pss-restricted lists only the controls beyond baseline.
func repeatsBaseline(id psa.CheckID, lv psaapi.LevelVersion, failed map[string]bool) bool {
	c := checkByID(id)
	if c == nil {
		return false
	}
	for _, o := range c.overridesAt(lv) {
		if failed[string(o)] {
			return true
		}
	}
	return false
}
