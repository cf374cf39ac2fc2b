// Package slack answers the /aiden slash command: it verifies Slack's
// request signature, acknowledges within Slack's three seconds, generates
// in the background against the repository the service is configured with,
// and posts the result to the command's response_url.
package slack

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/gitops"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Generations runs and looks up recorded generations; the server's
// recorder is one.
type Generations interface {
	// Begin records req as a running chat generation asked for by caller,
	// before any work, and returns its id.
	Begin(ctx context.Context, caller string, req generator.Request) (string, error)
	// Run generates the recorded request and records the outcome.
	Run(ctx context.Context, id string, req generator.Request) (*generator.Result, error)
	// Get returns a record that caller may read, or an error wrapping
	// store.ErrNotFound.
	Get(ctx context.Context, caller, id string) (*store.Generation, error)
}

// Replays remembers accepted requests; *store.Store is one, shared by every
// replica on the same database.
type Replays interface {
	// Seen records key until expires and reports whether it was already
	// recorded.
	Seen(ctx context.Context, key string, expires time.Time) (bool, error)
}

// Limit allows Count commands per Per.
type Limit struct {
	Count int
	Per   time.Duration
}

// String says the limit in words: "5 generations a minute".
func (l Limit) String() string {
	per := "in " + l.Per.String()
	switch l.Per {
	case time.Minute:
		per = "a minute"
	case time.Hour:
		per = "an hour"
	}
	return plural(l.Count, "generation") + " " + per
}

// Options configure a Handler.
type Options struct {
	// SigningSecret is the Slack app's signing secret; required.
	SigningSecret string
	// Repo is the local checkout generations read their workspace from.
	Repo string
	// PublicURL is the service's address as Slack users reach it, for links
	// to patches too long to post; empty means no links.
	PublicURL string
	// Replays remembers accepted signatures; nil keeps them in memory.
	Replays Replays
	// UserLimit and ChannelLimit bound generate commands per Slack user and
	// per channel; zero means 5 and 20 a minute.
	UserLimit, ChannelLimit Limit
	// MaxInlinePatch is the longest patch posted inline, in bytes; 0 means
	// 2500.
	MaxInlinePatch int
	// Timeout bounds one background generation; 0 means 5 minutes.
	Timeout time.Duration
	// Client posts to response URLs; nil means a client with a 15-second
	// timeout. Redirects are never followed, whatever the client says.
	Client *http.Client
	// ResponseBases are the URL prefixes a command's response_url may
	// start with; a command naming any other is refused, so that nobody
	// can have the service post where they choose. nil means
	// DefaultResponseBases.
	ResponseBases []string
	// Logger receives a line per command; nil discards.
	Logger *slog.Logger
}

// Handler serves POST /slack/commands.
type Handler struct {
	gens     Generations
	opts     Options
	users    *limiter
	channels *limiter
	bg       sync.WaitGroup
}

// maxAge is how old a signed request may be; Slack's SDKs use five minutes.
const maxAge = 5 * time.Minute

// New returns a Handler with defaults filled in.
func New(gens Generations, opts Options) *Handler {
	if opts.Replays == nil {
		opts.Replays = &memoryReplays{seen: map[string]time.Time{}}
	}
	if opts.UserLimit.Count == 0 {
		opts.UserLimit = Limit{Count: 5, Per: time.Minute}
	}
	if opts.ChannelLimit.Count == 0 {
		opts.ChannelLimit = Limit{Count: 20, Per: time.Minute}
	}
	if opts.MaxInlinePatch == 0 {
		opts.MaxInlinePatch = 2500
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 15 * time.Second}
	}
	client := *opts.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.Client = &client
	if opts.ResponseBases == nil {
		opts.ResponseBases = DefaultResponseBases
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Handler{gens: gens, opts: opts, users: newLimiter(opts.UserLimit), channels: newLimiter(opts.ChannelLimit)}
}

// Wait waits for the background generations to post their results.
func (h *Handler) Wait() { h.bg.Wait() }

// ServeHTTP verifies the request, answers help and status at once, and
// acknowledges generate before running it in the background.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := h.verify(r.Context(), r.Header, body); err != nil {
		if errors.Is(err, errReplayCheck) {
			h.opts.Logger.ErrorContext(r.Context(), "slack request not checked", "error", err)
			http.Error(w, "cannot check the request now", http.StatusServiceUnavailable)
			return
		}
		h.opts.Logger.WarnContext(r.Context(), "slack request refused", "error", err)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sc, err := slackgo.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	cmd, err := Parse(sc.Text)
	if err != nil {
		reply(w, usageText(err))
		return
	}
	log := h.opts.Logger.With("command", cmd.Name, "user", sc.UserID, "channel", sc.ChannelID)
	switch cmd.Name {
	case "help":
		reply(w, Usage)
	case "status":
		g, err := h.gens.Get(r.Context(), caller(sc), cmd.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			reply(w, fmt.Sprintf("No generation `%s` here.", cmd.ID))
		case err != nil:
			log.ErrorContext(r.Context(), "status", "id", cmd.ID, "error", err)
			reply(w, "Could not read the generation record; try again shortly.")
		default:
			reply(w, h.statusText(g))
		}
	case "generate":
		h.generate(w, r, sc, cmd, log)
	}
}

