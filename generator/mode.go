package generator

import (
	"strings"

	"github.com/stackgen/aiden/change"
	"github.com/stackgen/aiden/workspace"
)

// resolveMode decides what a request does to its target: with ModeAuto, an
// app at the target is changed and an empty target gets a new one.
func resolveMode(m Mode, target string, ws []workspace.File) (Mode, *change.App, error) {
	app, exists := change.Detect(target, ws)
	switch Mode(strings.ToLower(string(m))) {
	case "", ModeAuto:
		if exists {
			return ModeChange, app, nil
		}
		return ModeCreate, nil, nil
	case ModeCreate:
		if exists {
			return "", nil, invalidf("%s already holds a %s app: say what to change, or ask to replace it", target, app.Kind)
		}
		return ModeCreate, nil, nil
	case ModeChange:
		if !exists {
			return "", nil, invalidf("%s holds no app to change: create one first", target)
		}
		return ModeChange, app, nil
	case ModeReplace:
		return ModeReplace, app, nil
	}
	return "", nil, invalidf("unknown mode %q (want auto, create, change or replace)", m)
}
