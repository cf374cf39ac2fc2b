package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reviewRepo makes a git repository holding the example GitOps repository,
// committed on main.
func reviewRepo(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	copyTree(t, "../../examples/gitops", dir)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "base"}} {
		cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// TestReviewFormats reviews an unpinned image in the shared base: each
// format says it, with its file and line, once per overlay (the policy
// check's image-tag finding, not again as a risk), and --fail-on decides
// the exit.
func TestReviewFormats(t *testing.T) {
	repo := reviewRepo(t)
	dep := filepath.Join(repo, "base/podinfo/deployment.yaml")
	b, err := os.ReadFile(dep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dep, []byte(strings.Replace(string(b), "podinfo:6.9.2", "podinfo:latest", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := aiden(t, "review", "--base", "main", repo)
	if code != exitFindings {
		t.Fatalf("markdown: exit %d, want 1 (the image-tag error is new)\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"## aiden review", "| New findings | 2 (2 errors) |", "#### clusters/production", "#### clusters/staging",
		"+   /spec/template/spec/containers/0/image: ghcr.io/stefanprodan/podinfo:latest", "`base/podinfo/deployment.yaml:16:11`", "| Risks | 0 |"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "<!-- aiden-review -->") || strings.Contains(stdout, "<details>") {
		t.Errorf("terminal markdown carries the comment's marker or collapsed sections")
	}

	written := filepath.Join(t.TempDir(), "review.json")
	code, stdout, _ = aiden(t, "review", "--base", "main", "--format", "comment", "--fail-on", "none", "--write", "json="+written, repo)
	if code != exitOK || !strings.HasPrefix(stdout, "<!-- aiden-review -->\n") || !strings.Contains(stdout, "<details><summary><code>clusters/production/apps</code> (kustomize): 1 changed</summary>") {
		t.Errorf("comment: exit %d\n%s", code, stdout)
	}
	if b, err := os.ReadFile(written); err != nil || !json.Valid(b) || !strings.Contains(string(b), `"baseCommit"`) {
		t.Errorf("--write json=%s: %v\n%s", written, err, b)
	}
	if code, _, stderr := aiden(t, "review", "--write", "pdf=x.pdf", repo); code != exitUsage || !strings.Contains(stderr, `--write "pdf=x.pdf": want FORMAT=FILE`) {
		t.Errorf("bad --write: exit %d, %s", code, stderr)
	}

	code, stdout, _ = aiden(t, "review", "--base", "main", "--format", "sarif", repo)
	var log sarifLog
	if err := json.Unmarshal([]byte(stdout), &log); err != nil || code != exitFindings {
		t.Fatalf("sarif: exit %d, %v\n%s", code, err, stdout)
	}
	var regions []string
	for _, r := range log.Runs[0].Results {
		if len(r.Locations) == 1 && r.Locations[0].PhysicalLocation.Region != nil {
			l := r.Locations[0].PhysicalLocation
			regions = append(regions, r.RuleID+"@"+l.ArtifactLocation.URI)
		}
	}
	if strings.Join(regions, ",") != "image-tag@base/podinfo/deployment.yaml,image-tag@base/podinfo/deployment.yaml" {
		t.Errorf("sarif results with regions: %v", regions)
	}

	code, stdout, _ = aiden(t, "review", "--base", "main", "--format", "junit", "--fail-on", "warning", repo)
	var suites junitSuites
	if err := xml.Unmarshal([]byte(stdout), &suites); err != nil || code != exitFindings {
		t.Fatalf("junit: exit %d, %v\n%s", code, err, stdout)
	}
	if suites.Failures != 2 || len(suites.Suites) != 2 || suites.Suites[0].Name != "findings" || suites.Suites[1].Name != "review" {
		t.Errorf("junit: %d failures in %+v", suites.Failures, suites.Suites)
	}

	code, stdout, _ = aiden(t, "review", "--base", "main", "--format", "json", "--fail-on", "none", repo)
	var rev struct {
		BaseCommit string `json:"baseCommit"`
		Units      []struct {
			Path string `json:"path"`
		} `json:"units"`
		Findings struct {
			New      []struct{ Rule string } `json:"new"`
			Existing int                     `json:"existing"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rev); err != nil || code != exitOK {
		t.Fatalf("json: exit %d, %v\n%s", code, err, stdout)
	}
	if len(rev.BaseCommit) != 40 || len(rev.Units) != 2 || len(rev.Findings.New) != 2 {
		t.Errorf("json: %+v", rev)
	}

	if code, _, stderr := aiden(t, "review", "--base", "no-such-branch", repo); code != exitUsage || !strings.Contains(stderr, `--base "no-such-branch" is not a commit`) {
		t.Errorf("bad base: exit %d, %s", code, stderr)
	}
	if code, _, stderr := aiden(t, "review", "--format", "html", repo); code != exitUsage || !strings.Contains(stderr, `--format "html"`) {
		t.Errorf("bad format: exit %d, %s", code, stderr)
	}
}
