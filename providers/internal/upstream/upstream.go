// Package upstream lets providers see what the SDKs hide: the HTTP status
// and Retry-After header of the last response of a call, so that failures
// become *generator.UpstreamError values the engine can retry.
package upstream

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stackgen/aiden/generator"
)

type key struct{}

// Last records the last response of one call.
type Last struct {
	mu         sync.Mutex
	status     int
	retryAfter time.Duration
}

// Watch returns a context whose requests, sent through Transport, are
// recorded in the returned Last.
func Watch(ctx context.Context) (context.Context, *Last) {
	l := &Last{}
	return context.WithValue(ctx, key{}, l), l
}

// MaxBody bounds the body of a response that is not an event stream: a
// whole answer read at once. The engine cuts a streamed answer off at its
// own limit as it arrives (generator.ModelOptions.MaxAnswerBytes); an
// answer that comes whole would otherwise be read into memory, whatever
// its size, before any limit could look at it.
const MaxBody = 32 << 20

// Transport records responses for contexts made by Watch, and bounds the
// bodies of responses that are not event streams at MaxBody.
type Transport struct {
	Base http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if l, ok := req.Context().Value(key{}).(*Last); ok && resp != nil {
		l.mu.Lock()
		l.status = resp.StatusCode
		l.retryAfter = RetryAfter(resp.Header.Get("Retry-After"), time.Now())
		l.mu.Unlock()
	}
	if resp != nil && resp.Body != nil {
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
			resp.Body = &capped{ReadCloser: resp.Body, left: MaxBody}
		}
	}
	return resp, err
}

// capped fails a read that goes past its limit, so a body too large is an
// error rather than a truncated answer that might still parse.
type capped struct {
	io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("the model's response is larger than %d MiB", MaxBody>>20)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	if c.left <= 0 && err == nil {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		m, perr := c.ReadCloser.Read(one[:])
		if m > 0 {
			return n, fmt.Errorf("the model's response is larger than %d MiB", MaxBody>>20)
		}
		err = perr
	}
	return n, err
}

// Client returns an HTTP client over Transport.
func Client(base *http.Client) *http.Client {
	if base == nil {
		base = &http.Client{}
	}
	c := *base
	c.Transport = &Transport{Base: base.Transport}
	return &c
}

// Error wraps a failed call: an *generator.UpstreamError with the status
// recorded, or the context's error when the call was cut short.
func (l *Last) Error(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	status := l.status
	if status < 400 {
		status = 0 // failed after a good status line (a broken stream) or without one
	}
	return &generator.UpstreamError{Status: status, RetryAfter: l.retryAfter, Err: err}
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
