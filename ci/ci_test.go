// Package ci holds the scripts of aiden review's CI integrations (the
// GitHub action's and the GitLab template's); its tests run them against
// a real aiden, real git repositories and a recording fake of the GitHub
// and GitLab comment APIs, which are not reachable here.
package ci

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stackgen/aiden/review"
)

// script returns the absolute path of a script of this folder, read
// first so that go test's cache knows the test depends on it (bash reads
// it in another process).
func script(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.ReadFile(name); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// need skips the test when a tool the scripts call is missing; .ci/run
// installs them.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, []string{"GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir, "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com"}, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// comment is a pull-request comment or merge-request note.
type comment struct {
	ID     int    `json:"id"`
	Body   string `json:"body"`
	System bool   `json:"system"`
}

// fakeAPI is a recording fake of the comment endpoints of GitHub's REST
// API (issues/{n}/comments, issues/comments/{id}) and GitLab's
// (merge_requests/{iid}/notes): it keeps the comments, pages them as the
// real ones do, and records every request.
type fakeAPI struct {
	mu       sync.Mutex
	comments []comment
	requests []string // METHOD path?query
	auth     []string // the token header of each request
	next     int
	forbid   bool // answer writes 403, as GitHub does to a fork's token
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	f.auth = append(f.auth, r.Header.Get("Authorization")+r.Header.Get("PRIVATE-TOKEN"))
	p := r.URL.Path
	list := strings.HasSuffix(p, "/issues/7/comments") || strings.HasSuffix(p, "/merge_requests/7/notes")
	switch {
	case r.Method == http.MethodGet && list:
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if per == 0 {
			per = 30
		}
		if page == 0 {
			page = 1
		}
		lo, hi := min((page-1)*per, len(f.comments)), min(page*per, len(f.comments))
		_ = json.NewEncoder(w).Encode(f.comments[lo:hi])
	case (r.Method == http.MethodPost && list) || r.Method == http.MethodPatch || r.Method == http.MethodPut:
		if f.forbid {
			http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
			return
		}
		var in struct{ Body string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPost {
			f.next++
			f.comments = append(f.comments, comment{ID: 1000 + f.next, Body: in.Body})
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 1000 + f.next, "html_url": "https://github.example/pr/7#c"})
			return
		}
		id, _ := strconv.Atoi(p[strings.LastIndex(p, "/")+1:])
		for i := range f.comments {
			if f.comments[i].ID == id {
				f.comments[i].Body = in.Body
				_ = json.NewEncoder(w).Encode(f.comments[i])
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests
	f.requests = nil
	return r
}

// others seeds n comments of other people, one of them quoting the
// marker inside, not first.
func others(n int) []comment {
	var cs []comment
	for i := range n {
		cs = append(cs, comment{ID: i + 1, Body: fmt.Sprintf("looks good %d", i)})
	}
	cs[3].Body = "why does the " + review.Marker + " comment say so?"
	return cs
}

// reviewed builds aiden (the test imports package review, so that a
// change to it runs the test again rather than reuse a cached result), makes an origin repository holding the example
// GitOps repository and a clone with a change on a branch, and runs
// review.sh there as the action does; it returns the output folder.
func reviewed(t *testing.T) (out string, outputs map[string]string, summary string) {
	t.Helper()
	need(t, "git", "bash", "curl", "jq")
	tmp, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "bin")
	if out, err := run(t, "..", nil, "go", "build", "-o", filepath.Join(bin, "aiden"), "./cmd/aiden"); err != nil {
		t.Fatalf("build aiden: %v\n%s", err, out)
	}
	origin := filepath.Join(tmp, "origin")
	mustRun(t, "..", "cp", "-r", "examples/gitops", origin)
	mustRun(t, origin, "git", "init", "-q", "-b", "main")
	mustRun(t, origin, "git", "add", "-A")
	mustRun(t, origin, "git", "commit", "-q", "-m", "base")
	work := filepath.Join(tmp, "work")
	mustRun(t, tmp, "git", "clone", "-q", origin, work)
	mustRun(t, work, "git", "checkout", "-q", "-b", "scale")
	dep := filepath.Join(work, "base/podinfo/deployment.yaml")
	b, err := os.ReadFile(dep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dep, []byte(strings.Replace(string(b), "memory: 256Mi", "memory: 320Mi", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, work, "git", "commit", "-q", "-am", "more memory for podinfo")
	// main moves on after the branch: the review compares with the merge
	// base, so this change is not in it (one file changed, not four).
	mustRun(t, origin, "git", "rm", "-q", "-r", "policies")
	mustRun(t, origin, "git", "commit", "-q", "-m", "drop policies")

	out = filepath.Join(tmp, "review")
	summaryFile, outputsFile := filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "outputs")
	abs := script(t, "review.sh")
	got, err := run(t, work, []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "AIDEN_OUT=" + out, "AIDEN_TARGET_BRANCH=main",
		"AIDEN_SUMMARY=" + summaryFile, "AIDEN_OUTPUTS=" + outputsFile, "AIDEN_BASE=", "AIDEN_PATHS=", "AIDEN_FAIL_ON=error"}, "bash", abs)
	if err != nil {
		t.Fatalf("review.sh: %v\n%s", err, got)
	}
	outputs = map[string]string{}
	ob, err := os.ReadFile(outputsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(ob)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		outputs[k] = v
	}
	sb, err := os.ReadFile(summaryFile)
	if err != nil {
		t.Fatal(err)
	}
	return out, outputs, string(sb)
}

// TestGitHubAction runs the action's scripts as its steps do: the review
// against the merge base with the pull request's base branch, then the
// comment posted on the pull request and, on the next run, replaced,
// through a recording fake of GitHub's comment API with more comments
// than one page holds.
func TestGitHubAction(t *testing.T) {
	out, outputs, summary := reviewed(t)
	if outputs["exit-code"] != "0" || outputs["comment-file"] != filepath.Join(out, "comment.md") || outputs["sarif-file"] != filepath.Join(out, "review.sarif") {
		t.Errorf("outputs = %v", outputs)
	}
	for _, want := range []string{"## aiden review", "1 file changed", "#### clusters/production", "#### clusters/staging",
		"-   /spec/template/spec/containers/0/resources/requests/memory: 256Mi\n+   /spec/template/spec/containers/0/resources/requests/memory: 320Mi"} {
		if !strings.Contains(summary, want) {
			t.Errorf("step summary lacks %q:\n%s", want, summary)
		}
	}
	var sarif struct{ Version string }
	if b, err := os.ReadFile(outputs["sarif-file"]); err != nil || json.Unmarshal(b, &sarif) != nil || sarif.Version != "2.1.0" {
		t.Errorf("sarif: %v %s", err, b)
	}
	body, err := os.ReadFile(outputs["comment-file"])
	if err != nil {
		t.Fatal(err)
	}

	api := &fakeAPI{comments: others(120)}
	srv := httptest.NewServer(api)
	defer srv.Close()
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_API_URL=" + srv.URL, "GITHUB_REPOSITORY=acme/gitops", "GITHUB_TOKEN=t0ken", "AIDEN_PR=7", "AIDEN_COMMENT_FILE=" + outputs["comment-file"]}
	if got, err := run(t, ".", env, "bash", script(t, "github-comment.sh")); err != nil || !strings.Contains(got, "comment on pull request 7: done") {
		t.Fatalf("first run: %v\n%s", err, got)
	}
	want := []string{
		"GET /repos/acme/gitops/issues/7/comments?per_page=100&page=1",
		"GET /repos/acme/gitops/issues/7/comments?per_page=100&page=2",
		"POST /repos/acme/gitops/issues/7/comments",
	}
	if got := api.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("first run requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(api.comments); n != 121 || api.comments[120].Body != string(body) {
		t.Fatalf("%d comments; the new one is not the comment file", n)
	}
	for _, a := range api.auth {
		if a != "Bearer t0ken" {
			t.Errorf("request authorized with %q", a)
		}
	}

	// The next push: a new review replaces the comment, found through the
	// event's pull request number.
	if err := os.WriteFile(outputs["comment-file"], append(body, []byte("\nsecond run\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env[:3], "AIDEN_PR=", "GITHUB_EVENT_PATH="+event, "AIDEN_COMMENT_FILE="+outputs["comment-file"])
	if got, err := run(t, ".", env, "bash", script(t, "github-comment.sh")); err != nil || !strings.Contains(got, "update comment 1001 on pull request 7: done") {
		t.Fatalf("second run: %v\n%s", err, got)
	}
	want = []string{
		"GET /repos/acme/gitops/issues/7/comments?per_page=100&page=1",
		"GET /repos/acme/gitops/issues/7/comments?per_page=100&page=2",
		"PATCH /repos/acme/gitops/issues/comments/1001",
	}
	if got := api.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("second run requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(api.comments); n != 121 || !strings.HasSuffix(api.comments[120].Body, "second run\n") || api.comments[3].Body != "why does the <!-- aiden-review --> comment say so?" {
		t.Errorf("after the second run: %d comments, last %q", n, api.comments[120].Body[len(api.comments[120].Body)-20:])
	}

	// A fork's read-only token: a warning, not a failed job.
	api.forbid = true
	if got, err := run(t, ".", env, "bash", script(t, "github-comment.sh")); err != nil || !strings.Contains(got, "::warning::update comment 1001 on pull request 7: HTTP 403") {
		t.Errorf("read-only token: %v\n%s", err, got)
	}
	// A file that is not a review comment is refused before any request.
	api.take()
	bad := filepath.Join(t.TempDir(), "x.md")
	if err := os.WriteFile(bad, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := run(t, ".", append(env, "AIDEN_COMMENT_FILE="+bad), "bash", script(t, "github-comment.sh")); err == nil || !strings.Contains(got, "does not start with <!-- aiden-review -->") || len(api.take()) != 0 {
		t.Errorf("not a comment: %v\n%s", err, got)
	}
}

// TestGitLabNote posts the review as a merge-request note and replaces
// it on the next run, through a recording fake of GitLab's notes API;
// system notes are never taken for the review's.
func TestGitLabNote(t *testing.T) {
	need(t, "bash", "curl", "jq")
	file := filepath.Join(t.TempDir(), "comment.md")
	if err := os.WriteFile(file, []byte("<!-- aiden-review -->\n## aiden review\n\nfirst\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := others(4)
	seed = append(seed, comment{ID: 50, Body: "<!-- aiden-review -->\nadded 1 commit", System: true})
	api := &fakeAPI{comments: seed}
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := []string{"CI_API_V4_URL=" + srv.URL + "/api/v4", "CI_PROJECT_ID=42", "CI_MERGE_REQUEST_IID=7", "AIDEN_GITLAB_TOKEN=glpat-x", "AIDEN_COMMENT_FILE=" + file}
	if got, err := run(t, ".", env, "bash", script(t, "gitlab-note.sh")); err != nil || !strings.Contains(got, "note on merge request !7: done") {
		t.Fatalf("first run: %v\n%s", err, got)
	}
	if err := os.WriteFile(file, []byte("<!-- aiden-review -->\n## aiden review\n\nsecond\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := run(t, ".", env, "bash", script(t, "gitlab-note.sh")); err != nil || !strings.Contains(got, "update note 1001 on merge request !7: done") {
		t.Fatalf("second run: %v\n%s", err, got)
	}
	want := []string{
		"GET /api/v4/projects/42/merge_requests/7/notes?per_page=100&page=1&sort=asc",
		"POST /api/v4/projects/42/merge_requests/7/notes",
		"GET /api/v4/projects/42/merge_requests/7/notes?per_page=100&page=1&sort=asc",
		"PUT /api/v4/projects/42/merge_requests/7/notes/1001",
	}
	if got := api.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(api.comments) != 6 || api.comments[5].Body != "<!-- aiden-review -->\n## aiden review\n\nsecond\n" || !strings.HasSuffix(api.comments[4].Body, "added 1 commit") {
		t.Errorf("notes = %+v", api.comments)
	}
	for _, a := range api.auth {
		if a != "glpat-x" {
			t.Errorf("request authorized with %q", a)
		}
	}
	// Without a token the job says why and posts nothing.
	if got, err := run(t, ".", append(env, "AIDEN_GITLAB_TOKEN="), "bash", script(t, "gitlab-note.sh")); err != nil || !strings.Contains(got, "AIDEN_GITLAB_TOKEN is not set") || len(api.take()) != 0 {
		t.Errorf("no token: %v\n%s", err, got)
	}
}
