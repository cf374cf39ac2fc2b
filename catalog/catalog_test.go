package catalog

import (
	"strings"
	"testing"
)

func TestEveryEntryIsComplete(t *testing.T) {
	for _, name := range Components() {
		c, ok := Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing though Components lists it", name)
		}
		if c.Component != name {
			t.Errorf("%s: component is %q", name, c.Component)
		}
		if !strings.HasPrefix(c.Repository, "https://") && !strings.HasPrefix(c.Repository, "oci://") {
			t.Errorf("%s: repository %q is neither https:// nor oci://", name, c.Repository)
		}
		if c.Chart == "" || strings.ContainsAny(c.Version, "x*~^ ") || c.Version == "" {
			t.Errorf("%s: chart %q version %q: want a chart name and an exact version", name, c.Chart, c.Version)
		}
	}
	if _, ok := Lookup("no-such-software"); ok {
		t.Error("Lookup found an entry for unknown software")
	}
}
