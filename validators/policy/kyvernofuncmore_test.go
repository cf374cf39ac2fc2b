package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// clockEnv is the evaluator's JMESPath environment with a fixed clock.
func clockEnv(now time.Time) *kyvernoEnv {
	env := newKyvernoEnv()
	for _, f := range kyvernoTimeFunctions(func() time.Time { return now }) {
		env.fc.Register(f)
	}
	return env
}

type fnCase struct {
	expr    string
	want    any
	wantErr string // a substring of the error; the case expects an error when set
}

func runFnCases(t *testing.T, env *kyvernoEnv, data any, cases []fnCase) {
	t.Helper()
	for _, c := range cases {
		got, err := env.search(c.expr, data)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: got %v, error %v; want an error containing %q", c.expr, got, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

func TestKyvernoTimeFunctions(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	runFnCases(t, clockEnv(now), nil, []fnCase{
		{expr: "time_now()", want: "2026-11-29T10:00:00+01:00"},
		{expr: "time_now_utc()", want: "2026-11-29T09:00:00Z"},
		{expr: "time_now('x')", wantErr: "time_now: 0 argument(s) expected, got 1"},
		{expr: "time_utc('2021-01-02T18:04:05-05:00')", want: "2021-01-02T23:04:05Z"},
		{expr: "time_utc('yesterday')", wantErr: `time_utc: argument 1 "yesterday" is not an RFC 3339 time`},
		{expr: "time_add('2021-01-02T15:04:05Z', '1h30m')", want: "2021-01-02T16:34:05Z"},
		{expr: "time_add('2021-01-02T15:04:05-05:00', '-24h')", want: "2021-01-01T15:04:05-05:00"},
		{expr: "time_add(`1`, '1h')", wantErr: "time_add: argument 1 must be a string, got a number"},
		{expr: "time_add('2021-01-02T15:04:05Z', 'soon')", wantErr: `time_add: argument 2 "soon" is not a duration`},
		{expr: "time_add('2021-01-02T15:04:05Z')", wantErr: "time_add: 2 argument(s) expected, got 1"},
		{expr: "time_truncate('2023-02-02T15:04:05Z', '1h')", want: "2023-02-02T15:00:00Z"},
		{expr: "time_truncate('2023-02-02T15:04:05Z', `true`)", wantErr: "time_truncate: argument 2 must be a string, got a boolean"},
		{expr: "time_diff('2021-01-01T00:00:00Z', '2021-01-02T00:30:00Z')", want: "24h30m0s"},
		{expr: "time_diff('2021-01-02T00:00:00Z', '2021-01-01T00:00:00Z')", want: "-24h0m0s"},
		{expr: "time_diff('2021-01-01', '2021-01-02T00:00:00Z')", wantErr: `time_diff: argument 1 "2021-01-01" is not an RFC 3339 time`},
		{expr: "time_before('2021-01-01T00:00:00Z', '2021-01-01T00:00:01Z')", want: true},
		{expr: "time_before('2021-01-01T00:00:01Z', '2021-01-01T00:00:00Z')", want: false},
		{expr: "time_after('2021-01-01T01:00:00+01:00', '2021-01-01T00:00:00Z')", want: false},
		{expr: "time_after('2021-01-01T00:00:01Z', '2021-01-01T00:00:00Z')", want: true},
		{expr: "time_after('2021-01-01T00:00:01Z', `[]`)", wantErr: "time_after: argument 2 must be a string, got an array"},
		{expr: "time_between('2021-01-01T12:00:00Z', '2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z')", want: true},
		{expr: "time_between('2021-01-01T00:00:00Z', '2021-01-01T00:00:00Z', '2021-01-02T00:00:00Z')", want: false},
		{expr: "time_between('2021-01-01T00:00:00Z', '2021-01-01T00:00:00Z', null)", wantErr: "time_between: argument 3 must be a string, got null"},
		{expr: "time_to_cron('2023-02-02T15:04:05Z')", want: "4 15 2 2 4"},
		{expr: "time_to_cron('2023-02-02 15:04')", wantErr: "time_to_cron: argument 1"},
		{expr: "time_parse('Mon Jan 02 2006 15:04:05 -0700', 'Wed Jun 22 2022 17:45:00 +0100')", want: "2022-06-22T17:45:00+01:00"},
		{expr: "time_parse('2006-01-02', '2022-06-22')", want: "2022-06-22T00:00:00Z"},
		{expr: "time_parse('1702691171', '1702691171')", want: "2023-12-16T01:46:11Z"},
		{expr: "time_parse('1', 'noon')", wantErr: `time_parse: argument 2 "noon" is not Unix seconds`},
		{expr: "time_parse('2006-01-02', 'June')", wantErr: "time_parse: argument 2"},
		{expr: "time_since('', '2021-01-01T00:00:00Z', '2021-01-01T01:00:00Z')", want: "1h0m0s"},
		{expr: "time_since('', '2026-11-29T08:00:00Z', '')", want: "1h0m0s"},
		{expr: "time_since('2006-01-02', '2021-01-01', '2021-01-03')", want: "48h0m0s"},
		{expr: "time_since('', 'then', '')", wantErr: "time_since: argument 2"},
		{expr: "time_since('', '2021-01-01T00:00:00Z', 'now')", wantErr: "time_since: argument 3"},
		{expr: "time_since('', '2021-01-01T00:00:00Z', `{}`)", wantErr: "time_since: argument 3 must be a string, got an object"},
	})
}

func TestImageNormalizeAndExternalURL(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	runFnCases(t, newKyvernoEnv(), nil, []fnCase{
		{expr: "image_normalize('nginx')", want: "docker.io/nginx:latest"},
		{expr: "image_normalize('docker.io/nginx')", want: "docker.io/nginx:latest"},
		{expr: "image_normalize('docker.io/library/nginx')", want: "docker.io/library/nginx:latest"},
		{expr: "image_normalize('bitnami/redis:7.2')", want: "docker.io/bitnami/redis:7.2"},
		{expr: "image_normalize('ghcr.io/nginx:1.2')", want: "ghcr.io/nginx:1.2"},
		{expr: "image_normalize('localhost:5000/team/app@" + digest + "')", want: "localhost:5000/team/app@" + digest},
		{expr: "image_normalize('')", wantErr: "image_normalize: bad image"},
		{expr: "image_normalize('Nginx')", wantErr: "image_normalize: bad image Nginx"},
		{expr: "image_normalize('nginx:bad tag')", wantErr: "image_normalize: bad image nginx:bad tag: invalid tag"},
		{expr: "image_normalize(`5`)", wantErr: "image_normalize: argument 1 must be a string, got a number"},

		{expr: "is_external_url('http://localhost')", want: false},
		{expr: "is_external_url('http://api.localhost:8080/x')", want: false},
		{expr: "is_external_url('http://127.0.0.1')", want: false},
		{expr: "is_external_url('http://10.1.1.1')", want: false},
		{expr: "is_external_url('http://172.16.1.1')", want: false},
		{expr: "is_external_url('http://192.168.0.1/path')", want: false},
		{expr: "is_external_url('http://[::1]:8080')", want: false},
		{expr: "is_external_url('http://[fd00::1]/')", want: false},
		{expr: "is_external_url('https://8.8.8.8')", want: true},
		{expr: "is_external_url('https://[2001:4860:4860::8888]/dns')", want: true},
		{expr: "is_external_url('https://example.com')", wantErr: `is_external_url: host "example.com" is a name; resolving it needs DNS`},
		{expr: "is_external_url('/just/a/path')", wantErr: `is_external_url: "/just/a/path" has no host`},
		{expr: "is_external_url('http://[::1')", wantErr: "is_external_url: parse"},
		{expr: "is_external_url(`{}`)", wantErr: "is_external_url: argument 1 must be a string, got an object"},
	})
}

func TestRandom(t *testing.T) {
	env := newKyvernoEnv()
	for _, p := range []string{
		`[0-9a-z]{8}`, `[A-Z][a-z]+-\d{3}`, `a|b|c`, `^abc$`, `(?i)kyverno`, `.{5}`, `[^a-z]{4}`,
		`\S+@\S+\.com`, `x*y?z{2,}`, `[α-ω]{3}`, `(ab|cd){2,4}`, `\w{1,3}\s\W`, `[[:upper:]]{2}`, `\pL\p{Greek}`,
	} {
		full := regexp.MustCompile(`^(?:` + p + `)$`)
		for range 20 {
			got, err := env.search("random(pattern)", map[string]any{"pattern": p})
			if err != nil {
				t.Fatalf("random(%q): %v", p, err)
			}
			s, ok := got.(string)
			if !ok || !full.MatchString(s) {
				t.Fatalf("random(%q) = %#v, which the pattern does not match in full", p, got)
			}
		}
	}
	got, err := env.search("random('[0-9a-z]{8}')", nil)
	if err != nil || len(got.(string)) != 8 {
		t.Errorf("random('[0-9a-z]{8}') = %#v, %v; want 8 characters", got, err)
	}
	// Twenty 16-character strings from 36 characters are all different
	// unless the generator is broken.
	seen := map[any]bool{}
	for range 20 {
		v, _ := env.search("random('[0-9a-z]{16}')", nil)
		seen[v] = true
	}
	if len(seen) != 20 {
		t.Errorf("random gave %d distinct strings in 20 calls", len(seen))
	}
	runFnCases(t, env, nil, []fnCase{
		{expr: "random('')", wantErr: "random: argument 1 is an empty pattern"},
		{expr: "random('(')", wantErr: "random: error parsing regexp: missing closing )"},
		{expr: `random('a\bb')`, wantErr: `random: \b is not supported`},
		{expr: "random('a{1000}{1000}')", wantErr: "random:"},
		{expr: "random(`1`)", wantErr: "random: argument 1 must be a string, got a number"},
	})
	runFnCases(t, env, map[string]any{"long": strings.Repeat("a{1000}", 70)}, []fnCase{
		{expr: "random(long)", wantErr: "random: the pattern's strings are longer than 65536 bytes"},
	})
}

func TestX509Decode(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: "aiden.example", Organization: []string{"StackGen"}},
		NotBefore:    notBefore,
		NotAfter:     notBefore.Add(24 * time.Hour),
		DNSNames:     []string{"aiden.example", "www.aiden.example"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "csr.example"}, DNSNames: []string{"csr.example"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}))
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{
		"cert": certPEM,
		"b64":  base64.StdEncoding.EncodeToString([]byte(certPEM)),
		"csr":  csrPEM,
		"ec":   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ecDER})),
		"key":  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
	}
	runFnCases(t, newKyvernoEnv(), data, []fnCase{
		{expr: "x509_decode(cert).Subject.CommonName", want: "aiden.example"},
		{expr: "x509_decode(cert).Subject.Organization", want: []any{"StackGen"}},
		{expr: "x509_decode(cert).Issuer.CommonName", want: "aiden.example"},
		{expr: "x509_decode(cert).SerialNumber", want: float64(4242)},
		{expr: "x509_decode(cert).NotBefore", want: "2026-01-02T03:04:05Z"},
		{expr: "x509_decode(cert).NotAfter", want: "2026-01-03T03:04:05Z"},
		{expr: "x509_decode(cert).DNSNames", want: []any{"aiden.example", "www.aiden.example"}},
		{expr: "x509_decode(cert).IsCA", want: true},
		{expr: "x509_decode(cert).PublicKeyAlgorithm", want: float64(x509.RSA)},
		{expr: "x509_decode(cert).PublicKey", want: map[string]any{"N": key.N.String(), "E": float64(65537)}},
		{expr: "x509_decode(base64_decode(b64)).Subject.CommonName", want: "aiden.example"},
		{expr: "x509_decode(csr).Subject.CommonName", want: "csr.example"},
		{expr: "x509_decode(csr).DNSNames", want: []any{"csr.example"}},
		{expr: "x509_decode(csr).PublicKey.E", want: float64(65537)},
		{expr: "x509_decode(ec)", wantErr: "x509_decode: the certificate's key is ECDSA; only RSA keys are decoded"},
		{expr: "x509_decode(key)", wantErr: `x509_decode: PEM block is "RSA PRIVATE KEY", not a CERTIFICATE or CERTIFICATE REQUEST`},
		{expr: "x509_decode('not a certificate')", wantErr: "x509_decode: argument 1 holds no PEM block"},
		{expr: "x509_decode(`[1]`)", wantErr: "x509_decode: argument 1 must be a string, got an array"},
	})
}

