// Package schema validates Kubernetes objects against the JSON schemas of a
// pinned Kubernetes release with kubeconform, used as a library and offline.
//
// The schemas ship inside the binary as a compact bundle (see
// cmd/schemagen). kubeconform reads schemas only from locations, so before
// validating, the schema of each kind present is written once, on demand,
// into a cache folder laid out like kubeconform's own schema repositories
// (<version>-standalone[-strict]/<kind><suffix>.json). That folder is the
// first location; user locations (for custom resources) come after it.
package schema

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stackgen/aiden/workspace"
	"github.com/yannh/kubeconform/pkg/validator"
)

// Options configure a Validator.
type Options struct {
	// KubernetesVersion is the release to validate against, as "1.35.4"
	// (a leading "v" is accepted). Default: the embedded bundle's version.
	KubernetesVersion string
	// Strict rejects fields a schema does not list and duplicate keys,
	// as kubeconform -strict does.
	Strict bool
	// SchemaLocations are extra kubeconform schema locations (file or URL
	// templates such as "schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"),
	// tried in order after the embedded schemas; use them for custom
	// resources. Only HTTP locations touch the network.
	SchemaLocations []string
	// CacheDir is where schemas are materialized. Default:
	// os.UserCacheDir()/aiden/schemas, or a temporary folder when that is
	// not writable.
	CacheDir string
	// Concurrency bounds how many objects are validated at once.
	// Default: GOMAXPROCS.
	Concurrency int
	// FetchTimeout bounds fetching one schema from an HTTP location.
	// Default: DefaultFetchTimeout.
	FetchTimeout time.Duration
	// NoResultCache turns off the results cache (results.go): every
	// object is validated, even one found valid by an earlier run.
	NoResultCache bool
}

// Validator validates objects. It keeps one kubeconform validator, which
// caches compiled schemas, so reuse it. It is safe for concurrent use.
type Validator struct {
	opts   Options
	bundle *bundle // nil when no embedded bundle matches the version
	dir    string  // <cache>/<bundle hash>, holding the version folders
	kc     validator.Validator

	locations []string                       // kubeconform's, in order
	repo      map[string]validator.Validator // by hash of the repository's CRDs (crd.go)

	remotes []remote     // HTTP locations, mirrored by fetch
	client  *http.Client // for remotes; redirects are not followed

	mu       sync.Mutex
	written  map[string]bool // "apiVersion/kind" already materialized
	embedded map[string]bool // "apiVersion/kind" whose schema is the embedded one

	results string       // the results cache's folder, or "" (results.go)
	checked atomic.Int64 // objects given to kubeconform
	writes  atomic.Int64 // results cache entries written
}

// Version returns the Kubernetes version of the newest embedded bundle,
// the default for Options.KubernetesVersion.
// It reads the bundle file names only, so `aiden version` decodes nothing.
func Version() (string, error) {
	names, err := bundleNames()
	if err != nil {
		return "", err
	}
	newest := ""
	for _, name := range names {
		v := bundleVersion(name)
		if newest == "" || versionLess(newest, v) {
			newest = v
		}
	}
	if newest == "" {
		return "", errors.New("load schemas: no bundle embedded")
	}
	return newest, nil
}

