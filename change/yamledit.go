package change

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// yamlFile edits a YAML file by splicing text into its original lines: the
// node tree (yaml.v3) says where a key or value is, and an edit replaces
// only the lines it must, so comments, key order, quoting and every other
// line stay byte for byte.
type yamlFile struct {
	path  string
	lines []string // original lines, without the newline
	trail bool     // the file ended with a newline
	docs  []*yaml.Node
	edits []lineEdit
	step  int  // indentation step of nested mappings
	dash  bool // block sequences are indented under their key ("  - x")
}

// lineEdit replaces the original lines [from, to) (0-based) with lines;
// from == to inserts before line from.
type lineEdit struct {
	from, to int
	lines    []string
}

func parseYAML(path string, content []byte) (*yamlFile, error) {
	s := string(content)
	f := &yamlFile{path: path, trail: strings.HasSuffix(s, "\n"), step: 2, dash: true}
	f.lines = strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if s == "" {
		f.lines = nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if len(n.Content) > 0 {
			f.docs = append(f.docs, n.Content[0])
		}
	}
	f.detectStyle()
	return f, nil
}

// detectStyle reads the file's indentation step and whether sequences are
// indented under their key, from the first nested collection.
func (f *yamlFile) detectStyle() {
	stepFound, dashFound := false, false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || (stepFound && dashFound) {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Style&yaml.FlowStyle == 0 && v.Line > k.Line {
					switch v.Kind {
					case yaml.MappingNode:
						if !stepFound && v.Column > k.Column {
							f.step, stepFound = v.Column-k.Column, true
						}
					case yaml.SequenceNode:
						if !dashFound && len(v.Content) > 0 {
							if d := f.dashColumn(v.Content[0]); d >= 0 {
								f.dash, dashFound = d > k.Column-1, true
							}
						}
					}
				}
				walk(v)
			}
		}
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				walk(c)
			}
		}
	}
	for _, d := range f.docs {
		walk(d)
	}
}

// dashColumn returns the 0-based column of the "-" that starts the
// sequence item n, or -1.
func (f *yamlFile) dashColumn(n *yaml.Node) int {
	l := f.line(n.Line - 1)
	for c := min(n.Column-2, len(l)-1); c >= 0; c-- {
		if l[c] == '-' {
			return c
		}
	}
	return -1
}

func (f *yamlFile) line(i int) string {
	if i < 0 || i >= len(f.lines) {
		return ""
	}
	return f.lines[i]
}

// bytes returns the file with the edits applied.
func (f *yamlFile) bytes() []byte {
	edits := append([]lineEdit{}, f.edits...)
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].from < edits[j].from })
	var out []string
	at := 0
	for _, e := range edits {
		if e.from < at {
			continue // overlapping edits are refused in edit
		}
		out = append(out, f.lines[at:e.from]...)
		out = append(out, e.lines...)
		at = e.to
	}
	out = append(out, f.lines[at:]...)
	s := strings.Join(out, "\n")
	if f.trail || len(f.lines) == 0 {
		s += "\n"
	}
	return []byte(s)
}

// touched returns the original lines (1-based) that the edits replace.
func (f *yamlFile) touched() []int {
	var out []int
	for _, e := range f.edits {
		for i := e.from; i < e.to; i++ {
			out = append(out, i+1)
		}
	}
	return out
}

func (f *yamlFile) changed() bool { return len(f.edits) > 0 }

// edit records a replacement of lines [from, to).
func (f *yamlFile) edit(from, to int, lines ...string) error {
	for _, e := range f.edits {
		if from < e.to && e.from < to || (from == to && e.from < from && from < e.to) {
			return fmt.Errorf("%s: two changes touch line %d", f.path, from+1)
		}
	}
	f.edits = append(f.edits, lineEdit{from: from, to: to, lines: lines})
	return nil
}

// doc returns the first document's root, which must be a mapping.
func (f *yamlFile) doc() (*yaml.Node, error) {
	if len(f.docs) == 0 || f.docs[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the document is not a mapping", f.path)
	}
	return f.docs[0], nil
}

// get returns the key and value nodes at the path of keys below m.
func get(m *yaml.Node, keys ...string) (k, v *yaml.Node) {
	v = m
	for _, key := range keys {
		if v == nil || v.Kind != yaml.MappingNode {
			return nil, nil
		}
		found := false
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == key {
				k, v, found = v.Content[i], v.Content[i+1], true
				break
			}
		}
		if !found {
			return nil, nil
		}
	}
	return k, v
}

