package slack

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per key (a user, a channel).
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(l Limit) *limiter {
	return &limiter{every: rate.Every(l.Per / time.Duration(l.Count)), burst: l.Count, buckets: map[string]*rate.Limiter{}}
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buckets) > 10000 {
		// Full buckets hold no state worth keeping.
		for k, b := range l.buckets {
			if b.Tokens() >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	return b.Allow()
}

// memoryReplays remembers signatures in this process only.
type memoryReplays struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (m *memoryReplays) Seen(_ context.Context, key string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for k, t := range m.seen {
		if t.Before(now) {
			delete(m.seen, k)
		}
	}
	if _, ok := m.seen[key]; ok {
		return true, nil
	}
	m.seen[key] = expires
	return false, nil
}
