package schema

import "testing"

// hashFile, which reads a bundle in place, names the same cache folders
// as hashOf over the bundle's bytes did: a new build reuses the schemas
// an older one materialized.
func TestHashFileIsHashOf(t *testing.T) {
	names, err := bundleNames()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := crdNames()
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, crds...)
	if len(names) < 2 {
		t.Fatalf("only %d embedded bundles", len(names))
	}
	for _, name := range names {
		raw, err := bundleFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hashFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if want := hashOf(raw); got != want {
			t.Errorf("%s: hashFile %s, hashOf %s", name, got, want)
		}
	}
	if _, err := hashFile("k8s-v0.0.0.json.gz"); err == nil {
		t.Error("a bundle that is not embedded hashes without an error")
	}
}
