package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"
)

// TLSOptions configure HTTPS.
type TLSOptions struct {
	// CertFile and KeyFile hold the PEM certificate chain and key. Both are
	// read again on the first handshake after either changes, so a renewed
	// certificate is served without a restart.
	CertFile, KeyFile string
	// ClientCAFile holds the PEM certificates of the CAs whose client
	// certificates are accepted; empty asks for none. It is read once.
	ClientCAFile string
	// RequireClientCert refuses a connection without a client certificate
	// that verifies; otherwise one is verified when it is given.
	RequireClientCert bool
	// Logger hears of reloads; nil discards.
	Logger *slog.Logger
}

// TLSConfig returns the configuration for HTTP/2 and HTTP/1.1 over TLS
// (offered in that order by ALPN), TLS 1.2 at least.
func TLSConfig(opts TLSOptions) (*tls.Config, error) {
	if opts.CertFile == "" || opts.KeyFile == "" {
		return nil, errors.New("tls: both a certificate and a key file are needed")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	kp := &keyPair{certFile: opts.CertFile, keyFile: opts.KeyFile, log: opts.Logger}
	if err := kp.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: kp.get,
	}
	if opts.ClientCAFile != "" {
		pem, err := os.ReadFile(opts.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: client CAs: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls: client CAs: no PEM certificate in %s", opts.ClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if opts.RequireClientCert {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return cfg, nil
}

// NewHTTPSServer returns an http.Server for handler that speaks HTTP/2 and
// HTTP/1.1 over TLS with cfg; serve it with ServeTLS(ln, "", "").
func NewHTTPSServer(addr string, handler http.Handler, cfg *tls.Config) *http.Server {
	srv := NewHTTPServer(addr, handler)
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	srv.Protocols = &protocols
	srv.TLSConfig = cfg
	return srv
}

// keyPair serves a certificate and key from files, read again when either
// file changes.
type keyPair struct {
	certFile, keyFile string
	log               *slog.Logger

	mu     sync.Mutex
	stamps [2]stamp
	cert   *tls.Certificate
}

type stamp struct {
	size    int64
	modTime time.Time
}

func stat(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{fi.Size(), fi.ModTime()}, nil
}

// load reads the pair when either file changed since the last read; a
// pair that does not load (a renewal half written) leaves the last good
// one in service. kp.mu must be held, or kp not yet shared.
func (kp *keyPair) load() error {
	c, err1 := stat(kp.certFile)
	k, err2 := stat(kp.keyFile)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	if kp.cert != nil && c == kp.stamps[0] && k == kp.stamps[1] {
		return nil
	}
	kp.stamps = [2]stamp{c, k}
	cert, err := tls.LoadX509KeyPair(kp.certFile, kp.keyFile)
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	if kp.cert != nil {
		kp.log.Info("tls certificate reloaded", "file", kp.certFile)
	}
	kp.cert = &cert
	return nil
}

func (kp *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	if err := kp.load(); err != nil {
		kp.log.Warn("tls certificate not reloaded; serving the previous one", "error", err)
	}
	return kp.cert, nil
}
