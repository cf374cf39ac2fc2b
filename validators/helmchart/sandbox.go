package helmchart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stackgen/aiden/workspace"
)

// A chart's templates are programs: `tpl` calling itself through a value,
// `range until 10000000` or `repeat` inside `repeat` run for minutes,
// take gigabytes or overflow the stack (fatal in Go), and Go's
// text/template cannot be stopped from outside. Isolate moves rendering
// into a child process that the operating system bounds (RLIMIT_AS) and
// that is killed at its deadline; the parent gets a message back and its
// memory is never touched.

// Limits bound one render.
type Limits struct {
	// MaxOutput is the most bytes a chart may render to, all templates
	// together. Default: 16 MiB.
	MaxOutput int64
	// MaxMemory is the address space an isolated render may take beyond
	// what its process holds when it starts. Default: 1 GiB.
	MaxMemory int64
	// Timeout bounds an isolated render; a request's earlier deadline
	// applies too. Default: 30s.
	Timeout time.Duration
}

// Default limits.
const (
	DefaultMaxOutput = 16 << 20
	DefaultMaxMemory = 1 << 30
	DefaultTimeout   = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultMaxOutput
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

type isolation struct {
	command []string
	limits  Limits
}

var sandbox atomic.Pointer[isolation]

// limits are the limits in force, defaults without Isolate.
func limits() Limits {
	if sb := sandbox.Load(); sb != nil {
		return sb.limits
	}
	return Limits{}.withDefaults()
}

// childEnv marks the child process and carries its memory limit.
const childEnv = "AIDEN_HELMCHART_CHILD_MAX_MEMORY"

// Isolate makes every Render in this process run in a child process
// started with command (typically this executable: it must call
// RunIfChild first thing in main), within l. A nil command renders in
// this process again, where only MaxOutput applies.
func Isolate(command []string, l Limits) {
	if len(command) == 0 {
		sandbox.Store(nil)
		return
	}
	sandbox.Store(&isolation{command: command, limits: l.withDefaults()})
}

// childRequest is what the parent writes to the child's stdin.
type childRequest struct {
	Options   Options
	Files     []workspace.File
	MaxOutput int64
}

// RunIfChild returns at once unless this process was started by Isolate
// to render a chart; then it renders the chart read from stdin, writes the
// Result to stdout and exits.
func RunIfChild() {
	v, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	maxMemory, err := strconv.ParseInt(v, 10, 64)
	if err == nil {
		err = limitSelf(maxMemory)
	}
	if err == nil {
		err = serveChild(os.Stdin, os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "render chart: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// limitSelf caps this process's address space at what it maps now plus
// maxMemory, and its stack at a quarter of that, so that runaway recursion
// fails as a stack overflow before the memory limit is reached.
func limitSelf(maxMemory int64) error {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return fmt.Errorf("read address space size: %w", err)
	}
	pages, err := strconv.ParseInt(strings.Fields(string(statm))[0], 10, 64)
	if err != nil {
		return fmt.Errorf("read address space size: %w", err)
	}
	limit := uint64(pages*int64(os.Getpagesize()) + maxMemory)
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		return fmt.Errorf("limit address space: %w", err)
	}
	debug.SetMemoryLimit(maxMemory / 2)
	debug.SetMaxStack(int(maxMemory / 4))
	return nil
}

func serveChild(in io.Reader, out io.Writer) error {
	var req childRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	r, err := New(req.Options)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(r.render(req.Files, req.MaxOutput))
}

// renderIsolated renders files in a child process within sb's limits.
func (r *Renderer) renderIsolated(ctx context.Context, sb *isolation, files []workspace.File) (Result, error) {
	in, err := json.Marshal(childRequest{Options: r.opts, Files: files, MaxOutput: sb.limits.MaxOutput})
	if err != nil {
		return Result{}, fmt.Errorf("render chart: %w", err)
	}
	runCtx, cancel := context.WithTimeout(ctx, sb.limits.Timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, sb.command[0], sb.command[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+strconv.FormatInt(sb.limits.MaxMemory, 10))
	cmd.Stdin = bytes.NewReader(in)
	// JSON carries file content as base64: a third more than the output.
	stdout := &cappedBuffer{max: sb.limits.MaxOutput*2 + 1<<20}
	stderr := &cappedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("render chart: %w", ctx.Err())
	}
	name := chartName(files)
	fail := func(text string) (Result, error) {
		return Result{Name: name, Messages: []Message{{Check: "render", Level: Error, Text: text}}}, nil
	}
	switch {
	case runCtx.Err() != nil:
		return fail(fmt.Sprintf("rendering chart %q took longer than the limit of %s: a template loops or recurses too long (range over until, repeat, tpl)", name, sb.limits.Timeout))
	case runErr == nil && !stdout.over:
		var res Result
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			return Result{}, fmt.Errorf("render chart: read child's answer: %w", err)
		}
		return res, nil
	case stdout.over:
		return fail(fmt.Sprintf("chart %q rendered more than the limit of %s", name, size(sb.limits.MaxOutput)))
	}
	msg := stderr.String()
	var exit *exec.ExitError
	switch {
	case strings.Contains(msg, "stack exceeds") || strings.Contains(msg, "stack overflow"):
		return fail(fmt.Sprintf("rendering chart %q recursed past the stack limit of %s: a template calls itself (tpl or include)", name, size(sb.limits.MaxMemory/4)))
	case strings.Contains(msg, "out of memory") || strings.Contains(msg, "cannot allocate memory"):
		return fail(fmt.Sprintf("rendering chart %q used more than the memory limit of %s", name, size(sb.limits.MaxMemory)))
	case errors.As(runErr, &exit):
		first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		return fail(fmt.Sprintf("rendering chart %q failed: the renderer exited (%s): %s", name, exit.ProcessState, first))
	}
	return Result{}, fmt.Errorf("render chart: run renderer: %w", runErr)
}

// capOutput turns a result past maxOutput bytes into an Error message.
func capOutput(res Result, maxOutput int64) Result {
	var n int64
	for _, m := range res.Manifests {
		n += int64(len(m.Content))
	}
	if n <= maxOutput {
		return res
	}
	return Result{Name: res.Name, Messages: append(res.Messages, Message{Check: "render", Level: Error,
		Text: fmt.Sprintf("chart %q rendered %s, more than the limit of %s", res.Name, size(n), size(maxOutput))})}
}

func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// cappedBuffer keeps the first max bytes written and notes the rest.
type cappedBuffer struct {
	bytes.Buffer
	max  int64
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - int64(b.Len()); int64(len(p)) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
