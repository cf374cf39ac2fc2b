package patch

// kind is what an edit does with one line.
type kind byte

const (
	keep kind = iota // the line is in both files
	del              // the line is only in the old file
	ins              // the line is only in the new file
)

// edit is one line of an edit script. a and b are the 0-based positions in
// the old and new file: the line's own position on its side(s), and on the
// other side the position the edit happens at.
type edit struct {
	kind kind
	a, b int
}

// maxEditDistance bounds the Myers search: a middle section needing more
// inserted plus deleted lines than this is replaced whole. It keeps time at
// O((N+M)·D) and the trace at O(D²) for any input.
const maxEditDistance = 2000

// diffLines returns an edit script turning a into b. Lines are compared as
// interned ids; the script is minimal unless the files differ by more than
// maxEditDistance lines in their middle section.
func diffLines(a, b []int) []edit {
	// Common prefix and suffix cost nothing and shrink the search.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	var mid []edit
	if len(ma) == 0 || len(mb) == 0 {
		// Only insertions or only deletions: the one script there is,
		// without a search whose trace grows with the square of the
		// lines (a created file would cost O(lines²) memory).
		mid = replace(len(ma), len(mb))
	} else {
		var ok bool
		if mid, ok = myers(ma, mb, maxEditDistance); !ok {
			mid = replace(len(ma), len(mb))
		}
	}
	if pre == 0 && suf == 0 {
		return mid
	}
	script := make([]edit, 0, pre+len(mid)+suf)
	for i := 0; i < pre; i++ {
		script = append(script, edit{keep, i, i})
	}
	for _, e := range mid {
		script = append(script, edit{e.kind, e.a + pre, e.b + pre})
	}
	for i := 0; i < suf; i++ {
		script = append(script, edit{keep, len(a) - suf + i, len(b) - suf + i})
	}
	return script
}

// replace is the script that deletes all n old lines and inserts all m new ones.
func replace(n, m int) []edit {
	script := make([]edit, 0, n+m)
	for i := 0; i < n; i++ {
		script = append(script, edit{del, i, 0})
	}
	for j := 0; j < m; j++ {
		script = append(script, edit{ins, n, j})
	}
	return script
}

// myers finds a shortest edit script with Myers' O(ND) greedy algorithm
// ("An O(ND) Difference Algorithm and Its Variations", 1986). It keeps, for
// each edit distance d, the furthest x reached on every diagonal k in [-d, d]
// and walks that trace back from the end. It gives up (ok false) when more
// than maxD edits are needed.
func myers(a, b []int, maxD int) (script []edit, ok bool) {
	n, m := len(a), len(b)
	limit := min(n+m, maxD)
	off := limit + 1
	v := make([]int, 2*off+1) // v[off+k]: furthest x on diagonal k
	var trace [][]int         // trace[d][d+k]: v after round d
	for d := 0; d <= limit; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // step down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // step right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		if n-m >= -d && n-m <= d && v[off+n-m] >= n {
			return backtrack(trace, n, m), true
		}
	}
	return nil, false
}

// backtrack turns a Myers trace ending at (n, m) into an edit script.
func backtrack(trace [][]int, n, m int) []edit {
	var rev []edit
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		k := x - y
		var px, py int
		if d > 0 {
			prev := trace[d-1] // prev[d-1+k] for k in [-(d-1), d-1]
			pk := k - 1
			if k == -d || (k != d && prev[d-1+k-1] < prev[d-1+k+1]) {
				pk = k + 1
			}
			px = prev[d-1+pk]
			py = px - pk
		}
		// The snake: equal lines after the step of round d.
		for x > px && y > py {
			x--
			y--
			rev = append(rev, edit{keep, x, y})
		}
		if d > 0 {
			if x == px {
				rev = append(rev, edit{ins, x, py})
			} else {
				rev = append(rev, edit{del, px, y})
			}
			x, y = px, py
		}
	}
	script := make([]edit, len(rev))
	for i, e := range rev {
		script[len(rev)-1-i] = e
	}
	return script
}
