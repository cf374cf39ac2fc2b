package schema

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stackgen/aiden/workspace"
)

const widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nspec: {size: 3}\n"

// An HTTP location is fetched with a timeout into a mirror: a location
// that answers gives a schema, one that hangs is left out in time.
func TestRemoteLocations(t *testing.T) {
	var got atomic.Int64
	schemas := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if r.URL.Path != "/example.com/widget_v1.json" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "string"}}}}}`))
	}))
	t.Cleanup(schemas.Close)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })

	tpl := "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
	tests := []struct {
		name     string
		location string
		want     Status
	}{
		{name: "answers", location: schemas.URL + tpl, want: Invalid},
		{name: "hangs", location: hanging.URL + tpl, want: Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(Options{CacheDir: t.TempDir(), SchemaLocations: []string{tt.location}, FetchTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Validate(context.Background(), []workspace.File{{Path: "w.yaml", Content: []byte(widget)}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 1 || res[0].Status != tt.want {
				t.Fatalf("got %+v, want %s", res, tt.want)
			}
		})
	}
	if got.Load() != 1 {
		t.Errorf("the schema server got %d requests, want 1", got.Load())
	}
}
