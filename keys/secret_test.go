package keys

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/spa-project/spa/spa"
)

func TestFormatNeverLeaks(t *testing.T) {
	sec := testSecret("format")
	key := sec.ForServer(testServerID(t, "format"))
	type exported struct {
		Name string
		S    ClientSecret
		K    ClientServerKey
		PS   *ClientSecret
	}
	type unexported struct {
		name string
		s    ClientSecret
		k    ClientServerKey
		ps   *ClientServerKey
	}
	type nested struct {
		U unexported
		u unexported
		E *exported
	}
	e := exported{"e", sec, key, &sec}
	u := unexported{"u", sec, key, &key}
	values := map[string]any{
		"secret":             sec,
		"*secret":            &sec,
		"key":                key,
		"*key":               &key,
		"exported struct":    e,
		"*exported struct":   &e,
		"unexported struct":  u,
		"*unexported struct": &u,
		"nested":             nested{u, u, &e},
		"slice":              []ClientSecret{sec, sec},
		"map":                map[string]ClientServerKey{"k": key},
		"array":              [1]ClientSecret{sec},
		"interface slice":    []any{sec, &key},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%T", "%08x", "% x", "%#x"}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			assertNoLeak(t, fmt.Sprintf("%s %s", verb, name), out, sec.value())
			assertNoLeak(t, fmt.Sprintf("%s %s", verb, name), out, key.Bytes())
			if strings.Contains(out, sec.Encode()) || strings.Contains(out, key.Encode()) {
				t.Errorf("%s %s contains the encoded key: %q", verb, name, out)
			}
		}
		out := fmt.Sprint(v) + fmt.Sprintln(v)
		assertNoLeak(t, "Sprint "+name, out, sec.value())
		assertNoLeak(t, "Sprint "+name, out, key.Bytes())
	}
	// Directly formatted secrets show the placeholder.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		if got := fmt.Sprintf(verb, sec); got != "keys.ClientSecret(redacted)" {
			t.Errorf("Sprintf(%s, secret) = %q", verb, got)
		}
		if got := fmt.Sprintf(verb, &key); got != "keys.ClientServerKey(redacted)" {
			t.Errorf("Sprintf(%s, &key) = %q", verb, got)
		}
	}
	if sec.String() != "keys.ClientSecret(redacted)" || sec.GoString() != sec.String() {
		t.Errorf("ClientSecret String/GoString = %q/%q", sec.String(), sec.GoString())
	}
	if key.String() != "keys.ClientServerKey(redacted)" || key.GoString() != key.String() {
		t.Errorf("ClientServerKey String/GoString = %q/%q", key.String(), key.GoString())
	}
}

func TestNoMarshalers(t *testing.T) {
	for _, v := range []any{ClientSecret{}, &ClientSecret{}, ClientServerKey{}, &ClientServerKey{}} {
		if _, ok := v.(encoding.TextMarshaler); ok {
			t.Errorf("%T implements encoding.TextMarshaler", v)
		}
		if _, ok := v.(encoding.BinaryMarshaler); ok {
			t.Errorf("%T implements encoding.BinaryMarshaler", v)
		}
		if _, ok := v.(json.Marshaler); ok {
			t.Errorf("%T implements json.Marshaler", v)
		}
		if _, ok := v.(gob.GobEncoder); ok {
			t.Errorf("%T implements gob.GobEncoder", v)
		}
		if _, ok := v.(encoding.TextUnmarshaler); ok {
			t.Errorf("%T implements encoding.TextUnmarshaler", v)
		}
	}
}

func TestJSONDoesNotLeak(t *testing.T) {
	sec := testSecret("json")
	key := sec.ForServer(testServerID(t, "json"))
	v := struct {
		Secret    ClientSecret
		Key       ClientServerKey
		PSecret   *ClientSecret
		Any       any
		Keys      []ClientServerKey
		unexposed ClientSecret
	}{sec, key, &sec, key, []ClientServerKey{key}, sec}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	assertNoLeak(t, "json.Marshal", string(out), sec.value())
	assertNoLeak(t, "json.Marshal", string(out), key.Bytes())
	if bytes.Contains(out, []byte(body(sec.Encode())[:10])) || bytes.Contains(out, []byte(body(key.Encode())[:10])) {
		t.Errorf("json.Marshal contains the encoded key: %s", out)
	}
	// gob refuses a type without exported fields rather than leaking it.
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(struct{ S ClientSecret }{sec}); err == nil {
		assertNoLeak(t, "gob", buf.String(), sec.value())
	}
}

func TestSlogDoesNotLeak(t *testing.T) {
	sec := testSecret("slog")
	key := sec.ForServer(testServerID(t, "slog"))
	for _, h := range []func(io.Writer) slog.Handler{
		func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("m", "secret", sec, "key", key, "ptr", &sec)
		out := buf.String()
		assertNoLeak(t, "slog", out, sec.value())
		assertNoLeak(t, "slog", out, key.Bytes())
		if !strings.Contains(out, "keys.ClientSecret(redacted)") || !strings.Contains(out, "keys.ClientServerKey(redacted)") {
			t.Errorf("slog output lacks the placeholders: %s", out)
		}
	}
}

