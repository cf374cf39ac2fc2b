// Package lazyre holds regular expressions compiled on first use, so that
// a process that never needs them (aiden version, aiden validate) does not
// pay for compiling them at package init.
package lazyre

import (
	"regexp"
	"sync"
)

// RE is a regular expression compiled the first time one of its methods is
// called. A pattern that does not compile panics then, as
// regexp.MustCompile would at init; tests of the package that declares it
// exercise every pattern.
type RE struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

// New returns the expression src, not yet compiled.
func New(src string) *RE { return &RE{src: src} }

// Regexp compiles the expression the first time and returns it.
func (l *RE) Regexp() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.src) })
	return l.re
}

// Match is regexp.Regexp's.
func (l *RE) Match(b []byte) bool { return l.Regexp().Match(b) }

// MatchString is regexp.Regexp's.
func (l *RE) MatchString(s string) bool { return l.Regexp().MatchString(s) }

// FindSubmatch is regexp.Regexp's.
func (l *RE) FindSubmatch(b []byte) [][]byte { return l.Regexp().FindSubmatch(b) }

// FindSubmatchIndex is regexp.Regexp's.
func (l *RE) FindSubmatchIndex(b []byte) []int { return l.Regexp().FindSubmatchIndex(b) }

// FindStringSubmatch is regexp.Regexp's.
func (l *RE) FindStringSubmatch(s string) []string { return l.Regexp().FindStringSubmatch(s) }

// FindAllIndex is regexp.Regexp's.
func (l *RE) FindAllIndex(b []byte, n int) [][]int { return l.Regexp().FindAllIndex(b, n) }

// FindAllSubmatch is regexp.Regexp's.
func (l *RE) FindAllSubmatch(b []byte, n int) [][][]byte { return l.Regexp().FindAllSubmatch(b, n) }

// FindAllStringSubmatch is regexp.Regexp's.
func (l *RE) FindAllStringSubmatch(s string, n int) [][]string {
	return l.Regexp().FindAllStringSubmatch(s, n)
}

// ReplaceAll is regexp.Regexp's.
func (l *RE) ReplaceAll(src, repl []byte) []byte { return l.Regexp().ReplaceAll(src, repl) }
