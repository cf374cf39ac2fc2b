package secrets

import "testing"

// TestMayName holds the marker pre-check to sensitivity's own answer: no
// key it skips is one its words make sensitive.
func TestMayName(t *testing.T) {
	keys := []string{"password", "pa_ss_word", "DB_PASSWORD", "dbPass", "pwd", "PW", "apiKey", "api-key", "x-auth",
		"basic_auth", "token", "secretName", "clientSecret", "creds", "credentials", "name", "image", "replicas",
		"spring.datasource.DBPassword", "AccountKey", "privateKey", "sshKey", "key", "value", "Pa55word"}
	for _, k := range keys {
		if !mayName(k) && classify(k) != notSensitive {
			t.Errorf("%q: skipped by mayName, but sensitive", k)
		}
	}
	// Every key of the corpus.
	n := 0
	for _, a := range newDocument(corpus()).assigns {
		if !mayName(a.effKey) && classify(a.effKey) != notSensitive {
			t.Errorf("%q: skipped by mayName, but sensitive", a.effKey)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("%d keys in the corpus: too few to test anything", n)
	}
	if mayName("image") || !mayName("dbPass") {
		t.Errorf("mayName(image)=%v, mayName(dbPass)=%v: want false, true", mayName("image"), mayName("dbPass"))
	}
}
