package secrets

import (
	"bytes"
	"cmp"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/stackgen/aiden/internal/lazyre"
)

// format is a hint from the file name; detection never depends on it alone.
type format int

const (
	formatAny  format = iota
	formatHCL         // unquoted values are expressions (var.x, random_password.x.result)
	formatJSON        // unquoted values are numbers, booleans and null
	formatCode        // unquoted values are identifiers and expressions
)

func formatOf(path string) format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tf", ".tfvars", ".hcl", ".nomad":
		return formatHCL
	case ".json":
		return formatJSON
	case ".go", ".py", ".js", ".mjs", ".ts", ".jsx", ".tsx", ".java", ".kt", ".rb", ".rs",
		".cs", ".php", ".swift", ".scala", ".c", ".cc", ".cpp", ".h", ".groovy":
		return formatCode
	}
	return formatAny
}

// span is a half-open byte range.
type span struct{ start, end int }

// assignment is one key/value pair found on a line, in any of the usual
// syntaxes: YAML and JSON (key: value), HCL, .env, properties and flags
// (key = value, --key=value), Go (key := value).
type assignment struct {
	key    string // as written
	effKey string // key, or the name of a {name: X, value: Y} pair or a Terraform variable
	line   int    // 0-based line of the key
	keyCol int    // byte offset of the key in its line
	val    span   // the value without its quotes
	quoted bool
	block  bool // YAML block scalar or heredoc: the value spans lines
	nested bool // the value is a flow mapping or sequence, not a scalar
	// inString: the pair is text inside a string ("Password=x;" in a
	// connection string), so the value is literal whatever the format.
	inString bool
}

// document is content split into lines, with its assignments.
type document struct {
	src     []byte
	lines   []span // without the line break
	assigns []assignment

	ind, next, prevFull []int // see indents
}

func newDocument(src []byte) *document {
	d := &document{src: src, lines: make([]span, 0, bytes.Count(src, []byte{'\n'})+1)}
	start := 0
	for start <= len(src) {
		i := bytes.IndexByte(src[start:], '\n')
		end := len(src)
		if i >= 0 {
			end = start + i
		}
		e := end
		if e > start && src[e-1] == '\r' {
			e--
		}
		d.lines = append(d.lines, span{start, e})
		if i < 0 {
			break
		}
		start = end + 1
	}
	d.parseAssignments()
	return d
}

func (d *document) line(i int) []byte { return d.src[d.lines[i].start:d.lines[i].end] }

// lineOf returns the 0-based line holding offset off.
func (d *document) lineOf(off int) int {
	return sort.Search(len(d.lines), func(i int) bool { return d.lines[i].end >= off })
}

// keyAt returns the effective key of the assignment whose value holds off.
func (d *document) keyAt(off int) string {
	i := sort.Search(len(d.assigns), func(i int) bool { return d.assigns[i].val.start > off })
	for j := i - 1; j >= 0 && j >= i-8; j-- {
		a := d.assigns[j]
		if a.val.start <= off && off < a.val.end {
			return a.effKey
		}
	}
	return ""
}

var (
	// A Terraform variable block: its default is assigned to the variable's name.
	tfVariableRE = lazyre.New(`^\s*variable\s+"([^"]+)"`)
	blockHeadRE  = lazyre.New(`^[|>][-+0-9]*\s*(#.*)?$`)
	heredocRE    = lazyre.New(`^<<-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*$`)
)

// pairWindow is how many lines may separate "name: X" from its "value: Y".
const pairWindow = 4

