package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/slack"
	"github.com/stackgen/aiden/validators/helmchart"
)

// limitFlags are serve's bounds on the work one request or caller may
// cause, and on where the server reaches out to. docs/security.md
// lists them.
type limitFlags struct {
	requestTimeout time.Duration
	bodyTimeout    time.Duration
	idleTimeout    time.Duration
	maxConnections int

	perMinute  float64
	burst      int
	concurrent int

	renderTimeout   time.Duration
	renderMemoryMiB int64
	renderOutputMiB int64
	renderInProcess bool

	schemaLocations []string
	slackBases      []string
}

func (f *limitFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&f.requestTimeout, "request-timeout", server.DefaultRequestTimeout, "time limit of one request, model calls, rendering and checks included (the model's share is --model-timeout)")
	fl.DurationVar(&f.bodyTimeout, "body-timeout", 30*time.Second, "time a client has to send a request's body")
	fl.DurationVar(&f.idleTimeout, "idle-timeout", 2*time.Minute, "close a keep-alive connection idle this long")
	fl.IntVar(&f.maxConnections, "max-connections", 512, "connections open at once; more wait to be accepted")
	fl.Float64Var(&f.perMinute, "generations-per-minute", 10, "model-backed generations one caller may start a minute")
	fl.IntVar(&f.burst, "generation-burst", 5, "model-backed generations one caller may start at once after a quiet spell")
	fl.IntVar(&f.concurrent, "concurrent-generations", 2, "model-backed generations one caller may have running")
	fl.DurationVar(&f.renderTimeout, "render-timeout", helmchart.DefaultTimeout, "time limit of rendering one chart")
	fl.Int64Var(&f.renderMemoryMiB, "render-memory-mib", helmchart.DefaultMaxMemory>>20, "memory limit of rendering one chart, in MiB")
	fl.Int64Var(&f.renderOutputMiB, "render-output-mib", helmchart.DefaultMaxOutput>>20, "most output one chart may render to, in MiB")
	fl.BoolVar(&f.renderInProcess, "render-in-process", false, "render charts in the server process, without the memory and time limits (trusted callers only)")
	fl.StringArrayVar(&f.schemaLocations, "schema-location", nil, "extra kubeconform schema location for custom resources (repeatable); requests may not name their own")
	fl.StringArrayVar(&f.slackBases, "slack-response-base", nil, "URL prefix Slack response URLs may start with besides Slack's own hosts over HTTPS (repeatable)")
}

// limits returns the server's limits; generations are limited only when a
// model does the work.
func (f *limitFlags) limits(modelBacked bool) server.Limits {
	l := server.Limits{RequestTimeout: f.requestTimeout}
	if modelBacked {
		l.Generations = &server.GenerationLimit{PerMinute: f.perMinute, Burst: f.burst, Concurrent: f.concurrent}
	}
	return l
}

// slackResponseBases are Slack's bases plus the flag's.
func (f *limitFlags) slackResponseBases() []string {
	if len(f.slackBases) == 0 {
		return nil
	}
	return append(append([]string{}, slack.DefaultResponseBases...), f.slackBases...)
}

// apply sets the HTTP limits on srv and its listener, and moves chart
// rendering into child processes of this executable.
func (f *limitFlags) apply(srv *http.Server, ln net.Listener) (net.Listener, error) {
	hl := server.HTTPLimits{BodyTimeout: f.bodyTimeout, IdleTimeout: f.idleTimeout, MaxConnections: f.maxConnections}
	hl.Apply(srv, f.requestTimeout)
	if !f.renderInProcess {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this executable for chart rendering: %w", err)
		}
		helmchart.Isolate([]string{exe}, helmchart.Limits{
			MaxOutput: f.renderOutputMiB << 20, MaxMemory: f.renderMemoryMiB << 20, Timeout: f.renderTimeout})
	}
	return hl.Listener(ln), nil
}
