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
// more violation of a rule on an object that already broke it is new.
func diffFindings(base, head []validators.Finding) FindingsDiff {
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
	for _, withMessage := range []bool{true, false} {
		key := func(f validators.Finding) findingKey {
			k := findingKey{f.Rule, f.Resource, f.Path, f.File, ""}
			if withMessage {
				k.message = f.Message
			}
			return k
		}
		left := map[findingKey][]int{}
		for i, f := range b {
			left[key(f)] = append(left[key(f)], i)
		}
		matched := map[int]bool{}
		var rest []validators.Finding
		for _, f := range h {
			k := key(f)
			if idx := left[k]; len(idx) > 0 {
				matched[idx[0]] = true
				left[k] = idx[1:]
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
