package spa

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports are packages that would make spa impure: I/O, logging,
// implicit randomness, or capture and firewall code. (The standard library
// reaches os and syscall transitively through fmt and crypto; what matters
// is that spa itself never calls them.)
var forbiddenImports = []string{
	"net", "os", "os/exec", "os/signal", "syscall", "log", "log/slog", "io/ioutil",
	"crypto/rand", "math/rand", "math/rand/v2", "net/http", "unsafe",
	"github.com/google/gopacket", "github.com/coreos/go-iptables", "github.com/google/nftables",
	"go.etcd.io/bbolt",
}

// forbiddenCalls read the clock or sleep; time must be passed in.
var forbiddenCalls = map[string]bool{
	"time.Now": true, "time.Since": true, "time.Until": true, "time.Sleep": true,
	"time.After": true, "time.Tick": true, "time.NewTimer": true, "time.NewTicker": true,
	"time.AfterFunc": true,
}

func TestPackageIsPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		checkImports(t, fset, f)
		checkNoGlobals(t, fset, f)
		checkNoClock(t, fset, f)
	}
	if checked < 5 {
		t.Fatalf("only %d source files checked; the glob is wrong", checked)
	}
}

func checkImports(t *testing.T, fset *token.FileSet, f *ast.File) {
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path == "net/netip" { // pure value types, no I/O
			continue
		}
		for _, bad := range forbiddenImports {
			if path == bad || strings.HasPrefix(path, bad+"/") {
				t.Errorf("%s: imports %q; package spa must stay pure", fset.Position(imp.Pos()), path)
			}
		}
	}
}

func checkNoGlobals(t *testing.T, fset *token.FileSet, f *ast.File) {
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					// Immutable sentinel errors are the one accepted kind.
					if !strings.HasPrefix(n.Name, "err") {
						t.Errorf("%s: package-level variable %s", fset.Position(n.Pos()), n.Name)
					}
				}
			}
		}
	}
}

func checkNoClock(t *testing.T, fset *token.FileSet, f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && forbiddenCalls[id.Name+"."+sel.Sel.Name] {
			t.Errorf("%s: uses %s.%s; time must be injected", fset.Position(sel.Pos()), id.Name, sel.Sel.Name)
		}
		return true
	})
}
