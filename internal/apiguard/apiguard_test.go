// Package apiguard holds the test that keeps probe's public packages public:
// no exported declaration of probe/ or checks/ may use a type of an
// internal package (the patched kong, fasthttp and procfs among them),
// which a program that imports them could never name.
package apiguard

import (
	"go/importer"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// public are the packages a Go program may import.
var public = []string{"github.com/probe-sh/probe/probe", "github.com/probe-sh/probe/checks"}

func TestPublicAPIUsesNoInternalType(t *testing.T) {
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	for _, path := range public {
		pkg, err := imp.Import(path)
		if err != nil {
			t.Fatalf("type-check %s: %v", path, err)
		}
		n := 0
		scope := pkg.Scope()
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			if !obj.Exported() {
				continue
			}
			n++
			for _, bad := range internalTypes(obj) {
				t.Errorf("%s.%s uses %s, from an internal package: a program that imports %s cannot name it", pkg.Name(), name, bad, path)
			}
		}
		if n < 10 {
			t.Errorf("%s: only %d exported names found: the guard is not looking", path, n)
		}
	}
}

// internalTypes lists the internal types that obj's declaration shows: its
// type, and for a type name its exported fields and methods.
func internalTypes(obj types.Object) []string {
	v := &visitor{seen: map[types.Type]bool{}}
	if tn, ok := obj.(*types.TypeName); ok {
		named, isNamed := tn.Type().(*types.Named)
		if !isNamed {
			v.visit(tn.Type())
			return v.bad
		}
		v.visit(named.Underlying())
		for i := 0; i < named.NumMethods(); i++ {
			if m := named.Method(i); m.Exported() {
				v.visit(m.Type())
			}
		}
		return v.bad
	}
	v.visit(obj.Type())
	return v.bad
}

type visitor struct {
	seen map[types.Type]bool
	bad  []string
}

func (v *visitor) visit(t types.Type) {
	if t == nil || v.seen[t] {
		return
	}
	v.seen[t] = true
	switch t := t.(type) {
	case *types.Named:
		if pkg := t.Obj().Pkg(); pkg != nil && strings.Contains(pkg.Path()+"/", "/internal/") {
			v.bad = append(v.bad, pkg.Path()+"."+t.Obj().Name())
		}
		for i := 0; i < t.TypeArgs().Len(); i++ {
			v.visit(t.TypeArgs().At(i))
		}
	case *types.Alias:
		v.visit(types.Unalias(t))
	case *types.Pointer:
		v.visit(t.Elem())
	case *types.Slice:
		v.visit(t.Elem())
	case *types.Array:
		v.visit(t.Elem())
	case *types.Map:
		v.visit(t.Key())
		v.visit(t.Elem())
	case *types.Chan:
		v.visit(t.Elem())
	case *types.Signature:
		v.visit(t.Params())
		v.visit(t.Results())
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			v.visit(t.At(i).Type())
		}
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if f := t.Field(i); f.Exported() || f.Embedded() {
				v.visit(f.Type())
			}
		}
	case *types.Interface:
		for i := 0; i < t.NumMethods(); i++ {
			if m := t.Method(i); m.Exported() {
				v.visit(m.Type())
			}
		}
	}
}

// TestGuardSeesInternalTypes: the guard fails where it should, for an
// internal type in a field, a method's result, a slice of pointers, a map.
func TestGuardSeesInternalTypes(t *testing.T) {
	internal := types.NewPackage("example.com/m/internal/patched/procfs", "procfs")
	fsType := types.NewNamed(types.NewTypeName(token.NoPos, internal, "FS", nil), types.NewStruct(nil, nil), nil)
	pub := types.NewPackage("example.com/m/checks", "checks")
	field := func(name string, typ types.Type) *types.Var {
		return types.NewField(token.NoPos, pub, name, typ, false)
	}
	for name, typ := range map[string]types.Type{
		"Field":    types.NewStruct([]*types.Var{field("FS", fsType)}, nil),
		"Slice":    types.NewStruct([]*types.Var{field("All", types.NewSlice(types.NewPointer(fsType)))}, nil),
		"Map":      types.NewMap(types.Typ[types.String], fsType),
		"Function": types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewVar(token.NoPos, pub, "", fsType)), false),
	} {
		obj := types.NewTypeName(token.NoPos, pub, name, nil)
		types.NewNamed(obj, typ, nil)
		if bad := internalTypes(obj); len(bad) != 1 || bad[0] != "example.com/m/internal/patched/procfs.FS" {
			t.Errorf("%s: the guard found %q, want the internal FS", name, bad)
		}
	}
	hidden := types.NewTypeName(token.NoPos, pub, "Hidden", nil)
	types.NewNamed(hidden, types.NewStruct([]*types.Var{field("fs", fsType)}, nil), nil)
	if bad := internalTypes(hidden); len(bad) != 0 {
		t.Errorf("an unexported field was reported: %q", bad)
	}
}

// The API's budget (issue 40): what an embedder reads in `go doc -all`,
// counted as go/doc lists it: package-level names, and the methods and
// functions of each exported type; fields are the exported (and embedded)
// fields of exported struct types.
var budget = map[string]struct{ names, fields int }{
	"github.com/probe-sh/probe/probe":  {names: 40, fields: 80},
	"github.com/probe-sh/probe/checks": {names: 100, fields: 180},
}

func TestAPIBudget(t *testing.T) {
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	for _, path := range public {
		pkg, err := imp.Import(path)
		if err != nil {
			t.Fatalf("type-check %s: %v", path, err)
		}
		names, fields := apiSize(pkg)
		t.Logf("%s: %d exported names, %d fields", path, names, fields)
		b := budget[path]
		if names > b.names || fields > b.fields {
			t.Errorf("%s exports %d names and %d fields, over its budget of %d and %d: put what only the command line needs in internal/", path, names, fields, b.names, b.fields)
		}
		if names < 10 || fields < 10 {
			t.Errorf("%s: %d names, %d fields: the count is not looking", path, names, fields)
		}
	}
}

func apiSize(pkg *types.Package) (names, fields int) {
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		names++
		tn, ok := obj.(*types.TypeName)
		if !ok {
			continue
		}
		named, ok := tn.Type().(*types.Named)
		if !ok {
			continue
		}
		for i := range named.NumMethods() {
			if named.Method(i).Exported() {
				names++
			}
		}
		if st, ok := named.Underlying().(*types.Struct); ok {
			for i := range st.NumFields() {
				if f := st.Field(i); f.Exported() || f.Embedded() {
					fields++
				}
			}
		}
	}
	return names, fields
}
