package generator

import (
	"bytes"
	"sort"
	"strings"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/workspace"
)

// changedApp returns the app's files as they stand after a change: the
func changedApp(app *change.App, changed []workspace.File, deleted []string) []workspace.File {
	gone := map[string]bool{}
	for _, p := range deleted {
		gone[p] = true
	}
	byPath := map[string][]byte{}
	for _, f := range app.Files {
		byPath[f.Path] = f.Content
	}
	for _, f := range changed {
		byPath[f.Path] = f.Content
	}
	var out []workspace.File
	for p, c := range byPath {
		if !gone[p] {
			out = append(out, workspace.File{Path: p, Content: c})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// changeInput assembles what the model is told about a change: the
// intent, the app's files and the generation config (all redacted), and
// the policies' names. Nothing else of the workspace is sent.
func (e *Engine) changeInput(req Request, app *change.App) (prompts.ChangeInput, int) {
	version := e.kubernetesVersion(req)
	total := 0
	redact := func(b []byte) []byte {
		out, n := redactSecrets(b)
		total += n
		return out
	}
	in := prompts.ChangeInput{
		Intent:            string(redact([]byte(strings.TrimSpace(req.Intent)))),
		Kind:              string(app.Kind),
		TargetPath:        app.Root,
		Environment:       req.Environment,
		KubernetesVersion: version,
	}
	for _, f := range app.Files {
		in.Files = append(in.Files, workspace.File{Path: strings.TrimPrefix(f.Path, app.Root+"/"), Content: redact(f.Content)})
	}
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
		}
	}
	if req.PolicyCheck {
		in.Policies = append(append([]string{}, builtinPolicies...), in.Policies...)
	}
	return in, total
}

// redactedMark starts what secrets.Redact puts in place of a secret.
const redactedMark = "<redacted:"

// restoreSecrets puts back the secret values of old into a model's new
// content: redaction keeps lines in place, so a line the model returned
// exactly as it saw it (redacted) is the original line.
func restoreSecrets(content, old []byte) []byte {
	if !bytes.Contains(content, []byte(redactedMark)) {
		return content
	}
	red, _ := redactSecrets(old)
	oldLines, redLines := bytes.Split(old, []byte("\n")), bytes.Split(red, []byte("\n"))
	if len(oldLines) != len(redLines) {
		return content
	}
	orig := map[string][]byte{}
	for i, l := range redLines {
		if !bytes.Equal(l, oldLines[i]) {
			orig[string(l)] = oldLines[i]
		}
	}
	lines := bytes.Split(content, []byte("\n"))
	for i, l := range lines {
		if o, ok := orig[string(l)]; ok {
			lines[i] = o
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
