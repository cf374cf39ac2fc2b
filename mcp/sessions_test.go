package mcp

import (
	"testing"
	"time"
)

// TestSessionsForgetIdle: the owner table keeps a session while it is in
// use or may still be open in the SDK, and forgets it once the SDK has
// surely closed it for idleness, or when it is deleted; it does not grow
// with every session ever opened.
func TestSessionsForgetIdle(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := newSessions(func() time.Time { return now })

	idle := s.open("alice")
	streaming := s.open("bob")
	if !s.enter(streaming, "bob") { // a long stream: in flight across the sweep
		t.Fatal("bob cannot use his own session")
	}
	if s.enter(idle, "bob") {
		t.Fatal("bob may use alice's session")
	}
	deleted := s.open("carol")
	if !s.enter(deleted, "carol") {
		t.Fatal("carol cannot use her own session")
	}
	s.leave(deleted, true)
	if _, ok := s.entries[deleted]; ok {
		t.Error("a deleted session is still in the table")
	}

	// Within the SDK's timeout and its grace nothing is forgotten.
	now = now.Add(sessionTimeout + idleGrace/2)
	s.open("dave")
	if _, ok := s.entries[idle]; !ok {
		t.Fatal("a session the SDK may still hold was forgotten")
	}
	if s.enter(idle, "mallory") {
		t.Error("another caller may use alice's session before it expired")
	}

	// Past them, the idle session is forgotten; the streaming one is kept.
	now = now.Add(sessionTimeout + idleGrace)
	s.open("erin")
	if _, ok := s.entries[idle]; ok {
		t.Error("an idle session outlived the SDK's timeout in the table")
	}
	if _, ok := s.entries[streaming]; !ok {
		t.Error("a session with a request in flight was forgotten")
	}
	if s.enter(streaming, "mallory") {
		t.Error("another caller may use a session in flight")
	}
	s.leave(streaming, false)

	// Many sessions opened and left idle do not pile up.
	for i := 0; i < 1000; i++ {
		now = now.Add(10 * time.Second)
		s.open("load")
	}
	if n := len(s.entries); n > int((sessionTimeout+idleGrace)/(10*time.Second))*2+10 {
		t.Errorf("%d entries after 1000 sessions opened 10 s apart", n)
	}
}