func (h *Handler) generate(w http.ResponseWriter, r *http.Request, sc slackgo.SlashCommand, cmd Command, log *slog.Logger) {
	if !h.channels.allow(sc.TeamID + "/" + sc.ChannelID) {
		reply(w, fmt.Sprintf("This channel has asked for %s: wait a little and try again.", h.opts.ChannelLimit))
		return
	}
	if !h.users.allow(sc.TeamID + "/" + sc.UserID) {
		reply(w, fmt.Sprintf("You have asked for %s: wait a little and try again.", h.opts.UserLimit))
		return
	}
	if sc.ResponseURL == "" {
		http.Error(w, "no response_url", http.StatusBadRequest)
		return
	}
	if !allowedResponseURL(sc.ResponseURL, h.opts.ResponseBases) {
		log.WarnContext(r.Context(), "response_url refused", "response_url", sc.ResponseURL)
		http.Error(w, "response_url is not one of Slack's", http.StatusBadRequest)
		return
	}
	// The workspace is read before the acknowledgement: a bad path is
	// answered at once, and the record carries the workspace digest.
	// What the format needs: the overlays and Components for kustomize,
	// the cluster's chart sources for helm.
	files, err := gitops.LoadFor(workspace.DefaultLimits(), h.opts.Repo, cmd.Path, string(cmd.Format))
	if err != nil {
		log.WarnContext(r.Context(), "read workspace", "path", cmd.Path, "error", err)
		reply(w, fmt.Sprintf("Cannot read `%s` in the repository: %s", cmd.Path, err))
		return
	}
	req := generator.Request{
		Intent:      cmd.Intent,
		Format:      cmd.Format,
		TargetPath:  cmd.Path,
		Environment: cmd.Environment,
		Workspace:   files,
		PolicyCheck: true,
		Mode:        cmd.Mode,
	}
	id, err := h.gens.Begin(r.Context(), caller(sc), req)
	if err != nil {
		log.ErrorContext(r.Context(), "record generation", "error", err)
		reply(w, "Could not record the generation; nothing was started. Try again shortly.")
		return
	}
	log.InfoContext(r.Context(), "generation started", "id", id, "path", cmd.Path)
	reply(w, fmt.Sprintf("Working on it: `%s` — %s into `%s`. The result will follow here.", id, cmd.Format, cmd.Path))

	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		// The generation outlives the request but keeps what its context
		// carries (the request id, the generation id, the span), so its
		// log lines and spans are the request's.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.Timeout)
		defer cancel()
		res, err := h.gens.Run(ctx, id, req)
		msg := &slackgo.WebhookMessage{ResponseType: slackgo.ResponseTypeEphemeral, Text: h.resultText(id, req, res, err)}
		if err := slackgo.PostWebhookCustomHTTPContext(ctx, sc.ResponseURL, h.opts.Client, msg); err != nil {
			log.ErrorContext(ctx, "post result to response_url", "id", id, "error", err)
			return
		}
		log.InfoContext(ctx, "result posted", "id", id)
	}()
}

// caller names the Slack user of a command: "slack:TEAM/USER".
func caller(sc slackgo.SlashCommand) string { return "slack:" + sc.TeamID + "/" + sc.UserID }

// verify checks the v0 signature over the raw body and the timestamp's
// age, then refuses a signature it has accepted before.
func (h *Handler) verify(ctx context.Context, header http.Header, body []byte) error {
	sv, err := slackgo.NewSecretsVerifier(header, h.opts.SigningSecret)
	if err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	if _, err := sv.Write(body); err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	if err := sv.Ensure(); err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	ts, _ := strconv.ParseInt(header.Get("X-Slack-Request-Timestamp"), 10, 64) // parsed by the verifier already
	// The key is the signature's bytes, not its text: hex in upper case
	// is the same signature.
	sig, err := hex.DecodeString(strings.TrimPrefix(header.Get("X-Slack-Signature"), "v0="))
	if err != nil {
		return fmt.Errorf("verify signature: %w", err)
	}
	seen, err := h.opts.Replays.Seen(ctx, "slack:v0="+hex.EncodeToString(sig), time.Unix(ts, 0).Add(maxAge+time.Minute))
	if err != nil {
		return fmt.Errorf("%w: %w", errReplayCheck, err)
	}
	if seen {
		return errors.New("replayed request")
	}
	return nil
}

// DefaultResponseBases are where Slack's response URLs point: Slack and
// GovSlack.
var DefaultResponseBases = []string{"https://hooks.slack.com/", "https://hooks.slack-gov.com/"}

