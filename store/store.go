// Package store keeps the record of every generation: who asked for what,
// through which door, what was generated, what the checks found, what the
// model cost, and how it ended. Records live in an embedded SQLite file by
// default and in PostgreSQL when several replicas share them; both run the
// same migrations at Open.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stackgen/aiden/validators"
	"github.com/stackgen/aiden/workspace"
)

// Door says how a generation was asked for.
type Door string

// Doors.
const (
	DoorRPC  Door = "rpc"  // the Connect API (IDE plugins, curl)
	DoorCLI  Door = "cli"  // aiden generate --server
	DoorChat Door = "chat" // the Slack slash command
)

// Status says where a generation stands.
type Status string

// Statuses. Running is the only one that is not final.
const (
	StatusRunning     Status = "running"
	StatusSucceeded   Status = "succeeded" // the engine returned files (findings may remain)
	StatusFailed      Status = "failed"    // the engine returned an error
	StatusInterrupted Status = "interrupted"
)

// Options are the check options a generation ran with.
type Options struct {
	Validate          bool     `json:"validate"`
	PolicyCheck       bool     `json:"policy_check,omitempty"`
	KubernetesVersion string   `json:"kubernetes_version,omitempty"`
	SchemaLocations   []string `json:"schema_locations,omitempty"`
}

// Attempt is one round of writing files and checking them. The built-in
// planner makes one; a model's repair loop makes one per round.
type Attempt struct {
	// Model names the model that wrote this attempt, if any.
	Model string `json:"model,omitempty"`
	// Files are what the attempt wrote.
	Files []workspace.File `json:"files,omitempty"`
	// Findings are what the checks found in them.
	Findings []validators.Finding `json:"findings,omitempty"`
	// PromptTokens and CompletionTokens are the model's usage; zero for the
	// planner.
	PromptTokens     int `json:"prompt_tokens,omitempty"`
	CompletionTokens int `json:"completion_tokens,omitempty"`
	// Problem says why a model's answer could not be used, and Received
	// keeps what it sent then, so nothing is lost.
	Problem  string `json:"problem,omitempty"`
	Received string `json:"received,omitempty"`
}

// Generation is the record of one generation. Attempts are stored as JSON,
// so fields added to Attempt need no migration.
type Generation struct {
	ID         string
	CreateTime time.Time
	// FinishTime is zero while the generation runs.
	FinishTime time.Time
	// Caller identifies who asked, and owns the record: the authenticated
	// subject, a Slack user ("slack:TEAM/USER") no subject is mapped to, or
	// the peer address when the server runs without authentication.
	Caller      string
	Door        Door
	Intent      string
	Format      string
	TargetPath  string
	Environment string
	Options     Options
	// ConfigDigest and WorkspaceDigest are SHA-256 digests of the
	// generation config and of every workspace file (see Digests).
	ConfigDigest    string
	WorkspaceDigest string
	// Provider is what wrote the files ("planner", or a model provider);
	// Model names the model.
	Provider string
	Model    string
	// Stage is the last pipeline stage that finished; an interrupted
	// record says how far it got.
	Stage    string
	Summary  string
	Attempts []Attempt
	Patch    string
	Valid    bool
	Status   Status
	Error    string
}

// Findings returns the findings of the last attempt.
func (g *Generation) Findings() []validators.Finding {
	if len(g.Attempts) == 0 {
		return nil
	}
	return g.Attempts[len(g.Attempts)-1].Findings
}

// ErrNotFound is returned for an id that names no record.
var ErrNotFound = errors.New("generation not found")

// ErrInvalidPageToken is returned by List for a token it did not issue.
var ErrInvalidPageToken = errors.New("invalid page token")

// Store reads and writes generation records. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect dialect
}

// NewID returns a new generation id: "gen_" and 16 random hex digits.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "gen_" + hex.EncodeToString(b[:])
}