// New returns a Validator, filling defaults into opts.
func New(opts Options) (*Validator, error) {
	all, newest, err := loadBundles()
	if err != nil {
		return nil, err
	}
	opts.KubernetesVersion = strings.TrimPrefix(opts.KubernetesVersion, "v")
	if opts.KubernetesVersion == "" {
		opts.KubernetesVersion = newest
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(opts.KubernetesVersion) {
		return nil, fmt.Errorf("invalid kubernetes version %q (want x.y.z)", opts.KubernetesVersion)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	v := &Validator{opts: opts, bundle: all[opts.KubernetesVersion], written: map[string]bool{}, embedded: map[string]bool{}}

	var locations []string
	if v.bundle != nil {
		if v.dir, err = cacheDir(opts.CacheDir, v.bundle.hash); err != nil {
			return nil, err
		}
		opts.CacheDir = filepath.Dir(v.dir)
		if !opts.NoResultCache && validatorVersions() != "" {
			v.results = filepath.Join(v.dir, "results")
			trimResults(v.results, false)
		}
		locations = append(locations, filepath.Join(v.dir,
			"{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}",
			"{{ .ResourceKind }}{{ .KindSuffix }}.json"))
	} else if len(opts.SchemaLocations) == 0 {
		return nil, fmt.Errorf("no embedded schemas for kubernetes %s (embedded: %s); give schema locations",
			opts.KubernetesVersion, newest)
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	for _, loc := range opts.SchemaLocations {
		if !isHTTP(loc) {
			locations = append(locations, loc)
			continue
		}
		r, err := newRemote(loc, opts.CacheDir)
		if err != nil {
			return nil, err
		}
		v.remotes = append(v.remotes, r)
		locations = append(locations, r.local)
	}
	v.locations = locations
	v.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	v.opts = opts

	v.kc, err = validator.New(locations, validator.Opts{
		KubernetesVersion: opts.KubernetesVersion,
		Strict:            opts.Strict,
		// A missing schema comes back as Skipped, which is reported as a
		// warning and never counted as valid.
		IgnoreMissingSchemas: true,
	})
	if err != nil {
		return nil, fmt.Errorf("create kubeconform validator: %w", err)
	}
	return v, nil
}

// cacheDir returns a writable <base>/<hash> folder.
func cacheDir(base, hash string) (string, error) {
	if base == "" {
		if uc, err := os.UserCacheDir(); err == nil {
			base = filepath.Join(uc, "aiden", "schemas")
		}
	}
	if base != "" {
		dir := filepath.Join(base, hash)
		if writable(dir) {
			return dir, nil
		}
	}
	tmp, err := os.MkdirTemp("", "aiden-schemas-")
	if err != nil {
		return "", fmt.Errorf("create schema cache: %w", err)
	}
	return filepath.Join(tmp, hash), os.MkdirAll(filepath.Join(tmp, hash), 0o755)
}

func writable(dir string) bool {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// Status is the outcome of validating one object.
type Status int

// Outcomes, as kubeconform names them.
const (
	Valid   Status = iota + 1 // matches its schema
	Invalid                   // does not match its schema
	Error                     // could not be checked: unparsable, no kind, ...
	Skipped                   // no schema for its kind anywhere
)

// String returns the lowercase name of a status.
func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case Error:
		return "error"
	case Skipped:
		return "skipped"
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// MissingPrefix starts the message of a Skipped result: no schema for
// the object's kind anywhere.
const MissingPrefix = "no schema for "

// FieldError is one schema violation inside an object.
type FieldError struct {
	// Path is the JSON pointer of the offending value, "/spec/replicas".
	Path string
	// Message says what is wrong with it.
	Message string
	// Line and Column are where in the file the offending node is (its
	// key, or the nearest enclosing node present), or 0 when unknown.
	Line, Column int
}

// Result is the outcome for one object (one YAML document, or one item of a
// List). Empty documents yield no result.
type Result struct {
	// File is the path of the file the object came from.
	File string
	// Line is the 1-based line where the object's document starts, or,
	// for unparsable documents, of the error when known.
	Line int
	// APIVersion, Kind, Namespace and Name identify the object, as far as
	// they could be read.
	APIVersion, Kind, Namespace, Name string
	// Status is the outcome.
	Status Status
	// Errors lists the schema violations of an Invalid object.
	Errors []FieldError
	// Message explains an Error or Skipped outcome, or summarizes an
	// Invalid one.
	Message string
	// Unparsable is set when the document is not well-formed YAML or JSON.
	Unparsable bool
	// Notes are said about a CustomResourceDefinition of the files whose
	// schema for a kind differs from the shipped one: the CRD's schema is
	// used for the kind's objects instead.
	Notes []string
}

// Resource names the object as Kind/namespace/name or Kind/name.
func (r Result) Resource() string {
	parts := []string{r.Kind, r.Namespace, r.Name}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// Validate validates every object in files (YAML, multi-document YAML,
// JSON, Lists) and returns one Result per object, in file order. A bad
// object is a Result, not an error; errors are for a failing tool or a
// cancelled context.
func (v *Validator) Validate(ctx context.Context, files []workspace.File) ([]Result, error) {
	var docs []document
	for _, f := range files {
		docs = append(docs, split(f.Path, f.Content)...)
	}
	if err := v.materialize(docs); err != nil {
		return nil, err
	}
	// The CustomResourceDefinitions among the files come before the
	// shipped schemas for the objects of their kinds.
	kc := v.kc
	var notes map[int][]string
	if v.opts.CacheDir != "" {
		repo, n, err := v.repoSchemas(docs)
		if err != nil {
			return nil, err
		}
		if repo != nil {
			kc, notes = repo, n
		}
	}

	results := make([]Result, len(docs))
	// Objects found valid by an earlier run are not validated again;
	// those validated now may be remembered under keys[i].
	keys := make([]string, len(docs))
	hit := make([]bool, len(docs))
	if kc == v.kc {
		for i := range docs {
			results[i], keys[i], hit[i] = v.cachedResult(&docs[i])
		}
	}
	// Validate one object per kind first, so that each schema is compiled
	// once rather than by every worker that meets it at the same time.
	first, rest := []int{}, []int{}
	seen := map[string]bool{}
	for i := range docs {
		if hit[i] {
			continue
		}
		av, k, _ := signature(&docs[i].res)
		if key := av + "/" + k; !seen[key] {
			seen[key] = true
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	for _, batch := range [][]int{first, rest} {
		if err := v.run(ctx, kc, docs, batch, results); err != nil {
			return nil, err
		}
	}
	for i, n := range notes {
		results[i].Notes = n
	}
	for i := range docs {
		if !hit[i] {
			v.rememberResult(&docs[i], keys[i], results[i])
		}
	}

	out := results[:0]
	for _, r := range results {
		if r.Status != 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

// run validates docs[i] for i in idx with a bounded number of workers.
func (v *Validator) run(ctx context.Context, kc validator.Validator, docs []document, idx []int, results []Result) error {
	if len(idx) == 0 {
		return nil
	}
	workers := min(v.opts.Concurrency, len(idx))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = v.validateOne(kc, docs[i])
			}
		}()
	}
	var err error
loop:
	for _, i := range idx {
		select {
		case next <- i:
		case <-ctx.Done():
			err = fmt.Errorf("validate schemas: %w", ctx.Err())
			break loop
		}
	}
	close(next)
	wg.Wait()
	return err
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (v *Validator) validateOne(kc validator.Validator, d document) Result {
	v.checked.Add(1)
	kr := kc.ValidateResource(d.res)
	r := Result{File: d.file, Line: d.line}
	if sig, err := kr.Resource.Signature(); sig != nil && (err == nil || sig.Kind != "" || sig.Version != "") {
		r.APIVersion, r.Kind, r.Namespace, r.Name = sig.Version, sig.Kind, sig.Namespace, sig.Name
	}
	switch kr.Status {
	case validator.Empty:
		return Result{}
	case validator.Valid:
		r.Status = Valid
	case validator.Invalid:
		r.Status = Invalid
		if kr.Err != nil {
			r.Message = kr.Err.Error()
			r.Errors = leafErrors(r.Message)
		}
		if len(r.Errors) == 0 {
			for _, e := range kr.ValidationErrors {
				r.Errors = append(r.Errors, FieldError{Path: e.Path, Message: e.Msg})
			}
		}
		if len(r.Errors) == 0 {
			r.Errors = []FieldError{{Message: r.Message}}
		}
		for i := range r.Errors {
			if p, ok := locateDoc(d, r.Errors[i].Path, r.Errors[i].Message); ok {
				r.Errors[i].Line, r.Errors[i].Column = p.Line, p.Column
			}
		}
	case validator.Skipped:
		r.Status = Skipped
		r.Message = fmt.Sprintf("%s%s %s in kubernetes %s, the shipped CRD catalogue, the repository's CRDs or the schema locations; not validated",
			MissingPrefix, r.Kind, r.APIVersion, v.opts.KubernetesVersion)
	default:
		r.Status = Error
		if kr.Err != nil {
			r.Message = kr.Err.Error()
		} else {
			r.Message = "validation failed"
		}
		if strings.HasPrefix(r.Message, "error unmarshalling resource") {
			r.Unparsable = true
			r.Message = strings.TrimPrefix(r.Message, "error unmarshalling resource: ")
			if m := yamlLine.FindStringSubmatch(r.Message); m != nil {
				n, _ := strconv.Atoi(m[1])
				r.Line = d.line - leadingLines(d.res.Bytes) + n - 1
			}
		}
		r.Message = strings.TrimPrefix(r.Message, "error while parsing: ")
	}
	return r
}

// materialize writes the schema of every kind in docs that the bundle
// knows and that is not yet on disk.
func (v *Validator) materialize(docs []document) error {
	if v.bundle == nil && len(v.remotes) == 0 {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range docs {
		av, kind, ok := signature(&docs[i].res)
		if !ok {
			continue
		}
		key := av + "/" + kind
		if v.written[key] {
			continue
		}
		embedded := false
		if v.bundle != nil {
			var err error
			if embedded, err = v.writeSchema(av, kind); err != nil {
				return err
			}
			v.embedded[key] = embedded
		}
		for _, r := range v.remotes {
			if embedded {
				break
			}
			if err := v.fetch(r, av, kind); err != nil {
				return err
			}
		}
		v.written[key] = true
	}
	return nil
}

// writeSchema writes the embedded schema of apiVersion/kind, reporting
// whether there is one.
func (v *Validator) writeSchema(apiVersion, kind string) (bool, error) {
	suffix := ""
	if v.opts.Strict {
		suffix = "-strict"
	}
	dir := filepath.Join(v.dir, "v"+v.opts.KubernetesVersion+"-standalone"+suffix)
	name := filepath.Join(dir, strings.ToLower(kind)+kindSuffix(apiVersion)+".json")
	if _, err := os.Stat(name); err == nil {
		return true, nil // the folder is named by the bundle's hash, so it is current
	}
	doc, ok, err := v.bundle.standalone(apiVersion, kind, v.opts.Strict)
	if err != nil || !ok {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("write schema: %w", err)
	}
	// Write and rename, so that a concurrent reader (another process
	// sharing the cache) never sees half a file.
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return false, fmt.Errorf("write schema: %w", err)
	}
	_, werr := tmp.Write(doc)
	werr = errors.Join(werr, tmp.Chmod(0o644))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return false, fmt.Errorf("write schema: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return false, fmt.Errorf("write schema: %w", err)
	}
	return true, nil
}

// causeRe finds the causes in kubeconform's flattened jsonschema error:
// each is "- at '<pointer>': <message>", indented two spaces per level
// (the newlines became single spaces).
var causeRe = regexp.MustCompile(`( +)- at '((?:[^'\\]|\\.)*)': `)

// leafErrors turns the cause tree of a validation error into the errors a
// person can act on: the leaves, except that a failed oneOf/anyOf is kept
// whole rather than listed branch by branch. kubeconform's own
// ValidationErrors hold only the first level, which is often just
// "/spec: validation failed".
func leafErrors(text string) []FieldError {
	type cause struct {
		depth     int
		path, msg string
	}
	var causes []cause
	locs := causeRe.FindAllStringSubmatchIndex(text, -1)
	for i, m := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		causes = append(causes, cause{
			depth: (m[3] - m[2]) / 2,
			path:  text[m[4]:m[5]],
			msg:   strings.TrimSpace(text[m[1]:end]),
		})
	}
	var out []FieldError
	for i := 0; i < len(causes); i++ {
		c := causes[i]
		leaf := i+1 == len(causes) || causes[i+1].depth <= c.depth
		choice := strings.Contains(c.msg, "oneOf") || strings.Contains(c.msg, "anyOf")
		if leaf || choice {
			out = append(out, FieldError{Path: c.path, Message: c.msg})
		}
		if choice {
			for i+1 < len(causes) && causes[i+1].depth > c.depth {
				i++
			}
		}
	}
	// The validator reports causes in map order; sort for stable output.
	sort.SliceStable(out, func(a, b int) bool { return out[a].Path < out[b].Path })
	return out
}
