package workspace

import (
	"errors"
	"path"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string // part of the reason; "" means no error
	}{
		{in: "a", want: "a"},
		{in: "a/b/c.yaml", want: "a/b/c.yaml"},
		{in: "a/./b//c", want: "a/b/c"},
		{in: "./a/", want: "a"},
		{in: "a/../b", want: "b"},
		{in: "a/b/../../c", want: "c"},
		{in: ".", want: "."},
		{in: "a/..", want: "."},
		{in: "..a/b", want: "..a/b"},
		{in: "a/..b", want: "a/..b"},
		{in: ".github/workflows/ci.yaml", want: ".github/workflows/ci.yaml"},
		{in: ".gitignore", want: ".gitignore"},
		{in: "apps/redis/values.yaml", want: "apps/redis/values.yaml"},
		{in: "répertoire/ß.yaml", want: "répertoire/ß.yaml"},
		{in: "a b/c d", want: "a b/c d"},
		{in: "ab:c", want: "ab:c"},
		{in: "a:b", wantErr: "drive letter"},
		{in: "", wantErr: "empty"},
		{in: "..", wantErr: "escapes"},
		{in: "../x", wantErr: "escapes"},
		{in: "a/../../x", wantErr: "escapes"},
		{in: "a/b/../../../x", wantErr: "escapes"},
		{in: "/etc/passwd", wantErr: "absolute"},
		{in: "/", wantErr: "absolute"},
		{in: `C:\x`, wantErr: "backslash"},
		{in: "C:/x", wantErr: "drive letter"},
		{in: "c:x", wantErr: "drive letter"},
		{in: "./A:", wantErr: "drive letter"},
		{in: `\\server\share\x`, wantErr: "backslash"},
		{in: `a\..\..\x`, wantErr: "backslash"},
		{in: `a\b`, wantErr: "backslash"},
		{in: "a\x00b", wantErr: "NUL"},
		{in: "a\nb", wantErr: "control character"},
		{in: "a\tb", wantErr: "control character"},
		{in: ".git/hooks/pre-commit", wantErr: ".git"},
		{in: "a/.git/config", wantErr: ".git"},
		{in: "a/.GIT/config", wantErr: ".git"},
		{in: "a/../.git", wantErr: ".git"},
	}
	for _, tc := range tests {
		got, err := Clean(tc.in)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("Clean(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.want)
			}
			continue
		}
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Errorf("Clean(%q) = %q, %v; want a *PathError", tc.in, got, err)
			continue
		}
		if pe.Path != tc.in || !strings.Contains(pe.Reason, tc.wantErr) {
			t.Errorf("Clean(%q) error = %+v, want Path %q and a Reason holding %q", tc.in, pe, tc.in, tc.wantErr)
		}
		if !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Clean(%q) error %q does not say %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		dir, p string
		want   bool
	}{
		{dir: "", p: "a/b", want: true},
		{dir: ".", p: "a", want: true},
		{dir: "apps", p: "apps", want: true},
		{dir: "apps", p: "apps/redis/values.yaml", want: true},
		{dir: "apps/redis", p: "apps/redis/templates/x.yaml", want: true},
		{dir: "apps", p: "apps2/x", want: false},
		{dir: "apps/redis", p: "apps/redis-cluster/x", want: false},
		{dir: "apps/redis", p: "apps", want: false},
		{dir: "apps", p: "policies/x.rego", want: false},
	}
	for _, tc := range tests {
		if got := Within(tc.dir, tc.p); got != tc.want {
			t.Errorf("Within(%q, %q) = %v, want %v", tc.dir, tc.p, got, tc.want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a", "../x", "a/../../x", "/etc/passwd", `C:\x`, "a/./b//c", `a\..\..\x`, "a\x00b", ".", "a/..", ".git/x", "..a", "x/../..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Clean(in)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || pe.Path != in {
				t.Fatalf("Clean(%q) error %v is not a *PathError for the input", in, err)
			}
			return
		}
		if got == "" || got == ".." || strings.HasPrefix(got, "../") || strings.HasPrefix(got, "/") {
			t.Fatalf("Clean(%q) = %q escapes the root", in, got)
		}
		if strings.ContainsAny(got, "\\\x00") || (len(got) >= 2 && got[1] == ':' && isLetter(got[0])) {
			t.Fatalf("Clean(%q) = %q holds a backslash, NUL or drive letter", in, got)
		}
		for _, elem := range strings.Split(got, "/") {
			if elem == ".." || strings.EqualFold(elem, ".git") || elem == "" {
				t.Fatalf("Clean(%q) = %q has element %q", in, got, elem)
			}
		}
		if path.Clean(got) != got {
			t.Fatalf("Clean(%q) = %q is not clean", in, got)
		}
		if again, err := Clean(got); err != nil || again != got {
			t.Fatalf("Clean(Clean(%q)) = %q, %v; want %q", in, again, err, got)
		}
		if got != "." && !Within(".", got) {
			t.Fatalf("Within(., %q) = false", got)
		}
	})
}