func (d *document) parseAssignments() {
	pendingName, pendingLine := "", -1
	tfVar, tfVarLine := "", -1
	var keys []keyOp // reused from line to line
	// About one a line in YAML, but a file of blank lines must not reserve
	// room for one per line.
	d.assigns = make([]assignment, 0, min(len(d.lines), 256))
	for li := range d.lines {
		line := d.line(li)
		if len(line) == 0 {
			continue
		}
		if bytes.Contains(line, []byte("variable")) {
			if m := tfVariableRE.FindSubmatch(line); m != nil {
				tfVar, tfVarLine = string(m[1]), li
			}
		}
		if !bytes.ContainsAny(line, ":=") {
			continue
		}
		// Lines inside a block value are scanned too: a ConfigMap may embed a
		// config file with its own password: line.
		var qs quoteScanner
		sc := newLineScan()
		flowAt := bytes.IndexAny(line, "{[")
		keys = findKeys(keys[:0], line)
		for _, k := range keys {
			keyStart, keyEnd, opEnd := k.start, k.end, k.opEnd
			a := assignment{
				key:    string(line[keyStart:keyEnd]),
				line:   li,
				keyCol: keyStart,
			}
			op := k.op
			flow := op == ":" && flowAt >= 0 && flowAt < keyStart
			d.readValue(li, opEnd, op, flow, &sc, &a)
			if !a.block {
				d.endInsideString(line, k, &qs, &a)
			}
			a.effKey = a.key
			// Keys are ASCII (findKeys): EqualFold is comparing lowercased.
			switch lk := a.key; {
			case strings.EqualFold(lk, "name") && !a.nested && sensitivity(string(d.src[a.val.start:a.val.end])) != notSensitive:
				pendingName, pendingLine = string(d.src[a.val.start:a.val.end]), li
			case strings.EqualFold(lk, "value") && pendingName != "" && li-pendingLine <= pairWindow:
				a.effKey = pendingName
				pendingName = ""
			case strings.EqualFold(lk, "valuefrom"):
				pendingName = ""
			case strings.EqualFold(lk, "default") && tfVar != "" && li-tfVarLine <= 20:
				a.effKey = tfVar
				tfVar = ""
			}
			d.assigns = append(d.assigns, a)
		}
	}
	slices.SortStableFunc(d.assigns, func(a, b assignment) int { return cmp.Compare(a.val.start, b.val.start) })
}

// endInsideString ends a value at the quote that encloses its key:
// "PASS: 1/1" in a test assertion and `password: x` in Markdown are text
// inside a string or a code span.
func (d *document) endInsideString(line []byte, k keyOp, qs *quoteScanner, a *assignment) {
	to := k.start
	if k.quoted && k.start > 0 && (line[k.start-1] == '"' || line[k.start-1] == '\'') {
		to = k.start - 1 // the key's own opening quote
	}
	q := qs.openAt(line, to)
	a.inString = q != 0
	switch {
	case q == 0:
	case a.quoted && a.val.start > 0 && d.src[a.val.start-1] == q:
		a.val.end = a.val.start // `AccountKey=`: the quote closes the span
	default:
		if i := bytes.IndexByte(d.src[a.val.start:a.val.end], q); i >= 0 {
			a.val.end = a.val.start + i
		}
	}
}

// keyOp is a key and the assignment operator after it.
type keyOp struct {
	start, end int // the key, without quotes
	op         string
	opEnd      int
	quoted     bool // "key": the key is quoted
}

// findKeys appends to out the "key: ", "key=", "key := ", "key => " and
// their quoted forms in a line. Keys are letters, digits and _ . - /, start with a letter
// or _, and follow a character that does not continue a word (so
// --db-password=x yields db-password). It rejects what only looks like an
// assignment: comparisons (==, !=, <=), YAML keys without a following space
// (URLs, times), C++ paths (::).
func findKeys(out []keyOp, line []byte) []keyOp {
	for p := 0; p < len(line); p++ {
		c := line[p]
		if c != ':' && c != '=' {
			continue
		}
		op, opEnd := string(c), p+1
		switch {
		case c == ':' && opEnd < len(line) && line[opEnd] == '=':
			op, opEnd = ":=", opEnd+1
		case c == '=' && opEnd < len(line) && line[opEnd] == '>':
			op, opEnd = "=>", opEnd+1
		case c == '=' && p > 0 && line[p-1] == ':':
			continue // the second half of :=
		}
		after := byte(' ')
		if opEnd < len(line) {
			after = line[opEnd]
		}
		// The key ends before optional blanks and an optional quote.
		e := p
		for e > 0 && (line[e-1] == ' ' || line[e-1] == '\t') {
			e--
		}
		quoted := e > 0 && (line[e-1] == '"' || line[e-1] == '\'')
		if quoted {
			e--
		}
		s := e
		for s > 0 && isKeyByte(line[s-1]) {
			s--
		}
		if s > 0 && s < e && line[s-1] == '\\' && strings.IndexByte("nrt", line[s]) >= 0 {
			s++ // "…\nkey: value" in a JSON string: the n belongs to the escape
		}
		for s < e && line[s] == '-' {
			s++ // --flag
		}
		if s == e || !isIdentStart(line[s]) {
			continue
		}
		switch op {
		case ":":
			if after == ':' || (!quoted && after != ' ' && after != '\t') {
				continue
			}
		case "=":
			if after == '=' || after == '~' || (p > 0 && strings.IndexByte("!<>=+-*/", line[p-1]) >= 0) {
				continue
			}
		}
		out = append(out, keyOp{start: s, end: e, op: op, opEnd: opEnd, quoted: quoted})
		p = opEnd - 1
	}
	return out
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/'
}

