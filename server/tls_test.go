package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/stackgen/aiden/auth"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/server"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn: a server certificate for
// 127.0.0.1, or a client one.
func (ca *testCA) issue(t *testing.T, cn string, serial int64, client bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if client {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsServer serves the API over TLS as aiden serve --tls-cert does, and
// returns its address.
func tlsServer(t *testing.T, opts server.TLSOptions, sopts server.Options) string {
	t.Helper()
	cfg, err := server.TLSConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewHTTPSServer("", server.New(generator.New(generator.Options{}), sopts), cfg)
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func httpsClient(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: certs},
		ForceAttemptHTTP2: true,
	}}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "test CA")
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	c, k := ca.issue(t, "aiden one", 2, false)
	write(t, certFile, c)
	write(t, keyFile, k)
	addr := tlsServer(t, server.TLSOptions{CertFile: certFile, KeyFile: keyFile}, server.Options{})

	// ALPN offers h2 first.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().NegotiatedProtocol; got != "h2" {
		t.Errorf("ALPN negotiated %q, want h2", got)
	}
	if got := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "aiden one" {
		t.Errorf("served certificate %q", got)
	}
	conn.Close()
	conn, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().NegotiatedProtocol; got != "http/1.1" {
		t.Errorf("ALPN for an HTTP/1.1 client negotiated %q", got)
	}
	conn.Close()

	// Connect and gRPC over HTTP/2, and gRPC-Web.
	client := httpsClient(ca.pool)
	for _, p := range protocols {
		gen := aidenv1connect.NewGenerateServiceClient(client, "https://"+addr, p.opts...)
		resp, err := gen.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: redisIntent, TargetPath: "apps/redis"}))
		if err != nil || len(resp.Msg.GetFiles()) == 0 {
			t.Errorf("%s over TLS: %v", p.name, err)
		}
	}
	resp, err := client.Get("https://" + addr + "/generations/x.patch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("protocol %s, want HTTP/2.0", resp.Proto)
	}

	// grpc-go, as grpcurl and most gRPC clients are.
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.pool})))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hc, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("grpc-go health check over TLS: %v, %v", hc, err)
	}

	// A renewed certificate is served from the next handshake on.
	c, k = ca.issue(t, "aiden two", 3, false)
	write(t, certFile+".new", c)
	write(t, keyFile, k)
	if err := os.Rename(certFile+".new", certFile); err != nil {
		t.Fatal(err)
	}
	conn, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "aiden two" {
		t.Errorf("after renewal the server presents %q, want aiden two", got)
	}
	conn.Close()

	// A half-written renewal (a key that does not match) keeps the last
	// good pair in service.
	_, k = ca.issue(t, "aiden three", 4, false)
	write(t, keyFile, k)
	conn, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool})
	if err != nil {
		t.Fatalf("mismatched renewal: %v", err)
	}
	if got := conn.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "aiden two" {
		t.Errorf("with a mismatched key the server presents %q, want aiden two", got)
	}
	conn.Close()
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "server CA")
	clients := newCA(t, "client CA")
	stranger := newCA(t, "stranger CA")
	certFile, keyFile, caFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "clients.pem")
	c, k := ca.issue(t, "aiden", 2, false)
	write(t, certFile, c)
	write(t, keyFile, k)
	write(t, caFile, clients.pem)
	pair := func(ca *testCA, cn string) tls.Certificate {
		c, k := ca.issue(t, cn, 5, true)
		kp, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}

	for _, required := range []bool{true, false} {
		name := map[bool]string{true: "required", false: "optional"}[required]
		t.Run(name, func(t *testing.T) {
			addr := tlsServer(t, server.TLSOptions{CertFile: certFile, KeyFile: keyFile, ClientCAFile: caFile, RequireClientCert: required},
				server.Options{Store: openStore(t), Auth: auth.Chain{auth.Certificates{Roles: auth.DefaultRoles}}})
			call := func(c *http.Client) (*connect.Response[aidenv1.ListGenerationsResponse], error) {
				return aidenv1connect.NewGenerateServiceClient(c, "https://"+addr, connect.WithGRPC()).
					ListGenerations(context.Background(), connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
			}
			if _, err := call(httpsClient(ca.pool, pair(clients, "ci.example.com"))); err != nil {
				t.Errorf("with a client certificate: %v", err)
			}
			_, err := call(httpsClient(ca.pool))
			switch {
			case required && (err == nil || code(err) == connect.CodeUnauthenticated):
				t.Errorf("without a client certificate: %v, want the handshake refused", err)
			case !required && code(err) != connect.CodeUnauthenticated:
				t.Errorf("without a client certificate: %v, want unauthenticated", err)
			}
			if _, err := call(httpsClient(ca.pool, pair(stranger, "ci.example.com"))); err == nil {
				t.Error("a certificate of another CA was accepted")
			}
		})
	}
}
