package spa

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// refMAC is HMAC-SHA256 from crypto/hmac, independent of shortMAC.
func refMAC(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// refKnockPorts is SPEC.md §11.4 written out from the text with
// crypto/hmac, sharing nothing with KnockPorts. It also returns the
// attempt j that produced each port.
func refKnockPorts(kKnock []byte, c uint64, n int, lo, hi int, excluded []uint16) (ports, attempts []int, ok bool) {
	for i := range n {
		found := false
		for j := range 64 {
			msg := []byte("port")
			msg = binary.BigEndian.AppendUint64(msg, c)
			msg = append(msg, byte(n), byte(i), byte(j))
			h := refMAC(kKnock, msg)
			o := int(h[31] & 0x0f)
			v := int(binary.BigEndian.Uint32(h[o:o+4]) & 0x7fffffff)
			p := lo + v%(hi-lo+1)
			if slices.Contains(excluded, uint16(p)) || slices.Contains(ports, p) {
				continue
			}
			ports, attempts = append(ports, p), append(attempts, j)
			found = true
			break
		}
		if !found {
			return nil, nil, false
		}
	}
	return ports, attempts, true
}

func TestShortMACIsHMACSHA256(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var key [KeySize]byte
	for range 200 {
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		head := make([]byte, rng.IntN(20))
		tail := make([]byte, rng.IntN(maxShortMAC-len(head)+1))
		for i := range head {
			head[i] = byte(rng.Uint32())
		}
		for i := range tail {
			tail[i] = byte(rng.Uint32())
		}
		got := shortMAC(&key, head, tail)
		if want := refMAC(key[:], head, tail); !hmac.Equal(got[:], want) {
			t.Fatalf("shortMAC(%d+%d bytes) = %x, want %x", len(head), len(tail), got, want)
		}
	}
}

func TestKnockPortsMatchSpec(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	spaPort := uint16(62201)
	for _, tc := range []struct {
		name     string
		r        PortRange
		excluded []uint16
	}{
		{"default range", DefaultKnockRange(), []uint16{spaPort, 20001, 40000}},
		{"tiny range", PortRange{40000, 40063}, []uint16{40000, 40001, 40002, 40003, 40010, 40020, 40030, 40040, 40050, 40060, 40061, 40062, 40063, 40005, 40007, 40009}},
		{"top of the port space", PortRange{65472, 65535}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			excl := ExcludePorts(tc.excluded...)
			if err := CheckKnockConfig(MaxFragments, tc.r, excl); err != nil {
				t.Fatal(err)
			}
			rerolls := 0
			for _, c := range []uint64{0, 1, 2, 9, 1 << 32, 1<<63 + 5, MaxKnockCounter} {
				for n := MinFragments; n <= MaxFragments; n++ {
					got, err := k.KnockPorts(c, n, tc.r, excl)
					if err != nil {
						t.Fatalf("c=%d n=%d: %v", c, n, err)
					}
					want, attempts, ok := refKnockPorts(k.k.knock[:], c, n, int(tc.r.Lo), int(tc.r.Hi), tc.excluded)
					if !ok || len(got) != n {
						t.Fatalf("c=%d n=%d: got %v, reference found none", c, n, got)
					}
					for i, p := range got {
						if int(p) != want[i] {
							t.Fatalf("c=%d n=%d: ports %v, spec gives %v", c, n, got, want)
						}
						if !tc.r.Contains(p) || excl(p) || slices.Contains(got[:i], p) {
							t.Fatalf("c=%d n=%d: port %d out of range, excluded or repeated in %v", c, n, p, got)
						}
						if attempts[i] > 0 {
							rerolls++
						}
					}
					again, _ := k.KnockPorts(c, n, tc.r, excl)
					if !slices.Equal(got, again) {
						t.Fatal("not deterministic")
					}
				}
			}
			if tc.name == "tiny range" && rerolls == 0 {
				t.Fatal("tiny range never rerolled; the test exercises nothing")
			}
		})
	}
}

// n is part of the input: the same counter with another n gives other ports,
// and other counters and keys give other ports.
func TestKnockPortsSeparation(t *testing.T) {
	a := testKey(t, "alice", "bastion-a.example")
	b := testKey(t, "bob", "bastion-a.example")
	a2 := testKey(t, "alice", "bastion-b.example")
	r := DefaultKnockRange()
	p3, _ := a.KnockPorts(7, 3, r, nil)
	p4, _ := a.KnockPorts(7, 4, r, nil)
	if slices.Equal(p3, p4[:3]) {
		t.Fatal("n=3 and n=4 share their ports")
	}
	p8, _ := a.KnockPorts(8, 3, r, nil)
	pb, _ := b.KnockPorts(7, 3, r, nil)
	pa2, _ := a2.KnockPorts(7, 3, r, nil)
	for _, other := range [][]uint16{p8, pb, pa2} {
		if slices.Equal(p3, other) {
			t.Fatalf("ports repeat: %v", other)
		}
	}
}

