package prompts

import (
	"context"
	"testing"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// The built-in examples teach by example: each must pass every check.
func TestBuiltinExamplesAreValid(t *testing.T) {
	v, err := validators.New(validators.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range Builtin() {
		t.Run(ex.Name, func(t *testing.T) {
			var files []workspace.File
			for _, f := range ex.Files {
				files = append(files, workspace.File{Path: ex.Name + "/" + f.Path, Content: f.Content})
			}
			rep, err := v.Validate(context.Background(), files, validators.CheckOptions{Policy: true})
			if err != nil {
				t.Fatal(err)
			}
			if n := rep.Count(validators.SeverityWarning); n > 0 {
				t.Errorf("%d findings at warning or above: %v", n, rep.Findings)
			}
			if ex.Tokens > 1500 {
				t.Errorf("example takes %d tokens; keep examples small", ex.Tokens)
			}
		})
	}
}
