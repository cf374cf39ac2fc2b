package patch

import (
	"bytes"
	"testing"
)

// TestWriteWholeMatchesHunks holds the created and deleted files' direct
// hunk equal to what the line diff writes for them.
func TestWriteWholeMatchesHunks(t *testing.T) {
	for _, c := range []string{
		"a\n",
		"a",
		"a\nb\nc\n",
		"a\nb\nc",
		"a\r\nb\r\n",
		"\n\n\n",
		"same\nsame\nsame\n",
		"x\n\ny",
	} {
		var want, got bytes.Buffer
		writeHunks(&want, nil, []byte(c))
		writeWhole(&got, '+', []byte(c))
		if got.String() != want.String() {
			t.Errorf("creation of %q:\n got %q\nwant %q", c, got.String(), want.String())
		}
		want.Reset()
		got.Reset()
		writeHunks(&want, []byte(c), nil)
		writeWhole(&got, '-', []byte(c))
		if got.String() != want.String() {
			t.Errorf("deletion of %q:\n got %q\nwant %q", c, got.String(), want.String())
		}
	}
}
