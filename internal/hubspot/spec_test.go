package hubspot

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// opPattern matches the "HubSpot operation:" line of a method doc comment.
var opPattern = regexp.MustCompile(`HubSpot operation: (GET|POST|PUT|PATCH|DELETE) (/\S+)`)

// specOps reads every path and method of the 2026-09 OpenAPI specs, with
// path parameters normalised to {}.
func specOps(t *testing.T) map[string]bool {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "hubspot-openapi", DefaultVersion)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no OpenAPI specs in %s", dir)
	}
	ops := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(data, &spec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for p, methods := range spec.Paths {
			for m := range methods {
				ops[strings.ToUpper(m)+" "+normParams(p)] = true
			}
		}
	}
	return ops
}

var paramPattern = regexp.MustCompile(`\{[^}]*\}`)

func normParams(p string) string { return paramPattern.ReplaceAllString(p, "{}") }

// TestOperationsInSpec checks that every exported Client method that calls
// HubSpot names its operation in its doc comment, that the operation exists
// in HubSpot's 2026-09 OpenAPI specs, and that it matches the endpoint the
// method really calls.
func TestOperationsInSpec(t *testing.T) {
	t.Parallel()
	ops := specOps(t)

	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// Methods that make no HubSpot call.
	local := map[string]bool{"Stats": true, "Version": true, "DailyBlockedUntil": true, "Concurrency": true, "Observe": true, "Governor": true}
	documented := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || local[fn.Name.Name] {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok || star.X.(*ast.Ident).Name != "Client" {
				continue
			}
			m := opPattern.FindStringSubmatch(fn.Doc.Text())
			if m == nil {
				t.Errorf("(*Client).%s: doc comment names no \"HubSpot operation:\"", fn.Name.Name)
				continue
			}
			op := m[1] + " " + normParams(m[2])
			if !ops[op] {
				t.Errorf("(*Client).%s: %s %s is not in the %s OpenAPI specs", fn.Name.Name, m[1], m[2], DefaultVersion)
			}
			documented[fn.Name.Name] = op
		}
	}

	// The doc comment and the endpoint the method calls must agree.
	calls := map[string]endpoint{
		"BatchRead": epBatchRead, "BatchCreate": epBatchCreate, "BatchUpdate": epBatchUpdate,
		"BatchUpsert": epBatchUpsert, "BatchArchive": epBatchArchive, "Search": epSearch, "List": epList,
		"CreateAssociations": epAssocCreate, "CreateDefaultAssociations": epAssocDefault,
		"ReadAssociations": epAssocRead, "ArchiveAssociations": epAssocArchive,
		"ListProperties": epListProperties, "CreateProperty": epCreateProperty,
		"ListPipelines": epListPipelines, "CreatePipeline": epCreatePipeline,
		"CreatePipelineStage": epCreateStage, "AccountDetails": epAccountDetails, "DailyUsage": epDailyUsage,
		"ListPropertyGroups": epListPropertyGroups, "CreatePropertyGroup": epCreatePropertyGroup,
	}
	if len(documented) != len(calls) {
		t.Errorf("documented %d methods, want %d: %v", len(documented), len(calls), documented)
	}
	c := &Client{version: DefaultVersion}
	for name, e := range calls {
		got := normParams(c.key(e))
		if documented[name] != got {
			t.Errorf("(*Client).%s: doc says %q, code calls %q", name, documented[name], got)
		}
	}
}
