//go:build !kong_providermethods

package kong

import "reflect"

// addProviderMethods does nothing: this build leaves out Provide* methods on
// command structs (see provide.go). Bind with kong.BindToProvider instead.
func addProviderMethods(bindings, reflect.Value) error { return nil }
