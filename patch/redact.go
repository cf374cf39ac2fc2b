package patch

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/workspace"
)

// Withheld is a credential a redacted patch does not carry, and what that
// means for whoever applies it.
type Withheld struct {
	Path string // the file, relative to the repository root
	Line int    // 1-based line of the credential in the file (0: the whole file)
	Rule string // the secrets detector that found it
	// How says how the patch carries the file instead (a sentence).
	How string
	// Generated is true for a credential the generator wrote, which Files
	// and Patch both replace with <redacted:RULE>.
	Generated bool
}

// Redacted is what of a generation may leave the service: no credential
// the secrets package finds is in it.
type Redacted struct {
	// Files are the new files with every credential the generator wrote
	// replaced by <redacted:RULE>. Credentials the workspace already held
	// (a file changed in place keeps its password) stay: they are the
	// caller's own, and writing the files must not break them.
	Files []workspace.File
	// Patch turns the workspace into Files without carrying any
	// credential (see Redact).
	Patch []byte
	// Generated counts the credentials the generator wrote and Files no
	// longer carries.
	Generated int
	// Withheld lists the credentials Files or Patch leave out, generated
	// ones first, in file order.
	Withheld []Withheld
}

// Redact returns the files and the patch of a generation (old is the
// workspace, new the generated files, deleted the workspace paths the
// generation removes, as for Unified) with no credential in them that
// secrets.Spans finds, in generated content or in the workspace's.
//
// A file whose diff would show a credential is carried so that the patch
// still applies with git apply and carries none:
//
//   - Deleted, with a credential in it: a git binary deletion with the full
//     blob id ("Binary files a/X and /dev/null differ"). git apply checks
//     that the file is exactly the one aiden read and deletes it; no line
//     of it is in the patch. patch(1) refuses such a file.
//   - Changed, with a credential on a line the diff would show (removed,
//     added or context): a git binary delta against the file as it is.
//     Every byte of a credential is copied from the old file by the delta,
//     never carried; the rest travels zlib-compressed in base85, as git
//     writes it. git apply checks the old and the new blob ids.
//   - Created, holding a credential of the workspace (one the generator
//     copied): the text diff, with the credential replaced by
//     <redacted:RULE>, and a Withheld entry saying to put it back.
//
// Credentials the generator wrote are replaced in Files and in the patch
// alike; Generated counts them. Everything else is Unified's output.
func Redact(old, new []workspace.File, deleted ...string) Redacted {
	// Each file is scanned once here; what follows reads these spans.
	oldSpans := make(map[string][]secrets.Span, len(old))
	held := map[string]bool{}
	before := make(map[string][]byte, len(old))
	for _, f := range old {
		spans := secrets.Spans(f.Content)
		for _, s := range spans {
			held[string(f.Content[s.Start:s.End])] = true
		}
		oldSpans[f.Path] = spans
		before[f.Path] = f.Content
	}
	keep := func(s []byte) bool { return held[string(s)] }

	out := Redacted{Files: make([]workspace.File, 0, len(new))}
	after := make(map[string][]byte, len(new))
	// clean: the file as generated holds no credential, so it is the same
	// after redaction and nothing of it is withheld.
	clean := make(map[string]bool, len(new))
	for _, f := range new {
		spans := secrets.Spans(f.Content)
		lines := lineCounter{content: f.Content}
		for _, s := range spans {
			if !keep(f.Content[s.Start:s.End]) {
				out.Withheld = append(out.Withheld, Withheld{Path: f.Path, Line: lines.at(s.Start), Rule: s.Rule, Generated: true,
					How: "a credential-looking literal the generator wrote is replaced by <redacted:" + s.Rule + ">: reference a Secret (SealedSecret/ExternalSecret) or a variable instead"})
			}
		}
		c, n := secrets.RedactSpans(f.Content, spans, keep)
		out.Generated += n
		out.Files = append(out.Files, workspace.File{Path: f.Path, Content: c})
		after[f.Path] = c
		clean[f.Path] = len(spans) == 0
	}

	paths, gone := order(before, after, deleted)

	var b bytes.Buffer
	b.Grow(sizeHint(before, after, paths))
	for _, p := range paths {
		prev, exists := before[p]
		content := after[p]
		switch {
		case gone[p]:
			if spans := oldSpans[p]; len(spans) > 0 {
				writeBinaryDeletion(&b, p, prev)
				out.Withheld = append(out.Withheld, Withheld{Path: p, Line: lineOf(prev, spans[0].Start), Rule: spans[0].Rule,
					How: "the deletion is a git binary patch with no content: apply it with git apply (patch -p1 refuses it) or delete the file by hand"})
				continue
			}
			writeDeletion(&b, p, prev)
		case !exists && clean[p]:
			writeCreation(&b, p, content)
		case !exists:
			// Only credentials the workspace held can be left: redact them
			// in the patch; the file must get them back by hand.
			spans := secrets.Spans(content)
			red, _ := secrets.RedactSpans(content, spans, nil)
			lines := lineCounter{content: content}
			for _, s := range spans {
				out.Withheld = append(out.Withheld, Withheld{Path: p, Line: lines.at(s.Start), Rule: s.Rule,
					How: "the patch creates the file with <redacted:" + s.Rule + "> in place of a credential from the repository: put it back by hand"})
			}
			writeCreation(&b, p, red)
		case !bytes.Equal(prev, content):
			var text bytes.Buffer
			writeModification(&text, p, prev, content)
			var contentSpans []secrets.Span
			if !clean[p] {
				contentSpans = secrets.Spans(content)
			}
			vals := values(prev, oldSpans[p], content, contentSpans)
			if !carries(text.Bytes(), vals) {
				b.Write(text.Bytes())
				continue
			}
			// Credentials the old file does not hold cannot be copied
			// from it: they are workspace credentials of another file.
			inPrev := func(s []byte) bool { return bytes.Contains(prev, s) }
			content2, _ := secrets.RedactSpans(content, contentSpans, inPrev)
			lines := lineCounter{content: content}
			for _, s := range contentSpans {
				if !inPrev(content[s.Start:s.End]) {
					out.Withheld = append(out.Withheld, Withheld{Path: p, Line: lines.at(s.Start), Rule: s.Rule,
						How: "the patch writes <redacted:" + s.Rule + "> in place of a credential from another file of the repository: put it back by hand"})
				}
			}
			writeBinaryDelta(&b, p, prev, content2, spanValues(prev, content2))
			out.Withheld = append(out.Withheld, Withheld{Path: p, Rule: "binary-delta",
				How: "the change is a git binary delta that copies the file's credentials from the file itself: apply it with git apply (patch -p1 refuses it)"})
		}
	}
	out.Patch = b.Bytes()
	return out
}

