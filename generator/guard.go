package generator

import (
	"bytes"
	"path"
	"sort"
	"strings"

	"github.com/stackgen/aiden/record"
	"github.com/stackgen/aiden/workspace"
)

// Reasons a file at the target is left alone.
const (
	reasonNotWritten     = "not written by aiden"
	reasonNotWrittenTmpl = "not written by aiden; it stays in the chart and renders with it"
	reasonCollision      = "not written by aiden, so the generated version of it was not written"
	reasonEarlier        = "written by an earlier generation and not part of this one"
	reasonEarlierChanged = "changed by hand since an earlier generation wrote it, and not part of this one"
)

// guard keeps a generation from destroying what a person wrote: aiden
// overwrites or deletes only the files its record at the target lists with
// an unchanged digest (record.Unchanged), or, in ModeReplace with Force, the
// files it lists that were changed by hand. Files it never wrote are never
// touched. It keeps the record up to date.
type guard struct {
	owner
	mode   Mode
	force  bool
	intent string
}

// newGuard reads the target's record from the workspace. A record that
// cannot be read, or ModeCreate on a folder that holds an app aiden wrote,
// is refused.
func newGuard(req Request, mode Mode, target string) (*guard, error) {
	own, err := ownerOf(target, req.Workspace)
	if err != nil {
		return nil, invalidf("%v: fix the record or delete it (aiden then treats every file in %s as written by hand)", err, target)
	}
	if mode == ModeCreate && own.rec != nil {
		return nil, invalidf("%s already holds an app aiden wrote (%s lists %d files): say what to change, or ask to replace it (--replace)",
			target, path.Join(target, record.Path), len(own.rec.Files))
	}
	return &guard{owner: own, mode: mode, force: req.Force, intent: strings.TrimSpace(req.Intent)}, nil
}

// owner is settle's view of the target's record: whether a generated file
// may take the place of the file already at its path, and whether aiden
// wrote an old chart template (so that it may be deleted).
type owner struct {
	target string
	rec    *record.Record
	have   map[string][]byte
}

func ownerOf(target string, ws []workspace.File) (owner, error) {
	rec, err := record.Read(target, ws)
	if err != nil {
		return owner{}, err
	}
	o := owner{target: target, rec: rec, have: map[string][]byte{}}
	for _, f := range ws {
		if p, err := workspace.Clean(f.Path); err == nil && workspace.Within(target, p) && p != target {
			o.have[p] = f.Content
		}
	}
	return o, nil
}

// foreign reports whether a generated file at p with content would replace
// a different file aiden did not write: that file stays as it is.
func (o owner) foreign(p string, content []byte) bool {
	old, ok := o.have[p]
	return ok && !bytes.Equal(old, content) && o.rec.State(o.rel(p), old) == record.Unknown
}

// wrote reports whether aiden wrote the file at p, changed since or not.
func (o owner) wrote(p string) bool { return o.rec.Has(o.rel(p)) }

func (o owner) rel(p string) string { return strings.TrimPrefix(p, o.target+"/") }

