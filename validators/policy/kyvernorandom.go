package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

const (
	// randomRepeat is how many more times than its minimum an unbounded
	// repetition (*, +, {n,}) repeats at most in random's output.
	randomRepeat = 10
	// randomMaxLen bounds random's output, in bytes.
	randomMaxLen = 1 << 16
)

// randomMatching is Kyverno's random(pattern): a random string that the
// regular expression matches (in full). Character classes pick from
// printable ASCII where they include any of it, so that "." and "\S" give
// readable text. Not for secrets: math/rand, not crypto/rand.
func randomMatching(pattern string) (string, error) {
	if pattern == "" {
		return "", errors.New("random: argument 1 is an empty pattern")
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	var b strings.Builder
	if err := generate(&b, re); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return b.String(), nil
}

// generate writes a random string that re matches.
func generate(b *strings.Builder, re *syntax.Regexp) error {
	if b.Len() > randomMaxLen {
		return fmt.Errorf("the pattern's strings are longer than %d bytes", randomMaxLen)
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText:
		// Anchors write nothing.
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		r, ok := pickRune(re.Rune)
		if !ok {
			return errors.New("a character class matches no character")
		}
		b.WriteRune(r)
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		b.WriteRune(rune(' ' + rand.IntN('~'-' '+1))) // #nosec G404 -- not for secrets
	case syntax.OpCapture:
		return generate(b, re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if err := generate(b, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		return generate(b, re.Sub[rand.IntN(len(re.Sub))]) // #nosec G404
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := re.Min, re.Max
		switch re.Op {
		case syntax.OpStar:
			lo, hi = 0, -1
		case syntax.OpPlus:
			lo, hi = 1, -1
		case syntax.OpQuest:
			lo, hi = 0, 1
		}
		if hi < 0 {
			hi = lo + randomRepeat
		}
		n := lo + rand.IntN(hi-lo+1) // #nosec G404
		for range n {
			if err := generate(b, re.Sub[0]); err != nil {
				return err
			}
		}
	case syntax.OpNoMatch:
		return errors.New("the pattern matches nothing")
	default:
		// Word boundaries depend on the neighbours; generating around
		// them is not attempted.
		return fmt.Errorf("%s is not supported", re)
	}
	return nil
}

// pickRune picks a rune of a character class (pairs of inclusive
// ranges): a printable ASCII one if the class has any, else any valid one.
func pickRune(ranges []rune) (rune, bool) {
	clip := func(lo, hi rune) [][2]rune {
		var out [][2]rune
		for i := 0; i+1 < len(ranges); i += 2 {
			a, z := max(ranges[i], lo), min(ranges[i+1], hi)
			if a <= z {
				out = append(out, [2]rune{a, z})
			}
		}
		return out
	}
	for _, set := range [][][2]rune{clip(' ', '~'), append(clip(0, 0xD7FF), clip(0xE000, utf8.MaxRune)...)} {
		total := 0
		for _, r := range set {
			total += int(r[1]-r[0]) + 1
		}
		if total == 0 {
			continue
		}
		k := rand.IntN(total) // #nosec G404
		for _, r := range set {
			if n := int(r[1]-r[0]) + 1; k >= n {
				k -= n
				continue
			}
			return r[0] + rune(k), true
		}
	}
	return 0, false
}
