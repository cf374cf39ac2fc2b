package policy

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kyverno's resource library for CEL policies, answered offline from the
// objects the evaluation is given (a test's resources and cluster
// resources, the policies folder and the rendered objects):
// resource.get(apiVersion, resource, namespace, name) returns the object,
// resource.list(apiVersion, resource, namespace) returns {items: [...]}.
// An object that is not among them is a lookup that needs a cluster; so
// is a list outside a test, where the given objects are not the whole
// cluster.

var celResourceType = cel.OpaqueType("kyverno.Resource")

func celResourceLib() cel.EnvOption {
	str := cel.StringType
	return cel.Lib(resourceLib{str: str})
}

type resourceLib struct{ str *cel.Type }

// CompileOptions implements cel.Library.
func (l resourceLib) CompileOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Variable("resource", celResourceType),
		cel.Function("get", cel.MemberOverload("kyverno_resource_get",
			[]*cel.Type{celResourceType, l.str, l.str, l.str, l.str}, cel.DynType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				r, ok := args[0].(*resourceVal)
				if !ok {
					return types.NewErr("resource.get: no resource provider")
				}
				return r.get(args[1].Value().(string), args[2].Value().(string), args[3].Value().(string), args[4].Value().(string))
			}))),
		cel.Function("list", cel.MemberOverload("kyverno_resource_list",
			[]*cel.Type{celResourceType, l.str, l.str, l.str}, cel.DynType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				r, ok := args[0].(*resourceVal)
				if !ok {
					return types.NewErr("resource.list: no resource provider")
				}
				return r.list(args[1].Value().(string), args[2].Value().(string), args[3].Value().(string))
			}))),
	}
}

// ProgramOptions implements cel.Library.
func (resourceLib) ProgramOptions() []cel.ProgramOption { return nil }

// resourceVal is the value of `resource`: the objects known offline.
type resourceVal struct {
	cluster *Cluster
}

func (r *resourceVal) matches(o map[string]any, apiVersion, resource, namespace string) bool {
	if o["apiVersion"] != apiVersion {
		return false
	}
	kind, _ := o["kind"].(string)
	gv, _ := schema.ParseGroupVersion(apiVersion)
	plural, _ := meta.UnsafeGuessKindToResource(gv.WithKind(kind))
	if plural.Resource != resource {
		return false
	}
	if namespace == "" {
		return true
	}
	_, ns := objectName(o)
	return ns == namespace || (ns == "" && namespace == "default" && !clusterScoped[kind])
}

func (r *resourceVal) get(apiVersion, resource, namespace, name string) ref.Val {
	for _, o := range r.cluster.Objects {
		if n, _ := objectName(o); n == name && r.matches(o, apiVersion, resource, namespace) {
			return types.DefaultTypeAdapter.NativeToValue(celNative(o))
		}
	}
	return types.NewErr("%s: resource.get(%s, %s, %s, %s): the object is not among the given ones", celNeedsCluster, apiVersion, resource, namespace, name)
}

func (r *resourceVal) list(apiVersion, resource, namespace string) ref.Val {
	if !r.cluster.Complete {
		return types.NewErr("%s: resource.list(%s, %s, %s) lists a live cluster", celNeedsCluster, apiVersion, resource, namespace)
	}
	items := []any{}
	for _, o := range r.cluster.Objects {
		if r.matches(o, apiVersion, resource, namespace) {
			items = append(items, celNative(o))
		}
	}
	return types.DefaultTypeAdapter.NativeToValue(map[string]any{"items": items})
}

// ConvertToNative implements ref.Val.
func (r *resourceVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("resource cannot be converted")
}

// ConvertToType implements ref.Val.
func (r *resourceVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return celResourceType
	}
	return types.NewErr("resource cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (r *resourceVal) Equal(other ref.Val) ref.Val { return types.Bool(other == r) }

// Type implements ref.Val.
func (r *resourceVal) Type() ref.Type { return celResourceType }

// Value implements ref.Val.
func (r *resourceVal) Value() any { return r.cluster }

// Kyverno's image data library, answered offline from the image data a
// test's context gives (spec.images: image, manifest, config, ...):
// image.GetMetadata(ref) returns that data. An image it does not give
// needs a registry.

var celImageDataType = cel.OpaqueType("kyverno.ImageData")

type imageDataLib struct{}

// CompileOptions implements cel.Library.
func (imageDataLib) CompileOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Variable("image", celImageDataType),
		cel.Function("GetMetadata", cel.MemberOverload("kyverno_image_getmetadata",
			[]*cel.Type{celImageDataType, cel.StringType}, cel.DynType,
			cel.BinaryBinding(func(lhs, rhs ref.Val) ref.Val {
				d, ok := lhs.(*imageDataVal)
				if !ok {
					return types.NewErr("image.GetMetadata: no image data")
				}
				return d.get(rhs.Value().(string))
			}))),
	}
}

// ProgramOptions implements cel.Library.
func (imageDataLib) ProgramOptions() []cel.ProgramOption { return nil }

// imageDataVal is the value of `image`: the image data known offline.
type imageDataVal struct {
	cluster *Cluster
}

func (d *imageDataVal) get(ref string) ref.Val {
	for _, im := range d.cluster.Images {
		if im["image"] == ref {
			out := map[string]any{}
			for k, v := range im {
				if k != "image" {
					out[k] = v
				}
			}
			return types.DefaultTypeAdapter.NativeToValue(celNative(out))
		}
	}
	return types.NewErr("%s: image.GetMetadata(%s) reads a registry", celNeedsCluster, ref)
}

// ConvertToNative implements ref.Val.
func (d *imageDataVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("image data cannot be converted")
}

// ConvertToType implements ref.Val.
func (d *imageDataVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return celImageDataType
	}
	return types.NewErr("image data cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (d *imageDataVal) Equal(other ref.Val) ref.Val { return types.Bool(other == d) }

// Type implements ref.Val.
func (d *imageDataVal) Type() ref.Type { return celImageDataType }

// Value implements ref.Val.
func (d *imageDataVal) Value() any { return d.cluster }
