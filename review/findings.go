package review

import (
	"sort"

	"github.com/stackgen/aiden/validators"
)

// FindingsDiff is what the checks found at the head compared with the
// base.
type FindingsDiff struct {
	// New are the head's findings the base did not have.
	New []validators.Finding `json:"new"`
	// Fixed are the base's findings the head no longer has.
	Fixed []validators.Finding `json:"fixed"`
	// Existing counts the head's findings the base had already.
	Existing int `json:"existing"`
}

// findingKey matches a finding across base and head: by rule, object,
// field and file, not by line or column, which an edit above moves.
type findingKey struct{ rule, resource, path, file, message string }

// diffFindings matches head's findings against base's, as many times as
// each occurs: two equal findings at the head and one at the base are
// one existing and one new. Findings that say the same are matched
// first; then those of the same rule, object, field and file whatever
// they say (a message may quote a value the change edited), so one
// more violation of a rule on an object that already broke it is new;
// last, findings about an object's field in files of one overlay chain
// (related: one folder, or one's kustomization reads the other's folder),
// since the change may move where its field is written (an overlay's new
// patch now sets the replicas a base set). Two clusters' overlays of one
// base are two chains: an error moved from one to the other is one new
// finding and one fixed.
func diffFindings(base, head []validators.Finding, related func(a, b string) bool) FindingsDiff {
	d := FindingsDiff{New: []validators.Finding{}, Fixed: []validators.Finding{}}
	var b, h []validators.Finding
	for _, f := range base {
		if !f.Fixed {
			b = append(b, f)
		}
	}
	for _, f := range head {
		if !f.Fixed {
			h = append(h, f)
		}
	}
	for pass := range 3 {
		key := func(f validators.Finding) (findingKey, bool) {
			switch pass {
			case 0:
				return findingKey{f.Rule, f.Resource, f.Path, f.File, f.Message}, true
			case 1:
				return findingKey{f.Rule, f.Resource, f.Path, f.File, ""}, true
			}
			return findingKey{f.Rule, f.Resource, f.Path, "", ""}, f.Resource != "" && f.Path != ""
		}
		left := map[findingKey][]int{}
		for i, f := range b {
			if k, ok := key(f); ok {
				left[k] = append(left[k], i)
			}
		}
		matched := map[int]bool{}
		var rest []validators.Finding
		for _, f := range h {
			k, ok := key(f)
			idx := left[k]
			at := -1
			for j, i := range idx {
				if ok && (pass < 2 || related(b[i].File, f.File)) {
					at = j
					break
				}
			}
			if at >= 0 {
				matched[idx[at]] = true
				left[k] = append(idx[:at:at], idx[at+1:]...)
				d.Existing++
				continue
			}
			rest = append(rest, f)
		}
		h = rest
		var bRest []validators.Finding
		for i, f := range b {
			if !matched[i] {
				bRest = append(bRest, f)
			}
		}
		b = bRest
	}
	d.New = append(d.New, h...)
	d.Fixed = append(d.Fixed, b...)
	sortFindings(d.New)
	sortFindings(d.Fixed)
	return d
}

func sortFindings(fs []validators.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}