func TestForServer(t *testing.T) {
	sec := testSecret("derive")
	a, b := testServerID(t, "a.example"), testServerID(t, "b.example")
	v := sec.value()
	for _, id := range []ServerID{a, b} {
		want := spa.DeriveClientServerKey(&v, id.SPA())
		if got := sec.ForServer(id).Bytes(); got != want {
			t.Errorf("ForServer(%v) = %x, want spa.DeriveClientServerKey = %x", id, got, want)
		}
	}
	ka, kb := sec.ForServer(a), sec.ForServer(b)
	if ka.Equal(kb) || ka.Bytes() == kb.Bytes() {
		t.Error("two servers got the same client key")
	}
	if !ka.Equal(sec.ForServer(a)) {
		t.Error("ForServer is not deterministic")
	}
	if testSecret("other").ForServer(a).Equal(ka) {
		t.Error("two secrets got the same client key for one server")
	}
	if ka.IsZero() {
		t.Error("derived key is zero")
	}
}

// counterReader returns the bytes seed, seed+1, seed+2, ...
type counterReader struct{ next byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

func TestGenerateClientSecret(t *testing.T) {
	a, err := GenerateClientSecret(&counterReader{next: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateClientSecret(&counterReader{next: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Error("same deterministic reader gave different secrets")
	}
	var want [spa.KeySize]byte
	for i := range want {
		want[i] = byte(7 + i)
	}
	if a.value() != want {
		t.Errorf("secret = %x, want the reader's bytes %x", a.value(), want)
	}
	c, err := GenerateClientSecret(&counterReader{next: 8})
	if err != nil {
		t.Fatal(err)
	}
	if a.Equal(c) {
		t.Error("different readers gave the same secret")
	}

	// A short reader fails.
	_, err = GenerateClientSecret(bytes.NewReader(make([]byte, 31)))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: error %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := GenerateClientSecret(bytes.NewReader(nil)); err == nil {
		t.Error("empty reader: no error")
	}
	// A failing reader fails.
	boom := errors.New("boom")
	if _, err := GenerateClientSecret(io.MultiReader(bytes.NewReader(make([]byte, 5)), errReader{boom})); !errors.Is(err, boom) {
		t.Errorf("failing reader: error %v, want %v", err, boom)
	}
	// A reader of zeros is broken.
	if _, err := GenerateClientSecret(bytes.NewReader(make([]byte, 64))); err == nil {
		t.Error("all-zero reader: no error")
	}

	// nil means crypto/rand.
	r1, err := GenerateClientSecret(nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := GenerateClientSecret(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r1.IsZero() || r1.Equal(r2) {
		t.Error("crypto/rand secrets are zero or equal")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestEqualAndIsZero(t *testing.T) {
	var zs ClientSecret
	if !zs.IsZero() || !zs.Equal(ClientSecret{}) {
		t.Error("zero ClientSecret: IsZero or Equal false")
	}
	zeroArray := [spa.KeySize]byte{}
	if !(ClientSecret{b: newKeyRef(zeroArray)}).Equal(zs) {
		t.Error("explicit zero array differs from nil")
	}
	s := testSecret("eq")
	if s.IsZero() || s.Equal(zs) || zs.Equal(s) {
		t.Error("non-zero secret: IsZero or Equal wrong")
	}
	copied := s
	if !copied.Equal(s) {
		t.Error("copy not Equal")
	}
	v := s.value()
	v[31] ^= 1
	if s.Equal(ClientSecret{b: newKeyRef(v)}) {
		t.Error("secrets differing in one bit are Equal")
	}

	var zk ClientServerKey
	if !zk.IsZero() || zk.Bytes() != ([spa.KeySize]byte{}) {
		t.Error("zero ClientServerKey: IsZero false or Bytes non-zero")
	}
	k := s.ForServer(testServerID(t, "eq"))
	if k.IsZero() || k.Equal(zk) || !k.Equal(k) {
		t.Error("ClientServerKey Equal/IsZero wrong")
	}
	// Bytes returns a copy.
	b := k.Bytes()
	b[0] ^= 0xff
	if k.Bytes() == b {
		t.Error("Bytes does not return a copy")
	}
}

func TestServerID(t *testing.T) {
	id := testServerID(t, "gw.example.org")
	want, err := spa.NewServerID("gw.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if id.SPA() != want {
		t.Errorf("NewServerID = %x, want spa.NewServerID = %x", id.SPA(), want)
	}
	if want != sha256.Sum256([]byte("spa1 server id"+"gw.example.org")) {
		t.Error("spa.NewServerID does not match SPEC §2")
	}
	if id.String() != id.Encode() || !strings.HasPrefix(id.String(), "spa-server-id-") {
		t.Errorf("String = %q, Encode = %q", id.String(), id.Encode())
	}
	if got := fmt.Sprint(id); got != id.Encode() {
		t.Errorf("Sprint(id) = %q, want %q", got, id.Encode())
	}
	if !id.Equal(ServerIDFromSPA(want)) || id.Equal(testServerID(t, "other")) {
		t.Error("Equal wrong")
	}
	for _, name := range []string{"", strings.Repeat("a", 256), "bad\xffutf8"} {
		_, err := NewServerID(name)
		if err == nil {
			t.Errorf("NewServerID(%q) succeeded", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), fmt.Sprintf("keys: server name %q: ", name)) {
			t.Errorf("NewServerID(%q) error %q does not quote the name", name, err)
		}
		if errors.Unwrap(err) == nil {
			t.Errorf("NewServerID(%q) error does not wrap the cause", name)
		}
	}
	if _, err := NewServerID(strings.Repeat("a", 255)); err != nil {
		t.Errorf("255-byte name: %v", err)
	}
}
