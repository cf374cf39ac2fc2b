package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
)

// A replay with the signature's hex in upper case is the same signature.
func TestSlackReplayUpperCase(t *testing.T) {
	s := newSlackServer(t, server.SlackOptions{})
	body := command("help", "U1", "C1", "https://hooks.slack.com/commands/x")
	h := sign(signingSecret, body, time.Now())
	if code, _ := post(t, s.url, body, h); code != http.StatusOK {
		t.Fatalf("first request: %d", code)
	}
	upper := h.Clone()
	upper.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(h.Get("X-Slack-Signature"), "v0=")))
	if code, _ := post(t, s.url, body, upper); code != http.StatusUnauthorized {
		t.Errorf("replay in upper case: status %d, want 401", code)
	}
}

// By default only Slack's hosts over HTTPS are response URLs: a command
// naming loopback is refused and nothing is generated or posted.
func TestSlackResponseURLRefused(t *testing.T) {
	var hits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(internal.Close)
	s := newSlackServer(t, server.SlackOptions{})
	for _, u := range []string{
		internal.URL + "/ssrf-internal-admin",
		"http://hooks.slack.com/commands/x",               // not HTTPS
		"https://hooks.slack.com.evil.example/commands/x", // another host
		"https://user@hooks.slack.com/commands/x",         // user info
		"https://hooks.slack.com:8443/commands/x",         // another port
	} {
		body := command("generate "+redisIntent+" --path apps/redis", "U1", "C1", u)
		if code, _ := post(t, s.url, body, sign(signingSecret, body, time.Now())); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", u, code)
		}
	}
	if gs, _, err := s.store.List(context.Background(), store.Filter{}); err != nil || len(gs) != 0 {
		t.Errorf("records = %d, %v; want none", len(gs), err)
	}
	if hits.Load() != 0 {
		t.Errorf("loopback got %d requests", hits.Load())
	}
}

// An allowed response URL that redirects is not followed.
func TestSlackResponseURLRedirectNotFollowed(t *testing.T) {
	var internalHits, slackHits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { internalHits.Add(1) }))
	t.Cleanup(internal.Close)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slackHits.Add(1)
		http.Redirect(w, r, internal.URL+"/ssrf-internal-admin", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirecting.Close)

	logs := &syncBuffer{}
	st := openStore(t)
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Slack:  server.SlackOptions{SigningSecret: signingSecret, Repo: t.TempDir(), ResponseBases: []string{redirecting.URL + "/commands/"}},
	}))
	t.Cleanup(srv.Close)
	body := command("generate "+redisIntent+" --path apps/redis", "U1", "C1", redirecting.URL+"/commands/T1/1/x")
	if code, ack := post(t, srv.URL, body, sign(signingSecret, body, time.Now())); code != http.StatusOK {
		t.Fatalf("ack: %d %q", code, ack)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(logs.String(), "response_url") && !strings.Contains(logs.String(), "result posted") {
		if time.Now().After(deadline) {
			t.Fatalf("no post logged:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if slackHits.Load() != 1 || internalHits.Load() != 0 {
		t.Errorf("response URL got %d posts and the redirect target %d; want 1 and 0", slackHits.Load(), internalHits.Load())
	}
}

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
