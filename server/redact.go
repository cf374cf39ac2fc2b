package server

import (
	"fmt"
	"slices"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Rules of the findings that say what redaction left out.
const (
	// RuleCredentialRedacted: the generator wrote a credential-looking
	// literal; the files and the patch carry <redacted:RULE> instead.
	RuleCredentialRedacted = "credential-redacted"
	// RuleSecretWithheld: the patch carries a file without the credential
	// the workspace held in it (a binary deletion or delta, or a marker).
	RuleSecretWithheld = "secret-withheld"
)

// redacted returns what of res may leave the service (the response and the
// record): a copy whose patch carries no credential and whose files carry
// none the generator wrote (patch.Redact), with a finding for each
// credential left out. Credentials the caller's workspace held stay in the
// files (they are the caller's, and the CLI writes the files), never in the
// patch. res itself, which the engine may cache, is not changed.
func redacted(req generator.Request, res *generator.Result) *generator.Result {
	if res == nil {
		return nil
	}
	r := patch.Redact(req.Workspace, res.Files, res.Deleted...)
	out := *res
	out.Files = r.Files
	out.Patch = r.Patch
	out.Report.Findings = slices.Clip(res.Report.Findings)
	for _, w := range r.Withheld {
		f := validators.Finding{File: w.Path, Line: w.Line, Rule: RuleSecretWithheld, Severity: validators.SeverityInfo,
			Message: fmt.Sprintf("%s: %s", w.Rule, w.How)}
		if w.Generated {
			f.Rule, f.Severity = RuleCredentialRedacted, validators.SeverityWarning
		}
		out.Report.Findings = append(out.Report.Findings, f)
	}
	if n := len(res.Provenance.Attempts); n > 0 {
		out.Provenance.Attempts = make([]generator.Attempt, n)
		for i, a := range res.Provenance.Attempts {
			a.Received = redactText(a.Received)
			out.Provenance.Attempts[i] = a
		}
	}
	return &out
}

// redactText replaces every credential the detectors find in s with
// <redacted:RULE>: for what is stored and shown as text (an intent, a
// model's raw answer, an error, an old record's patch).
func redactText(s string) string {
	if s == "" {
		return s
	}
	r, n := secrets.Redact([]byte(s))
	if n == 0 {
		return s
	}
	return string(r)
}

// storedFiles returns files with every credential redacted: a record keeps
// no secret, not even one the workspace held.
func storedFiles(files []workspace.File) []workspace.File {
	if files == nil {
		return nil
	}
	out := make([]workspace.File, len(files))
	for i, f := range files {
		c, _ := secrets.Redact(f.Content)
		out[i] = workspace.File{Path: f.Path, Content: c}
	}
	return out
}

// servedPatch is a stored patch as served. Records written since patches
// are redacted carry none; an older record's patch is redacted as text,
// which may leave hunks that no longer apply, rather than serve a secret.
func servedPatch(p string) string { return redactText(p) }
