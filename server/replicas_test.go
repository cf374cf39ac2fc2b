package server_test

import (
	"context"
	"errors"
	"testing"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/store/storetest"
)

// sharedStore opens a store on a schema of its own on the PostgreSQL
// server named by AIDEN_TEST_DATABASE_URL (.ci/run starts one); the test
// is skipped when the variable is unset.
func sharedStore(t *testing.T) string {
	t.Helper()
	url, ok := storetest.PostgresURL(t)
	if !ok {
		t.Skip("AIDEN_TEST_DATABASE_URL is unset: replicas need PostgreSQL")
	}
	return url
}

// TestRateSharedAcrossReplicas: two servers on one PostgreSQL draw a
// caller's generations from one bucket: with a burst of 3, the fourth
// generation is refused whichever replica it reaches, with a retry hint.
func TestRateSharedAcrossReplicas(t *testing.T) {
	url := sharedStore(t)
	model := providertest.OpenAI(t, providertest.Step{Text: goodChart(t)}).Repeat()
	var clients []aidenv1connect.GenerateServiceClient
	for range 2 {
		st, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		srv := startServer(t, modelEngine(model), server.Options{Store: st, Limits: server.Limits{
			Generations: &server.GenerationLimit{PerMinute: 1, Burst: 3, Concurrent: 10},
			CallerKey:   testCaller,
		}})
		clients = append(clients, aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL))
	}
	ctx := context.Background()
	for i := range 3 {
		if _, err := clients[i%2].Generate(ctx, shopRequest("alice")); err != nil {
			t.Fatalf("generation %d: %v", i+1, err)
		}
	}
	for i, c := range clients {
		_, err := c.Generate(ctx, shopRequest("alice"))
		if connect.CodeOf(err) != connect.CodeResourceExhausted {
			t.Fatalf("fourth generation on replica %d: %v, want resource_exhausted", i+1, err)
		}
		var ce *connect.Error
		if errors.As(err, &ce) && ce.Meta().Get("Retry-After") == "" {
			t.Errorf("no Retry-After on replica %d", i+1)
		}
	}
	// Another caller has a bucket of its own.
	if _, err := clients[1].Generate(ctx, shopRequest("bob")); err != nil {
		t.Errorf("another caller: %v", err)
	}
	if n := len(model.Requests()); n != 4 {
		t.Errorf("the model received %d requests, want 4", n)
	}

}
