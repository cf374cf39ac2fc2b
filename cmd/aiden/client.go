package main

import (
	"net/http"
	"os"
	"strings"
)

// apiClient is the HTTP client of the commands that call a server
// (--server): it sends $AIDEN_TOKEN, or the token in the file
// $AIDEN_TOKEN_FILE names, as a bearer token. HTTPS servers are verified
// against the system's CAs (SSL_CERT_FILE adds one).
func apiClient() *http.Client {
	token := strings.TrimSpace(os.Getenv("AIDEN_TOKEN"))
	if token == "" {
		if path := os.Getenv("AIDEN_TOKEN_FILE"); path != "" {
			if b, err := os.ReadFile(path); err == nil {
				token = strings.TrimSpace(string(b))
			}
		}
	}
	if token == "" {
		return http.DefaultClient
	}
	return &http.Client{Transport: bearerTransport{token: token, base: http.DefaultTransport}}
}

type bearerTransport struct {
	token string
	base  http.RoundTripper
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}
