package action

import (
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
)

// A credential split across streamed pieces, or a private key spread over
// many, is never sent; everything else is, in order.
func TestDeltasRedactAcrossPieces(t *testing.T) {
	token := "ghp_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
	key := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"
	answer := "files:\n  values.yaml: |\n    token: " + token + "\n" + key + "done\n"
	for _, size := range []int{1, 3, 7, 64, len(answer)} {
		var got strings.Builder
		var events []generator.Event
		p := redactedProgress(func(ev generator.Event) {
			events = append(events, ev)
			got.WriteString(ev.Delta)
			if ev.Delta != "" && (strings.Contains(ev.Delta, "ghp_AbCd") || strings.Contains(ev.Delta, "MIIEvQ") || strings.Contains(ev.Delta, "MzEfYy")) {
				t.Errorf("piece size %d: sent %q", size, ev.Delta)
			}
		})
		for i := 0; i < len(answer); i += size {
			p(generator.Event{Stage: generator.StagePlan, Attempt: 1, Delta: answer[i:min(i+size, len(answer))]})
		}
		p(generator.Event{Stage: generator.StagePlan, Message: "plan done"})
		want := "files:\n  values.yaml: |\n    token: <redacted:github-token>\n"
		if s := got.String(); !strings.HasPrefix(s, want) || !strings.HasSuffix(s, "done\n") || strings.Count(s, "\n") != strings.Count(answer, "\n") {
			t.Errorf("piece size %d: streamed %q", size, s)
		}
		if last := events[len(events)-1]; last.Message != "plan done" || last.Delta != "" {
			t.Errorf("piece size %d: last event %+v, want the stage event after the flushed answer", size, last)
		}
	}
}
