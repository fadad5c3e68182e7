package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClientSecretFileRoundTrip(t *testing.T) {
	sec := testSecret("file")
	path := filepath.Join(t.TempDir(), "client.key")
	before := time.Now().UTC().Truncate(time.Second)
	if err := WriteClientSecretFile(path, sec, "laptop", "two\nlines", ""); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) != 7 || lines[6] != "" {
		t.Fatalf("file has lines %q", lines)
	}
	created, ok := strings.CutPrefix(lines[0], "# created: ")
	if !ok {
		t.Fatalf("first line %q is not a created comment", lines[0])
	}
	ts, err := time.Parse(time.RFC3339, created)
	if err != nil || !strings.HasSuffix(created, "Z") || ts.Before(before) || ts.After(after) {
		t.Errorf("created time %q: %v (want RFC 3339 UTC between %v and %v)", created, err, before, after)
	}
	wantRest := []string{"# laptop", "# two", "# lines", "#", sec.Encode()}
	for i, w := range wantRest {
		if lines[i+1] != w {
			t.Errorf("line %d = %q, want %q", i+2, lines[i+1], w)
		}
	}
	got, err := ReadClientSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(sec) {
		t.Error("file round trip changed the secret")
	}
	// Never overwritten.
	if err := WriteClientSecretFile(path, testSecret("other")); !errors.Is(err, os.ErrExist) {
		t.Errorf("second write: error %v, want fs.ErrExist", err)
	}
	if got, err := ReadClientSecretFile(path); err != nil || !got.Equal(sec) {
		t.Errorf("file changed by refused write: %v", err)
	}
	// The zero secret is refused.
	if err := WriteClientSecretFile(filepath.Join(t.TempDir(), "zero"), ClientSecret{}); err == nil {
		t.Error("wrote the zero secret")
	}
}

func TestClientSecretFileErrors(t *testing.T) {
	dir := t.TempDir()
	sec := testSecret("file errors")
	enc := sec.Encode()
	bad := enc[:len(enc)-1] + string(otherChar(enc[len(enc)-1]))
	key := sec.ForServer(testServerID(t, "x")).Encode()
	tests := []struct {
		name    string
		content string
		want    string // error after "keys: " + path
		secret  string // text that must not appear in the error
	}{
		{"checksum", "# c\n\n" + bad + "\n", ":3: malformed client secret: checksum mismatch", bad},
		{"empty", "", ": no client secret found", ""},
		{"comments only", "# a\n#b\n   \n\t# c\n", ": no client secret found", ""},
		{"two keys", "# a\n" + enc + "\n\n# b\n" + enc + "\n", ":5: more than one key", enc},
		{"key then garbage", enc + "\ngarbage-" + enc + "\n", ":2: more than one key", enc},
		{"wrong role", "# c\n" + key + "\n", ":2: expected a client secret (spa-client-secret-...), got a client key", key},
		{"short", "\n\n\n" + enc[:40] + "\n", ":4: malformed client secret: wrong length", enc[:40]},
		{"bad char", enc[:30] + "!" + enc[31:], ":1: malformed client secret: bad base32 encoding", enc},
		{"trailing comment", enc + " # mine\n", ":1: malformed client secret: wrong length", enc},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
		if err := WriteSecretFile(path, []byte(tt.content)); err != nil {
			t.Fatal(err)
		}
		_, err := ReadClientSecretFile(path)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "keys: "+path+tt.want) {
			t.Errorf("%s: error\n%q, want prefix\n%q", tt.name, err, "keys: "+path+tt.want)
		}
		if tt.secret != "" {
			assertNoSubstring(t, err.Error(), body(tt.secret))
		}
	}
	if _, err := ReadClientSecretFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v", err)
	}
}

// otherChar returns a base32 character, other than c, that changes a data bit.
func otherChar(c byte) byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	return alphabet[(strings.IndexByte(alphabet, c)+4)%32]
}

func TestClientSecretFileTolerance(t *testing.T) {
	sec := testSecret("tolerant")
	path := filepath.Join(t.TempDir(), "key")
	content := "\ufeff# made on windows\r\n\r\n  " + upperBody(sec.Encode()) + "  \r\n# bye\r\n"
	if err := WriteSecretFile(path, []byte(content)); err != nil {
		t.Fatal(err)
	}
	got, err := ReadClientSecretFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(sec) {
		t.Error("wrong secret")
	}
}

func TestReadClientSecret(t *testing.T) {
	sec := testSecret("reader")
	in := "# from a pipe\n\n   # indented comment\n" + sec.Encode() + "\nnot read: anything goes here\n"
	got, err := ReadClientSecret(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(sec) {
		t.Error("wrong secret")
	}
	// Bare key, no newline.
	if got, err := ReadClientSecret(strings.NewReader(sec.Encode())); err != nil || !got.Equal(sec) {
		t.Errorf("bare key: %v", err)
	}

	_, err = ReadClientSecret(strings.NewReader("# only\n\n"))
	if err == nil || err.Error() != "keys: no client secret found in input" {
		t.Errorf("no key: error %v", err)
	}
	enc := sec.Encode()
	bad := enc[:len(enc)-1] + string(otherChar(enc[len(enc)-1]))
	_, err = ReadClientSecret(strings.NewReader("# x\n" + bad + "\n"))
	if err == nil || err.Error() != "keys: input line 2: malformed client secret: checksum mismatch" {
		t.Errorf("bad key: error %v", err)
	}
	if err != nil {
		assertNoSubstring(t, err.Error(), body(bad))
	}
	boom := errors.New("boom")
	if _, err := ReadClientSecret(errReader{boom}); !errors.Is(err, boom) {
		t.Errorf("failing reader: error %v", err)
	}
}

func TestClientSecretFromEnv(t *testing.T) {
	const name = "SPA_KEYS_TEST_SECRET"
	sec := testSecret("env")

	t.Setenv(name, " "+sec.Encode()+"\n")
	got, err := ClientSecretFromEnv(name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(sec) {
		t.Error("wrong secret")
	}

	enc := sec.Encode()
	bad := enc[:len(enc)-1] + string(otherChar(enc[len(enc)-1]))
	t.Setenv(name, bad)
	_, err = ClientSecretFromEnv(name)
	if err == nil || err.Error() != "keys: environment variable "+name+": malformed client secret: checksum mismatch" {
		t.Errorf("malformed: error %v", err)
	}
	if err != nil {
		assertNoSubstring(t, err.Error(), body(bad))
	}

	t.Setenv(name, sec.ForServer(testServerID(t, "e")).Encode())
	_, err = ClientSecretFromEnv(name)
	if err == nil || err.Error() != "keys: environment variable "+name+": expected a client secret (spa-client-secret-...), got a client key" {
		t.Errorf("wrong role: error %v", err)
	}

	t.Setenv(name, "  ")
	_, err = ClientSecretFromEnv(name)
	if err == nil || err.Error() != "keys: environment variable "+name+" is empty" {
		t.Errorf("empty: error %v", err)
	}

	os.Unsetenv(name) // t.Setenv restores it after the test
	_, err = ClientSecretFromEnv(name)
	if err == nil || err.Error() != "keys: environment variable "+name+" is not set" {
		t.Errorf("unset: error %v", err)
	}
}
