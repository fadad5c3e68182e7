package tomlfile

import (
	"reflect"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/spa-project/spa/spa"
)

func TestPositions(t *testing.T) {
	doc := `a = 1
b.c = 2
inline = { x = 1, y = [
  "p",
  # comment
  "q",
] }
list = [
  1,
  2,
]

[t]
k = "v"
[t.u]
m = 1
`
	pos := indexPositions([]byte(doc))
	for key, line := range map[string]int{
		"a": 1, "b": 2, "b.c": 2, "inline": 3, "inline.x": 3, "inline.y": 3, "list": 8,
		"t": 13, "t.k": 14, "t.u": 15, "t.u.m": 16, "nope": 0,
	} {
		if got := pos.line(key); got != line {
			t.Errorf("line(%q) = %d, want %d", key, got, line)
		}
	}
	if got := pos.elems["inline.y"]; !reflect.DeepEqual(got, []int{4, 6}) {
		t.Errorf("inline.y elements on %v", got)
	}
	if got := pos.elems["list"]; !reflect.DeepEqual(got, []int{9, 10}) {
		t.Errorf("list elements on %v", got)
	}
	if pos.elemLine("list", 5) != 8 {
		t.Error("elemLine does not fall back to the key")
	}
}

type rawTest struct {
	S     any `toml:"s"`
	I     any `toml:"i"`
	F     any `toml:"f"`
	B     any `toml:"b"`
	L     any `toml:"l"`
	P     any `toml:"p"`
	D     any `toml:"d"`
	T     any `toml:"t"`
	Inner struct {
		X any `toml:"x"`
	} `toml:"inner"`
}

func TestCheckerGetters(t *testing.T) {
	doc := `s = "str"
i = 7
f = 2
b = true
l = ["x", "y"]
p = ["tcp/22", "udp/53"]
d = "1m30s"
t = 2030-01-02T03:04:05Z
inner.x = 1
`
	c := NewChecker("f", []byte(doc), "")
	var raw rawTest
	if !c.Decode(&raw) {
		t.Fatal(c.Problems())
	}
	if v, ok := c.Str("s", raw.S); !ok || v != "str" {
		t.Error("Str", v, ok)
	}
	if v, ok := c.Int("i", raw.I, 1, 10); !ok || v != 7 {
		t.Error("Int", v, ok)
	}
	if v, ok := c.Number("f", raw.F, 10); !ok || v != 2 {
		t.Error("Number", v, ok)
	}
	if v, ok := c.Bool("b", raw.B); !ok || !v {
		t.Error("Bool", v, ok)
	}
	if v, ok := c.Strings("l", raw.L); !ok || !reflect.DeepEqual(v, []string{"x", "y"}) {
		t.Error("Strings", v, ok)
	}
	if v, ok := c.Ports("p", raw.P); !ok || !reflect.DeepEqual(v, []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.UDP, Port: 53}}) {
		t.Error("Ports", v, ok)
	}
	if v, ok := c.Duration("d", raw.D, time.Second, time.Hour, true); !ok || v != 90*time.Second {
		t.Error("Duration", v, ok)
	}
	if v, ok := c.Time("t", raw.T); !ok || !v.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Error("Time", v, ok)
	}
	if _, ok := c.Str("absent", nil); ok {
		t.Error("absent key ok")
	}
	if len(c.Problems()) != 0 || c.Problems().Err() != nil {
		t.Errorf("problems: %v", c.Problems())
	}
	if c.Line("inner.x") != 9 || c.Line("inner") != 9 {
		t.Errorf("Line(inner.x) = %d", c.Line("inner.x"))
	}
}

func TestCheckerCollectsTypeProblems(t *testing.T) {
	doc := "s = 1\ni = \"x\"\nf = nan\nb = 1\nl = [\"x\",\n  2]\np = \"tcp/22\"\nd = \"5\"\nt = 2030-01-02\n"
	c := NewChecker("f", []byte(doc), "")
	var raw rawTest
	if !c.Decode(&raw) {
		t.Fatal(c.Problems())
	}
	c.Str("s", raw.S)
	c.Int("i", raw.I, 0, 1)
	c.Number("f", raw.F, 1)
	c.Bool("b", raw.B)
	c.Strings("l", raw.L)
	c.Ports("p", raw.P)
	c.Duration("d", raw.D, 0, time.Hour, false)
	c.Time("t", raw.T)
	want := []string{
		"f:1: s: must be a string, not an integer",
		"f:2: i: must be an integer, not a string",
		"f:3: f: NaN is out of range: must be more than 0 and at most 1",
		"f:4: b: must be true or false, not an integer",
		"f:6: l: element 2 must be a string, not an integer",
		"f:7: p: must be an array of strings, not a string",
		`f:8: d: bad duration "5": want a number and a unit, such as "30s", "5m" or "1h30m"`,
		"f:9: t: must have a time zone offset, such as 2030-01-02T03:04:05Z",
	}
	if got := strings.Split(c.Problems().Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \back\slash`, "tab\tnew\nline\r\x00\x1f\x7f", "ünï€😀", "'single'"} {
		doc := "v = " + Quote(s) + "\nl = " + QuoteList([]string{s, s}) + "\n"
		var got struct {
			V string   `toml:"v"`
			L []string `toml:"l"`
		}
		if err := toml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if got.V != s || len(got.L) != 2 || got.L[1] != s {
			t.Errorf("Quote(%q) read back as %q", s, got.V)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.25: "0.25", 1e21: "1e+21", 1000: "1000.0"} {
		if got := FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestCheckHost(t *testing.T) {
	for _, h := range []string{"bastion", "bastion.example.com", "203.0.113.10", "2001:db8::1", "xn--bcher-kva.example"} {
		if err := CheckHost(h); err != nil {
			t.Errorf("CheckHost(%q) = %v", h, err)
		}
	}
	for _, h := range []string{"", "a b", "host:22", "[2001:db8::1]", "a/b", "tab\there", "1.2.3.4:5"} {
		if err := CheckHost(h); err == nil {
			t.Errorf("CheckHost(%q) accepted", h)
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, n := range []string{"a", "alice", "ci-runner_2.b", strings.Repeat("x", 64)} {
		if err := CheckName(n, 64); err != nil {
			t.Errorf("CheckName(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".hidden", "a b", "a/b", "..", "ünï", strings.Repeat("x", 65)} {
		if err := CheckName(n, 64); err == nil {
			t.Errorf("CheckName(%q) accepted", n)
		}
	}
}
