// Package workspace holds the files a request works on and keeps every path
// confined to the repository: relative, cleaned, and never escaping through
// "..", absolute paths or symlinks.
package workspace

// File is one file of the workspace or of a generation, addressed by a
// slash-separated path relative to the repository root (or, for generated
// files, relative to the target folder until they are placed).
type File struct {
	Path    string `json:"path"`
	Content []byte `json:"content"`
}
