package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psa "k8s.io/pod-security-admission/policy"
)

// Where a Pod Security finding points: pssFields lists, for a check a pod
// fails, the fields that break it, as JSON pointers relative to the pod
// template ("/spec/containers/0/securityContext/privileged",
// "/metadata/annotations/…"), in the order the check's message names the
// offenders (pod-level first, then init, regular and ephemeral containers,
// then annotations). Where the value at fault is a missing field (restricted
// wants runAsNonRoot, a seccomp profile, capabilities.drop ALL,
// allowPrivilegeEscalation: false), the pointer names that field and
// pointIn later cuts it back to the closest parent written in the object.
//
// Which values a check accepts (sysctl names, SELinux types, capabilities,
// AppArmor and seccomp profiles) is asked of the check's own version
// (vc.CheckPod over a pod holding only that value), so the fields follow
// the policy version evaluated.

// podContainer is one container of a pod spec and its pointer.
type podContainer struct {
	path string // "/spec/containers/0"
	c    *corev1.Container
}

// podContainers lists a pod's containers in the order the checks visit
// them: init containers, containers, ephemeral containers.
func podContainers(spec *corev1.PodSpec) []podContainer {
	var out []podContainer
	for i := range spec.InitContainers {
		out = append(out, podContainer{fmt.Sprintf("/spec/initContainers/%d", i), &spec.InitContainers[i]})
	}
	for i := range spec.Containers {
		out = append(out, podContainer{fmt.Sprintf("/spec/containers/%d", i), &spec.Containers[i]})
	}
	for i := range spec.EphemeralContainers {
		out = append(out, podContainer{fmt.Sprintf("/spec/ephemeralContainers/%d", i), (*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon)})
	}
	return out
}

// restrictedVolumeSource returns the field of a volume source the
// restricted level forbids, as the check names it: "" for an allowed
// source, "-" for a volume with no source the check knows.
func restrictedVolumeSource(v *corev1.Volume) string {
	switch {
	case v.ConfigMap != nil, v.CSI != nil, v.DownwardAPI != nil, v.EmptyDir != nil, v.Ephemeral != nil,
		v.Image != nil, v.PersistentVolumeClaim != nil, v.Projected != nil, v.Secret != nil:
		return ""
	case v.HostPath != nil:
		return "hostPath"
	case v.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case v.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case v.GitRepo != nil:
		return "gitRepo"
	case v.NFS != nil:
		return "nfs"
	case v.ISCSI != nil:
		return "iscsi"
	case v.Glusterfs != nil:
		return "glusterfs"
	case v.RBD != nil:
		return "rbd"
	case v.FlexVolume != nil:
		return "flexVolume"
	case v.Cinder != nil:
		return "cinder"
	case v.CephFS != nil:
		return "cephfs"
	case v.Flocker != nil:
		return "flocker"
	case v.FC != nil:
		return "fc"
	case v.AzureFile != nil:
		return "azureFile"
	case v.VsphereVolume != nil:
		return "vsphereVolume"
	case v.Quobyte != nil:
		return "quobyte"
	case v.AzureDisk != nil:
		return "azureDisk"
	case v.PhotonPersistentDisk != nil:
		return "photonPersistentDisk"
	case v.PortworxVolume != nil:
		return "portworxVolume"
	case v.ScaleIO != nil:
		return "scaleIO"
	case v.StorageOS != nil:
		return "storageos"
	}
	return "-"
}

