package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/stackgen/aiden/action"
	"github.com/stackgen/aiden/auth"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/store"
	"github.com/stackgen/aiden/telemetry"
	"github.com/stackgen/aiden/wire"
	"github.com/stackgen/aiden/workspace"
)

// Heartbeat timing of running generations: a running record not heard from
// for StaleFactor heartbeats (StaleAfter by default) belongs to a stopped
// process and is marked interrupted.
const (
	// DefaultHeartbeat is Options.Heartbeat's default.
	DefaultHeartbeat = 30 * time.Second
	// StaleFactor is how many heartbeats a running record may miss.
	StaleFactor = 4
	// StaleAfter is the window with the default heartbeat.
	StaleAfter = StaleFactor * DefaultHeartbeat
)

// recorder runs generations through the engine and keeps their record. With
// no store it only runs them.
type recorder struct {
	engine Engine
	store  *store.Store
	log    *slog.Logger
	// work counts the generations running, so that a graceful stop waits
	// for them and marks those it gave up on.
	work *tracker
	// metrics count generations; nil counts nothing.
	metrics *telemetry.Metrics
	// heartbeat is how often a running record is marked alive.
	beat time.Duration
}

// begin stores a running record for req before any work and returns its id
// ("" without a store). A request the engine refuses is refused here and
// never stored.
func (r *recorder) begin(ctx context.Context, door store.Door, caller string, req generator.Request) (string, error) {
	if err := checkRequest(r.engine, req); err != nil {
		return "", err
	}
	if r.store == nil {
		return "", nil
	}
	format := req.Format
	if f, err := generator.ParseFormat(string(format)); err == nil {
		format = f // the format that runs, not "" for the default
	}
	g := &store.Generation{
		Caller:      caller,
		Door:        door,
		Intent:      redactText(req.Intent),
		Format:      string(format),
		TargetPath:  req.TargetPath,
		Environment: req.Environment,
		Options: store.Options{
			Validate:          !req.SkipValidation,
			PolicyCheck:       req.PolicyCheck,
			KubernetesVersion: req.KubernetesVersion,
			SchemaLocations:   req.SchemaLocations,
		},
	}
	if len(req.Workspace) > 0 {
		g.ConfigDigest, g.WorkspaceDigest = store.Digests(req.Workspace)
	}
	id, err := r.store.Begin(ctx, g)
	if err != nil {
		countStoreError(r.metrics, "begin", err)
		return "", connect.NewError(connect.CodeUnavailable, fmt.Errorf("record generation: %w", err))
	}
	if r.work != nil {
		r.work.begin(id)
	}
	telemetry.SetGeneration(ctx, id)
	return id, nil
}

// run generates req for the record id made by begin and records the
// outcome, even when ctx is cancelled meanwhile.
// door names the door for the metrics.
func (r *recorder) run(ctx context.Context, id, door string, req generator.Request, progress func(generator.Event)) (res *generator.Result, err error) {
	r.metrics.Begin()
	defer func() {
		r.metrics.End()
		r.metrics.Generation(door, res, err)
	}()
	gen := action.Generate{Engine: r.engine}
	if r.store == nil || id == "" {
		return gen.Run(ctx, req, progress)
	}
	if r.work != nil {
		defer r.work.leave(id)
	}
	stop := r.heartbeat(ctx, id)
	var mu sync.Mutex
	lastStage := ""
	res, err = gen.Run(ctx, req, func(ev generator.Event) {
		mu.Lock()
		lastStage = string(ev.Stage)
		mu.Unlock()
		if ev.Stage != generator.StageDone {
			if err := r.store.Progress(context.WithoutCancel(ctx), id, string(ev.Stage)); err != nil {
				countStoreError(r.metrics, "progress", err)
				r.log.WarnContext(ctx, "record progress", "id", id, "error", err)
			}
		}
		if progress != nil {
			progress(ev)
		}
	})
	stop()

	g, gerr := r.store.Get(context.WithoutCancel(ctx), id)
	if gerr != nil {
		countStoreError(r.metrics, "get", gerr)
		r.log.ErrorContext(ctx, "record generation", "id", id, "error", gerr)
		return res, err
	}
	mu.Lock()
	g.Stage = lastStage
	mu.Unlock()
	g.FinishTime = time.Time{}
	outcome(g, req, res, err)
	if err != nil && ctx.Err() != nil && r.work != nil && r.work.stopping() {
		// Cancelled by a stop past its shutdown timeout (Handler.Drain).
		g.Status = store.StatusInterrupted
		g.Error = redactText("interrupted: the server stopped before the generation finished: " + err.Error())
	}
	if ferr := r.store.Finish(context.WithoutCancel(ctx), g); ferr != nil {
		countStoreError(r.metrics, "finish", ferr)
		r.log.ErrorContext(ctx, "record generation", "id", id, "error", ferr)
	}
	return res, err
}

