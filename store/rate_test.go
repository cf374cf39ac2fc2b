package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stackgen/aiden/store"
)

// TestTakeShared: two handles on one database (two replicas) draw from
// the same bucket: of 20 concurrent takes with a burst of 5 and a slow
// refill, exactly 5 succeed, and the others are told how long to wait.
func TestTakeShared(t *testing.T) {
	for name, url := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var replicas [2]*store.Store
			for i := range replicas {
				s, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				replicas[i] = s
			}
			var mu sync.Mutex
			taken, denied := 0, 0
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, wait, err := replicas[i%2].Take(ctx, "caller-1", 1.0/3600, 5)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Errorf("take: %v", err)
					case ok:
						taken++
					case wait <= 0:
						t.Errorf("denied with wait %s, want a positive wait", wait)
					default:
						denied++
					}
				}()
			}
			wg.Wait()
			if taken != 5 || denied != 15 {
				t.Errorf("taken %d, denied %d; want 5 and 15", taken, denied)
			}
			// Another caller has a bucket of its own.
			if ok, _, err := replicas[1].Take(ctx, "caller-2", 1.0/3600, 5); !ok || err != nil {
				t.Errorf("another caller: %v, %v", ok, err)
			}
			if n, err := replicas[0].ExpireBuckets(ctx, time.Now().Add(time.Minute)); n != 2 || err != nil {
				t.Errorf("ExpireBuckets = %d, %v; want 2", n, err)
			}
			if _, _, err := replicas[0].Take(ctx, "caller-1", 0, 5); err == nil {
				t.Error("a zero rate was accepted")
			}
		})
	}
}