// readValue fills a's value from the text after the operator at line li,
// offset pos.
func (d *document) readValue(li, pos int, op string, flow bool, sc *lineScan, a *assignment) {
	line := d.line(li)
	base := d.lines[li].start
	for pos < len(line) && (line[pos] == ' ' || line[pos] == '\t') {
		pos++
	}
	a.val = span{base + pos, base + pos}
	if pos >= len(line) {
		return
	}
	rest := line[pos:]
	switch c := rest[0]; {
	case c == '"' && len(rest) > 2 && rest[1] == '"' && !isSpace(rest[2]) && rest[2] != '"' && rest[2] != ',':
		// ""value"": a string inside a CSV field, quotes doubled.
		a.quoted = true
		end := bytes.Index(rest[2:], []byte(`""`))
		if end < 0 {
			end = len(rest) - 2
		}
		a.val = span{base + pos + 2, base + pos + 2 + end}
		return
	case c == '"' || c == '`':
		end := closingQuote(rest, c)
		a.quoted = true
		if end < 0 {
			a.val = span{base + pos + 1, base + len(line)}
		} else {
			a.val = span{base + pos + 1, base + pos + end}
		}
		return
	case c == '\'':
		end := closingSingle(rest)
		a.quoted = true
		if end < 0 {
			a.val = span{base + pos + 1, base + len(line)}
		} else {
			a.val = span{base + pos + 1, base + pos + end}
		}
		return
	case c == '{' || c == '[':
		a.nested = true
		return
	case op == ":" && (c == '|' || c == '>') && blockHeadRE.Match(rest):
		d.readBlock(li, a)
		return
	case op == "=" && c == '<' && heredocRE.Match(rest):
		d.readHeredoc(li, string(heredocRE.FindSubmatch(rest)[1]), a)
		return
	}
	// The next terminator is looked up in sc, which remembers it across the
	// keys of a line: a long line of k=k=k=… stays linear.
	end := len(rest)
	if op == ":" {
		if flow {
			end = min(end, sc.flowEnd.next(line, pos)-pos)
		}
		end = min(end, sc.comment.next(line, pos)-pos)
	} else {
		end = min(end, sc.bareEnd.next(line, pos)-pos)
	}
	for end > 0 && (rest[end-1] == ' ' || rest[end-1] == '\t') {
		end--
	}
	a.val = span{base + pos, base + pos + end}
}

// lineScan finds where unquoted values end, remembering each answer for the
// next key on the same line.
type lineScan struct {
	flowEnd, comment, bareEnd nextIndex
}

func newLineScan() lineScan {
	return lineScan{
		flowEnd: nextIndex{pat: ",}]", any: true, at: -1},
		comment: nextIndex{pat: " #", at: -1},
		bareEnd: nextIndex{pat: " \t;,&)}]\"'`", any: true, at: -1},
	}
}

// nextIndex is the next occurrence of pat (or of any byte of it) at or
// after a position that only moves forward.
type nextIndex struct {
	pat string
	any bool
	at  int // last answer, len(line) for none; -1 before the first
}

