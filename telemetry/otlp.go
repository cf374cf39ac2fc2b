package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// otlpExporter sends spans to an OTLP/HTTP collector as protobuf: one
// POST of an ExportTraceServiceRequest per batch the SDK's batch span
// processor hands it. It is aiden's own so that the binary does not link
// the gRPC stack the OpenTelemetry exporter brings for its configuration
// types (every command paid for its package initialisation).
type otlpExporter struct {
	endpoint string
	headers  http.Header
	timeout  time.Duration
	gzip     bool
	client   *http.Client
	// backoff is the first wait before a retry; it doubles up to
	// maxBackoff, and retries stop once maxElapsed has passed.
	backoff, maxBackoff, maxElapsed time.Duration

	mu       sync.Mutex
	stopped  bool
	stopOnce sync.Once
}

// newOTLPExporter posts to endpoint as it is. It reads the standard
// exporter variables through getenv (the traces-specific one wins over the
// general one): headers, timeout, compression, the CA certificate and the
// client certificate and key. A value that cannot be used is an error
// naming the variable.
func newOTLPExporter(endpoint string, getenv func(string) string) (*otlpExporter, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		shown := endpoint
		if err == nil && u.User != nil {
			shown = u.Redacted() // no password in the error
		} else if err != nil && strings.Contains(endpoint, "@") {
			shown = "(an address holding credentials)"
		}
		return nil, fmt.Errorf("OTLP traces endpoint %q is not an http or https URL", shown)
	}
	env := func(name string) (string, string) {
		if v := getenv("OTEL_EXPORTER_OTLP_TRACES_" + name); v != "" {
			return "OTEL_EXPORTER_OTLP_TRACES_" + name, v
		}
		return "OTEL_EXPORTER_OTLP_" + name, getenv("OTEL_EXPORTER_OTLP_" + name)
	}
	e := &otlpExporter{
		endpoint: endpoint, headers: http.Header{}, timeout: 10 * time.Second,
		backoff: 5 * time.Second, maxBackoff: 30 * time.Second, maxElapsed: time.Minute,
	}
	if name, v := env("HEADERS"); v != "" {
		if err := parseHeaders(e.headers, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if name, v := env("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || ms <= 0 {
			return nil, fmt.Errorf("%s %q is not a positive number of milliseconds", name, v)
		}
		e.timeout = time.Duration(ms) * time.Millisecond
	}
	switch name, v := env("COMPRESSION"); strings.ToLower(strings.TrimSpace(v)) {
	case "", "none":
	case "gzip":
		e.gzip = true
	default:
		return nil, fmt.Errorf("%s %q is not supported: use gzip or none", name, v)
	}
	tlsConf, err := otlpTLS(env)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		transport.TLSClientConfig = tlsConf
	}
	// A redirect is not followed: the headers (often a vendor's API key)
	// would go to whatever host it names.
	e.client = &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return e, nil
}

// parseHeaders reads "key1=value1,key2=value2" with percent-encoded
// values, as the OpenTelemetry specification writes them.
func parseHeaders(h http.Header, s string) error {
	for i, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			// The entry may hold a credential: it is named by position only.
			return fmt.Errorf("entry %d is not key=value", i+1)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("the value of %q is not URL-encoded", k)
		}
		h.Set(k, val)
	}
	return nil
}

// otlpTLS is the TLS configuration the certificate variables ask for;
// nil when none is set.
func otlpTLS(env func(string) (string, string)) (*tls.Config, error) {
	caName, ca := env("CERTIFICATE")
	certName, cert := env("CLIENT_CERTIFICATE")
	keyName, key := env("CLIENT_KEY")
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caName, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in %s", caName, ca)
		}
		conf.RootCAs = pool
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s must be set together", certName, keyName)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certName, keyName, err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// ExportSpans sends one batch, retrying while the collector answers 429,
// 502, 503 or 504 (waiting as long as its Retry-After asks, when it
// does), until the time allowed for retries or ctx runs out.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	stopped := e.stopped
	e.mu.Unlock()
	if stopped {
		return errors.New("otlp exporter: shut down")
	}
	if len(spans) == 0 {
		return nil
	}
	body, err := marshalSpans(spans)
	if err != nil {
		return fmt.Errorf("otlp exporter: %w", err)
	}
	if e.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(body); err != nil {
			return fmt.Errorf("otlp exporter: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("otlp exporter: gzip: %w", err)
		}
		body = buf.Bytes()
	}
	deadline := time.Now().Add(e.maxElapsed)
	wait := e.backoff
	for {
		retryAfter, err := e.post(ctx, body)
		if err == nil {
			return nil
		}
		var r retryable
		if !errors.As(err, &r) {
			return err
		}
		if retryAfter > 0 {
			wait = retryAfter
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w (gave up retrying)", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, e.maxBackoff)
	}
}

// retryable marks an answer worth sending the batch again for.
type retryable struct{ error }

func (r retryable) Unwrap() error { return r.error }

// post sends body once; a retryable error comes with the wait the
// collector asked for (0 when it did not).
func (e *otlpExporter) post(ctx context.Context, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("otlp exporter: %w", err)
	}
	for k, v := range e.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "aiden")
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, retryable{fmt.Errorf("otlp exporter: %w", err)}
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return 0, partialSuccess(reply)
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		var wait time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		return wait, retryable{fmt.Errorf("otlp exporter: collector answered %s", resp.Status)}
	default:
		return 0, fmt.Errorf("otlp exporter: collector answered %s: %s", resp.Status, strings.TrimSpace(string(reply[:min(len(reply), 200)])))
	}
}

// partialSuccess reads an ExportTraceServiceResponse: an error when the
// collector says it rejected spans.
func partialSuccess(b []byte) error {
	var rejected int64
	var msg string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil // not a protobuf answer: nothing to learn from it
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType { // partial_success
			ps, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil
			}
			b = b[n:]
			for len(ps) > 0 {
				f, t, m := protowire.ConsumeTag(ps)
				if m < 0 {
					return nil
				}
				ps = ps[m:]
				switch {
				case f == 1 && t == protowire.VarintType:
					v, k := protowire.ConsumeVarint(ps)
					if k < 0 {
						return nil
					}
					rejected, ps = int64(v), ps[k:]
				case f == 2 && t == protowire.BytesType:
					v, k := protowire.ConsumeBytes(ps)
					if k < 0 {
						return nil
					}
					msg, ps = string(v), ps[k:]
				default:
					k := protowire.ConsumeFieldValue(f, t, ps)
					if k < 0 {
						return nil
					}
					ps = ps[k:]
				}
			}
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil
		}
		b = b[n:]
	}
	if rejected > 0 || msg != "" {
		return fmt.Errorf("otlp exporter: collector rejected %d spans: %s", rejected, msg)
	}
	return nil
}

// marshalSpans encodes an ExportTraceServiceRequest: its only field,
// resource_spans (1), repeated. The request type itself lives in a
// package that imports gRPC, so the envelope is written here.
func marshalSpans(spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	var out []byte
	for _, rs := range resourceSpans(spans) {
		b, err := proto.Marshal(rs)
		if err != nil {
			return nil, fmt.Errorf("encode spans: %w", err)
		}
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		out = protowire.AppendBytes(out, b)
	}
	return out, nil
}

// Shutdown stops the exporter: later exports fail.
func (e *otlpExporter) Shutdown(ctx context.Context) error {
	e.stopOnce.Do(func() {
		e.mu.Lock()
		e.stopped = true
		e.mu.Unlock()
		e.client.CloseIdleConnections()
	})
	return nil
}
