package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
)

func TestHistoryAndShow(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "aiden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{Store: st}))
	defer srv.Close()

	out := filepath.Join(newRepo(t), "clusters/staging/apps/cache")
	if code, stdout, stderr := aiden(t, "generate", "--server", srv.URL, "--intent", "Deploy redis", "--output", out, "-q"); code != exitOK {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr := aiden(t, "history", "--server", srv.URL)
	if code != exitOK {
		t.Fatalf("history: exit %d\n%s", code, stderr)
	}
	id := regexp.MustCompile(`gen_[0-9a-f]{16}`).FindString(stdout)
	if id == "" || !strings.Contains(stdout, "succeeded") || !strings.Contains(stdout, "clusters/staging/apps/cache") {
		t.Fatalf("history does not list the generation:\n%s", stdout)
	}

	code, stdout, _ = aiden(t, "show", id, "--server", srv.URL)
	for _, want := range []string{"status    succeeded", "intent    Deploy redis", "provider  planner", "attempt 1:", "--patch | git apply"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("show: exit %d, output lacks %q:\n%s", code, want, stdout)
		}
	}
	g, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ = aiden(t, "show", id, "--server", srv.URL, "--patch"); code != exitOK || stdout != g.Patch {
		t.Errorf("show --patch: exit %d, %d bytes; want the recorded patch (%d bytes)", code, len(stdout), len(g.Patch))
	}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "filtered out", args: []string{"history", "--server", srv.URL, "--door", "chat"}, code: exitOK, want: "no generations"},
		{name: "bad door", args: []string{"history", "--server", srv.URL, "--door", "fax"}, code: exitUsage, want: "want rpc, cli or chat"},
		{name: "bad since", args: []string{"history", "--server", srv.URL, "--since", "yesterday"}, code: exitUsage, want: "--since"},
		{name: "no server", args: []string{"history", "--server", ""}, code: exitUsage, want: "--server is required"},
		{name: "unknown id", args: []string{"show", "gen_0000000000000000", "--server", srv.URL}, code: exitUsage, want: "generation not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := aiden(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("aiden %s: exit %d, want %d with %q\n%s%s", strings.Join(tt.args, " "), code, tt.code, tt.want, stdout, stderr)
			}
		})
	}
}
