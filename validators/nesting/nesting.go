// Package nesting measures how deeply brackets nest in HCL native syntax
// and JSON without parsing them, so that a file nested deeper than a
// parser's stack can take is turned away before it reaches the parser.
//
// The HCL parser recurses once per bracket and a Go stack overflow is fatal
// (it cannot be recovered), so ~100k nested parentheses end the process;
// these scanners use a fixed amount of memory and no recursion.
package nesting

import "fmt"

// DefaultMax is the deepest nesting accepted by default. Hand-written
// Terraform and Kubernetes manifests rarely pass 20 levels.
const DefaultMax = 256

// Error reports input nested deeper than the limit.
type Error struct {
	// Line is the 1-based line where the nesting first passed Max.
	Line int
	// Max is the limit that was passed.
	Max int
}

func (e *Error) Error() string {
	return fmt.Sprintf("nesting deeper than the limit of %d levels at line %d: the file is not parsed", e.Max, e.Line)
}

// JSON returns an *Error when brackets ([ and {) in src, outside strings,
// nest deeper than max (DefaultMax when max <= 0), and nil otherwise. It
// does not check that src is JSON.
func JSON(src []byte, max int) error {
	if max <= 0 {
		max = DefaultMax
	}
	depth, line := 0, 1
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			line++
		}
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > max {
				return &Error{Line: line, Max: max}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// frame kinds of the HCL scanner's stack.
const (
	bracket = iota // ( [ { in expressions, or ${ %{ in a template
	quoted         // a "quoted template"
	heredoc        // a <<EOF heredoc template
)

type frame struct {
	kind   int
	marker string // heredoc end marker
}

// HCL returns an *Error when HCL native syntax in src nests deeper than max
// (DefaultMax when max <= 0), and nil otherwise. Brackets, quoted strings,
// heredocs and template interpolations (${ and %{) each count as a level;
// comments and literal text do not. It does not check that src is HCL.
func HCL(src []byte, max int) error {
	if max <= 0 {
		max = DefaultMax
	}
	var stack []frame
	line := 1
	push := func(f frame) error {
		stack = append(stack, f)
		if len(stack) > max {
			return &Error{Line: line, Max: max}
		}
		return nil
	}
	top := func() int {
		if len(stack) == 0 {
			return bracket
		}
		return stack[len(stack)-1].kind
	}
	atLineStart := true
	for i := 0; i < len(src); i++ {
		c := src[i]
		startOfLine := atLineStart
		atLineStart = c == '\n'
		if c == '\n' {
			line++
		}
		switch top() {
		case heredoc:
			if startOfLine && heredocEnds(src[i:], stack[len(stack)-1].marker) {
				stack = stack[:len(stack)-1]
				// Skip the marker line; its newline is counted below.
				for i < len(src) && src[i] != '\n' {
					i++
				}
				if i < len(src) {
					line++
					atLineStart = true
				}
				continue
			}
			if err := templateChar(src, &i, push); err != nil {
				return err
			}
			continue
		case quoted:
			switch c {
			case '\\':
				i++
			case '"':
				stack = stack[:len(stack)-1]
			default:
				if err := templateChar(src, &i, push); err != nil {
					return err
				}
			}
			continue
		}
		// Expression context.
		switch c {
		case '#':
			i = skipLine(src, i)
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				i = skipLine(src, i)
			} else if i+1 < len(src) && src[i+1] == '*' {
				i += 2
				for i+1 < len(src) && (src[i] != '*' || src[i+1] != '/') {
					if src[i] == '\n' {
						line++
					}
					i++
				}
				i++
			}
		case '"':
			if err := push(frame{kind: quoted}); err != nil {
				return err
			}
		case '<':
			if marker, n := heredocStart(src[i:]); n > 0 {
				if err := push(frame{kind: heredoc, marker: marker}); err != nil {
					return err
				}
				i += n - 1 // the opening line's newline
				line++
				atLineStart = true
			}
		case '(', '[', '{':
			if err := push(frame{kind: bracket}); err != nil {
				return err
			}
		case ')', ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}

// templateChar handles src[*i] inside a template (quoted or heredoc): ${
// and %{ open an interpolation, $${ and %%{ are literal.
func templateChar(src []byte, i *int, push func(frame) error) error {
	c := src[*i]
	if c != '$' && c != '%' {
		return nil
	}
	if *i+2 < len(src) && src[*i+1] == c && src[*i+2] == '{' {
		*i += 2 // escaped: literal text
		return nil
	}
	if *i+1 < len(src) && src[*i+1] == '{' {
		*i++
		return push(frame{kind: bracket})
	}
	return nil
}

func skipLine(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	return i - 1 // the newline is seen by the caller's loop
}

// heredocStart recognises <<MARKER or <<-MARKER up to and including the
// newline, returning the marker and the bytes it spans.
func heredocStart(b []byte) (string, int) {
	i := 2
	if len(b) < 3 || b[1] != '<' {
		return "", 0
	}
	if b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && (b[i] == '_' || b[i] == '-' || b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' || i > start && b[i] >= '0' && b[i] <= '9') {
		i++
	}
	if i == start {
		return "", 0
	}
	marker := string(b[start:i])
	if i < len(b) && b[i] == '\r' {
		i++
	}
	if i >= len(b) || b[i] != '\n' {
		return "", 0
	}
	return marker, i + 1
}

// heredocEnds reports whether the line starting b is the marker alone,
// indented or not.
func heredocEnds(b []byte, marker string) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if len(b)-i < len(marker) || string(b[i:i+len(marker)]) != marker {
		return false
	}
	i += len(marker)
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i == len(b) || b[i] == '\n'
}