// endLine returns the last line (1-based) that node n's text occupies.
func (f *yamlFile) endLine(n *yaml.Node) int {
	end := n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			// A block scalar runs to the last line indented deeper than
			// its key.
			ind := indentOf(f.line(n.Line - 1))
			for i := n.Line; i < len(f.lines); i++ {
				l := f.lines[i]
				if strings.TrimSpace(l) != "" && indentOf(l) <= ind {
					break
				}
				if strings.TrimSpace(l) != "" {
					end = i + 1
				}
			}
		} else if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			// A quoted scalar may span lines; find its closing quote.
			q := byte('"')
			if n.Style&yaml.SingleQuotedStyle != 0 {
				q = '\''
			}
			if _, _, ok := f.scalarSpan(n); !ok {
				for i := n.Line; i < len(f.lines); i++ {
					if strings.IndexByte(f.lines[i], q) >= 0 {
						end = i + 1
						break
					}
				}
			}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			for i := n.Line - 1; i < len(f.lines); i++ {
				c := byte('}')
				if n.Kind == yaml.SequenceNode {
					c = ']'
				}
				if strings.IndexByte(stripComment(f.lines[i]), c) >= 0 {
					return i + 1
				}
			}
		}
		for _, c := range n.Content {
			end = max(end, f.endLine(c))
		}
	case yaml.AliasNode:
	}
	return end
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// stripComment drops a trailing " # comment" outside quotes.
func stripComment(l string) string {
	inS, inD := false, false
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case c == '\'' && !inD:
			inS = !inS
		case c == '"' && !inS && (i == 0 || l[i-1] != '\\'):
			inD = !inD
		case c == '#' && !inS && !inD && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return strings.TrimRight(l[:i], " \t")
		}
	}
	return l
}

// scalarSpan returns the 0-based byte columns [start, end) of a one-line
// scalar's text (quotes included) on its line.
func (f *yamlFile) scalarSpan(n *yaml.Node) (start, end int, ok bool) {
	l := f.line(n.Line - 1)
	start = n.Column - 1
	if start < 0 || start > len(l) {
		return 0, 0, false
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(l); i++ {
			if l[i] == '\\' {
				i++
				continue
			}
			if l[i] == '"' {
				return start, i + 1, true
			}
		}
		return 0, 0, false
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(l); i++ {
			if l[i] == '\'' {
				if i+1 < len(l) && l[i+1] == '\'' {
					i++
					continue
				}
				return start, i + 1, true
			}
		}
		return 0, 0, false
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, false
	}
	rest := stripComment(l[start:])
	if n.Style&yaml.FlowStyle == 0 && strings.ContainsAny(rest, "{[") && n.Kind == yaml.ScalarNode && !strings.HasPrefix(n.Value, rest[:1]) {
		return 0, 0, false
	}
	// Inside a flow collection the scalar ends at the next separator.
	if flowContext(l[:start]) {
		if i := strings.IndexAny(rest, ",}]"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.Index(rest, ": "); i >= 0 {
			rest = rest[:i]
		}
	}
	return start, start + len(strings.TrimRight(rest, " \t")), true
}

// flowContext reports whether an unclosed "{" or "[" precedes.
func flowContext(before string) bool {
	depth := 0
	for _, c := range before {
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return depth > 0
}

// setScalar replaces the text of the scalar v with value, written in the
// style v was written in (plain, single or double quotes); str says the
// new value is a string (a plain string that YAML would read as something
// else is quoted).
func (f *yamlFile) setScalar(v *yaml.Node, value string, str bool) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s:%d: not a single value", f.path, v.Line)
	}
	if v.Value == value {
		return nil
	}
	start, end, ok := f.scalarSpan(v)
	if !ok {
		return fmt.Errorf("%s:%d: the value spans lines; it is left as it is", f.path, v.Line)
	}
	text := scalarText(value, v.Style, str)
	l := f.line(v.Line - 1)
	return f.edit(v.Line-1, v.Line, l[:start]+text+l[end:])
}

// scalarText writes value as a YAML scalar in style.
func scalarText(value string, style yaml.Style, str bool) string {
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		return strconv.Quote(value)
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(value, "'", "''") + "'"
	}
	if str {
		return plain(value)
	}
	return value
}

