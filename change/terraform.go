package change

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// tfBlock is a top-level block of a module, with the file it is in.
type tfBlock struct {
	file string // relative to the app
	t    *yamlFile
	b    *hclsyntax.Block
}

func (b tfBlock) label(i int) string {
	if i < len(b.b.Labels) {
		return b.b.Labels[i]
	}
	return ""
}

// terraform changes a module: attributes and nested blocks of its
// resources and variable defaults, edited in place; new blocks are
// written with hclwrite in terraform fmt's layout.
func (a *author) terraform(in intent) error {
	var names []string
	for p := range a.files {
		rel := strings.TrimPrefix(p, a.app.Root+"/")
		if strings.HasSuffix(rel, ".tf") && !strings.Contains(rel, "/") {
			names = append(names, rel)
		}
	}
	sort.Strings(names)
	var blocks []tfBlock
	for _, n := range names {
		src := a.files[a.rel(n)]
		f, diags := hclsyntax.ParseConfig(src, a.rel(n), hcl.InitialPos)
		if diags.HasErrors() {
			return fmt.Errorf("parse %s: %w", a.rel(n), diags)
		}
		t, err := a.openText(n)
		if err != nil {
			return err
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			blocks = append(blocks, tfBlock{file: n, t: t, b: b})
		}
	}
	if len(names) == 0 {
		return unsupported(KindTerraform, "%s: only .tf files are changed (not .tf.json)", a.app.Root)
	}
	for _, o := range in.ops {
		var err error
		switch o.kind {
		case opLifecycle:
			err = a.tfLifecycle(blocks, o)
		case opVersioning:
			err = a.tfVersioning(blocks, o)
		case opTags:
			err = a.tfTags(blocks, o)
		case opVariable:
			err = a.tfVariable(blocks, o)
		default:
			err = unsupported(KindTerraform, "%s (%q) in a Terraform module", o.kind, o.from)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func find(blocks []tfBlock, typ string, labels ...string) []tfBlock {
	var out []tfBlock
	for _, b := range blocks {
		if b.b.Type != typ {
			continue
		}
		ok := true
		for i, l := range labels {
			if l != "" && b.label(i) != l {
				ok = false
			}
		}
		if ok {
			out = append(out, b)
		}
	}
	return out
}

// hclLines formats a body built with hclwrite and indents it.
func hclLines(f *hclwrite.File, indent int) []string {
	s := strings.TrimRight(string(hclwrite.Format(f.Bytes())), "\n")
	pad := strings.Repeat(" ", indent)
	var out []string
	for _, l := range strings.Split(s, "\n") {
		// An empty block reads better on one line, as terraform fmt keeps it.
		if strings.TrimSpace(l) == "}" && len(out) > 0 && strings.HasSuffix(out[len(out)-1], " {") &&
			indentOf(out[len(out)-1]) == indentOf(pad+l) {
			out[len(out)-1] += "}"
			continue
		}
		if l == "" {
			out = append(out, "")
		} else {
			out = append(out, pad+l)
		}
	}
	return out
}

// insertInBody adds lines before the closing brace of block b, after a
// blank line.
func insertInBody(b tfBlock, build func(*hclwrite.Body)) error {
	f := hclwrite.NewEmptyFile()
	build(f.Body())
	closeLine := b.b.CloseBraceRange.Start.Line - 1
	ind := indentOf(b.t.line(closeLine)) + 2
	lines := append([]string{""}, hclLines(f, ind)...)
	return b.t.edit(closeLine, closeLine, lines...)
}

// insertAfterBlock adds a top-level block after block b.
func insertAfterBlock(b tfBlock, build func(*hclwrite.Body)) error {
	f := hclwrite.NewEmptyFile()
	build(f.Body())
	at := b.b.CloseBraceRange.End.Line
	return b.t.edit(at, at, append([]string{""}, hclLines(f, 0)...)...)
}

// setAttr replaces the expression of attribute name in body with expr
// (HCL text), or adds it at the end of the body.
func setAttr(b tfBlock, body *hclsyntax.Body, closeLine int, name string, value cty.Value) error {
	text := strings.TrimSpace(string(hclwrite.TokensForValue(value).Bytes()))
	if at, ok := body.Attributes[name]; ok {
		r := at.Expr.Range()
		if r.Start.Line != r.End.Line {
			return unsupported(KindTerraform, "%s: %s spans lines; it is left as it is", b.t.path, name)
		}
		l := b.t.line(r.Start.Line - 1)
		lineStart := r.Start.Byte - (r.Start.Column - 1)
		s, e := r.Start.Byte-lineStart, r.End.Byte-lineStart
		if l[s:e] == text {
			return nil
		}
		return b.t.edit(r.Start.Line-1, r.Start.Line, l[:s]+text+l[e:])
	}
	ind := indentOf(b.t.line(closeLine-1)) + 2
	return b.t.edit(closeLine-1, closeLine-1, strings.Repeat(" ", ind)+name+" = "+text)
}

// bucket returns the module's bucket resource (AWS or Google).
func bucket(blocks []tfBlock) (tfBlock, string, bool) {
	if bs := find(blocks, "resource", "aws_s3_bucket"); len(bs) > 0 {
		return bs[0], "aws", true
	}
	if bs := find(blocks, "resource", "google_storage_bucket"); len(bs) > 0 {
		return bs[0], "google", true
	}
	return tfBlock{}, "", false
}

// refersTo reports whether block b's bucket attribute refers to the
// resource typ.name.
func refersTo(b tfBlock, typ, name string) bool {
	at, ok := b.b.Body.Attributes["bucket"]
	if !ok {
		return false
	}
	for _, t := range at.Expr.Variables() {
		if t.RootName() == typ && len(t) > 1 {
			if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
				return true
			}
		}
	}
	return false
}

var storageClasses = map[string]string{
	"glacier": "GLACIER", "glacier ir": "GLACIER_IR", "glacier instant retrieval": "GLACIER_IR",
	"glacier deep archive": "DEEP_ARCHIVE", "deep archive": "DEEP_ARCHIVE",
	"standard ia": "STANDARD_IA", "standard-ia": "STANDARD_IA", "standard_ia": "STANDARD_IA", "infrequent access": "STANDARD_IA",
	"onezone ia": "ONEZONE_IA", "onezone-ia": "ONEZONE_IA", "onezone_ia": "ONEZONE_IA",
	"nearline": "NEARLINE", "coldline": "COLDLINE", "archive": "ARCHIVE",
}

func (a *author) tfLifecycle(blocks []tfBlock, o op) error {
	bk, cloud, ok := bucket(blocks)
	if !ok {
		return unsupported(KindTerraform, "a lifecycle rule: the module has no aws_s3_bucket or google_storage_bucket")
	}
	a.fact("bucket", bk.label(0)+"."+bk.label(1), fmt.Sprintf("(%s:%d)", bk.t.path, bk.b.TypeRange.Start.Line))
	class := storageClasses[strings.Join(strings.Fields(o.class), " ")]
	id := fmt.Sprintf("expire-after-%d-days", o.n)
	if class != "" {
		id = fmt.Sprintf("%s-after-%d-days", strings.ToLower(strings.ReplaceAll(class, "_", "-")), o.n)
	}
	if cloud == "google" {
		err := insertInBody(bk, func(b *hclwrite.Body) {
			r := b.AppendNewBlock("lifecycle_rule", nil).Body()
			r.AppendNewBlock("condition", nil).Body().SetAttributeValue("age", cty.NumberIntVal(int64(o.n)))
			act := r.AppendNewBlock("action", nil).Body()
			if class != "" {
				act.SetAttributeValue("type", cty.StringVal("SetStorageClass"))
				act.SetAttributeValue("storage_class", cty.StringVal(class))
			} else {
				act.SetAttributeValue("type", cty.StringVal("Delete"))
			}
		})
		if err == nil {
			a.did("lifecycle rule %s in %s", id, bk.t.path)
		}
		return err
	}
	rule := func(b *hclwrite.Body) {
		r := b.AppendNewBlock("rule", nil).Body()
		r.SetAttributeValue("id", cty.StringVal(id))
		r.SetAttributeValue("status", cty.StringVal("Enabled"))
		r.AppendNewline()
		r.AppendNewBlock("filter", nil)
		r.AppendNewline()
		if class != "" {
			t := r.AppendNewBlock("transition", nil).Body()
			t.SetAttributeValue("days", cty.NumberIntVal(int64(o.n)))
			t.SetAttributeValue("storage_class", cty.StringVal(class))
		} else {
			r.AppendNewBlock("expiration", nil).Body().SetAttributeValue("days", cty.NumberIntVal(int64(o.n)))
		}
	}
	for _, lc := range find(blocks, "resource", "aws_s3_bucket_lifecycle_configuration") {
		if !refersTo(lc, "aws_s3_bucket", bk.label(1)) {
			continue
		}
		// After the last rule, so the new one reads with the others.
		var last *hclsyntax.Block
		for _, nb := range lc.b.Body.Blocks {
			if nb.Type == "rule" {
				last = nb
			}
		}
		f := hclwrite.NewEmptyFile()
		rule(f.Body())
		if last == nil {
			if err := insertInBody(lc, rule); err != nil {
				return err
			}
		} else {
			at := last.CloseBraceRange.End.Line
			ind := indentOf(lc.t.line(last.TypeRange.Start.Line - 1))
			if err := lc.t.edit(at, at, append([]string{""}, hclLines(f, ind)...)...); err != nil {
				return err
			}
		}
		a.did("lifecycle rule %s added to %s.%s in %s", id, lc.label(0), lc.label(1), lc.t.path)
		return nil
	}
	err := insertAfterBlock(lastOf(blocks, bk), func(b *hclwrite.Body) {
		r := b.AppendNewBlock("resource", []string{"aws_s3_bucket_lifecycle_configuration", bk.label(1)}).Body()
		r.SetAttributeTraversal("bucket", hcl.Traversal{hcl.TraverseRoot{Name: "aws_s3_bucket"}, hcl.TraverseAttr{Name: bk.label(1)}, hcl.TraverseAttr{Name: "id"}})
		r.AppendNewline()
		rule(r)
		for _, v := range find(blocks, "resource", "aws_s3_bucket_versioning") {
			if refersTo(v, "aws_s3_bucket", bk.label(1)) {
				r.AppendNewline()
				r.SetAttributeRaw("depends_on", hclwrite.Tokens{
					{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")},
					{Type: hclsyntax.TokenIdent, Bytes: []byte("aws_s3_bucket_versioning." + v.label(1))},
					{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")},
				})
			}
		}
	})
	if err != nil {
		return err
	}
	a.did("lifecycle rule %s in a new aws_s3_bucket_lifecycle_configuration.%s", id, bk.label(1))
	return nil
}

// lastOf returns the last block, in the file of b, among those about the
// same bucket (so a new resource lands beside them).
func lastOf(blocks []tfBlock, b tfBlock) tfBlock {
	last := b
	for _, x := range blocks {
		if x.file == b.file && x.b.Type == "resource" && (x.b == b.b || refersTo(x, b.label(0), b.label(1))) &&
			x.b.CloseBraceRange.End.Line > last.b.CloseBraceRange.End.Line {
			last = x
		}
	}
	return last
}

func (a *author) tfVersioning(blocks []tfBlock, o op) error {
	bk, cloud, ok := bucket(blocks)
	if !ok {
		return unsupported(KindTerraform, "versioning: the module has no aws_s3_bucket or google_storage_bucket")
	}
	state := "on"
	if o.off {
		state = "off"
	}
	// An inline versioning block (google, or the old aws provider).
	for _, nb := range bk.b.Body.Blocks {
		if nb.Type == "versioning" {
			if err := setAttr(bk, nb.Body, nb.CloseBraceRange.Start.Line, "enabled", cty.BoolVal(!o.off)); err != nil {
				return err
			}
			a.did("versioning %s in %s", state, bk.t.path)
			return nil
		}
	}
	if cloud == "google" {
		if err := insertInBody(bk, func(b *hclwrite.Body) {
			b.AppendNewBlock("versioning", nil).Body().SetAttributeValue("enabled", cty.BoolVal(!o.off))
		}); err != nil {
			return err
		}
		a.did("versioning %s in %s", state, bk.t.path)
		return nil
	}
	status := "Enabled"
	if o.off {
		status = "Suspended"
	}
	for _, v := range find(blocks, "resource", "aws_s3_bucket_versioning") {
		if !refersTo(v, "aws_s3_bucket", bk.label(1)) {
			continue
		}
		for _, nb := range v.b.Body.Blocks {
			if nb.Type == "versioning_configuration" {
				if at, ok := nb.Body.Attributes["status"]; ok {
					a.fact("versioning", string(a.files[a.rel(v.file)][at.Expr.Range().Start.Byte:at.Expr.Range().End.Byte]), fmt.Sprintf("(%s:%d)", v.t.path, at.SrcRange.Start.Line))
				}
				if err := setAttr(v, nb.Body, nb.CloseBraceRange.Start.Line, "status", cty.StringVal(status)); err != nil {
					return err
				}
				a.did("versioning %s in %s", state, v.t.path)
				return nil
			}
		}
	}
	if o.off {
		return unsupported(KindTerraform, "turning versioning off: the bucket has no versioning")
	}
	err := insertAfterBlock(lastOf(blocks, bk), func(b *hclwrite.Body) {
		r := b.AppendNewBlock("resource", []string{"aws_s3_bucket_versioning", bk.label(1)}).Body()
		r.SetAttributeTraversal("bucket", hcl.Traversal{hcl.TraverseRoot{Name: "aws_s3_bucket"}, hcl.TraverseAttr{Name: bk.label(1)}, hcl.TraverseAttr{Name: "id"}})
		r.AppendNewline()
		r.AppendNewBlock("versioning_configuration", nil).Body().SetAttributeValue("status", cty.StringVal("Enabled"))
	})
	if err != nil {
		return err
	}
	a.did("versioning on in a new aws_s3_bucket_versioning.%s", bk.label(1))
	return nil
}

// tfTags adds tags: to the tags object the module already writes (in
// locals or on the main resource), or as a tags attribute of the main
// resource.
func (a *author) tfTags(blocks []tfBlock, o op) error {
	attr := "tags"
	main, cloud, ok := bucket(blocks)
	if ok && cloud == "google" {
		attr = "labels"
	}
	if !ok {
		rs := find(blocks, "resource")
		if len(rs) == 0 {
			return unsupported(KindTerraform, "tags: the module has no resource")
		}
		main = rs[0]
	}
	var cands []tfBlock
	cands = append(cands, find(blocks, "locals")...)
	cands = append(cands, main)
	for _, b := range cands {
		at, ok := b.b.Body.Attributes[attr]
		if !ok {
			continue
		}
		obj := lastObject(at.Expr)
		if obj == nil {
			continue
		}
		return a.addTagItems(b, obj, o.tags)
	}
	err := insertInBody(main, func(b *hclwrite.Body) {
		b.SetAttributeValue(attr, tagValue(o.tags))
	})
	if err != nil {
		return err
	}
	a.did("%s %s on %s.%s", attr, tagDesc(o.tags), main.label(0), main.label(1))
	return nil
}

func tagValue(tags [][2]string) cty.Value {
	m := map[string]cty.Value{}
	for _, t := range tags {
		m[t[0]] = cty.StringVal(t[1])
	}
	return cty.ObjectVal(m)
}

func tagDesc(tags [][2]string) string {
	var s []string
	for _, t := range tags {
		s = append(s, t[0]+"="+t[1])
	}
	return strings.Join(s, ", ")
}

// lastObject returns the last object literal of an expression (the
// object of merge(var.tags, {...}), or the expression itself).
func lastObject(e hclsyntax.Expression) *hclsyntax.ObjectConsExpr {
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		return x
	case *hclsyntax.FunctionCallExpr:
		for i := len(x.Args) - 1; i >= 0; i-- {
			if o := lastObject(x.Args[i]); o != nil {
				return o
			}
		}
	}
	return nil
}

// addTagItems rewrites the object literal obj with the new items added
// (existing items as written), formatted as terraform fmt would.
func (a *author) addTagItems(b tfBlock, obj *hclsyntax.ObjectConsExpr, tags [][2]string) error {
	src := a.files[a.rel(b.file)]
	r := obj.SrcRange
	if r.Start.Line == r.End.Line {
		return unsupported(KindTerraform, "tags: %s:%d writes them on one line; it is left as it is", b.t.path, r.Start.Line)
	}
	var body []string
	for _, it := range obj.Items {
		k := strings.TrimSpace(string(src[it.KeyExpr.Range().Start.Byte:it.KeyExpr.Range().End.Byte]))
		v := strings.TrimSpace(string(src[it.ValueExpr.Range().Start.Byte:it.ValueExpr.Range().End.Byte]))
		for _, t := range tags {
			if strings.Trim(k, `"`) == t[0] {
				return unsupported(KindTerraform, "tag %s: %s:%d already sets it to %s", t[0], b.t.path, it.KeyExpr.Range().Start.Line, v)
			}
		}
		line := k + " = " + v
		if c := lineComment(b.t.line(it.ValueExpr.Range().End.Line - 1)); c != "" {
			line += " " + c
		}
		body = append(body, line)
	}
	quoteKeys := len(obj.Items) > 0 && strings.HasPrefix(strings.TrimSpace(string(src[obj.Items[0].KeyExpr.Range().Start.Byte:])), `"`)
	for _, t := range tags {
		k := t[0]
		if quoteKeys || !hclsyntax.ValidIdentifier(k) {
			k = strconv.Quote(k)
		}
		body = append(body, k+" = "+strconv.Quote(t[1]))
	}
	formatted := strings.Split(strings.TrimRight(string(hclwrite.Format([]byte("x = {\n"+strings.Join(body, "\n")+"\n}\n"))), "\n"), "\n")
	first, last := r.Start.Line-1, r.End.Line-1
	ind := indentOf(b.t.line(last))
	var lines []string
	for _, l := range formatted[1 : len(formatted)-1] {
		lines = append(lines, strings.Repeat(" ", ind)+l)
	}
	// The opening and closing lines stay; the items between are rewritten.
	if err := b.t.edit(first+1, last, lines...); err != nil {
		return err
	}
	a.did("tags %s in %s", tagDesc(tags), b.t.path)
	return nil
}

func (a *author) tfVariable(blocks []tfBlock, o op) error {
	if vs := find(blocks, "variable", o.name); len(vs) > 0 {
		v := vs[0]
		at, ok := v.b.Body.Attributes["default"]
		if ok {
			r := at.Expr.Range()
			a.fact(o.name, strings.Trim(string(a.files[a.rel(v.file)][r.Start.Byte:r.End.Byte]), `"`), fmt.Sprintf("(%s:%d)", v.t.path, r.Start.Line))
		}
		if err := setAttr(v, v.b.Body, v.b.CloseBraceRange.Start.Line, "default", cty.StringVal(o.value)); err != nil {
			return err
		}
		a.did("variable %s defaults to %q in %s", o.name, o.value, v.t.path)
		return nil
	}
	for _, p := range find(blocks, "provider") {
		if at, ok := p.b.Body.Attributes[o.name]; ok {
			if _, lit := at.Expr.(*hclsyntax.TemplateExpr); !lit {
				continue
			}
			if err := setAttr(p, p.b.Body, p.b.CloseBraceRange.Start.Line, o.name, cty.StringVal(o.value)); err != nil {
				return err
			}
			a.did("provider %s %s %q in %s", p.label(0), o.name, o.value, p.t.path)
			return nil
		}
	}
	return unsupported(KindTerraform, "the %s: the module has no variable %q or provider %s to set", o.name, o.name, o.name)
}

// lineComment returns the trailing "#" or "//" comment of an HCL line.
func lineComment(l string) string {
	if code := stripComment(l); len(code) < len(l) {
		return strings.TrimSpace(l[len(code):])
	}
	if i := strings.Index(l, "//"); i >= 0 && strings.Count(l[:i], `"`)%2 == 0 {
		return strings.TrimSpace(l[i:])
	}
	return ""
}
