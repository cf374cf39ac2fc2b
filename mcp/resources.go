package mcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/workspace"
)

// Resource URIs.
const (
	uriConfig   = "aiden://config"
	uriExamples = "aiden://examples"
	uriPolicies = "aiden://policies"
)

// What one resource read returns at most.
const (
	maxResourceFiles = 200
	maxResourceBytes = 4 << 20
)

type conventionsIn struct {
	Config string `json:"config,omitempty" jsonschema:"the generation config's YAML, only when the server has no workspace on disk"`
}

type conventionsOut struct {
	Found             bool                `json:"found" jsonschema:"the repository has a generation config"`
	Path              string              `json:"path" jsonschema:"where the config lives"`
	Team              string              `json:"team,omitempty"`
	NamingPattern     string              `json:"naming_pattern,omitempty" jsonschema:"object names, with {env} {app} {component} {team}"`
	NamingMaxLength   int                 `json:"naming_max_length"`
	NamingChars       string              `json:"naming_chars"`
	Labels            map[string]string   `json:"labels" jsonschema:"labels every object carries"`
	Annotations       map[string]string   `json:"annotations" jsonschema:"annotations every object carries"`
	NamespacePattern  string              `json:"namespace_pattern,omitempty"`
	Resources         map[string]resource `json:"resources" jsonschema:"requests and limits per environment (default applies to the others)"`
	KubernetesVersion string              `json:"kubernetes_version,omitempty"`
	Charts            map[string]string   `json:"charts" jsonschema:"component → repository/chart@version the repository uses"`
	Formats           map[string]string   `json:"formats" jsonschema:"path glob → format"`
	Examples          string              `json:"examples" jsonschema:"folder of examples the model is shown"`
	Policies          string              `json:"policies" jsonschema:"folder of the repository's Kyverno and Rego policies"`
}

type resource struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

func (d *door) conventions(ctx context.Context, req *sdk.CallToolRequest, in conventionsIn) (*sdk.CallToolResult, conventionsOut, error) {
	if _, err := d.bind(ctx, "conventions"); err != nil {
		return nil, conventionsOut{}, err
	}
	out, err := d.readConventions(req.Session, req.Params.InputResponses, in.Config)
	if errors.Is(err, errNeedRoots) {
		return &sdk.CallToolResult{InputRequests: needRoots()}, conventionsOut{}, nil
	}
	if err != nil {
		return nil, conventionsOut{}, rpcError(err)
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: conventionsText(out)}}}, out, nil
}

func (d *door) readConventions(ss *sdk.ServerSession, responses sdk.InputResponseMap, text string) (conventionsOut, error) {
	data := []byte(text)
	found := text != ""
	if !found {
		root, err := d.root(ss, responses)
		if err != nil {
			return conventionsOut{}, err
		}
		if root == "" {
			return conventionsOut{}, invalid("config: %w", errNoRoot)
		}
		b, err := readInRoot(root, workspace.ConfigPath)
		switch {
		case err == nil:
			data, found = b, true
		case !errors.Is(err, fs.ErrNotExist):
			return conventionsOut{}, fmt.Errorf("read %s: %w", workspace.ConfigPath, err)
		}
	}
	cfg, err := genconfig.Parse(genconfig.Path, data)
	if err != nil {
		return conventionsOut{}, invalid("%w", err)
	}
	return summarise(cfg, found), nil
}

func summarise(c *genconfig.Config, found bool) conventionsOut {
	out := conventionsOut{
		Found: found, Path: genconfig.Path, Team: c.Team,
		NamingPattern: c.Naming.Pattern, NamingMaxLength: c.MaxLength(), NamingChars: c.AllowedChars(),
		Labels: map[string]string{}, Annotations: map[string]string{}, NamespacePattern: c.Namespace.Pattern,
		Resources: map[string]resource{}, KubernetesVersion: c.KubernetesVersion,
		Charts: map[string]string{}, Formats: map[string]string{},
		Examples: c.ExamplesDir(), Policies: c.PoliciesDir(),
	}
	for k, v := range c.Labels {
		out.Labels[k] = v
	}
	for k, v := range c.Annotations {
		out.Annotations[k] = v
	}
	for env, r := range c.Resources {
		out.Resources[env] = resource{Requests: quantities(r.Requests), Limits: quantities(r.Limits)}
	}
	for comp, ch := range c.Charts {
		out.Charts[comp] = fmt.Sprintf("%s/%s@%s", ch.Repository, ch.Chart, ch.Version)
	}
	for _, f := range c.Formats {
		out.Formats[f.Path] = f.Format
	}
	return out
}