// plain writes s bare when YAML reads it back as the same string, quoted
// otherwise (1.5, true, 0755, "a: b").
func plain(s string) string {
	var n yaml.Node
	if s == "" || yaml.Unmarshal([]byte("v: "+s), &n) != nil || len(n.Content) == 0 {
		return strconv.Quote(s)
	}
	_, v := get(n.Content[0], "v")
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag != "!!str" || v.Value != s || v.Style != 0 {
		return strconv.Quote(s)
	}
	return s
}

// item is a value to write as new YAML: a scalar (already YAML text), a
// mapping (ordered), or a sequence.
type item struct {
	key     string
	scalar  string
	kids    []item // mapping entries, or sequence items when seq
	seq     bool
	comment string // a comment line written above the entry
}

func sc(key, text string) item          { return item{key: key, scalar: text} }
func mp(key string, kids ...item) item  { return item{key: key, kids: kids} }
func sq(key string, items ...item) item { return item{key: key, kids: items, seq: true} }
func str(key, value string) item        { return sc(key, plain(value)) }
func num(key string, n int) item        { return sc(key, strconv.Itoa(n)) }
func quoted(key, value string) item     { return sc(key, strconv.Quote(value)) }
func seqOf(key string, values ...string) item {
	var kids []item
	for _, v := range values {
		kids = append(kids, item{scalar: plain(v)})
	}
	return sq(key, kids...)
}

// render writes entries as block YAML at indentation ind.
func (f *yamlFile) render(entries []item, ind int) []string {
	var out []string
	pad := strings.Repeat(" ", ind)
	for _, e := range entries {
		if e.comment != "" {
			for _, c := range strings.Split(e.comment, "\n") {
				out = append(out, pad+"# "+c)
			}
		}
		switch {
		case e.kids == nil && e.scalar == "" && e.seq:
			out = append(out, pad+e.key+": []")
		case e.kids == nil && e.scalar == "" && !e.seq && e.key != "":
			out = append(out, pad+e.key+": {}")
		case e.kids == nil:
			out = append(out, pad+e.key+": "+e.scalar)
		case e.seq:
			out = append(out, pad+e.key+":")
			out = append(out, f.renderSeq(e.kids, ind+f.seqIndent())...)
		default:
			out = append(out, pad+e.key+":")
			out = append(out, f.render(e.kids, ind+f.step)...)
		}
	}
	return out
}

// seqIndent is how far a block sequence's dash sits right of its key.
func (f *yamlFile) seqIndent() int {
	if f.dash {
		return f.step
	}
	return 0
}

// renderSeq writes sequence items with their dash at indentation ind.
func (f *yamlFile) renderSeq(items []item, ind int) []string {
	var out []string
	pad := strings.Repeat(" ", ind)
	for _, it := range items {
		if it.kids == nil {
			out = append(out, pad+"- "+it.scalar)
			continue
		}
		lines := f.render(it.kids, ind+2)
		lines[0] = pad + "- " + strings.TrimLeft(lines[0], " ")
		out = append(out, lines...)
	}
	return out
}

// keyIndent returns the column (0-based) of the keys of mapping m.
func keyIndent(m *yaml.Node) int {
	if len(m.Content) > 0 {
		return m.Content[0].Column - 1
	}
	return m.Column - 1
}

// setScalarText replaces a scalar with YAML text, keeping the node's
// quoting style when the text is a plain or quoted string.
func (f *yamlFile) setScalarText(v *yaml.Node, text string) error {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+text), &n); err != nil {
		return fmt.Errorf("value %s: %w", text, err)
	}
	_, nv := get(n.Content[0], "v")
	if nv.Value == v.Value && nv.Tag == v.Tag {
		return nil
	}
	if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || (nv.Tag == "!!str" && v.Tag == "!!str") {
		return f.setScalar(v, nv.Value, nv.Tag == "!!str")
	}
	start, end, ok := f.scalarSpan(v)
	if !ok {
		return fmt.Errorf("%s:%d: the value spans lines; it is left as it is", f.path, v.Line)
	}
	l := f.line(v.Line - 1)
	return f.edit(v.Line-1, v.Line, l[:start]+text+l[end:])
}

