package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/stackgen/aiden/workspace"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dialect is the little that differs between the two databases.
type dialect int

const (
	sqlite dialect = iota
	postgres
)

// rebind turns ? placeholders into PostgreSQL's $1, $2, ...; queries here
// never hold a literal question mark.
func (d dialect) rebind(q string) string {
	if d != postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Open opens the database named by url and runs the migrations it lacks.
// url is postgres://... or postgresql://... for PostgreSQL; sqlite:PATH,
// sqlite://PATH, file:PATH or a plain file path for SQLite (the folder is
// created).
func Open(ctx context.Context, url string) (*Store, error) {
	s := &Store{}
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		s.db, s.dialect = db, postgres
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:"), "file:")
		path, _, _ = strings.Cut(path, "?")
		if path == "" || path == ":memory:" {
			return nil, fmt.Errorf("open sqlite: want a file path, got %q", url)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is SQLite's model; one connection keeps
		// "database is locked" out of a single process.
		db.SetMaxOpenConns(1)
		s.db, s.dialect = db, sqlite
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates the database file readable by its owner alone
// (SQLite gives its -wal and -shm files the same mode), and takes group
// and other permissions away from one that exists: records hold intents,
// workspace digests and patches.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(fi.Mode().Perm() &^ 0o077)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// migrate applies, in order and each in its own transaction, the files of
// migrations/ not yet recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		num, _, _ := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("migrate: %s: name must start with a number", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if err := s.apply(ctx, version, base, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, version int, name, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == postgres {
		// Replicas starting together take turns; the loser finds the
		// version recorded below.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7261001)"); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.dialect.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.dialect.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		version, name, micros(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// Digests returns the SHA-256 digest of the generation config among files
// (empty when there is none) and a digest of every file's path and content,
// independent of their order.
func Digests(files []workspace.File) (config, all string) {
	sorted := append([]workspace.File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	h := sha256.New()
	for _, f := range sorted {
		if f.Path == workspace.ConfigPath {
			sum := sha256.Sum256(f.Content)
			config = hex.EncodeToString(sum[:])
		}
		fmt.Fprintf(h, "%d:%s\n%d:", len(f.Path), f.Path, len(f.Content))
		h.Write(f.Content)
	}
	return config, hex.EncodeToString(h.Sum(nil))
}
