package gitops

import (
	"sort"
	"testing"

	"github.com/stackgen/aiden/workspace"
)

// fluxRepo is a Flux repository laid out like examples/gitops: the root
// kustomization of each cluster lists flux-system and the Flux
// Kustomizations of infrastructure and apps.
var fluxRepo = map[string]string{
	"clusters/production/kustomization.yaml":                        "resources:\n  - flux-system\n  - infrastructure.yaml\n  - apps.yaml\n",
	"clusters/production/flux-system/kustomization.yaml":            "resources:\n  - gotk-sync.yaml\n",
	"clusters/production/flux-system/gotk-sync.yaml":                fluxKustomization("flux-system", "./clusters/production", ""),
	"clusters/production/infrastructure.yaml":                       fluxKustomization("infrastructure", "./clusters/production/infrastructure", ""),
	"clusters/production/apps.yaml":                                 fluxKustomization("apps", "./clusters/production/apps", ""),
	"clusters/production/infrastructure/kustomization.yaml":         "resources:\n  - sources\n",
	"clusters/production/infrastructure/sources/kustomization.yaml": "resources:\n  - podinfo.yaml\n  - bitnami.yaml\n",
	"clusters/production/infrastructure/sources/podinfo.yaml":       helmRepository("podinfo", "flux-system", "https://stefanprodan.github.io/podinfo"),
	"clusters/production/infrastructure/sources/bitnami.yaml":       helmRepository("bitnami", "flux-system", "https://charts.bitnami.com/bitnami/"),
	"clusters/production/apps/kustomization.yaml":                   "resources:\n  - podinfo\n",
	"clusters/staging/kustomization.yaml":                           "resources:\n  - infrastructure.yaml\n",
	"clusters/staging/infrastructure.yaml":                          fluxKustomization("infrastructure", "./clusters/staging/infrastructure", ""),
	"clusters/staging/infrastructure/kustomization.yaml":            "resources:\n  - local.yaml\n",
	"clusters/staging/infrastructure/local.yaml":                    helmRepository("jetstack", "flux-system", "https://charts.jetstack.io"),
}

func fluxKustomization(name, p, targetNamespace string) string {
	s := "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name + "\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: " + p + "\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
	if targetNamespace != "" {
		s += "  targetNamespace: " + targetNamespace + "\n"
	}
	return s
}

func helmRepository(name, namespace, url string) string {
	s := "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: " + name + "\n"
	if namespace != "" {
		s += "  namespace: " + namespace + "\n"
	}
	return s + "spec:\n  interval: 1h\n  url: " + url + "\n"
}

