// Package rendercount counts the chart renders and kustomize builds made
// on behalf of one context, so that a test can hold the generate pipeline
// to one render per chart or overlay per attempt. The counter rides in
// the context: production code never adds one, and then counting costs a
// context lookup per render.
package rendercount

import (
	"context"
	"sort"
	"sync"
)

// Counter counts renders by what was rendered ("chart <name>",
// "kustomize <folder>"). It is safe for concurrent use.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

type key struct{}

// With returns a context that counts the renders made under it in the
// returned Counter.
func With(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{n: map[string]int{}}
	return context.WithValue(ctx, key{}, c), c
}

// Add counts one render of what, when ctx carries a Counter.
func Add(ctx context.Context, what string) {
	if ctx == nil {
		return
	}
	c, ok := ctx.Value(key{}).(*Counter)
	if !ok {
		return
	}
	c.mu.Lock()
	c.n[what]++
	c.mu.Unlock()
}

// Counts returns the renders counted so far, by what was rendered.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// Total is the number of renders counted so far.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, v := range c.n {
		t += v
	}
	return t
}

// Keys returns what was rendered, sorted.
func (c *Counter) Keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.n))
	for k := range c.n {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reset forgets what was counted.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}