// heartbeat keeps the running record id alive until the returned func is
// called.
func (r *recorder) heartbeat(ctx context.Context, id string) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(r.beat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := r.store.Heartbeat(context.WithoutCancel(ctx), id); err != nil {
					countStoreError(r.metrics, "heartbeat", err)
					r.log.WarnContext(ctx, "heartbeat", "id", id, "error", err)
				}
			}
		}
	}()
	return func() { close(done) }
}

// outcome writes what a generation produced into its record. It is the one
// place that maps a generator.Result onto the record: attempts, tokens and
// model land here as the result grows them.
func outcome(g *store.Generation, req generator.Request, res *generator.Result, err error) {
	if len(req.Workspace) > 0 {
		g.ConfigDigest, g.WorkspaceDigest = store.Digests(req.Workspace)
	}
	if err != nil {
		g.Status = store.StatusFailed
		g.Error = redactText(err.Error())
		var me *generator.ModelError
		if errors.As(err, &me) {
			g.Provider, g.Model = "model", me.Model
			g.Attempts = attempts(me.Model, me.Attempts, 0, nil)
		}
		return
	}
	g.Status = store.StatusSucceeded
	g.Error = ""
	p := res.Provenance
	g.Provider = p.Generator
	g.Model = p.Model
	g.Summary = redactText(p.Summary)
	if len(p.Attempts) > 0 {
		// The model path: one record per answer, with its findings and
		// tokens; the files are those of the attempt that was kept.
		g.Attempts = attempts(p.Model, p.Attempts, p.Chosen, res.Files)
	} else {
		// The planner writes once.
		g.Attempts = []store.Attempt{{Files: storedFiles(res.Files), Findings: res.Report.Findings}}
	}
	g.Patch = string(res.Patch)
	g.Valid = res.Valid()
}

// attempts converts a model's attempts for the record; chosen (1-based)
// gets the files that were returned.
func attempts(model string, as []generator.Attempt, chosen int, files []workspace.File) []store.Attempt {
	out := make([]store.Attempt, 0, len(as))
	for _, a := range as {
		sa := store.Attempt{
			Model:            model,
			Findings:         a.Findings,
			PromptTokens:     a.Usage.InputTokens,
			CompletionTokens: a.Usage.OutputTokens,
			Problem:          redactText(a.Problem),
			Received:         redactText(a.Received),
		}
		if a.Number == chosen {
			sa.Files = storedFiles(files)
		}
		out = append(out, sa)
	}
	return out
}

// caller returns the door and the caller of an RPC: the authenticated
// subject, or the peer's address when authentication is off.
func caller(ctx context.Context, peer connect.Peer, h http.Header) (store.Door, string) {
	door := store.DoorRPC
	if strings.EqualFold(h.Get(wire.HeaderClient), "cli") {
		door = store.DoorCLI
	}
	if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
		return door, p.Subject
	}
	return door, peerHost(peer.Addr)
}

func (h *generateHandler) GetGeneration(ctx context.Context, req *connect.Request[aidenv1.GetGenerationRequest]) (*connect.Response[aidenv1.GetGenerationResponse], error) {
	if h.rec.store == nil {
		return nil, errNoStore
	}
	g, err := readRecord(ctx, h.rec.store, strings.TrimSpace(req.Msg.GetId()))
	if err != nil {
		countStoreError(h.rec.metrics, "get", err)
		return nil, storeError(err)
	}
	return connect.NewResponse(&aidenv1.GetGenerationResponse{Generation: GenerationToProto(g, true)}), nil
}

