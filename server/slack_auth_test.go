package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/auth"
	"github.com/stackgen/aiden/auth/authtest"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
)

// TestSlackUsers: a Slack user mapped to a subject generates as that
// subject, whose token then reads the record; another Slack user asking
// for its status is told there is no such generation.
func TestSlackUsers(t *testing.T) {
	respURL, posts := responseURL(t)
	st := openStore(t)
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	srv.Config.Handler = server.New(generator.New(generator.Options{}), server.Options{
		Store: st,
		Auth:  authtest.TokenFile(t, map[string][]auth.Role{"alice": auth.DefaultRoles}),
		Slack: server.SlackOptions{SigningSecret: signingSecret, Repo: t.TempDir(), PublicURL: srv.URL, Users: map[string]string{"T1/U1": "alice"}, ResponseBases: []string{respURL}},
	})
	send := func(user, text string) string {
		t.Helper()
		body := command(text, user, "C1", respURL)
		code, reply := post(t, srv.URL, body, sign(signingSecret, body, time.Now()))
		if code != http.StatusOK {
			t.Fatalf("/aiden %s by %s: status %d", text, user, code)
		}
		return reply
	}

	send("U1", "generate "+redisIntent+" --path apps/redis")
	select {
	case <-posts:
	case <-time.After(2 * time.Minute):
		t.Fatal("no result posted")
	}
	waitIdle(t, st)
	gs, _, err := st.List(context.Background(), store.Filter{Door: store.DoorChat})
	if err != nil || len(gs) != 1 {
		t.Fatalf("chat records: %d, %v", len(gs), err)
	}
	id := gs[0].ID
	if gs[0].Caller != "alice" {
		t.Errorf("caller = %q, want alice (U1's subject)", gs[0].Caller)
	}

	if reply := send("U1", "status "+id); !strings.Contains(reply, "succeeded") {
		t.Errorf("U1's status: %q", reply)
	}
	if reply := send("U2", "status "+id); !strings.Contains(reply, "No generation `"+id+"`") {
		t.Errorf("U2's status of U1's generation: %q, want not found", reply)
	}

	resp, err := aidenv1connect.NewGenerateServiceClient(bearer(srv.Client(), "alice-token"), srv.URL).
		GetGeneration(context.Background(), connect.NewRequest(&aidenv1.GetGenerationRequest{Id: id}))
	if err != nil || resp.Msg.GetGeneration().GetDoor() != aidenv1.Door_DOOR_CHAT {
		t.Errorf("alice reads her chat generation over the API: %v", err)
	}
}
