package server

import (
	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/secrets"
	"github.com/stackgen/aiden/workspace"
)

// redactText is action.RedactText: for what the record stores as text.
func redactText(s string) string { return action.RedactText(s) }

// storedFiles returns files with every credential redacted: a record keeps
// no secret, not even one the workspace held.
func storedFiles(files []workspace.File) []workspace.File {
	if files == nil {
		return nil
	}
	out := make([]workspace.File, len(files))
	for i, f := range files {
		c, _ := secrets.Redact(f.Content)
		out[i] = workspace.File{Path: f.Path, Content: c}
	}
	return out
}

// servedPatch is a stored patch as served. Records written since patches
// are redacted carry none; an older record's patch is redacted as text,
// which may leave hunks that no longer apply, rather than serve a secret.
func servedPatch(p string) string { return redactText(p) }
