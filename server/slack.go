package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/slack"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
)

// SlackOptions configure the /aiden slash command at POST /slack/commands.
type SlackOptions struct {
	// SigningSecret is the Slack app's signing secret; empty turns the
	// endpoint off.
	SigningSecret string
	// Repo is the local checkout of the GitOps repository that chat
	// generations read their workspace from.
	Repo string
	// PublicURL is this service's address as Slack users reach it, for
	// links to long patches; empty means no links.
	PublicURL string
	// UserLimit and ChannelLimit bound generate commands; zero takes the
	// slack package's defaults.
	UserLimit, ChannelLimit slack.Limit
	// ResponseClient posts results to Slack's response URLs; nil takes the
	// slack package's default.
	ResponseClient *http.Client
	// Users maps Slack users, by user id ("U123") or team and user id
	// ("T1/U123"), to subjects: a mapped user's chat generations are
	// recorded as the subject's, and /aiden status reads the subject's
	// records. An unmapped user owns the records they asked for, as
	// "slack:TEAM/USER", and reads only those.
	Users map[string]string
	// ResponseBases are the URL prefixes response URLs may start with;
	// nil takes slack.DefaultResponseBases (Slack's hosts over HTTPS).
	ResponseBases []string
}

func newSlackHandler(rec *recorder, opts SlackOptions, log *slog.Logger, tracing *telemetry.Tracing) http.Handler {
	so := slack.Options{
		SigningSecret: opts.SigningSecret,
		Repo:          opts.Repo,
		PublicURL:     opts.PublicURL,
		UserLimit:     opts.UserLimit,
		ChannelLimit:  opts.ChannelLimit,
		Client:        opts.ResponseClient,
		ResponseBases: opts.ResponseBases,
		Logger:        log.With("door", "chat"),
	}
	if rec.store != nil {
		so.Replays = countingReplays{st: rec.store, m: rec.metrics}
	}
	return traced(slack.New(chatDoor{rec: rec, users: opts.Users}, so), tracing, "POST /slack/commands")
}

// traced makes every request h serves the root span of a trace of its
// own (the caller does not choose the trace, as for the RPCs), so that the
// generation a slash command starts, and its log lines, belong to one
// trace. It returns h as it is when tracing is off.
func traced(h http.Handler, t *telemetry.Tracing, name string) http.Handler {
	if t == nil || !t.Enabled {
		return h
	}
	tr := t.Provider.Tracer("github.com/stackgen/aiden/server")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tr.Start(r.Context(), name, trace.WithSpanKind(trace.SpanKindServer), trace.WithNewRoot())
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// chatDoor runs the slash command's generations through the recorder.
type chatDoor struct {
	rec   *recorder
	users map[string]string
}

// owner returns the subject a Slack caller ("slack:TEAM/USER") maps to,
// or the caller itself.
func (c chatDoor) owner(caller string) string {
	team, user, ok := strings.Cut(strings.TrimPrefix(caller, "slack:"), "/")
	if !ok {
		return caller
	}
	if s := c.users[team+"/"+user]; s != "" {
		return s
	}
	if s := c.users[user]; s != "" {
		return s
	}
	return caller
}

func (c chatDoor) Begin(ctx context.Context, caller string, req generator.Request) (string, error) {
	return c.rec.begin(ctx, store.DoorChat, c.owner(caller), req)
}

func (c chatDoor) Run(ctx context.Context, id string, req generator.Request) (*generator.Result, error) {
	return c.rec.run(ctx, id, string(store.DoorChat), req, nil)
}

func (c chatDoor) Get(ctx context.Context, caller, id string) (*store.Generation, error) {
	if c.rec.store == nil {
		return nil, store.ErrNotFound
	}
	return c.rec.store.GetOwned(ctx, id, c.owner(caller))
}
