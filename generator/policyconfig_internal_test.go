package generator

import (
	"reflect"
	"testing"

	"github.com/stackgen/aiden/genconfig"
	"github.com/stackgen/aiden/validators/policy"
	"github.com/stackgen/aiden/workspace"
)

// TestPolicyConfigFromParsedConfig: the policy configuration read from
// the generation config the request parsed equals what the policy engine
// reads from the file itself.
func TestPolicyConfigFromParsedConfig(t *testing.T) {
	for _, content := range []string{
		"naming: {pattern: \"{app}\"}\npolicy:\n  rules:\n    probes: {severity: error}\n    pdb: {disabled: true}\n  allKyverno: true\n  folder: rules\n  regoNamespaces: [main, kubernetes]\n",
		"naming: {pattern: \"{app}\"}\n",
		"",
	} {
		files := []workspace.File{{Path: genconfig.Path, Content: []byte(content)}}
		cfg, err := genconfig.FromWorkspace(files)
		if err != nil {
			t.Fatal(err)
		}
		got, err := policyConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := policy.ReadConfig(files)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("config %q: got %+v, want %+v", content, *got, want)
		}
	}
	if got, err := policyConfig(&genconfig.Config{}); err != nil || !reflect.DeepEqual(*got, policy.Config{}) {
		t.Errorf("no policy key: got %+v, %v", got, err)
	}
}
