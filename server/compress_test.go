package server_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
)

// TestResponseGzip asks for a gzipped response as a Connect client does
// and reads it: gzip at the fastest level (the header's XFL byte is 4, what
// compress/gzip writes for BestSpeed), holding the whole result.
func TestResponseGzip(t *testing.T) {
	srv := httptest.NewServer(server.New(generator.New(generator.Options{}), server.Options{}))
	defer srv.Close()
	body := `{"intent": "` + redisIntent + `", "format": "FORMAT_HELM", "targetPath": "clusters/production/apps/redis"}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/aiden.v1.GenerateService/Generate", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q, want 200 and gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if len(raw) < 10 || raw[8] != 4 {
		t.Fatalf("gzip header % x: want XFL 4 (fastest)", raw[:min(len(raw), 10)])
	}
	zr, err := gzip.NewReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Patch string `json:"patch"`
		Valid bool   `json:"valid"`
	}
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !got.Valid || !strings.Contains(got.Patch, "new file mode") || len(plain) <= len(raw) {
		t.Errorf("valid=%v, patch %d bytes, %d bytes gzipped to %d: want a valid result with a patch, compressed", got.Valid, len(got.Patch), len(plain), len(raw))
	}
}
