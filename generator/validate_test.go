package generator_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// exampleFile reads a file of the example repository under its path there.
func exampleFile(t *testing.T, p string) workspace.File {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../examples/gitops", filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return workspace.File{Path: p, Content: b}
}

// TestValidateConventions validates files of the example repository with
// its generation config among them: generated files pass, files that
// break the naming and labels are named with their lines, and files that
// lie in no app folder are not checked.
func TestValidateConventions(t *testing.T) {
	ctx := context.Background()
	engine := generator.New(generator.Options{})
	config := exampleFile(t, genconfig.Path)

	gen, err := engine.Generate(ctx, generator.Request{Intent: "a web service running image ghcr.io/acme/api:1.4.2 on port 8080", TargetPath: "clusters/production/apps/api", Workspace: mustLoad(t, "clusters/production/apps/api")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var generated []workspace.File
	for _, f := range gen.Files {
		if workspace.Within("clusters/production/apps/api", f.Path) {
			generated = append(generated, f)
		}
	}
	// A Kustomize app whose path names no environment, with an overlay per
	// environment; and the same with the overlays' conventions undone.
	kgen, err := engine.Generate(ctx, generator.Request{Intent: "a web app ghcr.io/acme/shop:1.2.0 on port 8080 with 3 replicas in production and 1 in staging",
		Format: generator.FormatKustomize, TargetPath: "base/shop", Workspace: exampleWorkspace(t, "base/shop")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	overlays := []workspace.File{exampleFile(t, "components/monitoring/kustomization.yaml"), config}
	var undone []workspace.File
	for _, f := range kgen.Files {
		if !workspace.Within("base/shop", f.Path) {
			continue
		}
		overlays = append(overlays, f)
		if strings.HasPrefix(f.Path, "base/shop/overlays/") {
			f.Content = []byte(strings.NewReplacer("namePrefix: production-\n", "", "namePrefix: staging-\n", "").Replace(string(f.Content)))
		}
		undone = append(undone, f)
	}
	undone = append(undone, overlays[:2]...)

	var careless []workspace.File
	for name, content := range map[string]string{"deployment.yaml": "careless/deployment.yaml", "service.yaml": "careless/service.yaml"} {
		b, err := os.ReadFile("testdata/model/manifests/" + content)
		if err != nil {
			t.Fatal(err)
		}
		careless = append(careless, workspace.File{Path: "clusters/production/apps/shop/" + name, Content: b})
	}

	for _, tc := range []struct {
		name   string
		files  []workspace.File
		skip   bool
		status validators.CheckStatus // "" for no conventions check
		detail string
		want   []string // findings, as strings
	}{
		{
			name:   "generated files pass",
			files:  append(generated, config),
			status: validators.CheckPassed,
			detail: "5 objects of 1 app against .stackgen/generation-config.yaml: no errors",
		},
		{
			name:   "names and labels broken",
			files:  append(careless, config),
			status: validators.CheckFailed,
			detail: "7 objects of 1 app against .stackgen/generation-config.yaml: 23 errors",
			want: []string{
				`clusters/production/apps/shop/deployment.yaml:27:9: Deployment/shop: /metadata/name: name "shop" does not follow naming.pattern "{env}-{app}" (want "production-shop" or "production-shop-<suffix>") (conventions/naming)`,
				`clusters/production/apps/shop/service.yaml:3:1: Service/Shop_Web: /metadata/labels: labels required by the generation config: missing team="payments", app.kubernetes.io/part-of="shop", environment="production" (conventions/labels)`,
				`clusters/production/apps/shop/deployment.yaml:36:5: Deployment/shop: /spec/template/metadata/annotations: annotations required by the generation config: missing owner="payments@acme.io" (conventions/annotations)`,
			},
		},
		{
			name: "a Kustomize app, through its build",
			files: []workspace.File{
				exampleFile(t, "clusters/production/apps/podinfo/kustomization.yaml"),
				exampleFile(t, "base/podinfo/kustomization.yaml"), exampleFile(t, "base/podinfo/deployment.yaml"), exampleFile(t, "base/podinfo/service.yaml"),
				exampleFile(t, "components/monitoring/kustomization.yaml"), config,
			},
			status: validators.CheckPassed,
			// The base's labels and annotations come from its
			// kustomization's transformers; the overlay names and places it.
			detail: "4 objects of 2 apps against .stackgen/generation-config.yaml: no errors",
			want:   []string{".stackgen/generation-config.yaml: base/podinfo: names no environment"},
		},
		{
			name:   "a Kustomize app with overlays, each for its environment",
			files:  overlays,
			status: validators.CheckPassed,
			detail: "8 objects of 1 app against .stackgen/generation-config.yaml: no errors",
		},
		{
			name:   "a Kustomize app with overlays that miss their environment's name prefix",
			files:  undone,
			status: validators.CheckFailed,
			detail: "8 objects of 1 app against .stackgen/generation-config.yaml: 8 errors",
			want: []string{
				`base/shop/overlays/production: Deployment/payments-production/shop: /metadata/name: name "shop" does not follow naming.pattern "{env}-{app}" (want "production-shop"`,
				`ServiceAccount/payments-staging/shop: /metadata/name: name "shop" does not follow naming.pattern "{env}-{app}" (want "staging-shop"`,
			},
		},
		{
			name:   "a Kustomize app that does not build",
			files:  []workspace.File{exampleFile(t, "clusters/production/apps/podinfo/kustomization.yaml"), config},
			status: validators.CheckSkipped,
			detail: "0 objects of 0 apps against .stackgen/generation-config.yaml: no errors; 1 Kustomize app not checked, as it does not build",
		},
		{
			name:   "a Kustomize app breaking the conventions",
			files:  append(append([]workspace.File{{Path: "clusters/production/apps/shop/kustomization.yaml", Content: []byte("resources: [deployment.yaml, service.yaml]\n")}}, careless...), config),
			status: validators.CheckFailed,
			detail: "7 objects of 1 app against .stackgen/generation-config.yaml: 23 errors",
			want:   []string{`clusters/production/apps/shop:`, `Deployment/shop: /metadata/name: name "shop" does not follow naming.pattern`},
		},
		{
			name:  "turned off",
			files: append(careless, config),
			skip:  true,
		},
		{
			name:  "no generation config",
			files: careless,
		},
		{
			name:   "beside the apps, in no app folder",
			files:  []workspace.File{exampleFile(t, "clusters/production/apps/namespace.yaml"), config},
			status: validators.CheckSkipped,
			detail: "no file lies in an app folder of the generation config's formats (clusters/*/apps/**, base/**, terraform/**)",
		},
		{
			name:   "broken config",
			files:  append(careless, workspace.File{Path: genconfig.Path, Content: []byte("naming:\n  pattern: \"{region}-{app}\"\n  maxLength: sixty\n")}),
			status: validators.CheckFailed,
			detail: ".stackgen/generation-config.yaml has 2 problems; fix it first (aiden config validate)",
			want: []string{
				`.stackgen/generation-config.yaml:2: naming.pattern: unknown placeholder {region} (known: {env}, {app}, {component}, {team}) (config)`,
				`.stackgen/generation-config.yaml:3: naming.maxLength: must be a whole number, not "sixty" (config)`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := engine.Validate(ctx, tc.files, generator.Check{SkipConventions: tc.skip})
			if err != nil {
				t.Fatal(err)
			}
			var conv *validators.Check
			for i, c := range rep.Checks {
				if c.Name == "conventions" {
					conv = &rep.Checks[i]
				}
				if c.Name == "kustomize" && c.Checked == 0 {
					t.Errorf("the generation config was given to the kustomize check: %+v", c)
				}
			}
			switch {
			case tc.status == "" && conv != nil:
				t.Fatalf("conventions check %+v, want none", *conv)
			case tc.status == "":
				return
			case conv == nil:
				t.Fatalf("no conventions check in %+v", rep.Checks)
			}
			if conv.Status != tc.status || conv.Detail != tc.detail {
				t.Errorf("conventions check = %s %q, want %s %q", conv.Status, conv.Detail, tc.status, tc.detail)
			}
			var got []string
			for _, f := range rep.Findings {
				if strings.HasPrefix(f.Rule, "conventions/") || f.Rule == "config" {
					got = append(got, f.String())
				}
			}
			all := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("findings lack\n%s\ngot\n%s", w, all)
				}
			}
			if len(tc.want) == 0 && len(got) > 0 {
				t.Errorf("unexpected findings:\n%s", all)
			}
		})
	}
}

func mustLoad(t *testing.T, target string) []workspace.File {
	t.Helper()
	ws, err := workspace.Load("../examples/gitops", target)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}
