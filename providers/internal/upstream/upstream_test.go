package upstream

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBodyCapped: a whole (non-streamed) response past MaxBody fails to
// read instead of filling memory (issue 12: a 200 MB model answer took
// 3.3 GB); a response at the limit, and an event stream past it, read
// whole.
func TestBodyCapped(t *testing.T) {
	for _, tc := range []struct {
		name, contentType string
		size              int
		fails             bool
	}{
		{"json past the cap", "application/json", MaxBody + 1, true},
		{"json at the cap", "application/json", MaxBody, false},
		{"event stream past the cap", "text/event-stream; charset=utf-8", MaxBody + 1024, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				io.Copy(w, io.LimitReader(zeros{}, int64(tc.size)))
			}))
			defer srv.Close()
			resp, err := Client(nil).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), "larger than 32 MiB") || n > MaxBody {
					t.Errorf("read %d bytes, err %v; want at most %d and an error naming the limit", n, err, MaxBody)
				}
				return
			}
			if err != nil || n != int64(tc.size) {
				t.Errorf("read %d bytes, err %v; want %d", n, err, tc.size)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	copy(p, bytes.Repeat([]byte{'0'}, len(p)))
	return len(p), nil
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
		{"-3", 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.in, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
