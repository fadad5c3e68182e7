package testvectors

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"slices"
	"testing"
)

// TestGeneratorReproducesVectors regenerates every vector into a temporary
// directory and requires the committed files to match byte for byte, with
// no file missing or extra. Run "go generate ./testvectors/..." after
// changing the generator.
func TestGeneratorReproducesVectors(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found on PATH: %v", err)
	}
	tmp := t.TempDir()
	cmd := exec.Command(goTool, "run", "./internal/gen", "-out", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/gen: %v\n%s", err, out)
	}
	dirs := []string{"packet", "knock", "hotp", "totp", "hkdf"}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !slices.Contains(dirs, e.Name()) {
			t.Errorf("the generator writes %s, which this test does not compare", e.Name())
		}
	}
	for _, dir := range dirs {
		want := jsonFiles(t, FS(), dir)
		got := jsonFiles(t, os.DirFS(tmp), dir)
		if len(want) == 0 || len(got) == 0 {
			t.Errorf("%s/: %d committed and %d generated vectors", dir, len(want), len(got))
		}
		for name, data := range want {
			g, ok := got[name]
			switch {
			case !ok:
				t.Errorf("%s is committed but the generator no longer writes it", name)
			case !bytes.Equal(g, data):
				t.Errorf("%s differs from the generator's output; run go generate ./testvectors/...", name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("the generator writes %s, which is not committed", name)
			}
		}
	}
}

// jsonFiles reads every dir/*.json of fsys.
func jsonFiles(t *testing.T, fsys fs.FS, dir string) map[string][]byte {
	t.Helper()
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}
