package helmchart

import (
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// The address checks of the Chart.yaml rule, written with the standard
// library. docs/helm-lint.md lists what each accepts and where it differs
// from helm lint (which uses the govalidator package); TestAddressRules
// holds the edges.

// isRequestURL is the rule for a chart's icon and sources: what
// net/url.ParseRequestURI reads as an absolute URI with a scheme
// ("https://example.com/icon.png", "oci://registry/chart",
// "mailto:someone@example.com"). A relative reference or a bare host is
// not one. This is the same rule helm lint applies.
func isRequestURL(s string) bool {
	u, err := url.ParseRequestURI(s)
	return err == nil && u.Scheme != ""
}

// isEmail is the rule for a maintainer's e-mail: a bare address as
// net/mail reads it (no display name, angle brackets, comment or quoted
// local part), whose domain is a host name (see isHostName) of at least
// two labels, the last not starting with a digit ("someone@example.com";
// not "someone@localhost", "someone@[192.0.2.1]" or "someone@example.com.").
func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || !isHostName(domain) {
		return false
	}
	tld := labels[len(labels)-1]
	return !unicode.IsDigit([]rune(tld)[0])
}

// urlSchemes are the schemes a maintainer's URL may name (compared
// without case).
var urlSchemes = map[string]bool{"http": true, "https": true, "ftp": true, "ws": true, "wss": true, "tcp": true, "udp": true}

// isMaintainerURL is the rule for a maintainer's URL: no white space, and
// either scheme://host[:port][/path][?query][#fragment] with one of
// urlSchemes, or the same without "scheme://", read as http:// (as
// "github.com/someone"). The host is an IP address or a host name (see
// isHostName), optionally ending in a dot; without a scheme it needs a
// dot inside, so that a word is not taken for a URL. A port is 1–65535.
func isMaintainerURL(s string) bool {
	if s == "" || strings.ContainsFunc(s, unicode.IsSpace) {
		return false
	}
	scheme, explicit := urlScheme(s)
	if explicit && !urlSchemes[strings.ToLower(scheme)] {
		return false
	}
	raw := s
	if !explicit {
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if strings.HasSuffix(u.Host, ":") {
		return false // a colon with no port after it
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return false
		}
	}
	host := u.Hostname()
	if host == "" {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	// A final dot names the host fully qualified ("example.com.").
	host = strings.TrimSuffix(host, ".")
	if !explicit && !strings.Contains(host, ".") {
		return false
	}
	return isHostName(host)
}

// urlScheme returns the scheme s starts with, when it starts with
// "scheme://" (a letter, then letters, digits, "+", "-" or "."), so that
// "://" later in a URL without one ("example.com/?next=https://x") is not
// taken for it.
func urlScheme(s string) (string, bool) {
	scheme, _, found := strings.Cut(s, "://")
	if !found || scheme == "" {
		return "", false
	}
	for i, r := range scheme {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", false
		}
	}
	return scheme, true
}

// isHostName reports whether s is a DNS host name: labels of 1 to 63
// bytes of letters (any script), digits and hyphens, not starting or
// ending with a hyphen, joined by single dots, at most 253 bytes in all.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}