// Begin stores g as running. It fills ID and CreateTime when they are
// empty and returns the id.
func (s *Store) Begin(ctx context.Context, g *Generation) (string, error) {
	if g.ID == "" {
		g.ID = NewID()
	}
	if g.CreateTime.IsZero() {
		g.CreateTime = time.Now()
	}
	g.Status = StatusRunning
	g.FinishTime = time.Time{}
	cols, vals, err := columns(g)
	if err != nil {
		return "", err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	q := "INSERT INTO generations (" + strings.Join(cols, ", ") + ", heartbeat_at) VALUES (" + marks + ", ?)"
	if _, err := s.db.ExecContext(ctx, s.dialect.rebind(q), append(vals, micros(time.Now()))...); err != nil {
		return "", fmt.Errorf("insert generation: %w", err)
	}
	return g.ID, nil
}

// Progress records the stage a running generation has reached and keeps it
// from being taken for dead.
func (s *Store) Progress(ctx context.Context, id, stage string) error {
	_, err := s.db.ExecContext(ctx, s.dialect.rebind(
		"UPDATE generations SET stage = ?, heartbeat_at = ? WHERE id = ? AND status = ?"),
		stage, micros(time.Now()), id, string(StatusRunning))
	if err != nil {
		return fmt.Errorf("record progress: %w", err)
	}
	return nil
}

// Heartbeat marks the given running generations as alive now.
func (s *Store) Heartbeat(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if _, err := s.db.ExecContext(ctx, s.dialect.rebind(
			"UPDATE generations SET heartbeat_at = ? WHERE id = ? AND status = ?"),
			micros(time.Now()), id, string(StatusRunning)); err != nil {
			return fmt.Errorf("heartbeat: %w", err)
		}
	}
	return nil
}

// Finish stores the outcome of a running generation: every field of g
// except ID and CreateTime is written. Status must be final; FinishTime is
// filled when zero. A record that is no longer running (marked interrupted
// meanwhile) is overwritten: the outcome is what happened.
func (s *Store) Finish(ctx context.Context, g *Generation) error {
	if g.Status == StatusRunning || g.Status == "" {
		return fmt.Errorf("finish generation %s: status %q is not final", g.ID, g.Status)
	}
	if g.FinishTime.IsZero() {
		g.FinishTime = time.Now()
	}
	cols, vals, err := columns(g)
	if err != nil {
		return err
	}
	var set []string
	var args []any
	for i, c := range cols {
		if c == "id" || c == "create_time" {
			continue
		}
		set = append(set, c+" = ?")
		args = append(args, vals[i])
	}
	q := "UPDATE generations SET " + strings.Join(set, ", ") + " WHERE id = ?"
	r, err := s.db.ExecContext(ctx, s.dialect.rebind(q), append(args, g.ID)...)
	if err != nil {
		return fmt.Errorf("finish generation %s: %w", g.ID, err)
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("finish generation %s: %w", g.ID, ErrNotFound)
	}
	return nil
}

// Interrupt marks as interrupted every running generation not heard from
// since cutoff, and returns how many it marked. With one process per
// database (SQLite), call it at start-up with the start time; with several
// replicas, with a cutoff well behind the heartbeat interval.
func (s *Store) Interrupt(ctx context.Context, cutoff time.Time) (int64, error) {
	now := micros(time.Now())
	r, err := s.db.ExecContext(ctx, s.dialect.rebind(
		"UPDATE generations SET status = ?, finish_time = ?, error = ? WHERE status = ? AND heartbeat_at < ?"),
		string(StatusInterrupted), now, "interrupted: the server stopped before the generation finished",
		string(StatusRunning), micros(cutoff))
	if err != nil {
		return 0, fmt.Errorf("mark interrupted generations: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}

// Get returns the record with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*Generation, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind("SELECT "+selectColumns+" FROM generations WHERE id = ?"), id)
	g, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get generation %s: %w", id, err)
	}
	return g, nil
}

// GetOwned returns the record with id when owner asked for it, and
// ErrNotFound otherwise, so that an id tells a stranger nothing.
func (s *Store) GetOwned(ctx context.Context, id, owner string) (*Generation, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind("SELECT "+selectColumns+" FROM generations WHERE id = ? AND caller = ?"), id, owner)
	g, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get generation %s: %w", id, err)
	}
	return g, nil
}

// Filter selects records in List; empty fields match everything.
type Filter struct {
	// Owner keeps the records whose caller is Owner, whatever Caller says:
	// the view of a caller who may read only their own. Empty means every
	// caller's.
	Owner  string
	Door   Door
	Status Status
	Caller string
	Format string
	// Since keeps records created at or after it.
	Since time.Time
	// PageSize is the most records returned; 0 means 50, and at most 500.
	PageSize int
	// PageToken continues a previous List.
	PageToken string
}

