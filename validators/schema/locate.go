package schema

import "github.com/stackgen/aiden/validators/yamlpos"

// locateDoc locates a pointer in a document of a file, in file lines.
func locateDoc(d document, pointer, message string) (yamlpos.Position, bool) {
	if d.item {
		return yamlpos.Position{}, false
	}
	p, ok := yamlpos.Locate(d.res.Bytes, pointer, message)
	if !ok {
		return yamlpos.Position{}, false
	}
	p.Line += d.line - leadingLines(d.res.Bytes) - 1
	return p, true
}
