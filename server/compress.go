package server

import (
	"compress/gzip"
	"io"
	"runtime"

	"connectrpc.com/connect"
)

// fastGzip replaces Connect's gzip (the standard library's default level,
// 6) with gzip at BestSpeed (level 1) for what the handlers send; reading
// gzip is the same at any level. A response is YAML and a diff of it: on
// the Redis with Sentinel chart's files twice (43 KiB) level 1 is 3 to 5
// times faster than level 6 and its output 29 % larger (8.0 against
// 6.2 KiB), while compression was 8 % of a model-backed request's CPU
// (docs/benchmarks.md, "CPU per request, second pass"). Level 1 is also
// nginx's default (gzip_comp_level).
//
// The writers are kept in gzipWriters, not only in Connect's sync.Pool: a
// garbage collection empties a sync.Pool, and a model-backed request runs
// several, so nearly every response allocated a new writer (about 340 KiB,
// 6 % of the bytes a request allocates).
func fastGzip() connect.HandlerOption {
	writers := newGzipWriters(runtime.GOMAXPROCS(0))
	return connect.WithCompression("gzip",
		func() connect.Decompressor { return &gzip.Reader{} },
		func() connect.Compressor { return &pooledGzip{writers: writers, dst: io.Discard} })
}

// gzipWriters keeps up to a number of idle gzip writers at BestSpeed.
type gzipWriters struct{ free chan *gzip.Writer }

func newGzipWriters(n int) *gzipWriters { return &gzipWriters{free: make(chan *gzip.Writer, n)} }

func (p *gzipWriters) get(dst io.Writer) *gzip.Writer {
	select {
	case w := <-p.free:
		w.Reset(dst)
		return w
	default:
		w, _ := gzip.NewWriterLevel(dst, gzip.BestSpeed) // the level is valid: no error
		return w
	}
}

func (p *gzipWriters) put(w *gzip.Writer) {
	w.Reset(io.Discard) // keep no reference to the response
	select {
	case p.free <- w:
	default: // enough idle writers: let this one go
	}
}

// pooledGzip is a connect.Compressor that holds a gzip writer from its
// gzipWriters only from its first Write (or Close) to its Close, so that
// an idle one in Connect's pool holds none.
type pooledGzip struct {
	writers *gzipWriters
	dst     io.Writer
	w       *gzip.Writer
}

// Reset starts a new stream to dst.
func (c *pooledGzip) Reset(dst io.Writer) {
	c.dst = dst
	if c.w != nil {
		c.w.Reset(dst)
	}
}

// Write compresses p.
func (c *pooledGzip) Write(p []byte) (int, error) {
	if c.w == nil {
		c.w = c.writers.get(c.dst)
	}
	return c.w.Write(p)
}

// Close ends the stream (an empty one when nothing was written) and gives
// the writer back.
func (c *pooledGzip) Close() error {
	if c.w == nil {
		c.w = c.writers.get(c.dst)
	}
	err := c.w.Close()
	c.writers.put(c.w)
	c.w = nil
	return err
}
