package schema

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// kubeconform fetches HTTP schema locations with a client of its own that
// has no timeout and cannot be replaced, so aiden fetches them itself,
// within FetchTimeout and maxSchemaBytes, into a local mirror that
// kubeconform reads as a file location.

// Defaults of remote fetches.
const (
	DefaultFetchTimeout = 10 * time.Second
	maxSchemaBytes      = 8 << 20
)

// remote is one HTTP schema location and its mirror.
type remote struct {
	url   string // kubeconform template of the schema URL
	local string // template of the mirrored file
}

func isHTTP(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// newRemote mirrors loc under cache, completing a location that names no
// file the way kubeconform does.
func newRemote(loc, cache string) (remote, error) {
	if !strings.HasSuffix(loc, "json") {
		loc += "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
	}
	if _, err := expand(loc, "Deployment", "apps/v1", "1.35.4", false); err != nil {
		return remote{}, fmt.Errorf("schema location %s: %w", loc, err)
	}
	sum := sha256.Sum256([]byte(loc))
	dir, err := cacheDir(cache, "remote-"+hex.EncodeToString(sum[:8]))
	if err != nil {
		return remote{}, err
	}
	return remote{url: loc, local: filepath.Join(dir,
		"{{ .NormalizedKubernetesVersion }}{{ .StrictSuffix }}", "{{ .Group }}", "{{ .ResourceAPIVersion }}", "{{ .ResourceKind }}.json")}, nil
}

// expand fills a location template as kubeconform's registry does.
func expand(tpl, kind, apiVersion, k8sVersion string, strict bool) (string, error) {
	strictSuffix := ""
	if strict {
		strictSuffix = "-strict"
	}
	groupParts := strings.Split(apiVersion, "/")
	versionParts := strings.Split(groupParts[0], ".")
	kindSuffix := "-" + strings.ToLower(versionParts[0])
	if len(groupParts) > 1 {
		kindSuffix += "-" + strings.ToLower(groupParts[1])
	}
	t, err := template.New("location").Parse(tpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = t.Execute(&b, struct {
		NormalizedKubernetesVersion, StrictSuffix, ResourceKind, ResourceAPIVersion, Group, KindSuffix string
	}{"v" + k8sVersion, strictSuffix, strings.ToLower(kind), groupParts[len(groupParts)-1], groupParts[0], kindSuffix})
	return b.String(), err
}

// fetch mirrors the schema of apiVersion/kind from r, if r has one. A
// location that does not answer in time, or answers anything but a
// schema, is left out: the object is then reported as having no schema.
func (v *Validator) fetch(r remote, apiVersion, kind string) error {
	local, err := expand(r.local, kind, apiVersion, v.opts.KubernetesVersion, v.opts.Strict)
	if err != nil {
		return err
	}
	if _, err := os.Stat(local); err == nil {
		return nil
	}
	url, err := expand(r.url, kind, apiVersion, v.opts.KubernetesVersion, v.opts.Strict)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), v.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSchemaBytes+1))
	if err != nil || resp.StatusCode != http.StatusOK || len(body) > maxSchemaBytes {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return fmt.Errorf("mirror schema: %w", err)
	}
	tmp := local + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return fmt.Errorf("mirror schema: %w", err)
	}
	if err := os.Rename(tmp, local); err != nil {
		return fmt.Errorf("mirror schema: %w", err)
	}
	return nil
}
