package mcp

import (
	"crypto/rand"
	"net/http"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// maxRequestBytes bounds one HTTP request, as the API's default does.
	maxRequestBytes = 32 << 20
	// sessionTimeout closes a session no request has used for this long.
	sessionTimeout = 30 * time.Minute
)

// HTTPHandler serves MCP over streamable HTTP. Each session gets its own
// server, with the Options newOptions returns for the request that opened
// it (Bind attaches that request's caller to every tool call). owner names
// a request's caller; a session answers only its owner, so that a session
// id alone does not let another caller act as its owner.
func HTTPHandler(newOptions func(*http.Request) Options, owner func(*http.Request) string) http.Handler {
	s := &sessions{owners: map[string]string{}}
	h := sdk.NewStreamableHTTPHandler(func(r *http.Request) *sdk.Server {
		o := newOptions(r)
		who := owner(r)
		o.sessionID = func() string { return s.open(who) }
		return New(o)
	}, &sdk.StreamableHTTPOptions{
		MaxRequestBodyBytes: maxRequestBytes,
		// A client that loses the stream of a long generation resumes it
		// (Last-Event-ID) within the store's bound (10 MiB in all).
		EventStore:     sdk.NewMemoryEventStore(nil),
		SessionTimeout: sessionTimeout,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("Mcp-Session-Id"); id != "" {
			if !s.owns(id, owner(r)) {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			if r.Method == http.MethodDelete {
				defer s.close(id)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// sessions remembers the owner of each session id this handler issued.
type sessions struct {
	mu     sync.Mutex
	owners map[string]string
}

func (s *sessions) open(owner string) string {
	id := rand.Text()
	s.mu.Lock()
	s.owners[id] = owner
	s.mu.Unlock()
	return id
}

// owns reports whether owner may use the session id; an id this handler
// did not issue is left to the SDK, which answers it is not found.
func (s *sessions) owns(id, owner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.owners[id]
	return !ok || o == owner
}

func (s *sessions) close(id string) {
	s.mu.Lock()
	delete(s.owners, id)
	s.mu.Unlock()
}
