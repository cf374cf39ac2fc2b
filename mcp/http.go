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
	s := newSessions(time.Now)
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
			if !s.enter(id, owner(r)) {
				http.Error(w, "session not found", http.StatusNotFound)
				return
			}
			defer s.leave(id, r.Method == http.MethodDelete)
		}
		h.ServeHTTP(w, r)
	})
}

// sessions remembers the owner of each session id this handler issued,
// for as long as the SDK may still know the session: an entry is dropped
// when its session is deleted, or once no request has used it for longer
// than the SDK's idle timeout (the SDK has closed it by then), so the
// table does not grow with every session ever opened.
type sessions struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]*session
	swept   time.Time // when the table was last swept of idle entries
}

type session struct {
	owner  string
	last   time.Time // when a request last began or ended
	active int       // requests in flight (a stream counts until it ends)
}

// idleGrace is how long past the SDK's idle timeout an entry is kept, so
// that the SDK has surely closed the session before its owner is forgotten.
const idleGrace = time.Minute

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, entries: map[string]*session{}, swept: now()}
}

func (s *sessions) open(owner string) string {
	id := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.entries[id] = &session{owner: owner, last: now}
	// Sweep at most once per timeout: the cost stays proportional to the
	// sessions opened.
	if now.Sub(s.swept) >= sessionTimeout {
		s.sweepLocked(now)
	}
	return id
}

// sweepLocked drops the entries of sessions idle past the SDK's timeout.
func (s *sessions) sweepLocked(now time.Time) {
	for id, e := range s.entries {
		if e.active == 0 && now.Sub(e.last) > sessionTimeout+idleGrace {
			delete(s.entries, id)
		}
	}
	s.swept = now
}

// enter reports whether owner may use the session id, and counts the
// request in when it may; an id this handler did not issue (or has
// forgotten, after the SDK closed it) is left to the SDK, which answers
// that it is not found.
func (s *sessions) enter(id, owner string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return true
	}
	if e.owner != owner {
		return false
	}
	e.active++
	e.last = s.now()
	return true
}

// leave counts a request entered for id out; deleted forgets the session.
func (s *sessions) leave(id string, deleted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return
	}
	if deleted {
		delete(s.entries, id)
		return
	}
	e.active--
	e.last = s.now()
}
