package policy

import (
	"regexp"
	"sync"
)

// kyvernoRegexps are the Kyverno evaluator's regular expressions.
type kyvernoRegexps struct {
	// variable finds {{ }} variables not preceded by a backslash; the
	// first group is the character before, if any.
	variable     *regexp.Regexp
	variableInit *regexp.Regexp
	// reference finds $(...) references, not escaped ones; escapedRef
	// finds escaped ones.
	reference  *regexp.Regexp
	escapedRef *regexp.Regexp
	// version matches the version part of a kinds entry.
	version *regexp.Regexp
	// The parts of an image reference.
	imageComponent, imageTag, imageDigest, imageDomain *regexp.Regexp
}

// kyRE compiles the expressions on first use, not at package init.
var kyRE = sync.OnceValue(func() *kyvernoRegexps {
	return &kyvernoRegexps{
		variable:       regexp.MustCompile(`(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})`),
		variableInit:   regexp.MustCompile(`^\{\{(\{[^{}]*\}|[^{}])*\}\}`),
		reference:      regexp.MustCompile(`^\$\(.[^\ ]*\)|[^\\]\$\(.[^\ ]*\)`),
		escapedRef:     regexp.MustCompile(`\\\$\(.[^\ \)]*\)`),
		version:        regexp.MustCompile(`^(v\d((alpha|beta)\d)?|\*)$`),
		imageComponent: regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`),
		imageTag:       regexp.MustCompile(`^[\w][\w.-]{0,127}$`),
		imageDigest:    regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`),
		imageDomain:    regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$`),
	}
})
