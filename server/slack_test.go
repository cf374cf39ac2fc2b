package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/slack"
	"github.com/stackgen/aiden/store"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// responseURL is Slack's side: it collects what the service posts.
func responseURL(t *testing.T) (string, <-chan string) {
	t.Helper()
	posts := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Text         string `json:"text"`
			ResponseType string `json:"response_type"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil || r.Method != http.MethodPost {
			t.Errorf("response_url got %s, %v", r.Method, err)
		}
		posts <- msg.Text
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/commands/T1/1234/abcd", posts
}

type slackServer struct {
	url   string
	store *store.Store
}

func newSlackServer(t *testing.T, opts server.SlackOptions) slackServer {
	t.Helper()
	st := openStore(t)
	if opts.SigningSecret == "" {
		opts.SigningSecret = signingSecret
	}
	if opts.Repo == "" {
		opts.Repo = t.TempDir()
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	if opts.PublicURL == "" {
		opts.PublicURL = srv.URL
	}
	srv.Config.Handler = server.New(generator.New(generator.Options{}), server.Options{Store: st, Slack: opts})
	return slackServer{url: srv.URL, store: st}
}

var triggers atomic.Int64

// command is the form Slack posts for /aiden text; each has its own
// trigger_id, as Slack's do.
func command(text, user, channel, response string) string {
	return url.Values{
		"token":        {"deprecated"},
		"team_id":      {"T1"},
		"team_domain":  {"acme"},
		"channel_id":   {channel},
		"channel_name": {"platform"},
		"user_id":      {user},
		"user_name":    {"dana"},
		"command":      {"/aiden"},
		"text":         {text},
		"response_url": {response},
		"trigger_id":   {fmt.Sprintf("13345224609.738474920.%d", triggers.Add(1))},
		"api_app_id":   {"A123456"},
	}.Encode()
}

// sign returns Slack's headers for body, signed with secret at ts.
func sign(secret, body string, ts time.Time) http.Header {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+stamp+":"+body)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// post sends body with header and returns the status and the reply text.
func post(t *testing.T, base, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var msg struct {
		Text         string `json:"text"`
		ResponseType string `json:"response_type"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &msg); err != nil {
			t.Fatalf("reply is not JSON: %s", raw)
		}
		if msg.ResponseType != "ephemeral" {
			t.Errorf("response_type = %q, want ephemeral", msg.ResponseType)
		}
	}
	return resp.StatusCode, msg.Text
}