// TestKyvernoFunctionsInRules shows a rule using the added functions is
// evaluated (pass or fail), and one that needs DNS is reported as an
// error (not evaluated offline) with the reason.
func TestKyvernoFunctionsInRules(t *testing.T) {
	p := mustPolicy(t, `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: images
spec:
  validationFailureAction: Enforce
  rules:
  - name: no-docker-hub
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "{{ image_normalize(request.object.spec.containers[0].image) }} is on Docker Hub"
      deny:
        conditions:
          any:
          - key: "{{ starts_with(image_normalize(request.object.spec.containers[0].image), 'docker.io/') }}"
            operator: Equals
            value: true
  - name: not-expired
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "expiry has passed"
      deny:
        conditions:
          any:
          - key: "{{ time_before(request.object.metadata.annotations.expires, '2000-01-01T00:00:00Z') }}"
            operator: Equals
            value: true
  - name: internal-webhook
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "the webhook must be internal"
      deny:
        conditions:
          any:
          - key: "{{ is_external_url(request.object.metadata.annotations.webhook) }}"
            operator: Equals
            value: true
`)
	pod := func(image, expires, webhook string) map[string]any {
		return mustObject(t, `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    expires: "`+expires+`"
    webhook: "`+webhook+`"
spec:
  containers:
  - name: web
    image: `+image+`
`)
	}
	status := func(rs []RuleResult) map[string]string {
		out := map[string]string{}
		for _, r := range rs {
			out[r.Rule] = string(r.Status) + ": " + r.Message
		}
		return out
	}
	got := status(p.Apply(pod("nginx", "1999-12-31T00:00:00Z", "http://10.0.0.1/hook")))
	want := map[string]string{
		"no-docker-hub":    "fail: docker.io/nginx:latest is on Docker Hub",
		"not-expired":      "fail: expiry has passed",
		"internal-webhook": "pass: ",
	}
	for rule, w := range want {
		if !strings.HasPrefix(got[rule], w) {
			t.Errorf("rule %s: got %q, want %q", rule, got[rule], w)
		}
	}
	got = status(p.Apply(pod("ghcr.io/acme/web:1.0", "2030-01-01T00:00:00Z", "https://hooks.example.com")))
	if !strings.HasPrefix(got["no-docker-hub"], "pass") || !strings.HasPrefix(got["not-expired"], "pass") {
		t.Errorf("got %v, want no-docker-hub and not-expired to pass", got)
	}
	if g := got["internal-webhook"]; !strings.HasPrefix(g, "error") || !strings.Contains(g, "resolving it needs DNS") {
		t.Errorf("internal-webhook: got %q, want an error saying DNS is needed", g)
	}
}
