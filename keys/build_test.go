package keys

import (
	"os"
	"os/exec"
	"testing"
)

// TestCrossPlatformBuild vets (and so type-checks, tests included) the package
// for the platforms whose file permission code differs from Linux.
func TestCrossPlatformBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: compiles for other platforms")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	for _, target := range [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}, {"freebsd", "amd64"}} {
		cmd := exec.Command(gotool, "vet", ".")
		cmd.Env = append(os.Environ(), "GOOS="+target[0], "GOARCH="+target[1], "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go vet: %v\n%s", target[0], target[1], err, out)
		}
	}
}