func (h *generateHandler) ListGenerations(ctx context.Context, req *connect.Request[aidenv1.ListGenerationsRequest]) (*connect.Response[aidenv1.ListGenerationsResponse], error) {
	if h.rec.store == nil {
		return nil, errNoStore
	}
	owner, ok := listOwner(ctx)
	if !ok {
		return connect.NewResponse(&aidenv1.ListGenerationsResponse{}), nil
	}
	m := req.Msg
	f := store.Filter{
		Owner:     owner,
		Door:      doorFromProto(m.GetDoor()),
		Status:    statusFromProto(m.GetStatus()),
		Caller:    m.GetCaller(),
		Format:    string(wire.FormatFromProto(m.GetFormat())),
		PageSize:  int(m.GetPageSize()),
		PageToken: m.GetPageToken(),
	}
	if m.GetSince() != nil {
		f.Since = m.GetSince().AsTime()
	}
	gs, next, err := h.rec.store.List(ctx, f)
	if err != nil {
		countStoreError(h.rec.metrics, "list", err)
		return nil, storeError(err)
	}
	out := &aidenv1.ListGenerationsResponse{NextPageToken: next}
	for _, g := range gs {
		out.Generations = append(out.Generations, GenerationToProto(g, false))
	}
	return connect.NewResponse(out), nil
}

var errNoStore = connect.NewError(connect.CodeUnimplemented, errors.New("this server keeps no generation records"))

func storeError(err error) *connect.Error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, store.ErrInvalidPageToken):
		return connect.NewError(connect.CodeInvalidArgument, err)
	}
	return wire.Error(err)
}

// servePatch serves GET /generations/{file} for file = ID.patch: the patch
// as text, ready for git apply.
func servePatch(st *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutSuffix(r.PathValue("file"), ".patch")
		if !ok || id == "" {
			http.NotFound(w, r)
			return
		}
		if st == nil {
			http.Error(w, "this server keeps no generation records", http.StatusNotFound)
			return
		}
		g, err := readRecord(r.Context(), st, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			http.Error(w, "no generation "+id, http.StatusNotFound)
			return
		case err != nil:
			http.Error(w, "read generation: "+err.Error(), http.StatusInternalServerError)
			return
		case g.Status == store.StatusRunning:
			http.Error(w, "generation "+id+" is still running", http.StatusConflict)
			return
		case g.Patch == "":
			http.Error(w, fmt.Sprintf("generation %s has no patch (%s)", id, g.Status), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/x-diff; charset=utf-8")
		w.Header().Set("Content-Disposition", `inline; filename="`+id+`.patch"`)
		fmt.Fprint(w, servedPatch(g.Patch))
	})
}

// Recover marks as interrupted the generations that a stopped process left
// running, so that none stays "running" forever. On a database of its own
// (SQLite) that is every running record, at once. On a shared one
// (PostgreSQL) it is those not heard from for StaleAfter, checked now and
// then every heartbeat interval until ctx ends. Handler.Recover does the
// same with the server's heartbeat and metrics.
func Recover(ctx context.Context, st *store.Store, log *slog.Logger) error {
	return recoverRecords(ctx, st, log, nil, DefaultHeartbeat)
}

// Recover is the package's Recover for the server's store, with its
// heartbeat (Options.Heartbeat) and counted in its metrics. Without a
// store it does nothing.
func (h *Handler) Recover(ctx context.Context) error {
	if h.rec.store == nil {
		return nil
	}
	return recoverRecords(ctx, h.rec.store, h.rec.log, h.metrics, h.rec.beat)
}

