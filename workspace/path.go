package workspace

import (
	"fmt"
	"path"
	"strings"
)

// PathError reports a path that cannot name a file inside the repository.
// Callers map it to an "invalid argument" response.
type PathError struct {
	Path   string // the path as given
	Reason string // why it was rejected, a lowercase phrase
}

func (e *PathError) Error() string {
	return fmt.Sprintf("invalid path %q: %s", e.Path, e.Reason)
}

// Clean returns p as a clean, slash-separated path relative to the repository
// root; "." names the root itself.
//
// It rejects, with a *PathError: the empty path; absolute paths ("/x",
// "C:\x", "C:x", "\\host\x"); any backslash, since Windows tools would read
// it as a separator; NUL and other control characters, which would also
// corrupt a patch header; a ".." that climbs above the root ("a/../../b");
// and any ".git" element (in any letter case), so a generated file can never
// land in git's own folder (hooks would be code execution).
func Clean(p string) (string, error) {
	bad := func(reason string) (string, error) {
		return "", &PathError{Path: p, Reason: reason}
	}
	if p == "" {
		return bad("empty")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == 0:
			return bad("contains a NUL byte")
		case c < 0x20 || c == 0x7f:
			return bad("contains a control character")
		case c == '\\':
			return bad(`contains a backslash; use "/" as the separator`)
		}
	}
	if p[0] == '/' {
		return bad("is absolute")
	}
	c := path.Clean(p)
	if len(c) >= 2 && c[1] == ':' && isLetter(c[0]) { // checked after cleaning: "./C:" is "C:"
		return bad("starts with a drive letter")
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return bad("escapes the repository root")
	}
	for _, elem := range strings.Split(c, "/") {
		if strings.EqualFold(elem, ".git") {
			return bad("names the .git folder")
		}
	}
	return c, nil
}

func isLetter(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// Within reports whether the clean relative path p is dir or lies below it.
// Both must already be clean (see Clean); dir "" or "." is the root, which
// holds every clean path.
func Within(dir, p string) bool {
	if dir == "" || dir == "." {
		return true
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}
