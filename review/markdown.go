package review

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/validators"
)

// Marker is the first line of a review comment: a later run finds its
// earlier comment by it and replaces it.
const Marker = "<!-- aiden-review -->"

// CommentLimit is the most characters a GitHub comment body holds.
const CommentLimit = 65536

// MarkdownOptions say how Markdown writes a review.
type MarkdownOptions struct {
	// Comment writes a pull-request comment: the marker first, long
	// sections collapsed, and the whole within Limit.
	Comment bool
	// Limit is the most characters written with Comment; default
	// CommentLimit.
	Limit int
}

// Markdown writes the review as Markdown: readable as text in a
// terminal, rendered in a pull request. With Comment, when the whole
// does not fit in the limit, the rendered diff is shortened to object
// names, then to counts, then the finding lists are cut, each saying
// what was left out.
func Markdown(w io.Writer, r *Review, opts MarkdownOptions) error {
	limit := opts.Limit
	if limit <= 0 {
		limit = CommentLimit
	}
	var text string
	for level := 0; level <= maxLevel; level++ {
		text = markdown(r, opts.Comment, level)
		if !opts.Comment || len(text) <= limit {
			break
		}
	}
	if opts.Comment && len(text) > limit {
		cut := "\n\n_(cut at GitHub's comment limit)_\n"
		text = text[:limit-len(cut)] + cut
	}
	_, err := io.WriteString(w, text)
	return err
}

// Detail levels: everything, diffs without fields, diffs as counts,
// findings cut to a few.
const (
	levelFull = iota
	levelObjects
	levelCounts
	levelShortLists
	maxLevel = levelShortLists
)

func markdown(r *Review, comment bool, level int) string {
	var b strings.Builder
	if comment {
		b.WriteString(Marker + "\n")
	}
	summaryTable(&b, r)
	max := -1
	if level >= levelShortLists {
		max = 20
	}
	list(&b, "Risks", r.Risks, max, false)
	list(&b, "Budgets exceeded", r.Budgets, max, false)
	list(&b, "New findings", r.Findings.New, max, false)
	list(&b, "Fixed findings", r.Findings.Fixed, max, comment)
	capacityTable(&b, r)
	renderedChanges(&b, r, comment, level)
	if len(r.Checks) > 0 {
		var names []string
		for _, c := range r.Checks {
			names = append(names, c.Name+": "+string(c.Status))
		}
		fmt.Fprintf(&b, "<sub>Checks at the head: %s.</sub>\n", strings.Join(dedupe(names), ", "))
	}
	return b.String()
}

// summaryTable writes the heading, what was compared, and the table of
// counts: objects, findings, risks, cost and budgets.
func summaryTable(b *strings.Builder, r *Review) {
	b.WriteString("## aiden review\n\n")
	short := r.BaseCommit
	if len(short) > 12 {
		short = short[:12]
	}
	fmt.Fprintf(b, "Compared with %s (`%s`): %s changed, %s render differently.\n\n",
		r.Base, short, validators.Count(len(r.ChangedFiles), "file"), validators.Count(len(r.Units), "unit"))
	added, removed, changed := 0, 0, 0
	for _, u := range r.Units {
		for _, o := range u.Objects {
			switch o.Change {
			case Added:
				added++
			case Removed:
				removed++
			default:
				changed++
			}
		}
	}
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(b, "| Objects | %d added, %d changed, %d removed |\n", added, changed, removed)
	fmt.Fprintf(b, "| New findings | %d%s |\n", len(r.Findings.New), severities(r.Findings.New))
	fmt.Fprintf(b, "| Fixed findings | %d |\n", len(r.Findings.Fixed))
	fmt.Fprintf(b, "| Findings already there | %d |\n", r.Findings.Existing)
	fmt.Fprintf(b, "| Risks | %d%s |\n", len(r.Risks), severities(r.Risks))
	var before, after float64
	for _, c := range r.Capacity {
		before += c.Before.Monthly
		after += c.After.Monthly
	}
	if len(r.Capacity) > 0 {
		fmt.Fprintf(b, "| Estimated monthly cost of what changed | %s |\n", fromTo(r.Currency, before, after))
	}
	if len(r.Budgets) > 0 {
		fmt.Fprintf(b, "| Budgets exceeded | %d |\n", len(r.Budgets))
	}
	b.WriteString("\n")
}

