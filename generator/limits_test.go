package generator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stackgen/aiden/generator"
	"github.com/stackgen/aiden/prompts"
	"github.com/stackgen/aiden/providers/providertest"
)

// A model that answers far past its token limit is cut off at
// MaxAnswerBytes, streamed or not, and nothing of it is kept.
func TestModelAnswerTooBig(t *testing.T) {
	huge := strings.Repeat("x", 4<<20)
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			srv := providertest.OpenAI(t, providertest.Step{Text: huge})
			e := modelEngine(srv, func(m *generator.ModelOptions) { m.MaxAnswerBytes = 64 << 10; m.RepairRounds = -1 })
			var progress func(generator.Event)
			streamed := 0
			if stream {
				progress = func(ev generator.Event) { streamed += len(ev.Delta) }
			}
			_, err := e.Generate(context.Background(), request(), progress)
			if !errors.Is(err, generator.ErrBadAnswer) || !strings.Contains(err.Error(), "limit of 65536 bytes") {
				t.Fatalf("got %v, want ErrBadAnswer naming the limit", err)
			}
			if streamed > 64<<10 {
				t.Errorf("streamed %d bytes past the limit", streamed)
			}
		})
	}
}

// An answer of 10,001 files is refused as unusable, not validated.
func TestModelTooManyFiles(t *testing.T) {
	files := map[string]string{}
	for i := range 10001 {
		files[fmt.Sprintf("templates/cm%05d.yaml", i)] = "a: 1\n"
	}
	srv := providertest.OpenAI(t, providertest.Step{Text: providertest.JSON(files)})
	e := modelEngine(srv, func(m *generator.ModelOptions) { m.RepairRounds = -1; m.MaxAnswerBytes = 4 << 20 })
	_, err := e.Generate(context.Background(), request(), nil)
	var me *generator.ModelError
	if !errors.Is(err, generator.ErrBadAnswer) || !errors.As(err, &me) {
		t.Fatalf("got %v, want a ModelError for a bad answer", err)
	}
	if len(me.Attempts) != 1 || !strings.Contains(me.Attempts[0].Problem, prompts.ErrTooManyFiles.Error()) {
		t.Errorf("attempts = %+v, want one naming the file limit", me.Attempts)
	}
}