// replaceValue writes a new value for key k, whose value is v (a flow
// collection such as {} or [], or a scalar), as a block below the key.
func (f *yamlFile) replaceValue(k, v *yaml.Node, value item) error {
	ind := k.Column - 1
	value.key = k.Value
	lines := f.render([]item{value}, ind)
	first := f.line(k.Line - 1)
	// Keep what precedes the key on its line ("- " of a sequence item) and
	// the key as written.
	keyEnd := strings.Index(first[ind:], ":")
	if keyEnd < 0 {
		return fmt.Errorf("%s:%d: cannot find the key %s", f.path, k.Line, k.Value)
	}
	lines[0] = first[:ind+keyEnd] + strings.TrimPrefix(lines[0], strings.Repeat(" ", ind)+value.key)
	end := f.endLine(v)
	return f.edit(k.Line-1, end, carryComments(f.lines[k.Line-1:end], lines)...)
}

// carryComments keeps the comments of replaced lines in their
// replacement: a line's trailing comment goes to the new line that starts
// the same way (its key), else to the first line; whole-line comments go
// first.
func carryComments(old, lines []string) []string {
	var head []string
	out := append([]string{}, lines...)
	for _, l := range old {
		code := stripComment(l)
		if len(code) == len(l) {
			continue
		}
		c := strings.TrimSpace(l[len(code):])
		if strings.TrimSpace(code) == "" {
			head = append(head, l)
			continue
		}
		key := strings.TrimSpace(code)
		if i := strings.Index(key, ":"); i >= 0 {
			key = key[:i+1]
		}
		at := 0
		for i, n := range out {
			if strings.HasPrefix(strings.TrimSpace(n), key) && len(stripComment(n)) == len(n) {
				at = i
				break
			}
		}
		gap := "   "
		if g := len(code) - len(strings.TrimRight(code, " \t")); g > 0 {
			gap = strings.Repeat(" ", g+1)
		} else if i := strings.Index(l, "#"); i > 0 {
			gap = l[len(strings.TrimRight(l[:i], " \t")):i]
		}
		out[at] += gap + c
	}
	return append(head, out...)
}

// addEntries adds entries at the end of mapping parent (whose key is
// parentKey, nil for a document root).
func (f *yamlFile) addEntries(parentKey, parent *yaml.Node, entries ...item) error {
	if parent.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s is not a mapping", f.path, parent.Line, parentKey.Value)
	}
	if len(parent.Content) == 0 || parent.Style&yaml.FlowStyle != 0 {
		if parentKey == nil {
			return fmt.Errorf("%s: the document is empty", f.path)
		}
		if len(parent.Content) > 0 {
			return fmt.Errorf("%s:%d: %s is written inline; it is left as it is", f.path, parent.Line, parentKey.Value)
		}
		return f.replaceValue(parentKey, parent, mp(parentKey.Value, entries...))
	}
	at := f.endLine(parent)
	return f.edit(at, at, f.spaced(at, keyIndent(parent), f.render(entries, keyIndent(parent)))...)
}

// spaced puts a blank line before new top-level entries that span lines
// when the line above them is not blank, as hand-written and generated
// values files separate their blocks.
func (f *yamlFile) spaced(at, indent int, lines []string) []string {
	if indent == 0 && len(lines) > 1 && at > 0 && strings.TrimSpace(f.line(at-1)) != "" {
		return append([]string{""}, lines...)
	}
	return lines
}

// insertAfter adds entries to mapping m right after the entry of key
// after (and its value); at the end when after is absent.
func (f *yamlFile) insertAfter(m *yaml.Node, after string, entries ...item) error {
	k, v := get(m, after)
	if k == nil {
		return f.addEntries(nil, m, entries...)
	}
	at := f.endLine(v)
	return f.edit(at, at, f.spaced(at, keyIndent(m), f.render(entries, keyIndent(m)))...)
}

// appendItems adds items at the end of sequence v (key k).
func (f *yamlFile) appendItems(k, v *yaml.Node, items ...item) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" || v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		return f.replaceValue(k, v, sq(k.Value, items...))
	}
	if v.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s:%d: %s is not a list", f.path, v.Line, k.Value)
	}
	if v.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s:%d: %s is written inline; it is left as it is", f.path, v.Line, k.Value)
	}
	d := f.dashColumn(v.Content[0])
	if d < 0 {
		return fmt.Errorf("%s:%d: cannot read the list %s", f.path, v.Line, k.Value)
	}
	at := f.endLine(v)
	return f.edit(at, at, f.renderSeq(items, d)...)
}