// capacityTable writes the requests and cost of each app that changed,
// before and after.
func capacityTable(b *strings.Builder, r *Review) {
	if len(r.Capacity) == 0 {
		return
	}
	b.WriteString("### Cost and capacity\n\n")
	fmt.Fprintf(b, "Requests of all replicas; cost per month at %s (max: every HorizontalPodAutoscaler at its maximum).\n\n", pricesNote(r))
	b.WriteString("| Environment | App | Replicas | CPU (cores) | Memory (GiB) | Storage (GiB) | Monthly | Monthly at max |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Capacity {
		replicas := arrowInt(c.Before.Replicas, c.After.Replicas)
		if c.Before.MaxReplicas != c.Before.Replicas || c.After.MaxReplicas != c.After.Replicas {
			replicas += " (max " + arrowInt(c.Before.MaxReplicas, c.After.MaxReplicas) + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Environment, c.App, replicas,
			arrow(c.Before.CPU, c.After.CPU), arrow(c.Before.Memory, c.After.Memory), arrow(c.Before.Storage, c.After.Storage),
			fromTo(r.Currency, c.Before.Monthly, c.After.Monthly), fromTo(r.Currency, c.Before.MonthlyMax, c.After.MonthlyMax))
	}
	b.WriteString("\n")
}

// renderedChanges writes what each environment's clusters would receive,
// unit by unit, in as much detail as level leaves room for; in a comment
// each unit folds away.
func renderedChanges(b *strings.Builder, r *Review, comment bool, level int) {
	if len(r.Units) == 0 {
		b.WriteString("No rendered object changes.\n\n")
		return
	}
	b.WriteString("### What the clusters would receive\n\n")
	env := ""
	for _, u := range r.Units {
		if u.Environment != env {
			env = u.Environment
			fmt.Fprintf(b, "#### %s\n\n", env)
		}
		summary := fmt.Sprintf("`%s` (%s): %s", u.Path, u.Kind, counts(u.Objects))
		if u.Release != "" {
			summary = fmt.Sprintf("`%s` in `%s` (chart `%s`): %s", u.Release, u.Path, u.Chart, counts(u.Objects))
		}
		if level >= levelCounts {
			fmt.Fprintf(b, "- %s\n", summary)
			continue
		}
		switch {
		case !comment:
			fmt.Fprintf(b, "%s\n\n", summary)
		case u.Release != "":
			// Markdown is not read inside <summary>: HTML there.
			fmt.Fprintf(b, "<details><summary><code>%s</code> in <code>%s</code> (chart <code>%s</code>): %s</summary>\n\n",
				html.EscapeString(u.Release), html.EscapeString(u.Path), html.EscapeString(u.Chart), counts(u.Objects))
		default:
			fmt.Fprintf(b, "<details><summary><code>%s</code> (%s): %s</summary>\n\n", html.EscapeString(u.Path), u.Kind, counts(u.Objects))
		}
		unitDiff(b, u, level)
		if comment {
			b.WriteString("</details>\n\n")
		}
	}
	if level >= levelCounts {
		b.WriteString("\n_The field-by-field diff is left out to fit the comment; run `aiden review` to see it._\n\n")
	} else if level >= levelObjects {
		b.WriteString("_Changed fields are counted, not listed, to fit the comment; run `aiden review` to see them._\n\n")
	}
}

