package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/stackgen/aiden/action"
	aidenv1 "github.com/stackgen/aiden/gen/aiden/v1"
	"github.com/stackgen/aiden/gen/aiden/v1/aidenv1connect"
	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/providers/openai"
	"github.com/stackgen/aiden/providers/providertest"
	"github.com/stackgen/aiden/server"
	"github.com/stackgen/aiden/wire"
)

// Generated output with a credential-looking literal does not leave the
// service: not in the streamed answer, the result's files, the patch, the
// record's files, nor a rejected answer kept in the record; the result says
// what was replaced, and the policy check (on by default) flags it.
func TestGeneratedCredentialRedacted(t *testing.T) {
	const token = "ghp_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
	const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi6Z8PrpJWHyWxCj7mFj3oKkQmT\nAbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01\n-----END RSA PRIVATE KEY-----\n"
	files := providertest.Files(t, "../generator/testdata/model/charts/good")
	files["values.yaml"] += "githubToken: " + token + "\n"
	files["templates/key.yaml"] = "# {{/* a key the model should never write */}}\n# " + strings.ReplaceAll(pem, "\n", "\n# ") + "\n"
	answer := providertest.JSON(files)

	st := openStore(t)
	model := providertest.OpenAI(t,
		providertest.Step{Text: "Here you go: token " + token + " — sorry, no files."},
		providertest.Step{Text: answer},
	).Repeat()
	m := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", Backoff: time.Millisecond, CacheEntries: -1}
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{Model: m}), server.Options{Store: st}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	stream, err := client.GenerateStream(context.Background(), connect.NewRequest(&aidenv1.GenerateStreamRequest{
		Request: &aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "clusters/production/apps/shop"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	var result *aidenv1.GenerateResponse
	var id string
	for stream.Receive() {
		streamed.WriteString(stream.Msg().GetDelta())
		if r := stream.Msg().GetResult(); r != nil {
			result = r
		}
	}
	if err := stream.Err(); err != nil || result == nil {
		t.Fatalf("GenerateStream: %v, result %v", err, result)
	}
	id = stream.ResponseHeader().Get(wire.HeaderGenerationID)

	leak := func(what, s string) {
		t.Helper()
		for _, secret := range []string{token, "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi6Z8PrpJWHyWxCj7mFj3oKkQmT"} {
			if i := strings.Index(s, secret); i >= 0 {
				t.Errorf("%s carries %.12s… at %q", what, secret, s[max(0, i-300):i])
			}
		}
	}
	if !strings.Contains(streamed.String(), "<redacted:github-token>") {
		t.Errorf("the streamed answers do not show the redaction:\n%.2000s", streamed.String())
	}
	leak("the streamed answers", streamed.String())
	leak("the result", result.String())
	var values string
	for _, f := range result.GetFiles() {
		if strings.HasSuffix(f.GetPath(), "/values.yaml") {
			values = string(f.GetContent())
		}
	}
	if !strings.Contains(values, "githubToken: <redacted:github-token>") {
		t.Errorf("values.yaml = %q", values)
	}
	rules := map[string]bool{}
	for _, f := range result.GetFindings() {
		rules[f.GetRule()] = true
	}
	if !rules[action.RuleCredentialRedacted] || !rules["credential-literal"] {
		t.Errorf("findings lack %s or credential-literal: %v", action.RuleCredentialRedacted, result.GetFindings())
	}

	g, err := st.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Attempts) < 2 || !strings.Contains(g.Attempts[0].Received, "<redacted:github-token>") {
		t.Fatalf("record: %d attempts, first received %q", len(g.Attempts), g.Attempts[0].Received)
	}
	for _, a := range g.Attempts {
		leak("a recorded answer", a.Received)
		for _, f := range a.Files {
			leak("recorded "+f.Path, string(f.Content))
		}
	}
	leak("the recorded patch", g.Patch)
}

// A model that never answers usefully: the error the caller gets and the
// record quote its answer without the credential in it.
func TestModelErrorQuotesNoCredential(t *testing.T) {
	const token = "ghp_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
	st := openStore(t)
	model := providertest.OpenAI(t, providertest.Step{Text: "token " + token + " is all I have"}).Repeat()
	m := generator.ModelOptions{Provider: openai.New(openai.Options{BaseURL: model.URL + "/v1"}), Name: "scripted-1", Backoff: time.Millisecond, CacheEntries: -1}
	srv := httptest.NewUnstartedServer(server.New(generator.New(generator.Options{Model: m}), server.Options{Store: st}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := aidenv1connect.NewGenerateServiceClient(srv.Client(), srv.URL)
	_, err := client.Generate(context.Background(), connect.NewRequest(&aidenv1.GenerateRequest{Intent: shopIntent, TargetPath: "apps/shop"}))
	if err == nil {
		t.Fatal("Generate: no error")
	}
	if strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "<redacted:github-token>") {
		t.Errorf("error = %v; want the answer quoted with the token redacted", err)
	}
	list, lerr := client.ListGenerations(context.Background(), connect.NewRequest(&aidenv1.ListGenerationsRequest{}))
	if lerr != nil || len(list.Msg.GetGenerations()) != 1 {
		t.Fatalf("ListGenerations: %v", lerr)
	}
	g, gerr := st.Get(context.Background(), list.Msg.GetGenerations()[0].GetId())
	if gerr != nil {
		t.Fatal(gerr)
	}
	if strings.Contains(g.Error, token) {
		t.Errorf("recorded error carries the token: %s", g.Error)
	}
	for _, a := range g.Attempts {
		if strings.Contains(a.Received, token) || strings.Contains(a.Problem, token) {
			t.Errorf("recorded attempt carries the token: %+v", a)
		}
	}
}
