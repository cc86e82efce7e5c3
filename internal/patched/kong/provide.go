//go:build kong_providermethods

package kong

import (
	"fmt"
	"reflect"
	"strings"
)

// addProviderMethods binds the Provide* methods of a command struct, value
// and pointer. Finding them walks every method by index, which makes the Go
// linker keep every exported method of every type in the program; build
// with -tags kong_noprovidermethods to leave them out (provide_off.go), and
// bind with kong.BindToProvider instead. See
// https://github.com/alecthomas/kong/issues/547.
func addProviderMethods(methodBinds bindings, target reflect.Value) error {
	// Try value and pointer to value.
	for _, p := range []reflect.Value{target, target.Addr()} {
		t := p.Type()
		for i := 0; i < p.NumMethod(); i++ {
			methodt := t.Method(i)
			if strings.HasPrefix(methodt.Name, "Provide") {
				method := p.Method(i)
				if err := methodBinds.addProvider(method.Interface(), false /* singleton */); err != nil {
					return fmt.Errorf("%s.%s: %w", t.Name(), methodt.Name, err)
				}
			}
		}
	}
	return nil
}
