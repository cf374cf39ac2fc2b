package genconfig

import (
	"path"
	"strings"
)

// layoutFolders are the folders inside an app that belong to a chart or a
// Kustomize layout, not to another app.
var layoutFolders = map[string]bool{"templates": true, "charts": true, "crds": true, "base": true, "overlays": true, "components": true}

// AppFolder returns the app folder that holds the file p (a slash path
// relative to the repository root): under a format rule's glob ending in
// /** ("apps/**": apps/x), else the file's folder above any chart or
// Kustomize layout folder; false when p lies in none. The conventions
// check and the language server read app folders this way.
//
// An Argo CD Application in the layout's folder of Applications is an app
// of its own: clusters/dev/guestbook.yaml is the app clusters/dev/guestbook
// (see Layout.MatchApplication).
func (cfg *Config) AppFolder(p string) (string, bool) {
	if dir, ok := cfg.Layout.applicationApp(p); ok {
		return dir, true
	}
	globbed := false
	for _, r := range cfg.Formats {
		prefix, ok := strings.CutSuffix(r.Path, "/**")
		if !ok {
			continue
		}
		globbed = true
		if !MatchGlob(r.Path, p) {
			continue
		}
		k := strings.Count(prefix, "/") + 1
		parts := strings.Split(p, "/")
		if len(parts) <= k+1 {
			return "", false // beside the apps, not in one
		}
		return strings.Join(parts[:k+1], "/"), true
	}
	if globbed {
		return "", false
	}
	dir := path.Dir(p)
	parts := strings.Split(dir, "/")
	for i := 1; i < len(parts); i++ {
		if layoutFolders[parts[i]] {
			return strings.Join(parts[:i], "/"), true
		}
	}
	if dir == "." {
		return "", false
	}
	return dir, true
}

// applicationApp returns the app a file in the folder of Applications
// stands for: its folder and its name without the extension.
func (l Layout) applicationApp(p string) (string, bool) {
	if l.Applications == "" {
		return "", false
	}
	ext := path.Ext(p)
	if ext != ".yaml" && ext != ".yml" || !layoutRegexp(l.Applications).MatchString(path.Dir(p)) {
		return "", false
	}
	return strings.TrimSuffix(p, ext), true
}