func recoverRecords(ctx context.Context, st *store.Store, log *slog.Logger, m *telemetry.Metrics, every time.Duration) error {
	if !st.Shared() {
		n, err := st.Interrupt(ctx, time.Now())
		if err != nil {
			m.StoreError("recover")
			return err
		}
		m.Recovered(n)
		if n > 0 {
			log.Info("marked generations left running by the last process interrupted", "count", n)
		}
		return nil
	}
	sweep := func() error {
		n, err := st.Interrupt(ctx, time.Now().Add(-StaleFactor*every))
		m.Recovered(n)
		if n > 0 {
			log.Info("marked generations of a stopped replica interrupted", "count", n)
		}
		if err != nil && ctx.Err() == nil {
			m.StoreError("recover")
		}
		return err
	}
	if err := sweep(); err != nil {
		return err
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := sweep(); err != nil && ctx.Err() == nil {
					log.Warn("mark interrupted generations", "error", err)
				}
			}
		}
	}()
	return nil
}

// GenerationToProto converts a record for the wire; without full it leaves
// out files and the patch.
func GenerationToProto(g *store.Generation, full bool) *aidenv1.Generation {
	out := &aidenv1.Generation{
		Id:          g.ID,
		CreateTime:  timestamppb.New(g.CreateTime),
		Caller:      g.Caller,
		Door:        doorToProto(g.Door),
		Intent:      redactText(g.Intent),
		Format:      wire.FormatToProto(generator.Format(g.Format)),
		TargetPath:  g.TargetPath,
		Environment: g.Environment,
		Options: &aidenv1.Options{
			Validate: &g.Options.Validate,
			//lint:ignore SA1019 clients older than skip_policy_check read only this field
			PolicyCheck:       g.Options.PolicyCheck,
			SkipPolicyCheck:   !g.Options.PolicyCheck,
			KubernetesVersion: g.Options.KubernetesVersion,
			SchemaLocations:   g.Options.SchemaLocations,
		},
		ConfigDigest:    g.ConfigDigest,
		WorkspaceDigest: g.WorkspaceDigest,
		Provider:        g.Provider,
		Model:           g.Model,
		Stage:           g.Stage,
		Summary:         g.Summary,
		Valid:           g.Valid,
		Status:          statusToProto(g.Status),
		Error:           wire.ValidUTF8(g.Error),
	}
	if !g.FinishTime.IsZero() {
		out.FinishTime = timestamppb.New(g.FinishTime)
	}
	if full {
		out.Patch = wire.ValidUTF8(servedPatch(g.Patch))
	}
	for _, a := range g.Attempts {
		pa := &aidenv1.Attempt{
			Model:            a.Model,
			Findings:         wire.FindingsToProto(a.Findings),
			PromptTokens:     int64(a.PromptTokens),
			CompletionTokens: int64(a.CompletionTokens),
		}
		if full {
			pa.Files = wire.FilesToProto(storedFiles(a.Files))
		}
		out.Attempts = append(out.Attempts, pa)
	}
	return out
}

var doors = map[store.Door]aidenv1.Door{
	store.DoorRPC:  aidenv1.Door_DOOR_RPC,
	store.DoorCLI:  aidenv1.Door_DOOR_CLI,
	store.DoorChat: aidenv1.Door_DOOR_CHAT,
}

var statuses = map[store.Status]aidenv1.GenerationStatus{
	store.StatusRunning:     aidenv1.GenerationStatus_GENERATION_STATUS_RUNNING,
	store.StatusSucceeded:   aidenv1.GenerationStatus_GENERATION_STATUS_SUCCEEDED,
	store.StatusFailed:      aidenv1.GenerationStatus_GENERATION_STATUS_FAILED,
	store.StatusInterrupted: aidenv1.GenerationStatus_GENERATION_STATUS_INTERRUPTED,
}

func doorToProto(d store.Door) aidenv1.Door { return doors[d] }

func doorFromProto(d aidenv1.Door) store.Door {
	for k, v := range doors {
		if v == d {
			return k
		}
	}
	return ""
}

func statusToProto(s store.Status) aidenv1.GenerationStatus { return statuses[s] }

func statusFromProto(s aidenv1.GenerationStatus) store.Status {
	for k, v := range statuses {
		if v == s {
			return k
		}
	}
	return ""
}