// with returns fluxRepo changed by edits (an empty value deletes a file)
// as workspace files.
func with(edits map[string]string) []workspace.File {
	m := map[string]string{}
	for k, v := range fluxRepo {
		m[k] = v
	}
	for k, v := range edits {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	var files []workspace.File
	for k, v := range m {
		files = append(files, workspace.File{Path: k, Content: []byte(v)})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

func TestFindHelmRepository(t *testing.T) {
	const bitnami = "https://charts.bitnami.com/bitnami"
	for _, tc := range []struct {
		name     string
		edits    map[string]string
		target   string
		url      string
		want     string // namespace/name, "" for none
		wantFile string
	}{
		{
			name:     "applied through a Flux Kustomization and kustomizations",
			target:   "clusters/production/apps/redis",
			url:      bitnami,
			want:     "flux-system/bitnami",
			wantFile: "clusters/production/infrastructure/sources/bitnami.yaml",
		},
		{
			name:   "case of scheme and host, trailing slashes",
			target: "clusters/production/apps/redis",
			url:    "HTTPS://Charts.Bitnami.com/bitnami//",
			want:   "flux-system/bitnami",
		},
		{
			name:   "another chart repository",
			target: "clusters/production/apps/redis",
			url:    "https://charts.bitnami.com/other",
		},
		{
			name: "oci repository in flux-system",
			edits: map[string]string{
				"clusters/production/flux-system/kustomization.yaml": "resources:\n  - gotk-sync.yaml\n  - charts.yaml\n",
				"clusters/production/flux-system/charts.yaml":        helmRepository("bitnami-oci", "flux-system", "oci://registry-1.docker.io/bitnamicharts") + "  type: oci\n",
			},
			target: "clusters/production/apps/pg",
			url:    "oci://registry-1.docker.io/bitnamicharts/",
			want:   "flux-system/bitnami-oci",
		},
		{
			name:   "another cluster's repository is not used",
			target: "clusters/production/apps/certs",
			url:    "https://charts.jetstack.io",
		},
		{
			name:   "the cluster's own repository",
			target: "clusters/staging/apps/certs",
			url:    "https://charts.jetstack.io",
			want:   "flux-system/jetstack",
		},
		{
			name:   "another cluster's repository that this one includes",
			edits:  map[string]string{"clusters/staging/infrastructure/kustomization.yaml": "resources:\n  - local.yaml\n  - ../../production/infrastructure/sources\n"},
			target: "clusters/staging/apps/redis",
			url:    bitnami,
			want:   "flux-system/bitnami",
		},
		{
			name:   "a file no kustomization lists",
			edits:  map[string]string{"clusters/production/infrastructure/sources/kustomization.yaml": "resources:\n  - podinfo.yaml\n"},
			target: "clusters/production/apps/redis",
			url:    bitnami,
		},
		{
			name: "targetNamespace of the Flux Kustomization wins",
			edits: map[string]string{
				"clusters/production/infrastructure.yaml": fluxKustomization("infrastructure", "./clusters/production/infrastructure", "sources"),
			},
			target: "clusters/production/apps/redis",
			url:    bitnami,
			want:   "sources/bitnami",
		},
		{
			name: "namespace of the outermost kustomization",
			edits: map[string]string{
				"clusters/production/infrastructure/kustomization.yaml":         "namespace: infra\nresources:\n  - sources\n",
				"clusters/production/infrastructure/sources/kustomization.yaml": "namespace: inner\nresources:\n  - bitnami.yaml\n",
				"clusters/production/infrastructure/sources/bitnami.yaml":       helmRepository("bitnami", "", bitnami),
			},
			target: "clusters/production/apps/redis",
			url:    bitnami,
			want:   "infra/bitnami",
		},
		{
			name:   "no namespace anywhere",
			edits:  map[string]string{"clusters/production/infrastructure/sources/bitnami.yaml": helmRepository("bitnami", "", bitnami)},
			target: "clusters/production/apps/redis",
			url:    bitnami,
		},
		{
			name: "a Flux path without kustomization.yaml applies every manifest below it",
			edits: map[string]string{
				"clusters/production/infrastructure.yaml":  fluxKustomization("infrastructure", "./infrastructure", ""),
				"infrastructure/sources/helm/bitnami.yaml": helmRepository("bitnami", "flux-system", bitnami),
			},
			target:   "clusters/production/apps/redis",
			url:      bitnami,
			want:     "flux-system/bitnami",
			wantFile: "infrastructure/sources/helm/bitnami.yaml",
		},
		{
			name:   "inside the target, which the generation replaces",
			edits:  map[string]string{"clusters/production/apps/kustomization.yaml": "resources:\n  - redis\n", "clusters/production/apps/redis/kustomization.yaml": "resources:\n  - helmrepository.yaml\n", "clusters/production/apps/redis/helmrepository.yaml": helmRepository("redis", "apps", "https://charts.example.com"), "clusters/production/apps.yaml": fluxKustomization("apps", "./clusters/production/apps", "")},
			target: "clusters/production/apps/redis",
			url:    "https://charts.example.com",
		},
		{
			name:   "a target outside clusters/ sees the whole repository",
			edits:  map[string]string{"infrastructure/bitnami.yaml": helmRepository("charts", "flux-system", bitnami)},
			target: "apps/redis",
			url:    bitnami,
			want:   "flux-system/bitnami",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FindHelmRepository(with(tc.edits), tc.target, tc.url)
			gotName := ""
			if ok {
				gotName = got.Namespace + "/" + got.Name
			}
			if gotName != tc.want {
				t.Fatalf("FindHelmRepository = %q (%+v), want %q", gotName, got, tc.want)
			}
			if tc.wantFile != "" && got.File != tc.wantFile {
				t.Errorf("file = %s, want %s", got.File, tc.wantFile)
			}
			if ok && got.Line != 1 {
				t.Errorf("line = %d, want 1", got.Line)
			}
		})
	}
}

func TestHelmRepositories(t *testing.T) {
	files := []workspace.File{
		{Path: "a/repos.yaml", Content: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" + helmRepository("one", "", "https://a.example.com") + "---\n" + "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\nmetadata:\n  name: two\n  namespace: ns\nspec:\n  type: oci\n  url: oci://r.example.com/charts\n")},
		{Path: "a/notes.txt", Content: []byte("kind: HelmRepository\n")},
		{Path: "a/broken.yaml", Content: []byte("kind: [\n")},
		{Path: "a/other.yaml", Content: []byte("apiVersion: example.com/v1\nkind: HelmRepository\nmetadata:\n  name: not-flux\n")},
	}
	got := HelmRepositories(files)
	want := []HelmRepository{
		{Name: "one", URL: "https://a.example.com", File: "a/repos.yaml", Line: 6},
		{Name: "two", Namespace: "ns", URL: "oci://r.example.com/charts", File: "a/repos.yaml", Line: 14},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("repository %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestLoadSourcesExample reads the example repository as a helm
// generation does: the Flux files of every cluster, and nothing else
// beyond what workspace.Limits.Load reads; the bitnami HelmRepository is
// found from either cluster.
func TestLoadSourcesExample(t *testing.T) {
	files, err := LoadSources(workspace.Limits{}, "../examples/gitops", "clusters/staging/apps/cache")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range files {
		got[f.Path] = true
	}
	for _, p := range []string{
		".stackgen/generation-config.yaml",
		"clusters/production/infrastructure/sources/bitnami.yaml",
		"clusters/production/infrastructure.yaml",
		"clusters/staging/flux-system/gotk-sync.yaml",
		"clusters/staging/infrastructure/kustomization.yaml",
		"base/podinfo/kustomization.yaml",
	} {
		if !got[p] {
			t.Errorf("LoadSources did not read %s", p)
		}
	}
	for _, p := range []string{"base/podinfo/deployment.yaml", "clusters/production/apps/namespace.yaml", "README.md"} {
		if got[p] {
			t.Errorf("LoadSources read %s", p)
		}
	}
	for _, target := range []string{"clusters/staging/apps/cache", "clusters/production/apps/cache"} {
		repo, ok := FindHelmRepository(files, target, "https://charts.bitnami.com/bitnami")
		if !ok || repo.Namespace+"/"+repo.Name != "flux-system/bitnami" {
			t.Errorf("FindHelmRepository for %s = %+v, %v; want flux-system/bitnami", target, repo, ok)
		}
	}
}
