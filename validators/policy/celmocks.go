package policy

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// HTTPResponse is a canned answer to an HTTP call a policy makes (a
// Kyverno test's apiCallResponses): CEL http.Get/http.Post and classic
// apiCall entries with a service URL.
type HTTPResponse struct {
	// URL is the full URL (service calls) or URLPath the API path.
	URL, URLPath string
	// Method is GET or POST; empty matches any.
	Method string
	// StatusCode and Body are the response.
	StatusCode int
	Body       any
}

// response finds the canned response to a call, or nil.
func (c *Cluster) response(method, url string) *HTTPResponse {
	for i := range c.HTTP {
		r := &c.HTTP[i]
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if (r.URL != "" && r.URL == url) || (r.URLPath != "" && r.URLPath == url) {
			return r
		}
	}
	return nil
}

// Kyverno's http and globalContext CEL libraries, answered only from what
// a test gives (apiCallResponses, globalContextEntries); any other call
// needs a cluster (or the network), and says so.

var (
	celHTTPType   = cel.OpaqueType("kyverno.HTTP")
	celGlobalType = cel.OpaqueType("kyverno.GlobalContext")
)

type mockLib struct{}

// CompileOptions implements cel.Library.
func (mockLib) CompileOptions() []cel.EnvOption {
	str, dyn := cel.StringType, cel.DynType
	hdrs := cel.MapType(cel.StringType, cel.StringType)
	get := func(args ...ref.Val) ref.Val {
		h, ok := args[0].(*mockVal)
		if !ok {
			return types.NewErr("http: no provider")
		}
		return h.call("GET", args[1].Value().(string))
	}
	post := func(args ...ref.Val) ref.Val {
		h, ok := args[0].(*mockVal)
		if !ok {
			return types.NewErr("http: no provider")
		}
		return h.call("POST", args[1].Value().(string))
	}
	return []cel.EnvOption{
		cel.Variable("http", celHTTPType),
		cel.Variable("globalContext", celGlobalType),
		cel.Function("Get",
			cel.MemberOverload("kyverno_http_get", []*cel.Type{celHTTPType, str}, dyn, cel.FunctionBinding(get)),
			cel.MemberOverload("kyverno_http_get_headers", []*cel.Type{celHTTPType, str, hdrs}, dyn, cel.FunctionBinding(get)),
			cel.MemberOverload("kyverno_gctx_get", []*cel.Type{celGlobalType, str, str}, dyn,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					g, ok := args[0].(*mockVal)
					if !ok {
						return types.NewErr("globalContext: no provider")
					}
					return g.global(args[1].Value().(string), args[2].Value().(string))
				}))),
		cel.Function("Post",
			cel.MemberOverload("kyverno_http_post", []*cel.Type{celHTTPType, str, dyn}, dyn, cel.FunctionBinding(post)),
			cel.MemberOverload("kyverno_http_post_headers", []*cel.Type{celHTTPType, str, dyn, hdrs}, dyn, cel.FunctionBinding(post))),
	}
}

// ProgramOptions implements cel.Library.
func (mockLib) ProgramOptions() []cel.ProgramOption { return nil }

// mockVal is the value of http and globalContext: what the test gives.
type mockVal struct {
	cluster *Cluster
	typ     *types.Type
}

func (m *mockVal) call(method, url string) ref.Val {
	r := m.cluster.response(method, url)
	if r == nil {
		return types.NewErr("%s: http %s %s is not among the given responses", celNeedsCluster, method, url)
	}
	return types.DefaultTypeAdapter.NativeToValue(map[string]any{"body": celNative(r.Body), "statusCode": int64(r.StatusCode)})
}

func (m *mockVal) global(name, projection string) ref.Val {
	v, ok := m.cluster.Global[name]
	if !ok {
		return types.NewErr("%s: global context entry %q is not given", celNeedsCluster, name)
	}
	if projection != "" {
		p, _ := v.(map[string]any)
		x, ok := p[projection]
		if !ok {
			return types.NewErr("global context entry %q has no projection %q", name, projection)
		}
		v = x
	}
	return types.DefaultTypeAdapter.NativeToValue(celNative(v))
}

// ConvertToNative implements ref.Val.
func (m *mockVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted", m.typ.TypeName())
}

// ConvertToType implements ref.Val.
func (m *mockVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return m.typ
	}
	return types.NewErr("%s cannot be converted to %s", m.typ.TypeName(), t.TypeName())
}

// Equal implements ref.Val.
func (m *mockVal) Equal(other ref.Val) ref.Val { return types.Bool(other == m) }

// Type implements ref.Val.
func (m *mockVal) Type() ref.Type { return m.typ }

// Value implements ref.Val.
func (m *mockVal) Value() any { return m.cluster }
