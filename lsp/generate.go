package lsp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tliron/glsp"
	protocol "github.com/tliron/glsp/protocol_3_16"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/generator/planner"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/workspace"
)

// GenerateArgs is the one argument of the aiden.generate command.
type GenerateArgs struct {
	// Intent is the sentence of intent.
	Intent string `json:"intent"`
	// Target is the folder the files land in: a file: URI or an absolute
	// path. The repository that holds it is read as `aiden generate
	// --output` reads it.
	Target string `json:"target"`
	// Format is helm (the default), kustomize or terraform.
	Format string `json:"format,omitempty"`
	// Environment is optional; the intent or the target's path may name it.
	Environment string `json:"environment,omitempty"`
	// Apply asks the server to have the client apply the edit
	// (workspace/applyEdit) besides returning it.
	Apply bool `json:"apply,omitempty"`
}

// GenerateResult is what the aiden.generate command returns.
type GenerateResult struct {
	// Edit creates, replaces and deletes the files of the generation.
	Edit protocol.WorkspaceEdit `json:"edit"`
	// Summary says what was built and what the checks found.
	Summary string `json:"summary"`
	// Findings counts the findings left unfixed.
	Findings int `json:"findings"`
	// ApplyRequested is true when the server asked the client to apply
	// the edit (workspace/applyEdit), right after this answer.
	ApplyRequested bool `json:"applyRequested"`
}

func (s *Server) executeCommand(ctx *glsp.Context, p *protocol.ExecuteCommandParams) (any, error) {
	if p.Command != CommandGenerate {
		return nil, fmt.Errorf("unknown command %q (the server runs %s)", p.Command, CommandGenerate)
	}
	if len(p.Arguments) != 1 {
		return nil, fmt.Errorf("%s takes one argument, {intent, target, format, environment, apply}; got %d", CommandGenerate, len(p.Arguments))
	}
	raw, err := json.Marshal(p.Arguments[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CommandGenerate, err)
	}
	var args GenerateArgs
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, fmt.Errorf("%s: the argument is not {intent, target, format, environment, apply}: %w", CommandGenerate, err)
	}
	res, err := s.generate(args)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	canApply := s.canApply
	s.mu.Unlock()
	if args.Apply && canApply {
		// Asked once this answer is out: the connection handles one
		// message at a time, so the client's answer could not be read
		// while this request is being handled.
		label := "aiden: " + args.Intent
		res.ApplyRequested = true
		go ctx.Call(protocol.ServerWorkspaceApplyEdit, protocol.ApplyWorkspaceEditParams{Label: &label, Edit: res.Edit}, &protocol.ApplyWorkspaceEditResponse{})
	}
	return res, nil
}

// generate runs the engine on the intent for the target folder and turns
// its files into a workspace edit: new files created, changed ones
// replaced whole, deleted ones deleted.
func (s *Server) generate(args GenerateArgs) (*GenerateResult, error) {
	if strings.TrimSpace(args.Intent) == "" {
		return nil, fmt.Errorf("%s: no intent", CommandGenerate)
	}
	target := args.Target
	if strings.HasPrefix(target, "file:") {
		p, err := uriPath(target)
		if err != nil {
			return nil, err
		}
		target = p
	}
	if !filepath.IsAbs(target) {
		return nil, fmt.Errorf("%s: target %q is not an absolute path or a file: URI", CommandGenerate, args.Target)
	}
	format, err := generator.ParseFormat(args.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CommandGenerate, err)
	}
	root, rel, err := workspace.FindRoot(target)
	if err != nil {
		return nil, fmt.Errorf("%s: target %s: %w", CommandGenerate, target, err)
	}
	env := args.Environment
	if env == "" && !workspace.IsRepository(root) {
		env = planner.PathEnvironment(filepath.ToSlash(filepath.Join(root, rel)), "clusters")
	}
	var files []workspace.File
	if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
		if files, err = gitops.LoadFor(workspace.DefaultLimits(), root, rel, string(format)); err != nil {
			return nil, fmt.Errorf("%s: read the repository: %w", CommandGenerate, err)
		}
	}
	res, err := s.engine.Generate(s.ctx, generator.Request{
		Intent: args.Intent, Format: format, TargetPath: rel, Environment: env, Workspace: files,
		PolicyCheck: s.opts.PolicyCheck, Mode: generator.ModeAuto,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CommandGenerate, err)
	}
	have := map[string]string{}
	for _, f := range files {
		have[f.Path] = string(f.Content)
	}
	var changes []any
	for _, f := range res.Files {
		uri := pathURI(filepath.Join(root, filepath.FromSlash(f.Path)))
		old, exists := have[f.Path]
		if !exists {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(f.Path))); err == nil {
				b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", CommandGenerate, err)
				}
				old, exists = string(b), true
			}
		}
		if exists && old == string(f.Content) {
			continue
		}
		if !exists {
			no := false
			changes = append(changes, protocol.CreateFile{Kind: "create", URI: uri,
				Options: &protocol.CreateFileOptions{Overwrite: &no, IgnoreIfExists: &no}})
		}
		changes = append(changes, protocol.TextDocumentEdit{
			TextDocument: protocol.OptionalVersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: uri}},
			Edits:        []any{wholeEdit(old, string(f.Content))},
		})
	}
	for _, p := range res.Deleted {
		changes = append(changes, protocol.DeleteFile{Kind: "delete", URI: pathURI(filepath.Join(root, filepath.FromSlash(p)))})
	}
	open := res.Report.Count(1)
	summary := res.Provenance.Summary
	if summary == "" {
		summary = fmt.Sprintf("%d files", len(res.Files))
	}
	summary = fmt.Sprintf("%s (%s in %s; %d %s left)", summary, res.Mode, rel, open, plural(open, "finding"))
	return &GenerateResult{Edit: protocol.WorkspaceEdit{DocumentChanges: changes}, Summary: summary, Findings: open}, nil
}

// wholeEdit replaces the whole of old with new.
func wholeEdit(old, new string) protocol.TextEdit {
	lines := strings.Split(old, "\n")
	last := len(lines) - 1
	return protocol.TextEdit{Range: protocol.Range{End: protocol.Position{Line: protocol.UInteger(last), Character: protocol.UInteger(len([]rune(lines[last])))}}, NewText: new}
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
