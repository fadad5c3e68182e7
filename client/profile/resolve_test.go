package profile

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spa-project/spa/keys"
)

func TestResolve(t *testing.T) {
	one := NewStore(t.TempDir())
	stored := testProfile(t, 1) // "bastion"
	if _, err := one.Import(stored, "", false); err != nil {
		t.Fatal(err)
	}
	two := NewStore(t.TempDir())
	for i, name := range []string{"a", "b"} {
		if _, err := two.Import(testProfile(t, byte(10+i)), name, false); err != nil {
			t.Fatal(err)
		}
	}
	empty := NewStore(filepath.Join(t.TempDir(), "none"))

	filed := testProfile(t, 2)
	filed.Name = ""
	file := filepath.Join(t.TempDir(), "ci.toml")
	if err := keys.WriteSecretFile(file, filed.Marshal()); err != nil {
		t.Fatal(err)
	}
	tokened := testProfile(t, 3)
	tokened.Name = "from-token"
	token := tokened.EncodeToken()

	t.Chdir(filepath.Dir(file))

	tests := []struct {
		name       string
		store      *Store
		flag, env  string
		want       *Profile // nil: error
		wantName   string
		wantErrHas string
	}{
		{"flag name beats env and store", one, "bastion", token, stored, "bastion", ""},
		{"flag file beats env", one, file, token, filed, "ci", ""},
		{"flag relative file", one, "./ci.toml", "", filed, "ci", ""},
		{"flag file by extension", one, "ci.toml", "", filed, "ci", ""},
		{"flag unknown name", two, "x", token, nil, "", `unknown profile "x"; known: a, b`},
		{"flag token refused", one, token, "", nil, "", "not a token"},
		{"env token beats store", one, "", token, tokened, "from-token", ""},
		{"env token with space", one, "", " " + token + "\n", tokened, "from-token", ""},
		{"env path beats store", one, "", file, filed, "ci", ""},
		{"env bad token", one, "", token[:len(token)-3], nil, "", "SPA_PROFILE: malformed token"},
		{"env missing file", one, "", "bastion", nil, "", `for the stored profile "bastion" use --profile bastion`},
		{"only stored profile", one, "", "", stored, "bastion", ""},
		{"several stored", two, "", "", nil, "", "2 profiles (a, b): choose one with --profile NAME or SPA_PROFILE"},
		{"none", empty, "", "", nil, "", `no profile: pass --profile NAME, set SPA_PROFILE, or import one with "spa profile import FILE"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.store.Resolve(tt.flag, tt.env)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrHas) {
					t.Fatalf("Resolve = %v, %v; want error containing %q", got, err, tt.wantErrHas)
				}
				assertNoSecret(t, tokened, "error", err.Error())
				if strings.Contains(err.Error(), token[len(TokenPrefix):len(TokenPrefix)+16]) {
					t.Fatalf("error echoes the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.wantName {
				t.Errorf("name %q, want %q", got.Name, tt.wantName)
			}
			if !got.Secret.Equal(tt.want.Secret) {
				t.Error("wrong profile")
			}
		})
	}
}