// pssFields returns the fields of a pod that break check id as its
// version vc evaluates it (see the comment at the top of this file).
func pssFields(id psa.CheckID, vc psa.VersionedCheck, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	fails := func(m *metav1.ObjectMeta, s *corev1.PodSpec) bool {
		if m == nil {
			m = &metav1.ObjectMeta{}
		}
		return !vc.CheckPod(m, s).Allowed
	}
	containers := podContainers(spec)
	psc := spec.SecurityContext
	var out []string
	// each adds, for every container whose security context f finds
	// fields in, those fields below its securityContext.
	each := func(f func(sc *corev1.SecurityContext) []string) {
		for _, pc := range containers {
			if pc.c.SecurityContext == nil {
				continue
			}
			for _, field := range f(pc.c.SecurityContext) {
				out = append(out, pc.path+"/securityContext/"+field)
			}
		}
	}
	switch id {
	case "allowPrivilegeEscalation":
		for _, pc := range containers {
			if sc := pc.c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				out = append(out, pc.path+"/securityContext/allowPrivilegeEscalation")
			}
		}
	case "appArmorProfile":
		badProfile := func(p *corev1.AppArmorProfile) bool {
			return p != nil && fails(nil, &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{AppArmorProfile: p}})
		}
		if psc != nil && badProfile(psc.AppArmorProfile) {
			out = append(out, "/spec/securityContext/appArmorProfile/type")
		}
		each(func(sc *corev1.SecurityContext) []string {
			if badProfile(sc.AppArmorProfile) {
				return []string{"appArmorProfile/type"}
			}
			return nil
		})
		out = append(out, badAnnotations(meta, func(k, v string) bool {
			return fails(&metav1.ObjectMeta{Annotations: map[string]string{k: v}}, &corev1.PodSpec{})
		})...)
	case "capabilities_baseline":
		each(func(sc *corev1.SecurityContext) []string {
			var f []string
			if sc.Capabilities != nil {
				for j, c := range sc.Capabilities.Add {
					one := &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{c}}}
					if fails(nil, &corev1.PodSpec{Containers: []corev1.Container{{SecurityContext: one}}}) {
						f = append(f, "capabilities/add/"+strconv.Itoa(j))
					}
				}
			}
			return f
		})
	case "capabilities_restricted":
		var adds []string
		for _, pc := range containers {
			sc := pc.c.SecurityContext
			if sc == nil || sc.Capabilities == nil {
				out = append(out, pc.path+"/securityContext/capabilities/drop")
				continue
			}
			all := false
			for _, c := range sc.Capabilities.Drop {
				all = all || c == "ALL"
			}
			if !all {
				out = append(out, pc.path+"/securityContext/capabilities/drop")
			}
			for j, c := range sc.Capabilities.Add {
				if c != "NET_BIND_SERVICE" {
					adds = append(adds, pc.path+"/securityContext/capabilities/add/"+strconv.Itoa(j))
				}
			}
		}
		out = append(out, adds...)
	case "hostNamespaces":
		for _, f := range []struct {
			on   bool
			name string
		}{{spec.HostNetwork, "hostNetwork"}, {spec.HostPID, "hostPID"}, {spec.HostIPC, "hostIPC"}} {
			if f.on {
				out = append(out, "/spec/"+f.name)
			}
		}
	case "hostPathVolumes":
		for i, v := range spec.Volumes {
			if v.HostPath != nil {
				out = append(out, fmt.Sprintf("/spec/volumes/%d/hostPath", i))
			}
		}
	case "hostPorts":
		for _, pc := range containers {
			for j, p := range pc.c.Ports {
				if p.HostPort != 0 {
					out = append(out, fmt.Sprintf("%s/ports/%d/hostPort", pc.path, j))
				}
			}
		}
	case "hostProbesAndHostLifecycle":
		for _, pc := range containers {
			c := pc.c
			for _, p := range []struct {
				name  string
				probe *corev1.Probe
			}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
				if p.probe == nil {
					continue
				}
				out = append(out, handlerHosts(pc.path+"/"+p.name, p.probe.HTTPGet, p.probe.TCPSocket)...)
			}
			if c.Lifecycle != nil {
				for _, h := range []struct {
					name    string
					handler *corev1.LifecycleHandler
				}{{"postStart", c.Lifecycle.PostStart}, {"preStop", c.Lifecycle.PreStop}} {
					if h.handler != nil {
						out = append(out, handlerHosts(pc.path+"/lifecycle/"+h.name, h.handler.HTTPGet, h.handler.TCPSocket)...)
					}
				}
			}
		}
	case "privileged":
		each(func(sc *corev1.SecurityContext) []string {
			if sc.Privileged != nil && *sc.Privileged {
				return []string{"privileged"}
			}
			return nil
		})
	case "procMount", "procMount_restricted":
		each(func(sc *corev1.SecurityContext) []string {
			if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
				return []string{"procMount"}
			}
			return nil
		})
	case "restrictedVolumes":
		for i := range spec.Volumes {
			switch src := restrictedVolumeSource(&spec.Volumes[i]); src {
			case "":
			case "-":
				out = append(out, fmt.Sprintf("/spec/volumes/%d", i))
			default:
				out = append(out, fmt.Sprintf("/spec/volumes/%d/%s", i, src))
			}
		}
	case "runAsNonRoot":
		podTrue := false
		if psc != nil && psc.RunAsNonRoot != nil {
			if *psc.RunAsNonRoot {
				podTrue = true
			} else {
				out = append(out, "/spec/securityContext/runAsNonRoot")
			}
		}
		var implicit []string
		for _, pc := range containers {
			if sc := pc.c.SecurityContext; sc != nil && sc.RunAsNonRoot != nil {
				if !*sc.RunAsNonRoot {
					out = append(out, pc.path+"/securityContext/runAsNonRoot")
				}
			} else if !podTrue {
				implicit = append(implicit, pc.path+"/securityContext/runAsNonRoot")
			}
		}
		if len(out) == 0 {
			out = implicit
		}
	case "runAsUser":
		if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			out = append(out, "/spec/securityContext/runAsUser")
		}
		each(func(sc *corev1.SecurityContext) []string {
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				return []string{"runAsUser"}
			}
			return nil
		})
	case "seLinuxOptions":
		bad := func(o *corev1.SELinuxOptions) []string {
			if o == nil {
				return nil
			}
			var f []string
			if fails(nil, &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SELinuxOptions: &corev1.SELinuxOptions{Type: o.Type}}}) {
				f = append(f, "seLinuxOptions/type")
			}
			if o.User != "" {
				f = append(f, "seLinuxOptions/user")
			}
			if o.Role != "" {
				f = append(f, "seLinuxOptions/role")
			}
			return f
		}
		if psc != nil {
			for _, f := range bad(psc.SELinuxOptions) {
				out = append(out, "/spec/securityContext/"+f)
			}
		}
		each(func(sc *corev1.SecurityContext) []string { return bad(sc.SELinuxOptions) })
	case "seccompProfile_baseline", "seccompProfile_restricted":
		badProfile := func(p *corev1.SeccompProfile) bool {
			return p != nil && fails(nil, &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{SeccompProfile: p}})
		}
		podSet := false
		if psc != nil && psc.SeccompProfile != nil {
			if badProfile(psc.SeccompProfile) {
				out = append(out, "/spec/securityContext/seccompProfile/type")
			} else {
				podSet = true
			}
		}
		var implicit []string
		for _, pc := range containers {
			if sc := pc.c.SecurityContext; sc != nil && sc.SeccompProfile != nil {
				if badProfile(sc.SeccompProfile) {
					out = append(out, pc.path+"/securityContext/seccompProfile/type")
				}
			} else if !podSet {
				implicit = append(implicit, pc.path+"/securityContext/seccompProfile")
			}
		}
		if id == "seccompProfile_baseline" {
			// Before 1.19 the profiles were annotations; pod-security-admission
			// then names the pod's and each container's.
			names := map[string]bool{}
			for _, pc := range containers {
				names[pc.c.Name] = true
			}
			out = append(out, badAnnotations(meta, func(k, v string) bool {
				name, isContainer := strings.CutPrefix(k, "container.seccomp.security.alpha.kubernetes.io/")
				if isContainer && !names[name] {
					return false
				}
				return fails(&metav1.ObjectMeta{Annotations: map[string]string{k: v}}, &corev1.PodSpec{Containers: []corev1.Container{{Name: name}}})
			})...)
		} else if len(out) == 0 {
			out = implicit
		}
	case "sysctls":
		if psc != nil {
			for i, s := range psc.Sysctls {
				if fails(nil, &corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{s}}}) {
					out = append(out, fmt.Sprintf("/spec/securityContext/sysctls/%d", i))
				}
			}
		}
	case "windowsHostProcess":
		if psc != nil && psc.WindowsOptions != nil && psc.WindowsOptions.HostProcess != nil && *psc.WindowsOptions.HostProcess {
			out = append(out, "/spec/securityContext/windowsOptions/hostProcess")
		}
		each(func(sc *corev1.SecurityContext) []string {
			if sc.WindowsOptions != nil && sc.WindowsOptions.HostProcess != nil && *sc.WindowsOptions.HostProcess {
				return []string{"windowsOptions/hostProcess"}
			}
			return nil
		})
	}
	return out
}

// handlerHosts returns the host fields set in a probe's or a lifecycle
// handler's httpGet and tcpSocket, below base.
func handlerHosts(base string, get *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction) []string {
	var out []string
	if get != nil && get.Host != "" {
		out = append(out, base+"/httpGet/host")
	}
	if tcp != nil && tcp.Host != "" {
		out = append(out, base+"/tcpSocket/host")
	}
	return out
}

// badAnnotations returns the pointers of the pod template's annotations
// that bad rejects, in the order of their keys.
func badAnnotations(meta *metav1.ObjectMeta, bad func(k, v string) bool) []string {
	var keys []string
	for k, v := range meta.Annotations {
		if bad(k, v) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = "/metadata/annotations/" + escapePointer(k)
	}
	return out
}

// escapePointer escapes a JSON pointer segment (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// pointIn cuts pointer back to the deepest node of obj it leads to: the
// closest parent written in the object when the field itself is not.
func pointIn(obj map[string]any, pointer string) string {
	var node any = obj
	kept := ""
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		key := strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[key]
			if !ok {
				return kept
			}
			node = v
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n) {
				return kept
			}
			node = n[i]
		default:
			return kept
		}
		kept += "/" + seg
	}
	return kept
}
