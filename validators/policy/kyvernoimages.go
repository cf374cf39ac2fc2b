package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// imageInfos builds the images variable of a Pod or Pod controller:
// images.<containers|initContainers|ephemeralContainers>.<container name>
// holds registry, path, name, tag, digest, reference, referenceWithTag,
// jsonPointer and imagePullSecrets. An image reference that does not parse
// leaves the variable out, as Kyverno does. Nil when there are no images.
func imageInfos(obj map[string]any) map[string]any {
	var specPath []string
	switch obj["kind"] {
	case "Pod":
		specPath = []string{"spec"}
	case "DaemonSet", "Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "Job":
		specPath = []string{"spec", "template", "spec"}
	case "CronJob":
		specPath = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return nil
	}
	var spec any = obj
	for _, k := range specPath {
		m, _ := spec.(map[string]any)
		spec = m[k]
	}
	podSpec, ok := spec.(map[string]any)
	if !ok {
		return nil
	}
	var secrets []any
	if list, ok := podSpec["imagePullSecrets"].([]any); ok {
		for _, s := range list {
			if m, ok := s.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					secrets = append(secrets, n)
				}
			}
		}
	}
	if secrets == nil {
		secrets = []any{}
	}
	out := map[string]any{}
	for _, group := range []string{"initContainers", "containers", "ephemeralContainers"} {
		list, _ := podSpec[group].([]any)
		infos := map[string]any{}
		for i, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			image, _ := cm["image"].(string)
			if strings.TrimSpace(image) == "" {
				continue
			}
			name, ok := cm["name"].(string)
			if !ok {
				return nil
			}
			info, err := parseImage(image)
			if err != nil {
				return nil
			}
			info["jsonPointer"] = "/" + strings.Join(append(append([]string(nil), specPath...), group, strconv.Itoa(i)), "/") + "/image"
			info["imagePullSecrets"] = secrets
			infos[name] = info
		}
		if len(infos) > 0 {
			out[group] = infos
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseImage splits an image reference the way Kyverno reports it: a
// reference without a registry is on docker.io, one without a tag or
// digest is :latest.
func parseImage(image string) (map[string]any, error) {
	full := image
	if i := strings.IndexByte(image, '/'); i < 0 || (!strings.ContainsAny(image[:i], ".:") && image[:i] != "localhost" && strings.ToLower(image[:i]) == image[:i]) {
		full = "docker.io/" + image
	}
	rest, digest := full, ""
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, digest = rest[:i], rest[i+1:]
		if !kyRE().imageDigest.MatchString(digest) {
			return nil, fmt.Errorf("bad image %s: invalid digest", image)
		}
	}
	tag := ""
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		rest, tag = rest[:i], rest[i+1:]
		if !kyRE().imageTag.MatchString(tag) {
			return nil, fmt.Errorf("bad image %s: invalid tag", image)
		}
	}
	slash := strings.IndexByte(rest, '/')
	registry, path := rest[:slash], rest[slash+1:]
	if !kyRE().imageDomain.MatchString(registry) {
		return nil, fmt.Errorf("bad image %s: invalid registry", image)
	}
	for _, c := range strings.Split(path, "/") {
		if !kyRE().imageComponent.MatchString(c) {
			return nil, fmt.Errorf("bad image %s: invalid repository name", image)
		}
	}
	if digest == "" && tag == "" {
		tag = "latest"
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	withTag := registry + "/" + path + ":" + tag
	ref := registry + "/" + path
	if digest != "" {
		ref += "@" + digest
	} else {
		ref += ":" + tag
	}
	info := map[string]any{"registry": registry, "path": path, "name": name, "reference": ref, "referenceWithTag": withTag}
	if tag != "" {
		info["tag"] = tag
	}
	if digest != "" {
		info["digest"] = digest
	}
	return info, nil
}