// finish checks the files a generation writes and deletes at the target
// against the record, refuses what would destroy a file changed by hand
// (naming every one), drops generated files that would replace a file aiden
// did not write, lists the files left alone in res.LeftAlone, and adds the
// updated record to res.Files. It runs once the files are final, before
// the patch.
func (g *guard) finish(res *Result) error {
	recPath := path.Join(g.target, record.Path)
	var files []workspace.File
	var refused, collide []string
	dropped := map[string]bool{}
	written := map[string]bool{}
	for _, f := range res.Files {
		p, err := workspace.Clean(f.Path)
		if err != nil || !workspace.Within(g.target, p) {
			files = append(files, f) // the parent's registration, outside the app
			continue
		}
		if p == recPath {
			continue // the record is aiden's to write, below
		}
		old, exists := g.have[p]
		if exists && !bytes.Equal(old, f.Content) && g.mode != ModeChange {
			switch g.rec.State(g.rel(p), old) {
			case record.Unknown:
				if g.mode == ModeCreate {
					collide = append(collide, g.rel(p))
				}
				dropped[p] = true
				continue
			case record.Changed:
				if !g.force {
					refused = append(refused, g.rel(p))
				}
			}
		}
		written[p] = true
		files = append(files, f)
	}
	var deleted []string
	for _, d := range res.Deleted {
		p, err := workspace.Clean(d)
		if err != nil || !workspace.Within(g.target, p) {
			deleted = append(deleted, d)
			continue
		}
		old, exists := g.have[p]
		if exists && g.mode != ModeChange {
			switch g.rec.State(g.rel(p), old) {
			case record.Unknown:
				continue // left alone, listed below
			case record.Changed:
				if !g.force {
					refused = append(refused, g.rel(p))
				}
			}
		}
		deleted = append(deleted, p)
	}
	if len(collide) > 0 {
		sort.Strings(collide)
		return invalidf("%s holds files aiden did not write that the new app would overwrite: %s; aiden never overwrites them: say what to change in the app, or generate into another folder",
			g.target, strings.Join(collide, ", "))
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		return invalidf("%s: changed by hand since aiden wrote them, so not overwritten or deleted: %s; say what to change instead, or add --force to replace them too (nothing was written)",
			g.target, strings.Join(refused, ", "))
	}
	removed := make(map[string]bool, len(deleted))
	for _, d := range deleted {
		removed[d] = true
	}
	res.Files, res.Deleted = files, deleted
	if g.mode != ModeChange {
		res.LeftAlone = g.leftAlone(written, removed, dropped)
	}
	if rec := g.record(res, written, removed); rec != nil {
		content := rec.Marshal()
		if old, ok := g.have[recPath]; !ok || !bytes.Equal(old, content) {
			res.Files = append(res.Files, workspace.File{Path: recPath, Content: content})
		}
	}
	return nil
}

// leftAlone lists the files at the target that the generation neither
// writes nor deletes, with the reason.
func (g *guard) leftAlone(written, removed, dropped map[string]bool) []LeftAlone {
	recPath := path.Join(g.target, record.Path)
	var out []LeftAlone
	for p, content := range g.have {
		if written[p] || removed[p] || p == recPath {
			continue
		}
		reason := reasonNotWritten
		switch g.rec.State(g.rel(p), content) {
		case record.Unknown:
			switch {
			case dropped[p]:
				reason = reasonCollision
			case workspace.Within(g.target+"/templates", p):
				reason = reasonNotWrittenTmpl
			}
		case record.Unchanged:
			reason = reasonEarlier
		case record.Changed:
			reason = reasonEarlierChanged
		}
		out = append(out, LeftAlone{Path: p, Reason: reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// record is the target's record after the generation: for a creation or a
// replacement, every file written, and the files an earlier generation
// wrote that stay; for a change, the files the change creates and the new
// digests of the files aiden wrote that it edits (a file changed by hand
// keeps its old digest, so it still reads as changed by hand, and a file
// aiden never wrote stays out). It is nil when there is nothing to record.
func (g *guard) record(res *Result, written, removed map[string]bool) *record.Record {
	author := res.Provenance.Generator
	if res.Provenance.Model != "" {
		author += " " + res.Provenance.Model
	}
	rec := record.New(g.intent, author)
	if g.rec != nil && g.mode != ModeCreate {
		for p, d := range g.rec.Files {
			if full := path.Join(g.target, p); !removed[full] {
				if _, still := g.have[full]; still || written[full] {
					rec.Files[p] = d
				}
			}
		}
	}
	for _, f := range res.Files {
		if !written[f.Path] {
			continue
		}
		rel := g.rel(f.Path)
		if old, existed := g.have[f.Path]; existed && g.mode == ModeChange {
			if g.rec.State(rel, old) != record.Unchanged {
				continue
			}
		}
		rec.Files[rel] = record.Digest(f.Content)
	}
	if len(rec.Files) == 0 && g.rec == nil {
		return nil
	}
	return rec
}
