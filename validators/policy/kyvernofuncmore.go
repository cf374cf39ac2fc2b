package policy

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	gojmespath "github.com/kyverno/go-jmespath"
)

// kyvernoMoreFunctions are Kyverno's x509_decode, image_normalize,
// is_external_url and random.
func kyvernoMoreFunctions() []gojmespath.FunctionEntry {
	return []gojmespath.FunctionEntry{
		checkedFunction("x509_decode", 1, func(s []string) (any, error) { return x509Decode(s[0]) }),
		checkedFunction("image_normalize", 1, func(s []string) (any, error) {
			info, err := parseImage(s[0])
			if err != nil {
				return nil, fmt.Errorf("image_normalize: %w", err)
			}
			return info["reference"], nil
		}),
		checkedFunction("is_external_url", 1, func(s []string) (any, error) { return isExternalURL(s[0]) }),
		checkedFunction("random", 1, func(s []string) (any, error) { return randomMatching(s[0]) }),
	}
}

// x509PublicKey is how Kyverno reports an RSA public key: the modulus as
// a decimal string and the exponent.
type x509PublicKey struct {
	N string
	E int
}

// x509Decode decodes a PEM certificate or certificate request to the
// object Kyverno makes of it: the fields of Go's x509.Certificate (or
// x509.CertificateRequest) as JSON, with PublicKey as {N, E}. As in
// Kyverno, only RSA keys are decoded.
func x509Decode(s string) (any, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("x509_decode: argument 1 holds no PEM block")
	}
	var v any
	switch block.Type {
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("x509_decode: %w", err)
		}
		pk, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("x509_decode: the certificate's key is %s; only RSA keys are decoded", c.PublicKeyAlgorithm)
		}
		c.PublicKey = x509PublicKey{N: pk.N.String(), E: pk.E}
		v = c
	case "CERTIFICATE REQUEST":
		c, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("x509_decode: %w", err)
		}
		pk, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("x509_decode: the certificate request's key is %s; only RSA keys are decoded", c.PublicKeyAlgorithm)
		}
		c.PublicKey = x509PublicKey{N: pk.N.String(), E: pk.E}
		v = c
	default:
		return nil, fmt.Errorf("x509_decode: PEM block is %q, not a CERTIFICATE or CERTIFICATE REQUEST", block.Type)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("x509_decode: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("x509_decode: %w", err)
	}
	return out, nil
}

// isExternalURL tells whether a URL's host is neither a loopback nor a
// private address, as Kyverno does. Kyverno resolves a host name with
// DNS; evaluation here is offline, so a name other than localhost is an
// error (and the rule is reported as not evaluated) rather than a guess.
func isExternalURL(s string) (any, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("is_external_url: %w", err)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("is_external_url: %q has no host", s)
	}
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback() && !ip.IsPrivate(), nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false, nil
	}
	return nil, fmt.Errorf("is_external_url: host %q is a name; resolving it needs DNS, which offline evaluation does not use", host)
}
