package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/slack"
	"github.com/stackgen/aiden/store"
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
	// ResponseBases are the URL prefixes response URLs may start with;
	// nil takes slack.DefaultResponseBases (Slack's hosts over HTTPS).
	ResponseBases []string
}

func newSlackHandler(rec *recorder, opts SlackOptions, log *slog.Logger) http.Handler {
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
		so.Replays = rec.store
	}
	return slack.New(chatDoor{rec}, so)
}

// chatDoor runs the slash command's generations through the recorder.
type chatDoor struct{ rec *recorder }

func (c chatDoor) Begin(ctx context.Context, caller string, req generator.Request) (string, error) {
	return c.rec.begin(ctx, store.DoorChat, caller, req)
}

func (c chatDoor) Run(ctx context.Context, id string, req generator.Request) (*generator.Result, error) {
	return c.rec.run(ctx, id, req, nil)
}

func (c chatDoor) Get(ctx context.Context, id string) (*store.Generation, error) {
	if c.rec.store == nil {
		return nil, store.ErrNotFound
	}
	return c.rec.store.Get(ctx, id)
}