// allowedResponseURL reports whether raw starts with one of bases: the
// same scheme and host (port included), no user info, and a path under
// the base's.
func allowedResponseURL(raw string, bases []string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return false
	}
	for _, b := range bases {
		bu, err := url.Parse(b)
		if err != nil {
			continue
		}
		if strings.EqualFold(u.Scheme, bu.Scheme) && strings.EqualFold(u.Host, bu.Host) &&
			strings.HasPrefix(path.Clean("/"+u.Path)+"/", strings.TrimSuffix(path.Clean("/"+bu.Path), "/")+"/") {
			return true
		}
	}
	return false
}

// errReplayCheck marks a verification that could not finish: the request
// may be good, so it is not refused as unauthorized.
var errReplayCheck = errors.New("replay check")

// reply answers the command at once, visible only to the user.
func reply(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	body, _ := json.Marshal(&slackgo.Msg{ResponseType: slackgo.ResponseTypeEphemeral, Text: text})
	w.Write(body)
}

func usageText(err error) string {
	return strings.TrimPrefix(err.Error(), ErrUsage.Error()+": ") + "\nSee `/aiden help`."
}

// resultText is the message posted when a generation ends.
func (h *Handler) resultText(id string, req generator.Request, res *generator.Result, err error) string {
	var b strings.Builder
	if err != nil {
		fmt.Fprintf(&b, ":x: Generation `%s` failed: %s", id, err)
		return b.String()
	}
	icon, verdict := ":white_check_mark:", "valid"
	switch {
	case !res.Validated:
		icon, verdict = ":grey_question:", "not validated"
	case !res.Valid():
		icon, verdict = ":warning:", fmt.Sprintf("%d errors remain", res.Report.Count(validators.SeverityError))
	}
	fmt.Fprintf(&b, "%s `%s` — %s into `%s`: %s, %s.\n", icon, id, res.Provenance.Summary, req.TargetPath, plural(len(res.Files), "file"), verdict)
	var checks []string
	for _, c := range res.Report.Checks {
		checks = append(checks, fmt.Sprintf("%s %s", c.Name, c.Status))
	}
	if len(checks) > 0 {
		fmt.Fprintf(&b, "Checks: %s.\n", strings.Join(checks, ", "))
	}
	writeFindings(&b, res.Report.Findings)
	for _, l := range res.LeftAlone {
		fmt.Fprintf(&b, "Left alone: `%s`: %s\n", l.Path, l.Reason)
	}
	h.writePatch(&b, id, string(res.Patch))
	return b.String()
}

func writeFindings(b *strings.Builder, fs []validators.Finding) {
	const most = 10
	if len(fs) == 0 {
		b.WriteString("No findings.\n")
		return
	}
	fmt.Fprintf(b, "%s:\n", plural(len(fs), "finding"))
	for i, f := range fs {
		if i == most {
			fmt.Fprintf(b, "… and %d more.\n", len(fs)-most)
			break
		}
		fmt.Fprintf(b, "• *%s* %s\n", action.SeverityWord(f), action.FindingLine(f))
	}
}

func (h *Handler) writePatch(b *strings.Builder, id, patch string) {
	link := ""
	if h.opts.PublicURL != "" {
		link = h.opts.PublicURL + "/generations/" + id + ".patch"
	}
	switch {
	case patch == "":
		b.WriteString("No changes.")
	case len(patch) <= h.opts.MaxInlinePatch && !strings.Contains(patch, "```"):
		fmt.Fprintf(b, "```\n%s```", patch)
	case link != "":
		fmt.Fprintf(b, "The patch (%s) is at <%s|%s.patch>: `curl -s %s | git apply`", plural(len(patch), "byte"), link, id, link)
	default:
		fmt.Fprintf(b, "The patch (%s) is too long to post: `aiden show %s --patch --server URL | git apply`", plural(len(patch), "byte"), id)
	}
}

// statusText describes a record for /aiden status.
func (h *Handler) statusText(g *store.Generation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "`%s` is *%s* — %q into `%s`, asked %s", g.ID, g.Status, g.Intent, g.TargetPath, g.CreateTime.UTC().Format(time.RFC3339))
	if g.Stage != "" && g.Status == store.StatusRunning {
		fmt.Fprintf(&b, ", at stage %s", g.Stage)
	}
	b.WriteString(".\n")
	switch g.Status {
	case store.StatusSucceeded:
		fs := g.Findings()
		verdict := "valid"
		if !g.Valid {
			verdict = "not valid"
		}
		fmt.Fprintf(&b, "%s; %s.\n", verdict, plural(len(fs), "finding"))
		if g.Patch != "" && h.opts.PublicURL != "" {
			fmt.Fprintf(&b, "Patch: %s/generations/%s.patch", h.opts.PublicURL, g.ID)
		}
	case store.StatusFailed, store.StatusInterrupted:
		b.WriteString(g.Error)
	}
	return strings.TrimSpace(b.String())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
