package generator

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/validators/schema"
	"github.com/stackgen/aiden/workspace"
)

// builtinPolicies summarises the built-in policy pack for the prompt.
var builtinPolicies = []string{
	"Pod Security Standards (restricted): non-root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp",
	"every container has CPU and memory requests and limits, and liveness and readiness probes",
	"no image uses the :latest tag or no tag",
	"no plaintext Secret objects (use SealedSecret or ExternalSecret, or refer to an existing Secret)",
	"replicated workloads have a PodDisruptionBudget; StatefulSet volumes are not deleted with the workload",
}

// promptInput assembles what the model is told about the request and the
// repository. Only these leave the process: the intent (redacted), the
// generation config (redacted), the chosen examples (redacted), the names
// of the policies and of the files already in the target folder, and for
// Kustomize the paths of the repository's Components and of the overlays
// that use them. Nothing else of the workspace is sent (docs/models.md).
func (e *Engine) promptInput(req Request, target string, format Format) (prompts.Input, int) {
	version := e.kubernetesVersion(req)
	total := 0
	redact := func(b []byte) []byte {
		out, n := redactSecrets(b)
		total += n
		return out
	}
	in := prompts.Input{
		Intent:            string(redact([]byte(strings.TrimSpace(req.Intent)))),
		Format:            string(format),
		TargetPath:        target,
		Environment:       req.Environment,
		KubernetesVersion: version,
	}
	var examples []prompts.Example
	for _, f := range req.Workspace {
		p, err := workspace.Clean(f.Path)
		if err != nil {
			continue
		}
		switch {
		case p == workspace.ConfigPath:
			in.Conventions = strings.TrimSpace(string(redact(f.Content)))
		case workspace.Within(workspace.PoliciesDir, p) && p != workspace.PoliciesDir:
			if s := policyLine(p, f.Content); s != "" {
				in.Policies = append(in.Policies, s)
			}
		case workspace.Within(target, p):
			in.Existing = append(in.Existing, strings.TrimPrefix(p, target+"/"))
		}
	}
	if format == FormatKustomize {
		for _, c := range planner.WorkspaceComponents(req.Workspace) {
			line := c.Path
			var envs []string
			for env, by := range c.UsedBy {
				envs = append(envs, env+" ("+by+")")
			}
			sort.Strings(envs)
			if len(envs) > 0 {
				line += ": used by the overlays for " + strings.Join(envs, ", ")
			}
			in.Components = append(in.Components, line)
		}
	}
	if req.PolicyCheck {
		in.Policies = append(append([]string{}, builtinPolicies...), in.Policies...)
	}
	if budget := e.opts.Model.ExampleTokens; budget > 0 {
		examples = append(prompts.FromWorkspace(req.Workspace), prompts.Builtin()...)
		in.Examples, _ = prompts.Select(req.Intent, string(format), examples, budget)
		for i, ex := range in.Examples {
			if ex.Source != "workspace" {
				continue // aiden's own examples hold no secrets
			}
			files := make([]workspace.File, len(ex.Files))
			for j, f := range ex.Files {
				files[j] = workspace.File{Path: f.Path, Content: redact(f.Content)}
			}
			in.Examples[i].Files = files
		}
	}
	return in, total
}

var (
	kindRE = regexp.MustCompile(`(?m)^kind:\s*(\S+)`)
	nameRE = regexp.MustCompile(`(?m)^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*(\S+)`)
)

// policyLine names a repository policy file for the prompt.
func policyLine(p string, content []byte) string {
	switch path.Ext(p) {
	case ".rego":
		return "repository Rego policy " + p
	case ".yaml", ".yml":
		kind, name := "", ""
		if m := kindRE.FindSubmatch(content); m != nil {
			kind = string(m[1])
		}
		if m := nameRE.FindSubmatch(content); m != nil {
			name = string(m[1])
		}
		if kind == "" {
			return ""
		}
		return fmt.Sprintf("repository %s %s (%s)", kind, name, p)
	}
	return ""
}

// kubernetesVersion is the version the model is told to write for: the
// request's, the engine's, or that of the schemas that ship with aiden.
func (e *Engine) kubernetesVersion(req Request) string {
	if v := cmp.Or(req.KubernetesVersion, e.opts.KubernetesVersion); v != "" {
		return v
	}
	v, _ := schema.Version()
	return v
}