// List returns records newest first, and a token for the next page (empty
// on the last page).
func (s *Store) List(ctx context.Context, f Filter) ([]*Generation, string, error) {
	size := f.PageSize
	switch {
	case size <= 0:
		size = 50
	case size > 500:
		size = 500
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Owner != "" {
		add("caller = ?", f.Owner)
	}
	if f.Door != "" {
		add("door = ?", string(f.Door))
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Caller != "" {
		add("caller = ?", f.Caller)
	}
	if f.Format != "" {
		add("format = ?", f.Format)
	}
	if !f.Since.IsZero() {
		add("create_time >= ?", micros(f.Since))
	}
	if f.PageToken != "" {
		t, id, err := decodeToken(f.PageToken)
		if err != nil {
			return nil, "", err
		}
		where = append(where, "(create_time < ? OR (create_time = ? AND id < ?))")
		args = append(args, t, t, id)
	}
	q := "SELECT " + selectColumns + " FROM generations"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY create_time DESC, id DESC LIMIT ?"
	args = append(args, size+1)
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(q), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list generations: %w", err)
	}
	defer rows.Close()
	var out []*Generation
	for rows.Next() {
		g, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list generations: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list generations: %w", err)
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		last := out[size-1]
		next = encodeToken(micros(last.CreateTime), last.ID)
	}
	return out, next, nil
}

// Seen records key until expires and reports whether it was already
// recorded and unexpired: the replay check for signed requests, shared by
// every replica that shares the database.
func (s *Store) Seen(ctx context.Context, key string, expires time.Time) (bool, error) {
	now := micros(time.Now())
	if _, err := s.db.ExecContext(ctx, s.dialect.rebind("DELETE FROM seen_requests WHERE expires_at < ?"), now); err != nil {
		return false, fmt.Errorf("expire seen requests: %w", err)
	}
	r, err := s.db.ExecContext(ctx, s.dialect.rebind(
		"INSERT INTO seen_requests (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"), key, micros(expires))
	if err != nil {
		return false, fmt.Errorf("record request: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record request: %w", err)
	}
	return n == 0, nil
}

// Shared reports whether the database may be shared by several processes
// (PostgreSQL), so that a running record may belong to another replica.
func (s *Store) Shared() bool { return s.dialect == postgres }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

const selectColumns = "id, create_time, finish_time, caller, door, intent, format, target_path, environment, options, " +
	"config_digest, workspace_digest, provider, model, stage, summary, attempts, patch, valid, status, error"

// columns lists g's column names and values in selectColumns order.
func columns(g *Generation) ([]string, []any, error) {
	opts, err := json.Marshal(g.Options)
	if err != nil {
		return nil, nil, fmt.Errorf("encode options: %w", err)
	}
	attempts := g.Attempts
	if attempts == nil {
		attempts = []Attempt{}
	}
	att, err := json.Marshal(attempts)
	if err != nil {
		return nil, nil, fmt.Errorf("encode attempts: %w", err)
	}
	var finish any
	if !g.FinishTime.IsZero() {
		finish = micros(g.FinishTime)
	}
	vals := []any{
		g.ID, micros(g.CreateTime), finish, g.Caller, string(g.Door), g.Intent, g.Format, g.TargetPath, g.Environment, string(opts),
		g.ConfigDigest, g.WorkspaceDigest, g.Provider, g.Model, g.Stage, g.Summary, string(att), g.Patch, g.Valid, string(g.Status), g.Error,
	}
	return strings.Split(selectColumns, ", "), vals, nil
}

type scanner interface{ Scan(dest ...any) error }

func scan(r scanner) (*Generation, error) {
	var (
		g              Generation
		created        int64
		finished       sql.NullInt64
		door, status   string
		opts, attempts string
	)
	err := r.Scan(&g.ID, &created, &finished, &g.Caller, &door, &g.Intent, &g.Format, &g.TargetPath, &g.Environment, &opts,
		&g.ConfigDigest, &g.WorkspaceDigest, &g.Provider, &g.Model, &g.Stage, &g.Summary, &attempts, &g.Patch, &g.Valid, &status, &g.Error)
	if err != nil {
		return nil, err
	}
	g.CreateTime = fromMicros(created)
	if finished.Valid {
		g.FinishTime = fromMicros(finished.Int64)
	}
	g.Door, g.Status = Door(door), Status(status)
	if err := json.Unmarshal([]byte(opts), &g.Options); err != nil {
		return nil, fmt.Errorf("decode options of %s: %w", g.ID, err)
	}
	if err := json.Unmarshal([]byte(attempts), &g.Attempts); err != nil {
		return nil, fmt.Errorf("decode attempts of %s: %w", g.ID, err)
	}
	return &g, nil
}

// Times are stored as microseconds since the epoch in a BIGINT: the same
// type, order and precision in SQLite and PostgreSQL.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func encodeToken(t int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t, 10) + "/" + id))
}

func decodeToken(tok string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, "", ErrInvalidPageToken
	}
	ts, id, ok := strings.Cut(string(b), "/")
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", ErrInvalidPageToken
	}
	return t, id, nil
}
