package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Take takes one token from the bucket named key, which holds at most
// burst tokens and refills at perSecond, and reports whether there was
// one; when there was not, wait is how long until there is. The bucket
// lives in the database, so every replica sharing it draws from the same
// one. A bucket not used for a while is full; ExpireBuckets forgets it.
func (s *Store) Take(ctx context.Context, key string, perSecond float64, burst int) (ok bool, wait time.Duration, err error) {
	if perSecond <= 0 || burst <= 0 {
		return false, 0, fmt.Errorf("take %s: rate %g and burst %d must be positive", key, perSecond, burst)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, fmt.Errorf("take %s: %w", key, err)
	}
	defer tx.Rollback()
	now := time.Now()
	if _, err := tx.ExecContext(ctx, s.dialect.rebind(
		"INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING"),
		key, float64(burst), micros(now)); err != nil {
		return false, 0, fmt.Errorf("take %s: %w", key, err)
	}
	q := "SELECT tokens, updated_at FROM rate_buckets WHERE key = ?"
	if s.dialect == postgres {
		q += " FOR UPDATE" // replicas take turns on one bucket
	}
	var tokens float64
	var updated int64
	if err := tx.QueryRowContext(ctx, s.dialect.rebind(q), key).Scan(&tokens, &updated); err != nil {
		return false, 0, fmt.Errorf("take %s: %w", key, err)
	}
	elapsed := now.Sub(fromMicros(updated)).Seconds()
	if elapsed < 0 { // another replica's clock is ahead
		elapsed = 0
	}
	tokens = math.Min(float64(burst), tokens+elapsed*perSecond)
	ok = tokens >= 1
	if ok {
		tokens--
	} else {
		wait = time.Duration((1 - tokens) / perSecond * float64(time.Second))
	}
	if _, err := tx.ExecContext(ctx, s.dialect.rebind("UPDATE rate_buckets SET tokens = ?, updated_at = ? WHERE key = ?"),
		tokens, micros(now), key); err != nil {
		return false, 0, fmt.Errorf("take %s: %w", key, err)
	}
	if err := tx.Commit(); err != nil {
		return false, 0, fmt.Errorf("take %s: %w", key, err)
	}
	return ok, wait, nil
}

// ExpireBuckets forgets the buckets not used since before: given a time
// they would have refilled by, forgetting them changes nothing.
func (s *Store) ExpireBuckets(ctx context.Context, before time.Time) (int64, error) {
	r, err := s.db.ExecContext(ctx, s.dialect.rebind("DELETE FROM rate_buckets WHERE updated_at < ?"), micros(before))
	if err != nil {
		return 0, fmt.Errorf("expire rate buckets: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}