// lineCounter turns increasing byte offsets of one content into 1-based
// lines, reading each byte once.
type lineCounter struct {
	content []byte
	off     int // bytes counted
	line    int // lines before off, less one
}

// at returns the line of off; offsets must not decrease.
func (l *lineCounter) at(off int) int {
	l.line += bytes.Count(l.content[l.off:off], []byte{'\n'})
	l.off = off
	return l.line + 1
}

// values returns the credentials of a and b (their spans given), longest
// first, as spanValues does.
func values(a []byte, as []secrets.Span, b []byte, bs []secrets.Span) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	add := func(c []byte, spans []secrets.Span) {
		for _, s := range spans {
			if v := c[s.Start:s.End]; !seen[string(v)] {
				seen[string(v)] = true
				out = append(out, v)
			}
		}
	}
	add(a, as)
	add(b, bs)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// spanValues returns the credentials of the given contents, longest first.
func spanValues(contents ...[]byte) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	for _, c := range contents {
		for _, s := range secrets.Spans(c) {
			if v := c[s.Start:s.End]; !seen[string(v)] {
				seen[string(v)] = true
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// carries reports whether text holds one of vals, or anything the
// detectors find.
func carries(text []byte, vals [][]byte) bool {
	for _, v := range vals {
		if bytes.Contains(text, v) {
			return true
		}
	}
	return len(secrets.Spans(text)) > 0
}

func lineOf(content []byte, off int) int { return bytes.Count(content[:off], []byte{'\n'}) + 1 }

// blobFull returns the full git object id of content.
func blobFull(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

const nullID = "0000000000000000000000000000000000000000"

func writeBinaryDeletion(out *bytes.Buffer, p string, prev []byte) {
	fmt.Fprintf(out, "diff --git %s %s\n", quote("a/"+p), quote("b/"+p))
	fmt.Fprintf(out, "deleted file mode 100644\n")
	fmt.Fprintf(out, "index %s..%s\n", blobFull(prev), nullID)
	fmt.Fprintf(out, "Binary files %s and /dev/null differ\n", quote("a/"+p))
}

func writeBinaryDelta(out *bytes.Buffer, p string, prev, content []byte, vals [][]byte) {
	delta := makeDelta(prev, content, vals)
	fmt.Fprintf(out, "diff --git %s %s\n", quote("a/"+p), quote("b/"+p))
	fmt.Fprintf(out, "index %s..%s\n", blobFull(prev), blobFull(content))
	fmt.Fprintf(out, "GIT binary patch\ndelta %d\n", len(delta))
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(delta)
	zw.Close()
	writeBase85(out, z.Bytes())
	out.WriteByte('\n')
}

// makeDelta returns a git delta turning a into b. Lines the two share are
// copied from a; so is every occurrence of one of vals (credentials, all
// present in a) in what b adds. What is left is inserted literally.
func makeDelta(a, b []byte, vals [][]byte) []byte {
	la, lb := splitLines(a), splitLines(b)
	ids := map[string]int{}
	offA := offsets(la)
	var d delta
	d.header(len(a), len(b))
	var lit []byte
	flush := func() {
		d.literal(lit, a, vals)
		lit = lit[:0]
	}
	for _, e := range diffLines(internLines(ids, la), internLines(ids, lb)) {
		switch e.kind {
		case keep:
			flush()
			d.copy(offA[e.a], len(la[e.a]))
		case ins:
			lit = append(lit, lb[e.b]...)
		}
	}
	flush()
	return d.flushCopy()
}

func offsets(lines []string) []int {
	out := make([]int, len(lines))
	off := 0
	for i, l := range lines {
		out[i] = off
		off += len(l)
	}
	return out
}

// delta builds git's delta format: a header of the source and target sizes,
// then copy (from the source) and insert (literal) instructions.
type delta struct {
	buf            []byte
	cpOff, cpLen   int // a pending copy, merged with the next when contiguous
	pendingCopying bool
}

func (d *delta) varint(n int) {
	for n >= 0x80 {
		d.buf = append(d.buf, byte(n)|0x80)
		n >>= 7
	}
	d.buf = append(d.buf, byte(n))
}

func (d *delta) header(src, dst int) { d.varint(src); d.varint(dst) }

func (d *delta) copy(off, n int) {
	if n == 0 {
		return
	}
	if d.pendingCopying && d.cpOff+d.cpLen == off {
		d.cpLen += n
		return
	}
	d.flushCopy()
	d.cpOff, d.cpLen, d.pendingCopying = off, n, true
}

func (d *delta) flushCopy() []byte {
	if !d.pendingCopying {
		return d.buf
	}
	d.pendingCopying = false
	off, n := d.cpOff, d.cpLen
	for n > 0 {
		size := min(n, 0xffffff)
		cmd := byte(0x80)
		var arg []byte
		for i := 0; i < 4; i++ {
			if c := byte(off >> (8 * i)); c != 0 {
				cmd |= 1 << i
				arg = append(arg, c)
			}
		}
		for i := 0; i < 3; i++ {
			if c := byte(size >> (8 * i)); c != 0 {
				cmd |= 0x10 << i
				arg = append(arg, c)
			}
		}
		d.buf = append(d.buf, cmd)
		d.buf = append(d.buf, arg...)
		off += size
		n -= size
	}
	return d.buf
}

// literal adds lit, copying each occurrence of one of vals from src.
func (d *delta) literal(lit, src []byte, vals [][]byte) {
	for len(lit) > 0 {
		at, v := -1, []byte(nil)
		for _, c := range vals {
			if i := bytes.Index(lit, c); i >= 0 && (at < 0 || i < at) {
				at, v = i, c
			}
		}
		if at < 0 {
			d.insert(lit)
			return
		}
		d.insert(lit[:at])
		d.copy(bytes.Index(src, v), len(v))
		lit = lit[at+len(v):]
	}
}

func (d *delta) insert(p []byte) {
	if len(p) == 0 {
		return
	}
	d.flushCopy()
	for len(p) > 0 {
		n := min(len(p), 127)
		d.buf = append(d.buf, byte(n))
		d.buf = append(d.buf, p[:n]...)
		p = p[n:]
	}
}

const en85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"

// writeBase85 writes data as git's binary hunk lines: a length character
// (A-Z for 1-26 bytes, a-z for 27-52), then the bytes in base85.
func writeBase85(out *bytes.Buffer, data []byte) {
	for len(data) > 0 {
		n := min(len(data), 52)
		if n <= 26 {
			out.WriteByte(byte('A' + n - 1))
		} else {
			out.WriteByte(byte('a' + n - 27))
		}
		line := data[:n]
		for i := 0; i < n; i += 4 {
			var acc uint32
			for j := 0; j < 4; j++ {
				acc <<= 8
				if i+j < n {
					acc |= uint32(line[i+j])
				}
			}
			var enc [5]byte
			for k := 4; k >= 0; k-- {
				enc[k] = en85[acc%85]
				acc /= 85
			}
			out.Write(enc[:])
		}
		out.WriteByte('\n')
		data = data[n:]
	}
}
