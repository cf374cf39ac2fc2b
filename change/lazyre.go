package change

import (
	"regexp"
	"sync"
)

// lazyRE is a regular expression compiled on first use, so that the
// change parser's expressions cost nothing when a process (aiden version,
// aiden validate) never parses a change intent.
type lazyRE struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

func lazy(src string) *lazyRE { return &lazyRE{src: src} }

// get compiles the expression the first time.
func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

// FindSubmatchIndex is regexp.Regexp's.
func (l *lazyRE) FindSubmatchIndex(b []byte) []int { return l.get().FindSubmatchIndex(b) }

// FindAllStringSubmatch is regexp.Regexp's.
func (l *lazyRE) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}

// FindStringSubmatch is regexp.Regexp's.
func (l *lazyRE) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }

// FindAllSubmatch is regexp.Regexp's.
func (l *lazyRE) FindAllSubmatch(b []byte, n int) [][][]byte { return l.get().FindAllSubmatch(b, n) }
