// Command schemagen builds the Kubernetes schema bundle that ships inside
// aiden: it reads the OpenAPI v2 spec of one Kubernetes release from the
// k8s.io/kubernetes module (fetched through the Go module proxy, never added
// to go.mod), turns its definitions into JSON Schema the way kubeconform's
// schemas are built (openapi2jsonschema), strips descriptions, and writes a
// gzip-compressed bundle with an index from group/version/kind to definition.
//
// Run it from the repository root:
//
//	go run ./cmd/schemagen -version v1.35.4
//
// With -catalogue it instead bundles the openAPIV3Schema of the CRDs that
// projects release, one file per set of the catalogue (catalogue.go, listed
// in docs/crds.md), which validators/schema merges into every Kubernetes
// bundle:
//
//	go run ./cmd/schemagen -catalogue all
//	go run ./cmd/schemagen -catalogue cert-manager,gateway-api
//
// A module the proxy does not serve is read from a checkout of its tag
// instead (the catalogue says which):
//
//	git clone --branch v2.2.1 https://github.com/fluxcd/source-watcher /tmp/sw
//	go run ./cmd/schemagen -catalogue flux-source-watcher -module-dir github.com/fluxcd/source-watcher@v2.2.1=/tmp/sw
//
// -crds name=path@version[:folder],... bundles any other modules' CRDs.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stackgen/aiden/validators/schema"
)

func main() {
	version := flag.String("version", "v1.35.4", "k8s.io/kubernetes module version to read the OpenAPI spec from")
	spec := flag.String("spec", "", "read this swagger.json instead of downloading the module")
	out := flag.String("out", "validators/schema", "directory to write k8s-<version>.json.gz into")
	crds := flag.String("crds", "", "instead, write crds-<name>.json.gz from the CRDs in these modules' config/crd/bases or another folder (name=path@version[:folder],...)")
	cat := flag.String("catalogue", "", "instead, write the crds-<name>.json.gz of these sets of the catalogue (comma-separated names, or all)")
	moduleDirs := flag.String("module-dir", "", "with -crds or -catalogue: read these modules from local folders instead of the module proxy (path@version=dir,...)")
	flag.Parse()
	local := map[string]string{}
	for _, kv := range strings.Split(*moduleDirs, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		mod, dir, ok := strings.Cut(kv, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "schemagen: -module-dir %q: want path@version=dir\n", kv)
			os.Exit(2)
		}
		local[mod] = dir
	}

	var err error
	switch {
	case *cat != "":
		err = runCatalogue(*cat, *out, local)
	case *crds == "":
		err = run(*version, *spec, *out)
	default:
		name, modules, ok := strings.Cut(*crds, "=")
		if !ok {
			err = fmt.Errorf("-crds %q: want a comma-separated list of name=path@version[:folder]", *crds)
			break
		}
		err = runCRDs(modules, name, *out, local)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(version, spec, out string) error {
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	if spec == "" {
		dir, err := moduleDir("k8s.io/kubernetes", version)
		if err != nil {
			return err
		}
		spec = filepath.Join(dir, "api", "openapi-spec", "swagger.json")
	}
	raw, err := os.ReadFile(spec)
	if err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	b, err := build(raw, strings.TrimPrefix(version, "v"))
	if err != nil {
		return err
	}
	data, err := encode(b)
	if err != nil {
		return err
	}
	name := filepath.Join(out, "k8s-"+version+".json.gz")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	fmt.Printf("%s: %d definitions, %d kinds, %d bytes\n", name, len(b.Definitions), len(b.Kinds), len(data))
	return nil
}

// moduleDir downloads a module into the module cache with the go command
// and returns its directory; the module stays out of go.mod.
func moduleDir(path, version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	// Outside the module, so that the download leaves go.mod as it is.
	cmd.Dir = os.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	var info struct {
		Dir   string
		Error string
	}
	if jerr := json.Unmarshal(outb, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("download %s@%s: %s", path, version, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("download %s@%s: %w: %s", path, version, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("download %s@%s: no directory reported", path, version)
	}
	return info.Dir, nil
}

// bundle is the file format read by validators/schema.
type bundle struct {
	KubernetesVersion string `json:"kubernetesVersion"`
	Source            string `json:"source"`
	// Name, Project, Version and License describe a CRD set of the
	// catalogue; Fallback sets only add kinds no other set has.
	Name     string `json:"name,omitempty"`
	Project  string `json:"project,omitempty"`
	Version  string `json:"version,omitempty"`
	License  string `json:"license,omitempty"`
	Fallback bool   `json:"fallback,omitempty"`
	// Kinds maps "apiVersion/kind" (for example "apps/v1/Deployment" or
	// "v1/Service") to a definition name.
	Kinds map[string]string `json:"kinds"`
	// Definitions are JSON Schema (draft 4) documents; references point to
	// "#/definitions/<name>".
	Definitions map[string]any `json:"definitions"`
}

const (
	intOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
	quantity    = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

func build(raw []byte, version string) (*bundle, error) {
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	if len(doc.Definitions) == 0 {
		return nil, errors.New("parse spec: no definitions")
	}
	b := &bundle{
		KubernetesVersion: version,
		Source:            "k8s.io/kubernetes@v" + version + " api/openapi-spec/swagger.json",
		Kinds:             map[string]string{},
		Definitions:       map[string]any{},
	}
	names := make([]string, 0, len(doc.Definitions))
	for name := range doc.Definitions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def := doc.Definitions[name]
		if gvks, ok := def["x-kubernetes-group-version-kind"].([]any); ok {
			for _, g := range gvks {
				m, _ := g.(map[string]any)
				group, _ := m["group"].(string)
				ver, _ := m["version"].(string)
				kind, _ := m["kind"].(string)
				if ver == "" || kind == "" {
					continue
				}
				apiVersion := ver
				if group != "" {
					apiVersion = group + "/" + ver
				}
				key := apiVersion + "/" + kind
				// Names are visited in order, so the first definition wins
				// deterministically when a GVK is claimed twice.
				if _, dup := b.Kinds[key]; !dup {
					b.Kinds[key] = name
				}
			}
		}
		switch name {
		case intOrString:
			b.Definitions[name] = map[string]any{"oneOf": []any{
				map[string]any{"type": []any{"string", "null"}},
				map[string]any{"type": []any{"integer", "null"}},
			}}
			continue
		case quantity:
			b.Definitions[name] = map[string]any{"oneOf": []any{
				map[string]any{"type": []any{"string", "null"}},
				map[string]any{"type": []any{"number", "null"}},
			}}
			continue
		}
		// A definition can be referenced from an optional field anywhere,
		// so its own type admits null; validators/schema makes the root of
		// a kind's schema non-null again.
		b.Definitions[name] = schema.ConvertOpenAPI(def, true)
	}
	return b, nil
}

// encode writes the bundle as gzip-compressed JSON; the gzip header carries
// no name or time, so the same spec always yields the same bytes.
func encode(b *bundle) ([]byte, error) {
	js, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compress bundle: %w", err)
	}
	if _, err := zw.Write(js); err != nil {
		return nil, fmt.Errorf("compress bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress bundle: %w", err)
	}
	return buf.Bytes(), nil
}
