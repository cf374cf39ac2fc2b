package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/store/storetest"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// databases returns a fresh database URL per backend: a SQLite file, and a
// schema of its own on the PostgreSQL server named by
// AIDEN_TEST_DATABASE_URL (.ci/run starts one and always sets it).
func databases(t *testing.T) map[string]string {
	t.Helper()
	urls := map[string]string{"sqlite": filepath.Join(t.TempDir(), "aiden.db")}
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Log("AIDEN_TEST_DATABASE_URL is unset: PostgreSQL not tested")
		return urls
	}
	urls["postgres"] = url
	return urls
}

// each runs fn once per backend with an open store.
func each(t *testing.T, fn func(t *testing.T, url string, s *store.Store)) {
	for name, url := range databases(t) {
		t.Run(name, func(t *testing.T) {
			s, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			fn(t, url, s)
		})
	}
}

func sample(door store.Door, caller string) *store.Generation {
	return &store.Generation{
		Caller:      caller,
		Door:        door,
		Intent:      "Deploy a Redis cluster with 3 replicas in production",
		Format:      "helm",
		TargetPath:  "clusters/production/apps/redis",
		Environment: "production",
		Options:     store.Options{Validate: true, PolicyCheck: true, SchemaLocations: []string{"default"}},
		Provider:    "planner",
	}
}

func TestRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, _ string, s *store.Store) {
		ctx := context.Background()
		g := sample(store.DoorChat, "slack:T1/U1")
		g.ConfigDigest, g.WorkspaceDigest = store.Digests([]workspace.File{{Path: workspace.ConfigPath, Content: []byte("x")}})
		id, err := s.Begin(ctx, g)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Status != store.StatusRunning || !got.FinishTime.IsZero() {
			t.Errorf("after Begin: status %q finish %v, want running and no finish time", got.Status, got.FinishTime)
		}
		if err := s.Progress(ctx, id, "plan"); err != nil {
			t.Fatalf("Progress: %v", err)
		}

		g.Stage = "done"
		g.Summary = "Redis with Sentinel"
		g.Model = "gpt-test"
		g.Attempts = []store.Attempt{{
			Model:            "gpt-test",
			Files:            []workspace.File{{Path: "a/Chart.yaml", Content: []byte("name: a\n")}},
			Findings:         []validators.Finding{{File: "a/x.yaml", Rule: "schema", Severity: validators.SeverityError, Message: "bad"}},
			PromptTokens:     120,
			CompletionTokens: 80,
		}}
		g.Patch = "--- /dev/null\n+++ b/a/Chart.yaml\n"
		g.Valid = false
		g.Status = store.StatusSucceeded
		if err := s.Finish(ctx, g); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		got, err = s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *g
		want.CreateTime = g.CreateTime.Truncate(time.Microsecond).UTC()
		want.FinishTime = g.FinishTime.Truncate(time.Microsecond).UTC()
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("Get =\n%+v\nwant\n%+v", got, &want)
		}
		if f := got.Findings(); len(f) != 1 || f[0].Message != "bad" {
			t.Errorf("Findings() = %v", f)
		}

		if _, err := s.Get(ctx, "gen_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.Finish(ctx, &store.Generation{ID: "gen_missing", Status: store.StatusFailed}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Finish(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.Finish(ctx, &store.Generation{ID: id, Status: store.StatusRunning}); err == nil {
			t.Error("Finish with status running: no error")
		}
	})
}

