package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// TokenFile authenticates bearer tokens listed, hashed, in a YAML or JSON
// file:
//
//	tokens:
//	  - subject: ci-deploy
//	    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	    roles: [generate, validate, read-own]
//
// sha256 is the hex SHA-256 digest of the token. Tokens are meant to be
// long random strings (32 bytes or more), for which one unsalted digest is
// as strong as a slow hash. The file is read again on the first request
// after it changes (its size, modification time or inode), so tokens are
// added and revoked without a restart; a file that no longer reads refuses
// every token until it is fixed.
type TokenFile struct {
	path string

	mu      sync.Mutex
	stamp   fileStamp
	entries []tokenEntry
	err     error
}

type tokenEntry struct {
	subject string
	digest  [sha256.Size]byte
	roles   []Role
}

// fileStamp identifies one version of a file without reading it.
type fileStamp struct {
	info    os.FileInfo
	size    int64
	modTime time.Time
}

func (a fileStamp) same(b os.FileInfo) bool {
	return a.info != nil && os.SameFile(a.info, b) && a.size == b.Size() && a.modTime.Equal(b.ModTime())
}

// NewTokenFile reads the token file at path; an error names what is wrong
// and where.
func NewTokenFile(path string) (*TokenFile, error) {
	t := &TokenFile{path: path}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// reload reads the file again when it changed; t.mu must be held.
func (t *TokenFile) reload() error {
	fi, err := os.Stat(t.path)
	if err != nil {
		t.entries, t.err = nil, fmt.Errorf("token file: %w", err)
		t.stamp = fileStamp{}
		return t.err
	}
	if t.stamp.same(fi) {
		return t.err
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		t.entries, t.err = nil, fmt.Errorf("token file: %w", err)
		return t.err
	}
	entries, err := parseTokenFile(b)
	if err != nil {
		t.entries, t.err = nil, fmt.Errorf("token file %s: %w", t.path, err)
	} else {
		t.entries, t.err = entries, nil
	}
	t.stamp = fileStamp{info: fi, size: fi.Size(), modTime: fi.ModTime()}
	return t.err
}

func parseTokenFile(b []byte) ([]tokenEntry, error) {
	var doc struct {
		Tokens []struct {
			Subject string   `yaml:"subject"`
			SHA256  string   `yaml:"sha256"`
			Roles   []string `yaml:"roles"`
		} `yaml:"tokens"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	out := make([]tokenEntry, 0, len(doc.Tokens))
	seen := map[[sha256.Size]byte]int{}
	for i, e := range doc.Tokens {
		where := fmt.Sprintf("tokens[%d]", i)
		if strings.TrimSpace(e.Subject) == "" {
			return nil, fmt.Errorf("%s: subject is empty", where)
		}
		raw, err := hex.DecodeString(strings.TrimSpace(e.SHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("%s (%s): sha256 must be 64 hex digits, the SHA-256 digest of the token", where, e.Subject)
		}
		var d [sha256.Size]byte
		copy(d[:], raw)
		if j, dup := seen[d]; dup {
			return nil, fmt.Errorf("%s (%s): the same token as tokens[%d]", where, e.Subject, j)
		}
		seen[d] = i
		roles, err := ParseRoles(strings.Join(e.Roles, ","))
		if err != nil {
			return nil, fmt.Errorf("%s (%s): roles: %w", where, e.Subject, err)
		}
		if len(roles) == 0 {
			return nil, fmt.Errorf("%s (%s): roles is empty: name at least one of %s", where, e.Subject, roleList())
		}
		out = append(out, tokenEntry{subject: strings.TrimSpace(e.Subject), digest: d, roles: roles})
	}
	return out, nil
}

// Authenticate implements Authenticator. Every entry is compared, in
// constant time, whatever matches.
func (t *TokenFile) Authenticate(_ context.Context, c Credentials) (Principal, error) {
	if c.Token == "" {
		return Principal{}, ErrNoCredentials
	}
	t.mu.Lock()
	err := t.reload()
	entries := t.entries
	t.mu.Unlock()
	if err != nil {
		return Principal{}, err
	}
	d := sha256.Sum256([]byte(c.Token))
	found := -1
	for i := range entries {
		if subtle.ConstantTimeCompare(d[:], entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrInvalid
	}
	e := entries[found]
	return Principal{Subject: e.subject, Roles: append([]Role(nil), e.roles...), Method: "token"}, nil
}