func quantities(q genconfig.Quantities) map[string]string {
	m := map[string]string{}
	if q.CPU != "" {
		m["cpu"] = q.CPU
	}
	if q.Memory != "" {
		m["memory"] = q.Memory
	}
	return m
}

func conventionsText(o conventionsOut) string {
	var b strings.Builder
	if !o.Found {
		fmt.Fprintf(&b, "No %s: aiden's defaults apply.\n", o.Path)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-12s %s\n", k+":", v)
		}
	}
	line("team", o.Team)
	line("naming", strings.TrimSpace(fmt.Sprintf("%s (at most %d characters of %s)", o.NamingPattern, o.NamingMaxLength, o.NamingChars)))
	line("labels", pairs(o.Labels))
	line("annotations", pairs(o.Annotations))
	line("namespace", o.NamespacePattern)
	for _, env := range slices.Sorted(maps.Keys(o.Resources)) {
		r := o.Resources[env]
		line("resources", fmt.Sprintf("%s: requests %s, limits %s", env, pairs(r.Requests), pairs(r.Limits)))
	}
	line("kubernetes", o.KubernetesVersion)
	line("charts", pairs(o.Charts))
	line("formats", pairs(o.Formats))
	line("examples", o.Examples)
	line("policies", o.Policies)
	return b.String()
}

func pairs(m map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, ", ")
}

// readInRoot reads the slash path rel inside root, never outside it.
func readInRoot(root, rel string) ([]byte, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.ReadFile(rel)
}

// readFolder reads the files under the slash path dir inside root, within
// the resource limits, as resource contents named prefix/<path below dir>.
func readFolder(root, dir, prefix string) ([]*sdk.ResourceContents, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []*sdk.ResourceContents
	total := 0
	err = fs.WalkDir(r.FS(), dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != dir && strings.HasPrefix(e.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		if len(out) == maxResourceFiles {
			return fmt.Errorf("%s holds more than %d files", dir, maxResourceFiles)
		}
		b, err := r.ReadFile(p)
		if err != nil {
			return err
		}
		if total += len(b); total > maxResourceBytes {
			return fmt.Errorf("%s holds more than %d bytes", dir, maxResourceBytes)
		}
		out = append(out, &sdk.ResourceContents{URI: prefix + "/" + strings.TrimPrefix(p, dir+"/"), MIMEType: mimeType(p), Text: string(b)})
		return nil
	})
	return out, err
}

func mimeType(p string) string {
	switch path.Ext(p) {
	case ".yaml", ".yml":
		return "application/yaml"
	case ".json":
		return "application/json"
	case ".md":
		return "text/markdown"
	}
	return "text/plain"
}

