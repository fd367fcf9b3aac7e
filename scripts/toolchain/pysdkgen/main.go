// pulumi-python-sdkgen <schema.json> <out dir>: writes the Python SDK of a package schema with the
// Python code generator of github.com/pulumi/pulumi/pkg/v3 (codegen/python), the version of the
// CLI. The python language host built here (sdk/v3 v3.68.0, scripts/pulumi-toolchain.sh) does not
// implement GeneratePackage, which `pulumi package gen-sdk --language python` and
// `pulumi package add` call; the 3.248 host runs this same generator.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// dependencyLoader answers for the packages the schema declares under `dependencies` (vsphere,
// command, ...) with an empty package of that name and version: the generator needs only those,
// for the SDK's requirements; the schema refers to none of their types.
type dependencyLoader struct{}

func stub(name string, version *semver.Version) (*schema.Package, error) {
	spec := schema.PackageSpec{Name: name}
	if version != nil {
		spec.Version = version.String()
	}
	// As for a local SDK (`pulumi package add`): at the schema's version (setup.py, package metadata).
	python := map[string]any{}
	if raw, ok := spec.Language["python"]; ok {
		if err := json.Unmarshal(raw, &python); err != nil {
			fail("language.python of %s: %v", os.Args[1], err)
		}
	}
	python["respectSchemaVersion"] = true
	raw, err := json.Marshal(python)
	if err != nil {
		fail("%v", err)
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	spec.Language["python"] = raw
	pkg, diags, err := schema.BindSpec(spec, dependencyLoader{}, schema.ValidationOptions{})
	if err == nil && diags.HasErrors() {
		err = diags
	}
	return pkg, err
}

func (dependencyLoader) LoadPackage(name string, version *semver.Version) (*schema.Package, error) {
	return stub(name, version)
}

func (dependencyLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return stub(d.Name, d.Version)
}

func (dependencyLoader) LoadPackageReference(name string, version *semver.Version) (schema.PackageReference, error) {
	pkg, err := stub(name, version)
	if err != nil {
		return nil, err
	}
	return pkg.Reference(), nil
}

func (dependencyLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	pkg, err := stub(d.Name, d.Version)
	if err != nil {
		return nil, err
	}
	return pkg.Reference(), nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-python-sdkgen: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: pulumi-python-sdkgen <schema.json> <out dir>")
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		fail("%s: %v", os.Args[1], err)
	}
	pkg, diags, err := schema.BindSpec(spec, dependencyLoader{}, schema.ValidationOptions{})
	if err != nil {
		fail("binding the schema: %v", err)
	}
	if diags.HasErrors() {
		fail("binding the schema: %v", diags)
	}
	files, err := python.GeneratePackage("pulumi-python-sdkgen", pkg, nil, dependencyLoader{})
	if err != nil {
		fail("generating: %v", err)
	}
	for name, content := range files {
		path := filepath.Join(os.Args[2], name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			fail("%v", err)
		}
	}
}