// unitDiff writes a unit's objects as a diff block: added and removed
// objects, and each changed object's fields (only counted from
// levelObjects on).
func unitDiff(b *strings.Builder, u UnitDiff, level int) {
	b.WriteString("```diff\n")
	for _, o := range u.Objects {
		switch o.Change {
		case Added:
			fmt.Fprintf(b, "+ %s (added)\n", o.Object)
		case Removed:
			fmt.Fprintf(b, "- %s (removed)\n", o.Object)
		default:
			fmt.Fprintf(b, "@@ %s @@\n", o.Object)
			if level >= levelObjects {
				fmt.Fprintf(b, "  (%s changed)\n", validators.Count(len(o.Fields), "field"))
				continue
			}
			for _, f := range o.Fields {
				if f.Before != "" {
					fmt.Fprintf(b, "-   %s: %s\n", f.Path, code(f.Before))
				}
				if f.After != "" {
					fmt.Fprintf(b, "+   %s: %s\n", f.Path, code(f.After))
				}
			}
		}
	}
	b.WriteString("```\n\n")
}

func list(b *strings.Builder, title string, fs []validators.Finding, max int, collapse bool) {
	if len(fs) == 0 {
		return
	}
	if collapse {
		fmt.Fprintf(b, "<details><summary>%s (%d)</summary>\n\n", title, len(fs))
	} else {
		fmt.Fprintf(b, "### %s\n\n", title)
	}
	for i, f := range fs {
		if max >= 0 && i == max {
			fmt.Fprintf(b, "- … and %d more (see the SARIF or JSON output)\n", len(fs)-max)
			break
		}
		fmt.Fprintf(b, "- **%s** %s\n", action.SeverityWord(f), inline(action.FindingLine(f)))
	}
	b.WriteString("\n")
	if collapse {
		b.WriteString("</details>\n\n")
	}
}

// inline puts a finding line in code where it names a place, so paths
// and pointers are not read as Markdown.
func inline(line string) string {
	if i := strings.Index(line, ": "); i > 0 && !strings.ContainsAny(line[:i], "` ") {
		return "`" + line[:i] + "`" + line[i:]
	}
	return line
}

func severities(fs []validators.Finding) string {
	n := map[validators.Severity]int{}
	for _, f := range fs {
		n[f.Severity]++
	}
	var parts []string
	for _, s := range []validators.Severity{validators.SeverityError, validators.SeverityWarning, validators.SeverityInfo} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], validators.Plural(n[s], s.String())))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func counts(objs []ObjectChange) string {
	n := map[string]int{}
	for _, o := range objs {
		n[o.Change]++
	}
	var parts []string
	for _, c := range []string{Added, Changed, Removed} {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
		}
	}
	return strings.Join(parts, ", ")
}

func pricesNote(r *Review) string {
	p := r.Prices
	return fmt.Sprintf("%s%g per core, %s%g per GiB of memory and %s%g per GiB of storage (`review.prices`)", p.Currency, p.CPU, p.Currency, p.Memory, p.Currency, p.Storage)
}

func arrow(a, b float64) string {
	if a == b {
		return strconv.FormatFloat(a, 'f', -1, 64)
	}
	return fmt.Sprintf("%s → %s (%s)", strconv.FormatFloat(a, 'f', -1, 64), strconv.FormatFloat(b, 'f', -1, 64), signed(b-a, ""))
}

func arrowInt(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("%d → %d", a, b)
}

func fromTo(cur string, a, b float64) string {
	if a == b {
		return fmt.Sprintf("%s%.2f", cur, a)
	}
	return fmt.Sprintf("%s%.2f → %s%.2f (%s)", cur, a, cur, b, signed(b-a, cur))
}

func signed(d float64, cur string) string {
	d = round(d, 3)
	if cur != "" {
		if d < 0 {
			return fmt.Sprintf("−%s%.2f", cur, -d)
		}
		return fmt.Sprintf("+%s%.2f", cur, d)
	}
	if d < 0 {
		return "−" + strconv.FormatFloat(-d, 'f', -1, 64)
	}
	return "+" + strconv.FormatFloat(d, 'f', -1, 64)
}

// code shows a JSON value in the diff: a string without its quotes.
func code(v string) string {
	if s, err := strconv.Unquote(v); err == nil && !strings.ContainsAny(s, "\n") && s != "" {
		v = s
	}
	return strings.ReplaceAll(v, "```", "'''")
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
