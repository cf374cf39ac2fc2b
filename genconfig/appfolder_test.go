package genconfig

import (
	"testing"
)

func TestAppFolder(t *testing.T) {
	withFormats := &Config{Formats: []FormatRule{{Path: "clusters/*/apps/**", Format: "helm"}, {Path: "deploy/*", Format: "kustomize"}}}
	without := &Config{}
	for _, tc := range []struct {
		cfg  *Config
		p    string
		want string // "" for none
	}{
		{withFormats, "clusters/production/apps/redis/helmrelease.yaml", "clusters/production/apps/redis"},
		{withFormats, "clusters/production/apps/api/templates/deployment.yaml", "clusters/production/apps/api"},
		{withFormats, "clusters/production/apps/kustomization.yaml", ""},
		{withFormats, "clusters/production/infrastructure/sources/bitnami.yaml", ""},
		{withFormats, "deploy/web/deployment.yaml", ""},
		{without, "apps/web/templates/deployment.yaml", "apps/web"},
		{without, "apps/web/overlays/production/patch.yaml", "apps/web"},
		{without, "apps/web/charts/sub/templates/x.yaml", "apps/web"},
		{without, "base/podinfo/deployment.yaml", "base/podinfo"},
		{without, "apps/web/deployment.yaml", "apps/web"},
		{without, "service.yaml", ""},
	} {
		got, ok := tc.cfg.AppFolder(tc.p)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("AppFolder(%s) = %q, %v; want %q", tc.p, got, ok, tc.want)
		}
	}
}