func (d *door) addResources(s *sdk.Server) {
	if d.opts.Root == "" && !d.opts.Roots {
		return // nothing on disk to serve
	}
	s.AddResource(&sdk.Resource{URI: uriConfig, Name: "generation-config", Title: "Generation config",
		Description: "The repository's .stackgen/generation-config.yaml: the conventions every generation and check follows.", MIMEType: "application/yaml"},
		func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
			root, err := d.root(req.Session, req.Params.InputResponses)
			if errors.Is(err, errNeedRoots) {
				return &sdk.ReadResourceResult{InputRequests: needRoots()}, nil
			}
			if err != nil {
				return nil, rpcError(err)
			}
			b, err := readInRoot(root, workspace.ConfigPath)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, sdk.ResourceNotFoundError(req.Params.URI)
			}
			if err != nil {
				return nil, rpcError(fmt.Errorf("read %s: %w", workspace.ConfigPath, err))
			}
			return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uriConfig, MIMEType: "application/yaml", Text: string(b)}}}, nil
		})
	folder := func(uri, name, title, desc string, dir func(*genconfig.Config) string) {
		s.AddResource(&sdk.Resource{URI: uri, Name: name, Title: title, Description: desc, MIMEType: "application/yaml"},
			func(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
				root, err := d.root(req.Session, req.Params.InputResponses)
				if errors.Is(err, errNeedRoots) {
					return &sdk.ReadResourceResult{InputRequests: needRoots()}, nil
				}
				if err != nil {
					return nil, rpcError(err)
				}
				cfg := &genconfig.Config{}
				if b, err := readInRoot(root, workspace.ConfigPath); err == nil {
					if c, err := genconfig.Parse(genconfig.Path, b); err == nil {
						cfg = c
					}
				}
				p, err := workspace.Clean(dir(cfg))
				if err != nil {
					return nil, rpcError(invalid("the config's folder: %w", err))
				}
				contents, err := readFolder(root, p, uri)
				if errors.Is(err, fs.ErrNotExist) {
					return nil, sdk.ResourceNotFoundError(req.Params.URI)
				}
				if err != nil {
					return nil, rpcError(fmt.Errorf("read %s: %w", p, err))
				}
				return &sdk.ReadResourceResult{Contents: contents}, nil
			})
	}
	folder(uriExamples, "examples", "Examples", "The repository's generation examples (the config's examples folder, .stackgen/examples by default), one content per file.",
		(*genconfig.Config).ExamplesDir)
	folder(uriPolicies, "policies", "Policies", "The repository's Kyverno and Rego policies (the config's policies folder, policies/ by default), one content per file.",
		(*genconfig.Config).PoliciesDir)
}

func (d *door) addPrompt(s *sdk.Server) {
	s.AddPrompt(&sdk.Prompt{
		Name:        "author-infrastructure",
		Title:       "Author infrastructure for this repository",
		Description: "Author a Helm chart, Kustomize overlays or Terraform for this GitOps repository with aiden, following its conventions, and leave it valid.",
		Arguments: []*sdk.PromptArgument{
			{Name: "intent", Description: "what to deploy, in a sentence", Required: true},
			{Name: "target", Description: "the folder to generate into, for example clusters/production/apps/redis"},
			{Name: "format", Description: "helm, kustomize or terraform"},
		},
	}, func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
		args := req.Params.Arguments
		intent := strings.TrimSpace(args["intent"])
		if intent == "" {
			return nil, rpcError(invalid("intent is required: say what to deploy"))
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Author infrastructure for this GitOps repository with aiden's tools: %s\n\n", intent)
		b.WriteString("1. Call the conventions tool and follow what it says (naming, labels, namespaces, resources, chart sources).\n")
		target := cmp.Or(strings.TrimSpace(args["target"]), "a folder that fits the repository's layout (ask me if unsure)")
		format := cmp.Or(strings.TrimSpace(args["format"]), "the format the conventions give for that path, else helm")
		fmt.Fprintf(&b, "2. Call generate with this intent, target %s and format %s. Do not set write until I have seen the patch.\n", target, format)
		b.WriteString("3. For every finding that is not fixed, call explain_finding with its rule, then change the intent or the files so the finding goes away; call validate on the files until no error-level finding remains.\n")
		b.WriteString("4. Show me the patch and a short summary of what was understood and what the checks found; write only when I agree.\n")
		out, err := d.readConventions(req.Session, req.Params.InputResponses, "")
		if errors.Is(err, errNeedRoots) {
			return &sdk.GetPromptResult{InputRequests: needRoots()}, nil
		}
		if err == nil {
			b.WriteString("\nThe repository's conventions:\n" + conventionsText(out))
		}
		return &sdk.GetPromptResult{
			Description: "Author infrastructure for this repository",
			Messages:    []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: b.String()}}},
		}, nil
	})
}
