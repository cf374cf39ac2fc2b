package generator

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"sync"

	"github.com/stackgen/aiden/prompts"
)

// cache answers identical model-backed requests without calling the model
// again: same intent, format, target, options, model and workspace. It
// keeps the most recently used entries.
type cache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *entry, most recent first
	entries map[string]*list.Element
}

type entry struct {
	key string
	res *Result
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *cache) get(key string) (*Result, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).res, true
}

func (c *cache) put(key string, res *Result) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value.(*entry).res = res
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&entry{key: key, res: res})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*entry).key)
	}
}

// cacheKey digests everything that shapes a model-backed answer.
func (e *Engine) cacheKey(req Request, target string, format Format, model string) string {
	m := e.opts.Model
	ws := sha256.New()
	files := append(req.Workspace[:0:0], req.Workspace...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	for _, f := range files {
		sum := sha256.Sum256(f.Content)
		ws.Write([]byte(f.Path))
		ws.Write([]byte{0})
		ws.Write(sum[:])
	}
	b, _ := json.Marshal(struct {
		Intent, Format, Target, Env, K8s, Model, Prompt string
		Locations                                       []string
		Skip, Policy, Structured                        bool
		Temperature                                     *float64
		MaxTokens, Rounds, Examples                     int
		Workspace                                       string
		Mode                                            Mode
		Force                                           bool
	}{req.Intent, string(format), target, req.Environment, req.KubernetesVersion, model, prompts.Version,
		req.SchemaLocations, req.SkipValidation, req.PolicyCheck, m.Structured,
		m.Temperature, m.MaxTokens, m.RepairRounds, m.ExampleTokens, hex.EncodeToString(ws.Sum(nil)), req.Mode, req.Force})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
