package change

import (
	"testing"
)

func TestYAMLEdits(t *testing.T) {
	tests := []struct {
		name, in, want string
		edit           func(f *yamlFile) error
	}{
		{
			name: "second document of a stream",
			in:   "kind: Service # svc\nmetadata: {name: a}\n---\n# the app\nkind: Deployment\nspec:\n  replicas: 1 # hand\n",
			want: "kind: Service # svc\nmetadata: {name: a}\n---\n# the app\nkind: Deployment\nspec:\n  replicas: 3 # hand\n",
			edit: func(f *yamlFile) error {
				_, v := get(f.docs[1], "spec", "replicas")
				return f.setScalarText(v, "3")
			},
		},
		{
			name: "after a block scalar",
			in:   "config:\n  script: |\n    echo one\n\n    echo two\n  # trailing note\nnext: 1\n",
			want: "config:\n  script: |\n    echo one\n\n    echo two\n  mode: fast\n  # trailing note\nnext: 1\n",
			edit: func(f *yamlFile) error {
				root, _ := f.doc()
				k, v := get(root, "config")
				return f.merge(k, v, str("mode", "fast"))
			},
		},
		{
			name: "quoting kept and needed",
			in:   "a: 'x' # one\nb: \"y\"\nc: z\nd: 1.4\n",
			want: "a: 'it''s' # one\nb: \"1.5\"\nc: \"1.5\"\nd: 1.5\n",
			edit: func(f *yamlFile) error {
				root, _ := f.doc()
				for _, e := range []struct {
					k, v string
					s    bool
				}{{"a", "it's", true}, {"b", "1.5", true}, {"c", "1.5", true}} {
					_, v := get(root, e.k)
					if err := f.setScalar(v, e.v, e.s); err != nil {
						return err
					}
				}
				_, v := get(root, "d")
				return f.setScalarText(v, "1.5")
			},
		},
		{
			name: "inline mapping stays inline",
			in:   "r: {cpu: 1, memory: '2Gi'} # sized\n",
			want: "r: {cpu: 2, memory: '2Gi', ephemeral: 1Gi} # sized\n",
			edit: func(f *yamlFile) error {
				root, _ := f.doc()
				k, v := get(root, "r")
				return f.merge(k, v, sc("cpu", "2"), str("ephemeral", "1Gi"))
			},
		},
		{
			name: "list items keep the file's dash style",
			in:   "env:\n- name: A # first\n  value: \"1\"\nx: 1\n",
			want: "env:\n- name: A # first\n  value: \"1\"\n- name: B\n  value: \"2\"\nx: 1\n",
			edit: func(f *yamlFile) error {
				root, _ := f.doc()
				k, v := get(root, "env")
				return f.appendItems(k, v, envItem(envVar{Name: "B", Value: "2"}))
			},
		},
	}
	for _, tt := range tests {
		f, err := parseYAML("x.yaml", []byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if err := tt.edit(f); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := string(f.bytes()); got != tt.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}
