//go:build linux

package systest

import (
	"os"
	"sync"
	"testing"

	"github.com/spa-project/spa/server/lab"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries are the programs under test, built once per test binary.
type binaries struct {
	spad, spa, labflood string
}

var (
	binOnce sync.Once
	binDir  string
	bin     binaries
	binErr  error
)

// build returns the built binaries, building them on first use. It
// requires the lab first, so that a test without root skips before paying
// for a build.
func build(t testing.TB) binaries {
	t.Helper()
	lab.Require(t)
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "spa-systest-bin-"); binErr != nil {
			return
		}
		for _, b := range []struct {
			dst      *string
			name, pk string
		}{
			{&bin.spad, "spad", "./cmd/spad"},
			{&bin.spa, "spa", "./cmd/spa"},
			{&bin.labflood, "labflood", "./server/lab/labflood"},
		} {
			if *b.dst, binErr = lab.GoBuild(binDir, b.name, b.pk); binErr != nil {
				return
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return bin
}