func TestList(t *testing.T) {
	each(t, func(t *testing.T, _ string, s *store.Store) {
		ctx := context.Background()
		base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var ids []string // oldest first
		for i := range 7 {
			door, caller := store.DoorRPC, "alice"
			if i%2 == 1 {
				door, caller = store.DoorChat, "bob"
			}
			g := sample(door, caller)
			g.CreateTime = base.Add(time.Duration(i/2) * time.Minute) // pairs share a time: the id breaks ties
			id, err := s.Begin(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if i < 5 {
				g.Status = store.StatusSucceeded
				if err := s.Finish(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, id)
		}

		var all []string
		tok := ""
		pages := 0
		for {
			page, next, err := s.List(ctx, store.Filter{PageSize: 3, PageToken: tok})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			pages++
			for _, g := range page {
				all = append(all, g.ID)
			}
			if next == "" {
				break
			}
			tok = next
		}
		if pages != 3 || len(all) != 7 {
			t.Fatalf("paged %d pages, %d records; want 3 pages, 7 records", pages, len(all))
		}
		for i := 1; i < len(all); i++ {
			a, _ := s.Get(ctx, all[i-1])
			b, _ := s.Get(ctx, all[i])
			if a.CreateTime.Before(b.CreateTime) || (a.CreateTime.Equal(b.CreateTime) && a.ID < b.ID) {
				t.Errorf("not newest first at %d: %s then %s", i, a.ID, b.ID)
			}
		}
		seen := map[string]bool{}
		for _, id := range all {
			if seen[id] {
				t.Errorf("%s listed twice", id)
			}
			seen[id] = true
		}
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("%s not listed", id)
			}
		}

		tests := []struct {
			name   string
			filter store.Filter
			want   int
		}{
			{name: "door", filter: store.Filter{Door: store.DoorChat}, want: 3},
			{name: "caller", filter: store.Filter{Caller: "alice"}, want: 4},
			{name: "status", filter: store.Filter{Status: store.StatusRunning}, want: 2},
			{name: "door and status", filter: store.Filter{Door: store.DoorRPC, Status: store.StatusRunning}, want: 1},
			{name: "since", filter: store.Filter{Since: base.Add(2 * time.Minute)}, want: 3},
			{name: "format", filter: store.Filter{Format: "kustomize"}, want: 0},
			{name: "owner", filter: store.Filter{Owner: "bob"}, want: 3},
			{name: "owner asking for another caller", filter: store.Filter{Owner: "bob", Caller: "alice"}, want: 0},
			{name: "owner and door", filter: store.Filter{Owner: "alice", Door: store.DoorRPC}, want: 4},
		}
		for _, tt := range tests {
			got, next, err := s.List(ctx, tt.filter)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if len(got) != tt.want || next != "" {
				t.Errorf("%s: got %d records (next %q), want %d", tt.name, len(got), next, tt.want)
			}
		}
		if g, err := s.GetOwned(ctx, ids[0], "alice"); err != nil || g.ID != ids[0] {
			t.Errorf("GetOwned by its caller = %v, %v", g, err)
		}
		if _, err := s.GetOwned(ctx, ids[0], "bob"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOwned by another caller: error = %v, want ErrNotFound", err)
		}
		if _, _, err := s.List(ctx, store.Filter{PageToken: "not a token"}); !errors.Is(err, store.ErrInvalidPageToken) {
			t.Errorf("bad token: error = %v, want ErrInvalidPageToken", err)
		}
	})
}

