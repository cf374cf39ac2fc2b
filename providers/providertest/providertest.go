// Package providertest runs scripted model servers for tests: an
// OpenAI-compatible Chat Completions endpoint and Anthropic's Messages
// API, over real HTTP (httptest), replaying canned answers step by step
// and recording every request they receive. Tests drive the real provider
// clients against them; nothing of aiden's own is faked.
package providertest

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Step is one scripted response.
type Step struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// RetryAfter is sent as the Retry-After header when set.
	RetryAfter string
	// Delay is waited before answering (or until the request is gone).
	Delay time.Duration
	// Text is the answer's text, sent as is.
	Text string
	// Truncated reports the answer as cut off at the token limit.
	Truncated bool
}

// Request is a recorded request.
type Request struct {
	Path string
	Body map[string]any
	Raw  []byte
}

// Messages returns the request's messages' text, in order (the system
// part first for Anthropic, as OpenAI sends it).
func (r Request) Messages() []string {
	var out []string
	if s, ok := r.Body["system"].(string); ok {
		out = append(out, s)
	}
	msgs, _ := r.Body["messages"].([]any)
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		switch c := mm["content"].(type) {
		case string:
			out = append(out, c)
		case []any:
			var b strings.Builder
			for _, part := range c {
				if p, ok := part.(map[string]any); ok {
					if t, ok := p["text"].(string); ok {
						b.WriteString(t)
					}
				}
			}
			out = append(out, b.String())
		}
	}
	return out
}

// Last returns the text of the request's last message.
func (r Request) Last() string {
	m := r.Messages()
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// Server is a scripted model server.
type Server struct {
	*httptest.Server
	t testing.TB

	mu       sync.Mutex
	steps    []Step
	next     int
	repeat   bool
	requests []Request
	inFlight int
	maxIn    int
}

// OpenAI starts a scripted OpenAI-compatible server; its API base URL is
// URL + "/v1".
func OpenAI(t testing.TB, steps ...Step) *Server {
	s := &Server{t: t, steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.openai))
	t.Cleanup(s.Close)
	return s
}

// Anthropic starts a scripted server speaking Anthropic's Messages API;
// its base URL is URL + "/v1".
func Anthropic(t testing.TB, steps ...Step) *Server {
	s := &Server{t: t, steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.anthropic))
	t.Cleanup(s.Close)
	return s
}

// Repeat makes the server answer every request past the script with its
// last step (for benchmarks).
func (s *Server) Repeat() *Server {
	s.mu.Lock()
	s.repeat = true
	s.mu.Unlock()
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// MaxInFlight is the most requests the server held at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// take records a request and returns its step.
func (s *Server) take(w http.ResponseWriter, r *http.Request) (Step, bool) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Path: r.URL.Path, Body: body, Raw: raw})
	i := s.next
	s.next++
	if i >= len(s.steps) && s.repeat && len(s.steps) > 0 {
		i = len(s.steps) - 1
	}
	if i >= len(s.steps) {
		s.mu.Unlock()
		s.t.Errorf("scripted model: unexpected request %d (script has %d steps)", i+1, len(s.steps))
		http.Error(w, `{"error":{"message":"script exhausted"}}`, http.StatusInternalServerError)
		return Step{}, false
	}
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	st := s.steps[i]
	s.mu.Unlock()
	if st.Delay > 0 {
		select {
		case <-time.After(st.Delay):
		case <-r.Context().Done():
		}
	}
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	if st.Status != 0 && st.Status != http.StatusOK {
		if st.RetryAfter != "" {
			w.Header().Set("Retry-After", st.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st.Status)
		fmt.Fprintf(w, `{"error":{"message":"scripted status %d","type":"scripted"}}`, st.Status)
		return Step{}, false
	}
	return st, true
}

func (s *Server) openai(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	st, ok := s.take(w, r)
	if !ok {
		return
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	in, out := tokens(string(last.Raw)), tokens(st.Text)
	finish := "stop"
	if st.Truncated {
		finish = "length"
	}
	model, _ := last.Body["model"].(string)
	if stream, _ := last.Body["stream"].(bool); !stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-scripted", "object": "chat.completion", "created": 1, "model": model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": finish,
				"message": map[string]any{"role": "assistant", "content": st.Text}}},
			"usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	send(chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, piece := range pieces(st.Text, 5) {
		send(chunk(map[string]any{"content": piece}, nil))
	}
	send(chunk(map[string]any{}, finish))
	send(map[string]any{"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1, "model": model,
		"choices": []any{}, "usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out}})
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (s *Server) anthropic(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/messages") {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("x-api-key") == "" || r.Header.Get("anthropic-version") == "" {
		http.Error(w, `{"type":"error","error":{"type":"authentication_error","message":"missing x-api-key"}}`, http.StatusUnauthorized)
		return
	}
	st, ok := s.take(w, r)
	if !ok {
		return
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	in, out := tokens(string(last.Raw)), tokens(st.Text)
	stop := "end_turn"
	if st.Truncated {
		stop = "max_tokens"
	}
	model, _ := last.Body["model"].(string)
	if stream, _ := last.Body["stream"].(bool); !stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
			"content":     []any{map[string]any{"type": "text", "text": st.Text}},
			"stop_reason": stop, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": in, "output_tokens": out},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(event string, v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_scripted", "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "usage": map[string]any{"input_tokens": in, "output_tokens": 1}}})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]any{"type": "text", "text": ""}})
	for _, piece := range pieces(st.Text, 5) {
		send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": piece}})
	}
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": out}})
	send("message_stop", map[string]any{"type": "message_stop"})
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func pieces(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := (len(s) + n - 1) / n
	var out []string
	for len(s) > size {
		out = append(out, s[:size])
		s = s[size:]
	}
	return append(out, s)
}

// Files reads a folder (a chart) into path → content, paths relative to
// it and slash-separated.
func Files(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// JSON writes files as the output contract's JSON object.
func JSON(files map[string]string) string {
	type file struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	}
	var out struct {
		Files []file `json:"files"`
	}
	for _, p := range sorted(files) {
		out.Files = append(out.Files, file{p, files[p]})
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// Fenced writes files the way chat models often do: a line naming each
// file, then a fenced block.
func Fenced(files map[string]string) string {
	var b strings.Builder
	b.WriteString("Here is the chart.\n\n")
	for _, p := range sorted(files) {
		fmt.Fprintf(&b, "### `%s`\n\n```yaml\n%s```\n\n", p, files[p])
	}
	return b.String()
}

func sorted(files map[string]string) []string {
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
