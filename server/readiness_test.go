package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/telemetry"
)

// serviceHealth returns grpc.health.v1's status of service.
func serviceHealth(t *testing.T, url, service string) byte {
	t.Helper()
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), service)
	c := connect.NewClient[[]byte, []byte](http.DefaultClient, url+"/grpc.health.v1.Health/Check", connect.WithGRPCWeb(), connect.WithCodec(rawCodec{}))
	resp, err := c.CallUnary(context.Background(), connect.NewRequest(&req))
	if err != nil {
		t.Fatalf("health check of %q: %v", service, err)
	}
	return (*resp.Msg)[1]
}

// TestReadinessFollowsDatabase: while the record database does not
// answer, health (readiness) is NOT_SERVING and aiden_database_up is 0;
// liveness stays SERVING.
func TestReadinessFollowsDatabase(t *testing.T) {
	st := openStore(t)
	metrics := telemetry.NewMetrics()
	h := server.New(generator.New(generator.Options{}), server.Options{Store: st, Metrics: metrics, MetricsPath: "/metrics"})
	url := serveH2C(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.WatchDatabase(ctx, 20*time.Millisecond)
	if got := healthStatus(t, url); got != 1 {
		t.Fatalf("health with the database up = %d, want 1", got)
	}
	st.Close() // the database stops answering
	for deadline := time.Now().Add(30 * time.Second); healthStatus(t, url) != 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("health did not turn NOT_SERVING with the database gone")
		}
	}
	if got := serviceHealth(t, url, "aiden.v1.GenerateService"); got != 2 {
		t.Errorf("GenerateService health = %d, want 2", got)
	}
	if got := serviceHealth(t, url, server.LivenessService); got != 1 {
		t.Errorf("liveness = %d, want 1", got)
	}
	fams := scrape(t, url)
	if up := value(t, fams, "aiden_database_up", nil); up != 0 {
		t.Errorf("aiden_database_up = %v, want 0", up)
	}
	if errs := value(t, fams, "aiden_store_errors_total", map[string]string{"operation": "ping"}); errs < 1 {
		t.Errorf("ping errors = %v, want at least 1", errs)
	}
}
