package slack

import (
	"errors"
	"testing"

	"github.com/stackgen/aiden/generator"
)

func TestParse(t *testing.T) {
	const redis = "Deploy a Redis cluster with 3 replicas in production"
	tests := []struct {
		name string
		text string
		want Command
	}{
		{name: "empty is help", text: "  ", want: Command{Name: "help"}},
		{name: "help", text: "help", want: Command{Name: "help"}},
		{name: "status", text: "status gen_1", want: Command{Name: "status", ID: "gen_1"}},
		{
			name: "flags after the intent",
			text: "generate " + redis + " --path apps/redis --format helm --env production",
			want: Command{Name: "generate", Intent: redis, Format: generator.FormatHelm, Environment: "production", Path: "apps/redis"},
		},
		{
			name: "flags first, with =",
			text: "generate --path=apps/cache --env=staging " + redis,
			want: Command{Name: "generate", Intent: redis, Format: generator.FormatHelm, Environment: "staging", Path: "apps/cache"},
		},
		{
			name: "dashes turned typographic",
			text: "generate " + redis + " —path apps/redis –format kustomize",
			want: Command{Name: "generate", Intent: redis, Format: generator.FormatKustomize, Path: "apps/redis"},
		},
		{
			name: "default path from the plan",
			text: "generate " + redis,
			want: Command{Name: "generate", Intent: redis, Format: generator.FormatHelm, Path: "clusters/production/apps/redis"},
		},
		{
			name: "replace",
			text: "generate worker image ghcr.io/acme/w:1.0.0 --path apps/w —replace",
			want: Command{Name: "generate", Intent: "worker image ghcr.io/acme/w:1.0.0", Format: generator.FormatHelm, Path: "apps/w", Mode: generator.ModeReplace},
		},
		{
			name: "slack escapes",
			text: "generate web API image ghcr.io/acme/api:1.4.2 &amp; port 8080 --path apps/api",
			want: Command{Name: "generate", Intent: "web API image ghcr.io/acme/api:1.4.2 & port 8080", Format: generator.FormatHelm, Path: "apps/api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, text := range []string{
		"deploy redis",
		"status",
		"status a b",
		"generate",
		"generate redis --replicas 3",
		"generate redis --path",
		"generate redis --path --env prod",
		"generate redis --format yaml --path apps/r",
		"generate redis --path /etc",
		"generate redis --path .",
		"generate redis --path apps/r --replace=yes",
	} {
		if _, err := Parse(text); !errors.Is(err, ErrUsage) {
			t.Errorf("Parse(%q) error = %v, want ErrUsage", text, err)
		}
	}
}
