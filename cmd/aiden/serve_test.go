package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeRefusesOpenAddressWithoutAuth: beyond loopback with no
// authentication, serve exits 2 before opening anything, saying why and
// what to give.
func TestServeRefusesOpenAddressWithoutAuth(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	db := filepath.Join(t.TempDir(), "aiden.db")
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		code, _, stderr := aiden(t, "serve", "--addr", addr, "--database-url", db)
		if code != exitUsage {
			t.Errorf("serve --addr %s: exit %d, want 2", addr, code)
		}
		for _, want := range []string{"refusing to serve " + addr + " without authentication", "--auth-token-file", "--oidc-issuer", "--insecure-no-auth"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("serve --addr %s: stderr lacks %q:\n%s", addr, want, stderr)
			}
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the database was opened before the refusal: %v", err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "x.crt"}, "--tls-cert and --tls-key go together"},
		{[]string{"--client-ca", "ca.pem", "--addr", "127.0.0.1:0"}, "--client-ca needs --tls-cert"},
		{[]string{"--auth-token-file", "t.yaml", "--insecure-no-auth"}, "--insecure-no-auth contradicts"},
		{[]string{"--oidc-issuer", "https://issuer.example.com"}, "--oidc-issuer and --oidc-audience go together"},
		{[]string{"--auth-token-file", filepath.Join(t.TempDir(), "missing.yaml")}, "--auth-token-file: token file"},
	} {
		code, _, stderr := aiden(t, append([]string{"serve", "--database-url", db}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("serve %v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while serve writes its log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe runs aiden serve until the test ends, and waits until it
// listens.
func startServe(t *testing.T, args ...string) (addr string, log *syncBuffer, stop func() int) {
	t.Helper()
	addr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	log = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		var out bytes.Buffer
		done <- run(ctx, append([]string{"serve", "--addr", addr, "--database-url", filepath.Join(t.TempDir(), "aiden.db")}, args...), &out, log)
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen:\n%s", log.String())
		}
	}
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	return addr, log, stop
}

// TestServeLoopbackWarns: on loopback without authentication serve starts,
// with a warning, and stops cleanly when told to.
func TestServeLoopbackWarns(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	addr, log, stop := startServe(t)
	code, stdout, stderr := aiden(t, "history", "--server", "http://"+addr)
	if code != exitOK || !strings.Contains(stdout, "no generations") {
		t.Errorf("history without a token: exit %d, %s%s", code, stdout, stderr)
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exited %d after the signal", code)
	}
	if !strings.Contains(log.String(), "authentication is off") {
		t.Errorf("no warning in the log:\n%s", log.String())
	}
}

// TestServeTokenFile: with a token file, the CLI's calls need
// AIDEN_TOKEN.
func TestServeTokenFile(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	sum := sha256.Sum256([]byte("s3cret-alice-token"))
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	if err := os.WriteFile(tokens, []byte("tokens:\n  - subject: alice\n    sha256: "+hex.EncodeToString(sum[:])+"\n    roles: [generate, read-own]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _, stop := startServe(t, "--auth-token-file", tokens)
	url := "http://" + addr

	code, _, stderr := aiden(t, "history", "--server", url)
	if code != exitFailure || !strings.Contains(stderr, "unauthenticated") {
		t.Errorf("history without a token: exit %d, %q; want 3 and unauthenticated", code, stderr)
	}
	t.Setenv("AIDEN_TOKEN", "s3cret-alice-token")
	out := filepath.Join(newRepo(t), "apps", "redis")
	if code, _, stderr := aiden(t, "generate", "--server", url, "--intent", redisIntent, "--output", out); code != exitOK {
		t.Fatalf("generate with a token: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := aiden(t, "history", "--server", url)
	if code != exitOK || !strings.Contains(stdout, "alice") {
		t.Errorf("history with a token: exit %d\n%s%s", code, stdout, stderr)
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exited %d after the signal", code)
	}
}