func (n *nextIndex) next(line []byte, pos int) int {
	if n.at >= pos {
		return n.at
	}
	var i int
	if n.any {
		i = bytes.IndexAny(line[pos:], n.pat)
	} else {
		i = bytes.Index(line[pos:], []byte(n.pat))
	}
	if i < 0 {
		n.at = len(line)
	} else {
		n.at = pos + i
	}
	return n.at
}

// quoteScanner tracks which quote (" or `) is open along a line. Keys are
// visited left to right, so each line is scanned once, not once per key.
type quoteScanner struct {
	pos  int
	open byte
}

// openAt returns the quote left open before offset to, or 0.
func (q *quoteScanner) openAt(line []byte, to int) byte {
	if to < q.pos {
		*q = quoteScanner{} // out of order: start again
	}
	for ; q.pos < to; q.pos++ {
		switch c := line[q.pos]; {
		case c == '\\' && q.open == '"':
			q.pos++
		case c == '"' || c == '`':
			if q.open == 0 {
				q.open = c
			} else if q.open == c {
				q.open = 0
			}
		}
	}
	return q.open
}

// closingQuote returns the index of the quote closing s[0], honouring
// backslash escapes, or -1.
func closingQuote(s []byte, q byte) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if q != '`' {
				i++
			}
		case q:
			return i
		}
	}
	return -1
}

// closingSingle finds the end of a single-quoted string, where ” is a quote.
func closingSingle(s []byte) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			return i
		}
	}
	return -1
}

// indentOf counts leading spaces; ok is false for blank lines.
func indentOf(line []byte) (n int, ok bool) {
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	return n, n < len(line)
}

// readBlock reads a YAML block scalar: the following lines indented deeper
// than the key.
func (d *document) readBlock(li int, a *assignment) {
	a.block = true
	ind, next, prevFull := d.indents()
	j := li + 1
	for j < len(d.lines) && (ind[j] < 0 || ind[j] > a.keyCol) {
		if ind[j] < 0 {
			j++
			continue
		}
		j = next[j] // every line up to there is deeper than line j, so deeper than the key
	}
	last := prevFull[j]
	if last <= li {
		a.val = span{d.lines[li].end, d.lines[li].end}
		return
	}
	first := li + 1
	for ind[first] < 0 {
		first++
	}
	a.val = span{d.lines[first].start + ind[first], d.lines[last].end}
}

// indents returns, per line, its indentation (-1 when blank), the next
// non-blank line indented no deeper (len(lines) if none), and the last
// non-blank line before it (-1 if none). Computed once, in linear time, so
// that deeply nested block scalars do not make reading quadratic.
func (d *document) indents() (ind, next, prevFull []int) {
	if d.ind != nil {
		return d.ind, d.next, d.prevFull
	}
	n := len(d.lines)
	d.ind, d.next, d.prevFull = make([]int, n), make([]int, n), make([]int, n+1)
	last := -1
	for i := range d.lines {
		d.prevFull[i] = last
		k, ok := indentOf(d.line(i))
		if !ok {
			k = -1
		} else {
			last = i
		}
		d.ind[i] = k
	}
	d.prevFull[n] = last
	var stack []int
	for i := n - 1; i >= 0; i-- {
		d.next[i] = n
		if d.ind[i] < 0 {
			continue
		}
		for len(stack) > 0 && d.ind[stack[len(stack)-1]] > d.ind[i] {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			d.next[i] = stack[len(stack)-1]
		}
		stack = append(stack, i)
	}
	return d.ind, d.next, d.prevFull
}

// readHeredoc reads an HCL or shell heredoc up to its closing marker.
func (d *document) readHeredoc(li int, marker string, a *assignment) {
	a.block = true
	for j := li + 1; j < len(d.lines); j++ {
		if string(bytes.TrimSpace(d.line(j))) == marker {
			if j == li+1 {
				a.val = span{d.lines[j].start, d.lines[j].start}
				return
			}
			n, _ := indentOf(d.line(li + 1))
			a.val = span{d.lines[li+1].start + n, d.lines[j-1].end}
			return
		}
	}
	a.val = span{d.lines[li].end, d.lines[li].end} // unterminated: not a value
}