// removeItem removes item i of sequence seq (key k); the last item
// leaves an empty list.
func (f *yamlFile) removeItem(k, seq *yaml.Node, i int) error {
	if len(seq.Content) == 1 {
		return f.replaceValue(k, seq, item{key: k.Value, seq: true})
	}
	n := seq.Content[i]
	return f.edit(n.Line-1, f.endLine(n))
}

// replaceItem writes it in place of item i of sequence seq.
func (f *yamlFile) replaceItem(seq *yaml.Node, i int, it item) error {
	n := seq.Content[i]
	d := f.dashColumn(n)
	if d < 0 || seq.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s:%d: cannot read the list item", f.path, n.Line)
	}
	end := f.endLine(n)
	return f.edit(n.Line-1, end, carryComments(f.lines[n.Line-1:end], f.renderSeq([]item{it}, d))...)
}

// merge sets the entries kids in mapping m (key mk, nil for a document
// root): scalars are replaced in place, mappings merged, lists replaced
// whole, and missing keys added together at the end of m.
func (f *yamlFile) merge(mk, m *yaml.Node, kids ...item) error {
	if m.Kind == yaml.MappingNode && m.Style&yaml.FlowStyle != 0 && len(m.Content) > 0 {
		return f.mergeFlow(m, kids...)
	}
	var missing []item
	for _, kid := range kids {
		k, v := get(m, kid.key)
		var err error
		switch {
		case k == nil:
			missing = append(missing, kid)
		case kid.seq || kid.kids == nil && kid.scalar == "":
			err = f.replaceValue(k, v, kid)
		case kid.kids != nil:
			switch {
			case v.Kind == yaml.MappingNode && len(v.Content) > 0 && v.Style&yaml.FlowStyle == 0:
				err = f.merge(k, v, kid.kids...)
			case v.Kind == yaml.MappingNode && len(v.Content) > 0:
				err = f.mergeFlow(v, kid.kids...)
			default:
				err = f.replaceValue(k, v, kid)
			}
		case v.Kind == yaml.ScalarNode && v.Tag != "!!null":
			err = f.setScalarText(v, kid.scalar)
		default:
			err = f.replaceValue(k, v, kid)
		}
		if err != nil {
			return err
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return f.addEntries(mk, m, missing...)
}

// mergeFlow sets scalar entries in a one-line flow mapping ({cpu: 1,
// memory: 2Gi}), keeping it inline: the entries it keeps are written as
// they were, changed ones take the new text, missing ones are added last.
func (f *yamlFile) mergeFlow(m *yaml.Node, kids ...item) error {
	l := f.line(m.Line - 1)
	start := m.Column - 1
	if start >= len(l) || l[start] != '{' || f.endLine(m) != m.Line {
		return fmt.Errorf("%s:%d: the mapping is written inline over several lines; it is left as it is", f.path, m.Line)
	}
	end := strings.IndexByte(l[start:], '}')
	if end < 0 {
		return fmt.Errorf("%s:%d: cannot read the inline mapping", f.path, m.Line)
	}
	end += start + 1
	want := map[string]string{}
	var order []string
	for _, k := range kids {
		if k.kids != nil || k.seq {
			return fmt.Errorf("%s:%d: %s is written inline; it is left as it is", f.path, m.Line, k.key)
		}
		want[k.key] = k.scalar
		order = append(order, k.key)
	}
	var parts []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		ks, ke, ok1 := f.scalarSpan(k)
		vs, ve, ok2 := f.scalarSpan(v)
		if !ok1 || !ok2 || k.Line != m.Line || v.Line != m.Line {
			return fmt.Errorf("%s:%d: cannot read the inline mapping", f.path, m.Line)
		}
		text := l[vs:ve]
		if s, ok := want[k.Value]; ok {
			text = s
			delete(want, k.Value)
		}
		parts = append(parts, l[ks:ke]+": "+text)
	}
	for _, k := range order {
		if s, ok := want[k]; ok {
			parts = append(parts, k+": "+s)
		}
	}
	return f.edit(m.Line-1, m.Line, l[:start]+"{"+strings.Join(parts, ", ")+"}"+l[end:])
}