func TestKnockPortsErrors(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	for _, tc := range []struct {
		n    int
		r    PortRange
		c    uint64
		excl func(uint16) bool
		want string
	}{
		{1, DefaultKnockRange(), 0, nil, "fragments"},
		{9, DefaultKnockRange(), 0, nil, "fragments"},
		{4, PortRange{0, 100}, 0, nil, "range"},
		{4, PortRange{1000, 1062}, 0, nil, "range"},
		{4, PortRange{2000, 1000}, 0, nil, "range"},
		{4, DefaultKnockRange(), math.MaxUint64, nil, ErrCounterUnusable.Error()},
		{4, PortRange{1000, 1063}, 0, func(uint16) bool { return true }, ErrCounterUnusable.Error()},
	} {
		dst := []uint16{1, 2}
		got, err := k.AppendKnockPorts(dst, tc.c, tc.n, tc.r, tc.excl)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("n=%d r=%v c=%d: %v, want an error about %q", tc.n, tc.r, tc.c, err, tc.want)
		}
		if !slices.Equal(got, dst) {
			t.Errorf("dst changed on error: %v", got)
		}
	}
	_, err := k.KnockPorts(math.MaxUint64, 4, DefaultKnockRange(), nil)
	if !errors.Is(err, ErrCounterUnusable) {
		t.Fatalf("counter 2^64-1: %v", err)
	}
}

func TestCheckKnockConfig(t *testing.T) {
	r := PortRange{30000, 30099} // 100 ports: at most 25 excluded
	var ex []uint16
	for p := range uint16(25) {
		ex = append(ex, 30000+p*4)
	}
	if err := CheckKnockConfig(4, r, ExcludePorts(append(ex, 1, 2, 3)...)); err != nil {
		t.Fatalf("25 of 100 excluded (and some outside): %v", err)
	}
	if err := CheckKnockConfig(4, r, ExcludePorts(append(ex, 30001)...)); err == nil {
		t.Fatal("26 of 100 excluded accepted")
	}
	for _, bad := range []struct {
		n int
		r PortRange
	}{{1, r}, {9, r}, {4, PortRange{1, 63}}, {4, PortRange{0, 65535}}, {4, PortRange{5, 4}}} {
		if err := CheckKnockConfig(bad.n, bad.r, nil); err == nil {
			t.Errorf("n=%d r=%v accepted", bad.n, bad.r)
		}
	}
	if err := CheckKnockConfig(DefaultFragments, DefaultKnockRange(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestParsePortRange(t *testing.T) {
	for in, want := range map[string]PortRange{"20000-59999": {20000, 59999}, " 1-65535 ": {1, 65535}, "5-5": {5, 5}} {
		if got, err := ParsePortRange(in); err != nil || got != want {
			t.Errorf("ParsePortRange(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "20000", "0-10", "10-5", "1-65536", "a-b", "-5", "1-2-3"} {
		if _, err := ParsePortRange(in); err == nil || !strings.Contains(err.Error(), "20000-32767") {
			t.Errorf("ParsePortRange(%q) = %v, want an error with an example", in, err)
		}
	}
	if s := DefaultKnockRange().String(); s != "20000-32767" {
		t.Errorf("String = %q", s)
	}
}

func TestExcludePorts(t *testing.T) {
	ex := ExcludePorts(0, 22, 63, 64, 65535)
	for p := range 65536 {
		want := p == 0 || p == 22 || p == 63 || p == 64 || p == 65535
		if ex(uint16(p)) != want {
			t.Fatalf("port %d: %v", p, !want)
		}
	}
}

func TestCounterWindows(t *testing.T) {
	if got := HOTPWindow(5, 3); !slices.Equal(got, []uint64{5, 6, 7}) {
		t.Errorf("HOTPWindow(5, 3) = %v", got)
	}
	if got := HOTPWindow(MaxKnockCounter-1, 10); !slices.Equal(got, []uint64{MaxKnockCounter - 1, MaxKnockCounter}) {
		t.Errorf("HOTPWindow at the top = %v", got)
	}
	if got := HOTPWindow(math.MaxUint64, 10); len(got) != 0 {
		t.Errorf("HOTPWindow(2^64-1) = %v", got)
	}
	if got := TOTPWindow(time.Unix(95, 0)); !slices.Equal(got, []uint64{2, 3, 4}) {
		t.Errorf("TOTPWindow(95s) = %v", got)
	}
	if got := TOTPWindow(time.Unix(10, 0)); !slices.Equal(got, []uint64{0, 1}) {
		t.Errorf("TOTPWindow(10s) = %v", got)
	}
}
