package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/stackgen/aiden/validators"
	"math/rand/v2"
	"time"
)

// Model writes text from messages; providers (providers/openai,
// providers/anthropic) implement it. The engine never sees a provider SDK.
type Model interface {
	// Complete sends one request and returns the whole answer. When
	// onDelta is not nil the provider streams and calls it with each piece
	// of text as it arrives. Transport failures are returned as an
	// *UpstreamError so that the engine can retry them.
	Complete(ctx context.Context, c Completion, onDelta func(string)) (Answer, error)
}

// Role says who speaks in a message.
type Role string

// Roles.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one turn of a conversation with a model.
type Message struct {
	Role    Role
	Content string
}

// Completion is one request to a model.
type Completion struct {
	// Model is the model name as the provider knows it.
	Model string
	// Messages are the conversation so far, system part first.
	Messages []Message
	// Temperature is the sampling temperature; nil leaves the provider's
	// default.
	Temperature *float64
	// MaxTokens bounds the answer; 0 leaves the provider's default.
	MaxTokens int
	// Schema, when set, is the JSON schema the answer must follow; a
	// provider that supports structured output enforces it, others ignore
	// it (the prompt states the contract either way).
	Schema json.RawMessage
}

// Answer is what a model returned.
type Answer struct {
	// Content is the text of the answer.
	Content string
	// Truncated is true when the answer stopped at the token limit.
	Truncated bool
	// Usage counts the tokens of this request.
	Usage Usage
	// Model is the model that answered, as the provider reports it.
	Model string
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Add returns the sum of two usages.
func (u Usage) Add(o Usage) Usage {
	return Usage{InputTokens: u.InputTokens + o.InputTokens, OutputTokens: u.OutputTokens + o.OutputTokens}
}

// UpstreamError is a failed call to a model provider. Status is the HTTP
// status (0 when no response came back); RetryAfter is the wait the
// provider asked for, if any.
type UpstreamError struct {
	Status     int
	RetryAfter time.Duration
	Err        error
}

func (e *UpstreamError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("model provider unreachable: %v", e.Err)
	}
	return fmt.Sprintf("model provider answered %d: %v", e.Status, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// Errors a model-backed generation can end with; the server maps each to a
// Connect code (see docs/models.md).
var (
	// ErrRateLimited: the provider kept answering 429 (ResourceExhausted).
	ErrRateLimited = errors.New("model provider rate limit")
	// ErrUnavailable: the provider failed (5xx, unreachable) after the
	// retries (Unavailable).
	ErrUnavailable = errors.New("model provider unavailable")
	// ErrRejected: the provider refused the request (bad key, unknown
	// model, bad request); retrying will not help (FailedPrecondition).
	ErrRejected = errors.New("model provider rejected the request")
	// ErrTruncated: every answer was cut off at the token limit
	// (ResourceExhausted).
	ErrTruncated = errors.New("model answer cut off at the token limit")
	// ErrBadAnswer: no answer held usable files (empty or not parseable)
	// (Unavailable).
	ErrBadAnswer = errors.New("model answer unusable")
)

// ModelError is a model-backed generation that produced nothing usable.
// It keeps every attempt, with what was received, so nothing is lost.
type ModelError struct {
	Err      error
	Model    string
	Attempts []Attempt
}

func (e *ModelError) Error() string {
	msg := fmt.Sprintf("model %s: %v", e.Model, e.Err)
	if n := len(e.Attempts); n > 0 {
		last := e.Attempts[n-1]
		msg += fmt.Sprintf(" (%d %s; last: %s; received %d bytes", n, validators.Plural(n, "attempt"), last.Problem, len(last.Received))
		if last.Received != "" {
			msg += fmt.Sprintf(" starting %q", head(last.Received, 120))
		}
		msg += ")"
	}
	return msg
}

func (e *ModelError) Unwrap() error { return e.Err }

// ModelOptions configure model-backed generation. With no Provider the
// built-in planner writes the files.
type ModelOptions struct {
	// Provider is the model client; nil means the built-in planner.
	Provider Model
	// Name is the model used when a request names none.
	Name string
	// Allowed lists the models a request may name; Name is always allowed.
	Allowed []string
	// Temperature is the sampling temperature; nil leaves the provider's
	// default.
	Temperature *float64
	// MaxTokens bounds each answer; 0 means 8192.
	MaxTokens int
	// MaxAnswerBytes bounds each answer's text whatever the provider
	// counts as tokens: a streamed answer is cut off past it and the call
	// fails with ErrBadAnswer. 0 means 16 bytes per token of MaxTokens,
	// at least 1 MiB.
	MaxAnswerBytes int
	// Timeout bounds one model call; 0 means 3 minutes.
	Timeout time.Duration
	// Retries bounds the retries of a call that failed with 429 or 5xx;
	// 0 means 3, negative means none.
	Retries int
	// MaxRetryWait is the longest Retry-After honoured; a provider asking
	// for more ends the request with ErrRateLimited. 0 means 30 seconds.
	MaxRetryWait time.Duration
	// Backoff is the first wait between retries, doubled each time with
	// jitter; 0 means 500ms.
	Backoff time.Duration
	// RepairRounds bounds the repair requests after the first answer; 0
	// means 2, negative means none.
	RepairRounds int
	// Concurrency bounds the calls in flight to the provider; 0 means 4.
	Concurrency int
	// Structured asks for JSON-schema structured output.
	Structured bool
	// ExampleTokens is the few-shot budget in tokens; 0 means 3000,
	// negative means no examples.
	ExampleTokens int
	// CacheEntries bounds the cache of identical requests; 0 means 256,
	// negative turns the cache off.
	CacheEntries int
}

func (o *ModelOptions) defaults() {
	if o.MaxTokens == 0 {
		o.MaxTokens = 8192
	}
	if o.MaxAnswerBytes <= 0 {
		o.MaxAnswerBytes = max(16*o.MaxTokens, 1<<20)
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.MaxRetryWait == 0 {
		o.MaxRetryWait = 30 * time.Second
	}
	if o.Backoff == 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.RepairRounds == 0 {
		o.RepairRounds = 2
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.ExampleTokens == 0 {
		o.ExampleTokens = 3000
	}
	if o.CacheEntries == 0 {
		o.CacheEntries = 256
	}
}

// modelName picks the model for a request, refusing names not allowed.
func (e *Engine) modelName(req Request) (string, error) {
	m := e.opts.Model
	if req.Model == "" || req.Model == m.Name {
		return m.Name, nil
	}
	if m.Provider == nil {
		return "", invalidf("model %q asked for, but no model provider is configured", req.Model)
	}
	for _, a := range m.Allowed {
		if a == req.Model {
			return a, nil
		}
	}
	return "", invalidf("model %q is not allowed here (allowed: %v)", req.Model, append([]string{m.Name}, m.Allowed...))
}

// complete makes one model call within the concurrency limit, retrying
// 429 (after Retry-After) and 5xx with backoff. retries counts the calls
// repeated.
func (e *Engine) complete(ctx context.Context, c Completion, onDelta func(string)) (ans Answer, retries int, err error) {
	m := e.opts.Model
	for try := 0; ; try++ {
		callCtx, end := e.observeCall(ctx, c.Model)
		ans, err = e.call(callCtx, c, onDelta)
		end(err)
		if err == nil {
			return ans, try, nil
		}
		if ctx.Err() != nil {
			return Answer{}, try, fmt.Errorf("model %s: %w", c.Model, ctx.Err())
		}
		var ue *UpstreamError
		if !errors.As(err, &ue) {
			return Answer{}, try, err // a timeout or a provider bug
		}
		var wait time.Duration
		switch {
		case ue.Status == 429:
			if try >= m.Retries || ue.RetryAfter > m.MaxRetryWait {
				return Answer{}, try, fmt.Errorf("%w: %w (retry after %s; %d retries)", ErrRateLimited, ue, ue.RetryAfter, try)
			}
			wait = ue.RetryAfter
			if wait == 0 {
				wait = backoff(m.Backoff, try)
			}
		case ue.Status == 0 || ue.Status >= 500 || ue.Status == 408:
			if try >= m.Retries {
				return Answer{}, try, fmt.Errorf("%w: %w (%d retries)", ErrUnavailable, ue, try)
			}
			wait = backoff(m.Backoff, try)
		default:
			return Answer{}, try, fmt.Errorf("%w: %w", ErrRejected, ue)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Answer{}, try, fmt.Errorf("model %s: %w", c.Model, ctx.Err())
		case <-t.C:
		}
	}
}

// call makes one call, holding a concurrency slot and bounded by Timeout.
func (e *Engine) call(ctx context.Context, c Completion, onDelta func(string)) (Answer, error) {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return Answer{}, fmt.Errorf("model %s: waiting for a free slot: %w", c.Model, ctx.Err())
	}
	defer func() { <-e.slots }()
	timeout := e.opts.Model.Timeout
	limit := e.opts.Model.MaxAnswerBytes
	bctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	cctx, cancel := context.WithTimeout(bctx, timeout)
	defer cancel()
	tooBig := fmt.Errorf("%w: model %s answered more than the limit of %d bytes", ErrBadAnswer, c.Model, limit)
	if onDelta != nil {
		received, deliver := 0, onDelta
		onDelta = func(d string) {
			if received += len(d); received > limit {
				abort(tooBig) // ends the stream; nothing past the limit is kept
				return
			}
			deliver(d)
		}
	}
	ans, err := e.opts.Model.Provider.Complete(cctx, c, onDelta)
	if context.Cause(bctx) == tooBig || err == nil && len(ans.Content) > limit {
		return Answer{}, tooBig
	}
	if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return Answer{}, fmt.Errorf("model %s did not answer within %s: %w", c.Model, timeout, context.DeadlineExceeded)
	}
	return ans, err
}

// backoff is base·2^try with ±25 % jitter, so that retries from many
// requests do not arrive together.
func backoff(base time.Duration, try int) time.Duration {
	d := base << min(try, 6)
	return d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