func TestInterrupt(t *testing.T) {
	each(t, func(t *testing.T, _ string, s *store.Store) {
		ctx := context.Background()
		old, _ := s.Begin(ctx, sample(store.DoorRPC, "a"))
		done := sample(store.DoorRPC, "a")
		doneID, _ := s.Begin(ctx, done)
		done.Status = store.StatusSucceeded
		if err := s.Finish(ctx, done); err != nil {
			t.Fatal(err)
		}
		cutoff := time.Now()
		time.Sleep(2 * time.Millisecond)
		fresh, _ := s.Begin(ctx, sample(store.DoorRPC, "a"))

		n, err := s.Interrupt(ctx, cutoff)
		if err != nil {
			t.Fatalf("Interrupt: %v", err)
		}
		if n != 1 {
			t.Errorf("Interrupt marked %d, want 1", n)
		}
		for id, want := range map[string]store.Status{old: store.StatusInterrupted, doneID: store.StatusSucceeded, fresh: store.StatusRunning} {
			g, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if g.Status != want {
				t.Errorf("%s: status %q, want %q", id, g.Status, want)
			}
			if want == store.StatusInterrupted && (g.Error == "" || g.FinishTime.IsZero()) {
				t.Errorf("interrupted record lacks error or finish time: %+v", g)
			}
		}
		// A heartbeat keeps a long generation from being taken for dead.
		time.Sleep(2 * time.Millisecond)
		cutoff = time.Now()
		time.Sleep(2 * time.Millisecond)
		if err := s.Heartbeat(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Interrupt(ctx, cutoff); n != 0 {
			t.Errorf("Interrupt after heartbeat marked %d, want 0", n)
		}
	})
}

// TestRestart is the store-level restart: a process begins a generation and
// dies (the database is closed without Finish); the next start finds the
// record, marks it interrupted, and keeps what it had.
func TestRestart(t *testing.T) {
	for name, url := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			g := sample(store.DoorChat, "slack:T1/U1")
			g.WorkspaceDigest = "abc"
			id, err := s.Begin(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Progress(ctx, id, "render"); err != nil {
				t.Fatal(err)
			}
			s.Close()

			started := time.Now()
			s, err = store.Open(ctx, url) // migrations again: a no-op
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			if n, err := s.Interrupt(ctx, started); err != nil || n != 1 {
				t.Fatalf("Interrupt = %d, %v; want 1", n, err)
			}
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.StatusInterrupted || got.Stage != "render" || got.Intent != g.Intent || got.WorkspaceDigest != "abc" {
				t.Errorf("after restart: %+v", got)
			}
		})
	}
}

func TestSeen(t *testing.T) {
	each(t, func(t *testing.T, _ string, s *store.Store) {
		ctx := context.Background()
		until := time.Now().Add(time.Minute)
		if seen, err := s.Seen(ctx, "sig1", until); err != nil || seen {
			t.Fatalf("first Seen = %v, %v; want false", seen, err)
		}
		if seen, err := s.Seen(ctx, "sig1", until); err != nil || !seen {
			t.Fatalf("second Seen = %v, %v; want true", seen, err)
		}
		if seen, _ := s.Seen(ctx, "sig2", until); seen {
			t.Error("another key was seen")
		}
		// An expired key is forgotten.
		if seen, _ := s.Seen(ctx, "sig3", time.Now().Add(-time.Second)); seen {
			t.Error("sig3 seen before it was recorded")
		}
		if seen, _ := s.Seen(ctx, "sig3", until); seen {
			t.Error("expired sig3 still seen")
		}
	})
}

func TestDigests(t *testing.T) {
	a := []workspace.File{{Path: workspace.ConfigPath, Content: []byte("naming: x")}, {Path: "b.yaml", Content: []byte("b")}}
	b := []workspace.File{a[1], a[0]}
	ca, wa := store.Digests(a)
	cb, wb := store.Digests(b)
	if ca == "" || ca != cb || wa != wb {
		t.Errorf("digests depend on order or miss the config: %s %s / %s %s", ca, wa, cb, wb)
	}
	c, w := store.Digests([]workspace.File{{Path: "b.yaml", Content: []byte("b")}})
	if c != "" || w == wa {
		t.Errorf("no config: config digest %q, workspace digest %q (same as with config: %v)", c, w, w == wa)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, url := range []string{"", "sqlite:", ":memory:"} {
		if s, err := store.Open(context.Background(), url); err == nil {
			s.Close()
			t.Errorf("Open(%q): no error", url)
		}
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	path := filepath.Join(dir, "state", "aiden.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, sample(store.DoorRPC, "alice")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), got)
		}
	}
	s.Close()

	// A file an older version left readable to all is tightened.
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("existing file: mode %v, %v; want 600", fi.Mode().Perm(), err)
	}
}
