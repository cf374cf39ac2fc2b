package secrets

import "bytes"

// Span is the byte range of one credential-looking literal: content[Start:End]
// is the secret value that Redact replaces.
type Span struct {
	Start, End int
	Rule       string // detector id, as in Match
}

// Spans returns the spans Redact replaces, in order, overlaps merged. It
// reads content as Redact does: with no path, unquoted values count.
func Spans(content []byte) []Span {
	hits := scan("", content)
	out := make([]Span, 0, len(hits))
	for _, h := range hits {
		out = append(out, Span{Start: h.start, End: h.end, Rule: h.rule})
	}
	return out
}

// RedactFunc is Redact that leaves in place each secret for which keep
// returns true (a nil keep keeps none). n counts the secrets replaced.
// Callers use it to redact what a generator wrote while keeping what the
// caller's own files already held.
func RedactFunc(content []byte, keep func(secret []byte) bool) (redacted []byte, n int) {
	return RedactSpans(content, Spans(content), keep)
}

// RedactSpans is RedactFunc with the spans already found: spans must be
// Spans(content). It lets a caller that needs the spans anyway (to report
// them) scan content once.
func RedactSpans(content []byte, spans []Span, keep func(secret []byte) bool) (redacted []byte, n int) {
	var b bytes.Buffer
	prev := 0
	for _, s := range spans {
		if keep != nil && keep(content[s.Start:s.End]) {
			continue
		}
		if n == 0 {
			b.Grow(len(content))
		}
		b.Write(content[prev:s.Start])
		b.WriteString("<redacted:" + s.Rule + ">")
		for range bytes.Count(content[s.Start:s.End], []byte{'\n'}) {
			b.WriteByte('\n')
		}
		prev = s.End
		n++
	}
	if n == 0 {
		return content, 0
	}
	b.Write(content[prev:])
	return b.Bytes(), n
}
