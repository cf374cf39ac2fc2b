package secrets

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"sigs.k8s.io/yaml"
)

func TestRedactExample(t *testing.T) {
	in := lines(
		"db:",
		"  host: db",
		"  password: hunter2 # rotate me",
		"  url: postgres://app:Sup3rS3cret@db:5432/app",
		`github: {token: "`+ghp+`"}`,
		"tls:",
		"  key: |",
		"    "+pem("RSA PRIVATE KEY", "    "),
		"next: 1",
	)
	want := lines(
		"db:",
		"  host: db",
		"  password: <redacted:generic-password> # rotate me",
		"  url: postgres://app:<redacted:basic-auth-url>@db:5432/app",
		`github: {token: "<redacted:github-token>"}`,
		"tls:",
		"  key: |",
		"    <redacted:private-key>",
		"", "", "", "", "",
		"next: 1",
	)
	got, n := Redact([]byte(in))
	if string(got) != want || n != 4 {
		t.Errorf("Redact() = %d,\n%s\nwant 4,\n%s", n, got, want)
	}
}

func TestRedactNothing(t *testing.T) {
	in := []byte("password: ${DB_PASSWORD}\n")
	got, n := Redact(in)
	if n != 0 || !bytes.Equal(got, in) {
		t.Errorf("Redact() = %d, %q; want 0, input unchanged", n, got)
	}
}

// TestRedactCases redacts every positive case: the count agrees with Find, no
// secret survives, and YAML and JSON keep their structure.
func TestRedactCases(t *testing.T) {
	for _, tc := range positives {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.content)
			got, n := Redact(in)
			if want := len(Find("", in)); n != want || n == 0 {
				t.Errorf("Redact() replaced %d, Find found %d", n, want)
			}
			for _, h := range scan("", in) {
				if secret := in[h.start:h.end]; len(secret) >= 6 && bytes.Contains(got, secret) {
					t.Errorf("%s value %q survives redaction:\n%s", h.rule, secret, got)
				}
			}
			if bytes.Count(got, []byte("\n")) != bytes.Count(in, []byte("\n")) {
				t.Errorf("line count changed:\n%s", got)
			}
			assertSameStructure(t, tc.path, in, got)
			if again, n2 := Redact(got); n2 != 0 || !bytes.Equal(again, got) {
				t.Errorf("second Redact() replaced %d:\n%s", n2, again)
			}
		})
	}
}

// assertSameStructure parses YAML and JSON before and after redaction and
// compares keys and list lengths, and checks that HCL that parsed still
// parses. Templates and other formats are skipped.
func assertSameStructure(t *testing.T, path string, before, after []byte) {
	t.Helper()
	var parse func([]byte) ([]any, error)
	switch {
	case bytes.Contains(before, []byte("{{")):
		return
	case strings.HasSuffix(path, ".tf"):
		if _, diags := hclsyntax.ParseConfig(before, path, hcl.InitialPos); diags.HasErrors() {
			return // a fragment
		}
		if _, diags := hclsyntax.ParseConfig(after, path, hcl.InitialPos); diags.HasErrors() {
			t.Errorf("redacted %s no longer parses: %v\n%s", path, diags, after)
		}
		return
	case strings.HasSuffix(path, ".json"):
		parse = func(b []byte) ([]any, error) {
			var v any
			err := json.Unmarshal(b, &v)
			return []any{v}, err
		}
	case strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml"):
		parse = func(b []byte) ([]any, error) {
			var docs []any
			for d := range strings.SplitSeq(string(b), "\n---\n") {
				var v any
				if err := yaml.Unmarshal([]byte(d), &v); err != nil {
					return nil, err
				}
				docs = append(docs, v)
			}
			return docs, nil
		}
	default:
		return
	}
	want, err := parse(before)
	if err != nil {
		return // not valid to begin with (a fragment); nothing to keep
	}
	got, err := parse(after)
	if err != nil {
		t.Fatalf("redacted %s no longer parses: %v\n%s", path, err, after)
	}
	if !reflect.DeepEqual(shape(got), shape(want)) {
		t.Errorf("redacted %s changed structure:\n%v\nwant\n%v", path, shape(got), shape(want))
	}
}

// shape replaces scalars by their kind: strings stay strings, a redacted
// number would show as a change.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = shape(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = shape(x)
		}
		return s
	case string:
		return "string"
	case nil:
		return nil
	default:
		return reflect.TypeOf(v).String()
	}
}

// FuzzRedact: Redact never panics, reports no replacement exactly when it
// changes nothing, is idempotent, and never lets a value it found through.
func FuzzRedact(f *testing.F) {
	for _, tc := range positives {
		f.Add([]byte(tc.content))
	}
	for _, tc := range lookAlikes {
		f.Add([]byte(tc.content))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, n := Redact(in)
		if (n == 0) != bytes.Equal(got, in) {
			t.Fatalf("Redact() = %d but output changed=%v", n, !bytes.Equal(got, in))
		}
		if again, n2 := Redact(got); n2 != 0 || !bytes.Equal(again, got) {
			t.Fatalf("second Redact() replaced %d:\n%q\n%q", n2, got, again)
		}
		hits := scan("", in)
		// A short value may spell part of a marker ("d:generi"); look outside them.
		bare := redactedRE.ReplaceAll(got, []byte{0})
		for _, h := range hits {
			secret := in[h.start:h.end]
			if len(secret) < 8 || !bytes.Contains(bare, secret) {
				continue
			}
			// Allowed only when the same text also appears outside every hit.
			if !outsideHits(in, secret, hits) {
				t.Fatalf("%s value %q survives redaction:\n%q", h.rule, secret, got)
			}
		}
	})
}

func outsideHits(in, s []byte, hits []hit) bool {
	for off := 0; ; {
		i := bytes.Index(in[off:], s)
		if i < 0 {
			return false
		}
		i += off
		inside := false
		for _, h := range hits {
			if i < h.end && i+len(s) > h.start {
				inside = true
				break
			}
		}
		if !inside {
			return true
		}
		off = i + 1
	}
}

// A key after an escaped newline in a JSON string (a model's answer) is the
// key, not the escape's n glued to it: existingSecret names a Secret.
func TestKeyAfterEscapedNewline(t *testing.T) {
	in := []byte(`{"values.yaml": "replicas: 2\nexistingSecret: shop-db\npassword: Hunter2Hunter2!\n"}`)
	m := Find("answer.json", in)
	if len(m) != 1 || m[0].Key != "password" {
		t.Errorf("Find = %+v, want one match, under password", m)
	}
}
