package lsp_test

import (
	"path/filepath"
	"testing"

	"go.lsp.dev/protocol"
)

// pssFile is two objects, the second after a comment: its Pod Security
// findings are on the fields that break the controls, in its own
// document.
const pssFile = `apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: shop}
data: {a: b}
---
# the web deployment
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
      volumes:
      - name: h
        hostPath: {path: /}
`

func TestPodSecurityDiagnosticsOnTheField(t *testing.T) {
	root := repo(t, map[string]string{"apps/web/all.yaml": pssFile})
	s := start(t, root)
	u := s.open(filepath.Join(root, "apps/web/all.yaml"), pssFile)
	ds := s.waitDiags(u, 1)
	at := func(line, char, end uint32) protocol.Range {
		return protocol.Range{Start: protocol.Position{Line: line, Character: char}, End: protocol.Position{Line: line, Character: end}}
	}
	want := map[protocol.Range]bool{
		at(18, 10, 20): true, // privileged
		at(21, 8, 16):  true, // hostPath
	}
	base := byCode(ds)["pss-baseline"]
	if len(base) != len(want) {
		t.Fatalf("pss-baseline diagnostics %+v, want %d", base, len(want))
	}
	for _, d := range base {
		if !want[d.Range] {
			t.Errorf("pss-baseline diagnostic at %+v (%s), want one of %v", d.Range, d.Message, want)
		}
	}
	// The restricted controls a missing field breaks are on the
	// container's securityContext key.
	restricted := byCode(ds)["pss-restricted"]
	if len(restricted) < 4 {
		t.Errorf("pss-restricted diagnostics %+v, want at least 4", restricted)
	}
	for _, d := range restricted {
		if d.Range != at(17, 8, 23) && d.Range != at(21, 8, 16) {
			t.Errorf("pss-restricted diagnostic at %+v (%s), want the securityContext or hostPath key", d.Range, d.Message)
		}
	}
}
