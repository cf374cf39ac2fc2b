package secrets

import (
	"regexp"
	"sync"
)

// lazyRE is a regular expression compiled on first use, so that the
// scanner's expressions cost nothing in a process that never scans.
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

// Match is regexp.Regexp's.
func (l *lazyRE) Match(b []byte) bool { return l.get().Match(b) }

// MatchString is regexp.Regexp's.
func (l *lazyRE) MatchString(s string) bool { return l.get().MatchString(s) }

// FindSubmatch is regexp.Regexp's.
func (l *lazyRE) FindSubmatch(b []byte) [][]byte { return l.get().FindSubmatch(b) }

// FindAllIndex is regexp.Regexp's.
func (l *lazyRE) FindAllIndex(b []byte, n int) [][]int { return l.get().FindAllIndex(b, n) }

// ReplaceAll is regexp.Regexp's.
func (l *lazyRE) ReplaceAll(src, repl []byte) []byte { return l.get().ReplaceAll(src, repl) }
