// Package patch turns generated files into a git-style unified diff against
// the repository, the form in which aiden hands its work to a human: it
// applies with `git apply` and with `patch -p1`.
package patch

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/workspace"
)

// context is the number of unchanged lines shown around each change, as in
// `diff -u` and `git diff`.
const context = 3

// Unified returns a git-style unified diff that turns the old files (the
// workspace as it is) into the new ones (the files after generation). Paths
// are relative to the repository root and appear under the a/ and b/
// prefixes, so the diff applies from the root with `git apply` or
// `patch -p1`.
//
// A path only in new is a creation (mode 100644; an empty file gets git's
// header-only form), a path in both with different content is a modification
// with 3 lines of context, and a path of old named in deleted (and not in
// new) is a deletion. Everything else produces nothing: paths only in old are
// left alone unless named. Files appear sorted by path; if a path repeats
// within old or within new, the last one counts. Content is kept byte for
// byte, CR of CRLF line endings included, and a missing final newline is
// marked with "\ No newline at end of file". Content is treated as text.
func Unified(old, new []workspace.File, deleted ...string) []byte {
	before := make(map[string][]byte, len(old))
	for _, f := range old {
		before[f.Path] = f.Content
	}
	after := make(map[string][]byte, len(new))
	for _, f := range new {
		after[f.Path] = f.Content
	}
	paths, gone := order(before, after, deleted)

	var out bytes.Buffer
	out.Grow(sizeHint(before, after, paths))
	for _, p := range paths {
		content := after[p]
		prev, exists := before[p]
		switch {
		case gone[p]:
			writeDeletion(&out, p, prev)
		case !exists:
			writeCreation(&out, p, content)
		case !bytes.Equal(prev, content):
			writeModification(&out, p, prev, content)
		}
	}
	return out.Bytes()
}

func writeCreation(out *bytes.Buffer, p string, content []byte) {
	fmt.Fprintf(out, "diff --git %s %s\n", quote("a/"+p), quote("b/"+p))
	fmt.Fprintf(out, "new file mode 100644\n")
	fmt.Fprintf(out, "index 0000000..%s\n", blobID(content))
	if len(content) == 0 {
		return // git's form: no ---/+++ lines and no hunk
	}
	fmt.Fprintf(out, "--- /dev/null\n+++ %s\n", label("b/"+p))
	writeWhole(out, '+', content)
}

func writeDeletion(out *bytes.Buffer, p string, prev []byte) {
	fmt.Fprintf(out, "diff --git %s %s\n", quote("a/"+p), quote("b/"+p))
	fmt.Fprintf(out, "deleted file mode 100644\n")
	fmt.Fprintf(out, "index %s..0000000\n", blobID(prev))
	if len(prev) == 0 {
		return // git's form for an empty file: no ---/+++ lines and no hunk
	}
	fmt.Fprintf(out, "--- %s\n+++ /dev/null\n", label("a/"+p))
	writeWhole(out, '-', prev)
}

// writeWhole writes the one hunk of a created (sign '+') or deleted ('-')
// file, content not empty: what writeHunks writes for it, without
// splitting content into lines first.
func writeWhole(out *bytes.Buffer, sign byte, content []byte) {
	n := bytes.Count(content, []byte{'\n'})
	if content[len(content)-1] != '\n' {
		n++
	}
	if sign == '+' {
		fmt.Fprintf(out, "@@ -0,0 +%s @@\n", hunkRange(0, n))
	} else {
		fmt.Fprintf(out, "@@ -%s +0,0 @@\n", hunkRange(0, n))
	}
	out.Grow(len(content) + n + len(noNewline))
	for len(content) > 0 {
		out.WriteByte(sign)
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			out.Write(content)
			out.WriteString(noNewline)
			return
		}
		out.Write(content[:i+1])
		content = content[i+1:]
	}
}

// noNewline follows a last line without a line break.
const noNewline = "\n\\ No newline at end of file\n"

func writeModification(out *bytes.Buffer, p string, prev, content []byte) {
	fmt.Fprintf(out, "diff --git %s %s\n", quote("a/"+p), quote("b/"+p))
	fmt.Fprintf(out, "index %s..%s\n", blobID(prev), blobID(content))
	fmt.Fprintf(out, "--- %s\n+++ %s\n", label("a/"+p), label("b/"+p))
	writeHunks(out, prev, content)
}

