package generator

import (
	"fmt"
	"strings"

	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// maxReceived caps the text of an unusable answer kept in an Attempt.
const maxReceived = 64 << 10

// best is the attempt kept so far.
type best struct {
	n         int
	files     []workspace.File
	deleted   []string
	report    validators.Report
	validated bool
	errors    int
}

// readAnswer turns an answer into files placed under target. Files that
// would land outside it are dropped and reported as error findings, so
// that the repair request names them. problem is set when nothing usable
// came back.
func readAnswer(ans Answer, target string) (files []workspace.File, rejected []validators.Finding, problem string) {
	if ans.Truncated {
		return nil, nil, fmt.Sprintf("the answer was cut off at the token limit after %d output tokens; answer again, more concisely (no comments, short NOTES.txt)", ans.Usage.OutputTokens)
	}
	parsed, err := prompts.Parse(ans.Content)
	if err != nil {
		return nil, nil, err.Error()
	}
	seen := map[string]int{}
	for _, f := range parsed {
		rel := strings.TrimPrefix(f.Path, target+"/") // models often echo the full path
		p, err := workspace.Clean(target + "/" + rel)
		if err == nil {
			_, err = workspace.Clean(rel)
		}
		if err != nil || !workspace.Within(target, p) || p == target {
			rejected = append(rejected, validators.Finding{File: f.Path, Rule: "output", Severity: validators.SeverityError,
				Message: fmt.Sprintf("file %q is outside the target folder %s; it was rejected (paths are relative to the target folder)", f.Path, target)})
			continue
		}
		if i, ok := seen[p]; ok {
			files[i].Content = f.Content // the later copy wins
			continue
		}
		seen[p] = len(files)
		files = append(files, workspace.File{Path: p, Content: f.Content})
	}
	if len(files) == 0 {
		return nil, nil, fmt.Sprintf("every file of the answer was outside the target folder %s", target)
	}
	return files, rejected, ""
}

// errorLines formats the error-level findings for a repair request, with
// paths relative to the target folder as the model wrote them.
func errorLines(rep validators.Report, target string) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Fixed || f.Severity < validators.SeverityError {
			continue
		}
		f.File = strings.TrimPrefix(f.File, target+"/")
		out = append(out, f.String())
	}
	return out
}

func allTruncated(atts []Attempt) bool {
	for _, a := range atts {
		if !a.Truncated {
			return false
		}
	}
	return len(atts) > 0
}