func TestSlackSignature(t *testing.T) {
	respURL, posts := responseURL(t)
	s := newSlackServer(t, server.SlackOptions{ResponseBases: []string{respURL}})
	body := command("generate "+redisIntent, "U1", "C1", respURL)
	now := time.Now()
	tests := []struct {
		name   string
		header http.Header
		body   string
	}{
		{name: "wrong secret", header: sign("not the secret", body, now), body: body},
		{name: "stale timestamp", header: sign(signingSecret, body, now.Add(-6*time.Minute)), body: body},
		{name: "future timestamp", header: sign(signingSecret, body, now.Add(6*time.Minute)), body: body},
		{name: "body changed after signing", header: sign(signingSecret, body, now), body: strings.Replace(body, "U1", "U2", 1)},
		{name: "no signature", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body: body},
		{name: "not v0", header: func() http.Header {
			h := sign(signingSecret, body, now)
			h.Set("X-Slack-Signature", strings.Replace(h.Get("X-Slack-Signature"), "v0=", "v1=", 1))
			return h
		}(), body: body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _ := post(t, s.url, tt.body, tt.header); code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", code)
			}
		})
	}
	// No work was done: no record, nothing posted.
	if gs, _, _ := s.store.List(context.Background(), store.Filter{}); len(gs) != 0 {
		t.Errorf("refused requests left %d records", len(gs))
	}
	select {
	case p := <-posts:
		t.Errorf("refused request posted %q", p)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestSlackReplay(t *testing.T) {
	s := newSlackServer(t, server.SlackOptions{})
	body := command("help", "U1", "C1", "https://hooks.slack.com/commands/x")
	h := sign(signingSecret, body, time.Now())
	if code, text := post(t, s.url, body, h); code != http.StatusOK || !strings.Contains(text, "/aiden generate") {
		t.Fatalf("first request: %d %q", code, text)
	}
	if code, _ := post(t, s.url, body, h); code != http.StatusUnauthorized {
		t.Errorf("replayed request: status %d, want 401", code)
	}
	// The same command signed afresh is a new request.
	later := sign(signingSecret, body, time.Now().Add(time.Second))
	if code, _ := post(t, s.url, body, later); code != http.StatusOK {
		t.Errorf("re-signed request: status %d, want 200", code)
	}
}

func TestSlackGenerate(t *testing.T) {
	respURL, posts := responseURL(t)
	s := newSlackServer(t, server.SlackOptions{ResponseBases: []string{respURL}})
	body := command("generate "+redisIntent+" —path clusters/production/apps/redis --format helm", "U1", "C1", respURL)
	start := time.Now()
	code, ack := post(t, s.url, body, sign(signingSecret, body, time.Now()))
	if code != http.StatusOK || !strings.Contains(ack, "Working on it") {
		t.Fatalf("ack: %d %q", code, ack)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("ack took %s, Slack allows 3s", d)
	}

	var result string
	select {
	case result = <-posts:
	case <-time.After(2 * time.Minute):
		t.Fatal("no result posted to response_url")
	}
	t.Logf("ack: %s\nresult:\n%s", ack, result)
	gs, _, err := s.store.List(context.Background(), store.Filter{Door: store.DoorChat})
	if err != nil || len(gs) != 1 {
		t.Fatalf("chat records: %d, %v", len(gs), err)
	}
	g := gs[0]
	if !strings.Contains(ack, g.ID) || !strings.Contains(result, g.ID) {
		t.Errorf("ack %q and result %q should both name %s", ack, result, g.ID)
	}
	if g.Status != store.StatusSucceeded || g.Caller != "slack:T1/U1" || g.TargetPath != "clusters/production/apps/redis" || g.Patch == "" {
		t.Errorf("record: status %s caller %q path %q patch %d bytes", g.Status, g.Caller, g.TargetPath, len(g.Patch))
	}
	for _, want := range []string{"Redis", "clusters/production/apps/redis", "Checks:", "/generations/" + g.ID + ".patch"} {
		if !strings.Contains(result, want) {
			t.Errorf("result lacks %q:\n%s", want, result)
		}
	}
	// The link works.
	if patch := get(t, http.DefaultClient, s.url+"/generations/"+g.ID+".patch", http.StatusOK); patch != g.Patch {
		t.Error("linked patch differs from the record")
	}

	// status names it.
	body = command("status "+g.ID, "U1", "C1", respURL)
	if _, text := post(t, s.url, body, sign(signingSecret, body, time.Now())); !strings.Contains(text, "succeeded") {
		t.Errorf("status reply: %q", text)
	}
}

func TestSlackMessages(t *testing.T) {
	respURL, _ := responseURL(t)
	s := newSlackServer(t, server.SlackOptions{ResponseBases: []string{respURL}, UserLimit: slack.Limit{Count: 1, Per: time.Hour}})
	tests := []struct {
		name, text, want string
	}{
		{name: "help", text: "help", want: "/aiden status <id>"},
		{name: "empty", text: "", want: "/aiden generate"},
		{name: "unknown command", text: "deploy redis", want: "unknown command `deploy`"},
		{name: "unknown flag", text: "generate redis --replicas 3", want: "unknown flag `--replicas`"},
		{name: "flag without value", text: "generate redis --path", want: "`--path` needs a value"},
		{name: "bad format", text: "generate redis --format yaml --path apps/r", want: "yaml is not a format"},
		{name: "escaping path", text: "generate redis --path ../../etc", want: "name a folder inside the repository"},
		{name: "no intent", text: "generate --path apps/x", want: "say what to deploy"},
		{name: "status of nothing", text: "status gen_0000000000000000", want: "No generation `gen_0000000000000000`"},
		{name: "status without id", text: "status", want: "takes one generation id"},
		{name: "first generate", text: "generate " + redisIntent, want: "Working on it"},
		{name: "second generate", text: "generate " + redisIntent, want: "You have asked for 1 generation an hour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := command(tt.text, "U1", "C1", respURL)
			code, text := post(t, s.url, body, sign(signingSecret, body, time.Now()))
			if code != http.StatusOK || !strings.Contains(text, tt.want) {
				t.Errorf("/aiden %s: %d %q, want it to contain %q", tt.text, code, text, tt.want)
			}
		})
	}
	// Another user in the same channel is not held back.
	body := command("generate "+redisIntent, "U2", "C1", respURL)
	if _, text := post(t, s.url, body, sign(signingSecret, body, time.Now())); !strings.Contains(text, "Working on it") {
		t.Errorf("second user: %q", text)
	}
	waitIdle(t, s.store)
}

func TestSlackChannelLimit(t *testing.T) {
	respURL, _ := responseURL(t)
	s := newSlackServer(t, server.SlackOptions{ResponseBases: []string{respURL}, ChannelLimit: slack.Limit{Count: 1, Per: time.Hour}})
	for i, want := range []string{"Working on it", "This channel has asked"} {
		body := command("generate "+redisIntent, "U"+strconv.Itoa(i), "C1", respURL)
		if _, text := post(t, s.url, body, sign(signingSecret, body, time.Now())); !strings.Contains(text, want) {
			t.Errorf("request %d: %q, want %q", i, text, want)
		}
	}
	waitIdle(t, s.store)
}

func TestSlackOff(t *testing.T) {
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{Store: openStore(t)}))
	defer srv.Close()
	body := command("help", "U1", "C1", "https://hooks.slack.com/x")
	if code, _ := post(t, srv.URL, body, sign(signingSecret, body, time.Now())); code != http.StatusNotFound {
		t.Errorf("without a signing secret: status %d, want 404", code)
	}
}

// waitIdle waits until no generation runs, so that the store closes last.
func waitIdle(t *testing.T, st *store.Store) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if gs, _, err := st.List(context.Background(), store.Filter{Status: store.StatusRunning}); err == nil && len(gs) == 0 {
			return
		}
	}
	t.Error("generations still running")
}
