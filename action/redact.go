package action

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/patch"
	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/validators"
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

// Redacted returns what of res may leave the process (the response and the
// record): a copy whose patch carries no credential and whose files carry
// none the generator wrote (patch.Redact), with a finding for each
// credential left out. Credentials the caller's workspace held stay in the
// files (they are the caller's, and the CLI writes the files), never in the
// patch. res itself, which the engine may cache, is not changed. Every door
// gets it through Generate.Run.
func Redacted(req generator.Request, res *generator.Result) *generator.Result {
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
			a.Received = RedactText(a.Received)
			a.Problem = RedactText(a.Problem)
			out.Provenance.Attempts[i] = a
		}
	}
	return &out
}

// RedactText replaces every credential the detectors find in s with
// <redacted:RULE>: for what is stored and shown as text (an intent, a
// model's raw answer, an error, an old record's patch).
func RedactText(s string) string {
	if s == "" {
		return s
	}
	r, n := secrets.Redact([]byte(s))
	if n == 0 {
		return s
	}
	return string(r)
}

// deltas redacts a model's answer as it streams: it passes on whole lines
// only, with every credential the detectors find in the answer so far
// replaced, and holds back an open PEM private key block until its END
// line. A credential the detectors recognise only from what follows (a
// Secret's data above its kind: Secret line) can pass unredacted while
// streaming; the final result and the record are redacted whole.
type deltas struct {
	attempt int
	text    []byte // the attempt's answer so far
	sent    int    // bytes of text passed on
}

// add takes a piece of attempt's answer and returns what may be sent now;
// a new attempt number first flushes the previous attempt.
func (d *deltas) add(attempt int, delta string) (flushed, out string) {
	if attempt != d.attempt {
		flushed = d.flush()
		d.attempt, d.text, d.sent = attempt, nil, 0
	}
	d.text = append(d.text, delta...)
	end := bytes.LastIndexByte(d.text, '\n') + 1
	if i := openPrivateKey(d.text[d.sent:end]); i >= 0 {
		end = d.sent + i
	}
	return flushed, d.emit(end)
}

// flush returns the rest of the current attempt.
func (d *deltas) flush() string { return d.emit(len(d.text)) }

// emit returns text[sent:end] with the credentials found in text[:end]
// redacted, and marks it sent.
func (d *deltas) emit(end int) string {
	if end <= d.sent {
		return ""
	}
	var b strings.Builder
	pos := d.sent
	for _, s := range secrets.Spans(d.text[:end]) {
		if s.End <= pos {
			continue
		}
		start := max(s.Start, pos)
		b.Write(d.text[pos:start])
		b.WriteString("<redacted:" + s.Rule + ">")
		for range bytes.Count(d.text[start:s.End], []byte{'\n'}) {
			b.WriteByte('\n')
		}
		pos = s.End
	}
	b.Write(d.text[pos:end])
	d.sent = end
	return b.String()
}

// openPrivateKey returns the offset of the line that begins a PEM private
// key block left open in text, or -1.
func openPrivateKey(text []byte) int {
	begin := -1
	for off := 0; off < len(text); {
		nl := bytes.IndexByte(text[off:], '\n')
		line := text[off:]
		if nl >= 0 {
			line = text[off : off+nl]
		}
		switch {
		case bytes.Contains(line, []byte("-----BEGIN")) && bytes.Contains(line, []byte("PRIVATE KEY")):
			if begin < 0 {
				begin = off
			}
		case bytes.Contains(line, []byte("-----END")):
			begin = -1
		}
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return begin
}

// redactedProgress wraps a progress func so that model answers stream
// redacted (see deltas).
func redactedProgress(progress func(generator.Event)) func(generator.Event) {
	if progress == nil {
		return nil
	}
	var d deltas
	return func(ev generator.Event) {
		if ev.Delta == "" {
			if rest := d.flush(); rest != "" {
				progress(generator.Event{Stage: generator.StagePlan, Attempt: d.attempt, Delta: rest})
			}
			progress(ev)
			return
		}
		attempt := d.attempt
		flushed, out := d.add(ev.Attempt, ev.Delta)
		if flushed != "" {
			progress(generator.Event{Stage: ev.Stage, Attempt: attempt, Delta: flushed})
		}
		if out != "" {
			ev.Delta = out
			progress(ev)
		}
	}
}

// redactedErr returns err with the model's answers it quotes redacted: a
// *generator.ModelError's message starts with the last answer.
func redactedErr(err error) error {
	me, ok := err.(*generator.ModelError)
	if !ok {
		return err
	}
	out := *me
	out.Attempts = make([]generator.Attempt, len(me.Attempts))
	for i, a := range me.Attempts {
		a.Received = RedactText(a.Received)
		a.Problem = RedactText(a.Problem)
		out.Attempts[i] = a
	}
	return &out
}