// writeHunks writes the hunks turning old into new.
func writeHunks(out *bytes.Buffer, old, new []byte) {
	a, b := splitLines(old), splitLines(new)
	var script []edit
	if len(a) == 0 || len(b) == 0 {
		// A creation or a deletion: no line to match.
		script = replace(len(a), len(b))
	} else {
		ids := make(map[string]int, len(a))
		script = diffLines(internLines(ids, a), internLines(ids, b))
	}

	for i := 0; i < len(script); {
		if script[i].kind == keep {
			i++
			continue
		}
		// Extend the hunk over changes separated by at most 2*context
		// unchanged lines, whose contexts would otherwise overlap.
		start, end := max(0, i-context), i
		for {
			for end < len(script) && script[end].kind != keep {
				end++
			}
			next := end
			for next < len(script) && script[next].kind == keep {
				next++
			}
			if next == len(script) || next-end > 2*context {
				break
			}
			end = next
		}
		stop := min(len(script), end+context)
		writeHunk(out, script[start:stop], a, b)
		i = stop
	}
}

func writeHunk(out *bytes.Buffer, h []edit, a, b []string) {
	oldLen, newLen := 0, 0
	for _, e := range h {
		if e.kind != ins {
			oldLen++
		}
		if e.kind != del {
			newLen++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(h[0].a, oldLen), hunkRange(h[0].b, newLen))
	for _, e := range h {
		var line string
		switch e.kind {
		case keep:
			out.WriteByte(' ')
			line = a[e.a]
		case del:
			out.WriteByte('-')
			line = a[e.a]
		case ins:
			out.WriteByte('+')
			line = b[e.b]
		}
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString(noNewline)
		}
	}
}

// hunkRange formats a hunk's range from its 0-based start and length: an
// empty range names the line before it, and a length of 1 is left out, as
// diff and git do.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return strconv.Itoa(start) + ",0"
	case 1:
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(n)
}

// splitLines splits content after each "\n"; every line keeps its ending
// (so CRLF survives) and only the last may lack one.
func splitLines(content []byte) []string {
	var lines []string
	s := string(content)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// blobID returns the abbreviated git object id of content, which lets
// `git apply --3way` find the preimage.
func blobID(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))[:7]
}

// label is a name on a ---/+++ line. Like git, it ends a name holding a
// space with a tab, so that patch(1) does not read the rest as a timestamp.
func label(name string) string {
	q := quote(name)
	if q == name && strings.Contains(name, " ") {
		return name + "\t"
	}
	return q
}

// quote returns name as git writes it in a diff header: as is, or in double
// quotes with C escapes when it holds a quote, a backslash or a control
// character. Bytes of UTF-8 are kept as they are; both git apply and patch
// read them.
func quote(name string) string {
	if !strings.ContainsFunc(name, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 || r == 0x7f }) {
		return name
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\v':
			b.WriteString(`\v`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sizeHint is about the size of a patch of paths: their contents, a
// sign a line, and the headers.
func sizeHint(before, after map[string][]byte, paths []string) int {
	n := 0
	for _, p := range paths {
		c := max(len(before[p]), len(after[p]))
		n += c + c/16 + 256
	}
	return n
}

// order lists the paths a patch covers, sorted: every path of after, and
// each path of deleted that before has and after lacks (also returned in
// gone).
func order(before, after map[string][]byte, deleted []string) (paths []string, gone map[string]bool) {
	paths = make([]string, 0, len(after)+len(deleted))
	for p := range after {
		paths = append(paths, p)
	}
	gone = map[string]bool{}
	for _, p := range deleted {
		if _, inOld := before[p]; inOld && !gone[p] {
			if _, inNew := after[p]; !inNew {
				gone[p] = true
				paths = append(paths, p)
			}
		}
	}
	sort.Strings(paths)
	return paths, gone
}

// internLines returns the id of each line, ids numbering the lines met so
// far (a new line gets the next number), so that equal lines compare as
// equal ints.
func internLines(ids map[string]int, lines []string) []int {
	r := make([]int, len(lines))
	for i, l := range lines {
		id, ok := ids[l]
		if !ok {
			id = len(ids)
			ids[l] = id
		}
		r[i] = id
	}
	return r
}
