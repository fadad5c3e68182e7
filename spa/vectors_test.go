package spa_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
	"github.com/spa-project/spa/testvectors"
)

// spaReasons are the reasons decided by verification steps 1 to 6; for any
// other expectation the packet must pass Open (SPEC.md §12.1).
var spaReasons = map[string]bool{"malformed": true, "unknown_key": true, "auth": true, "bad_body": true, "stale": true}

func loadVectors(t testing.TB) []testvectors.Packet {
	t.Helper()
	vs, err := testvectors.Packets()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) < 30 {
		t.Fatalf("only %d packet vectors", len(vs))
	}
	return vs
}

// verifier returns the hint table of the vector's verifying server.
func verifier(t testing.TB, v *testvectors.Packet) *spa.HintTable {
	t.Helper()
	id, err := spa.NewServerID(v.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	cs := spa.DeriveClientServerKey((*[32]byte)(v.ClientSecret), id)
	if v.VerifierKey != nil {
		cs = [32]byte(v.VerifierKey)
	}
	return spa.NewHintTable([]*spa.Key{spa.NewKey("client", cs, id)}, time.UnixMilli(int64(v.NowMs)), time.Duration(v.WindowMs)*time.Millisecond)
}

func senderKey(t testing.TB, v *testvectors.Packet) *spa.Key {
	t.Helper()
	id, err := spa.NewServerID(v.ServerName)
	if err != nil {
		t.Fatal(err)
	}
	return spa.NewKey("client", spa.DeriveClientServerKey((*[32]byte)(v.ClientSecret), id), id)
}

func TestVectorsOpen(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if _, ok := spa.ParseReason(v.Expect); !ok && v.Expect != "ok" {
				t.Fatalf("unknown expectation %q", v.Expect)
			}
			key, b, err := verifier(t, &v).Open(v.Packet, time.UnixMilli(int64(v.NowMs)))
			if spaReasons[v.Expect] {
				r, ok := spa.ReasonOf(err)
				if !ok || r.String() != v.Expect {
					t.Fatalf("Open: %v, want %s", err, v.Expect)
				}
				return
			}
			if err != nil || key == nil {
				t.Fatalf("Open: %v, want success (the server decides %q)", err, v.Expect)
			}
			if v.Body != nil {
				want := vectorBody(t, v.Body)
				if b != want {
					t.Fatalf("body %+v, want %+v", b, want)
				}
			}
		})
	}
}

// Sealing each canonical body with the vector's nonce reproduces the packet.
func TestVectorsSealReproducesBytes(t *testing.T) {
	n := 0
	for _, v := range loadVectors(t) {
		if v.Body == nil {
			continue
		}
		n++
		t.Run(v.Name, func(t *testing.T) {
			b := vectorBody(t, v.Body)
			size := spa.Small
			if v.Body.Bucket == "large" {
				size = spa.Large
			}
			got, err := senderKey(t, &v).Seal(nil, &b, (*[spa.NonceSize]byte)(v.Nonce), size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, v.Packet) {
				t.Fatalf("sealed\n%x\nwant\n%x", got, v.Packet)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d vectors carry a body", n)
	}
}

// The sender's hint and mask match the vector's intermediate values.
func TestVectorsDerivedHint(t *testing.T) {
	for _, v := range loadVectors(t) {
		ts := binary.BigEndian.Uint64(v.Plaintext[2:10])
		hint, mask := senderKey(t, &v).Hint(spa.Epoch(ts))
		if !bytes.Equal(hint[:], v.Derived.Hint) || !bytes.Equal([]byte{mask}, v.Derived.Mask) {
			t.Errorf("%s: hint %x mask %02x, want %x %x", v.Name, hint, mask, v.Derived.Hint, v.Derived.Mask)
		}
	}
}

// Flipping any single bit of any vector that passes Open is rejected.
func TestVectorsBitFlips(t *testing.T) {
	checked := 0
	for _, v := range loadVectors(t) {
		if spaReasons[v.Expect] {
			continue
		}
		tab := verifier(t, &v)
		now := time.UnixMilli(int64(v.NowMs))
		for i := range len(v.Packet) * 8 {
			bad := bytes.Clone(v.Packet)
			bad[i/8] ^= 1 << (i % 8)
			if _, _, err := tab.Open(bad, now); err == nil {
				t.Fatalf("%s: bit %d flipped and accepted", v.Name, i)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d vectors bit-flipped", checked)
	}
}

func vectorBody(t testing.TB, vb *testvectors.Body) spa.Body {
	t.Helper()
	b := spa.Body{UnixMilli: vb.TsMs, Counter: vb.Counter, Duration: vb.DurationS, Action: vb.Action}
	types := map[string]spa.MsgType{"open": spa.MsgOpen, "close": spa.MsgClose, "action": spa.MsgAction, "resync": spa.MsgResync}
	var ok bool
	if b.Type, ok = types[vb.Type]; !ok {
		t.Fatalf("unknown body type %q", vb.Type)
	}
	if vb.UseSource {
		b.Flags |= spa.FlagUseSource
	}
	if vb.ClientIP != "" {
		b.ClientIP = netip.MustParseAddr(vb.ClientIP)
	}
	ports := make([]spa.Port, 0, len(vb.Ports))
	for _, s := range vb.Ports {
		p, err := spa.ParsePort(s)
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, p)
	}
	if err := b.SetPorts(ports); err != nil {
		t.Fatal(err)
	}
	return b
}

func ExampleKey_Seal() {
	id, _ := spa.NewServerID("bastion-a.example")
	var secret [32]byte // a real secret comes from crypto/rand
	key := spa.NewKey("alice", spa.DeriveClientServerKey(&secret, id), id)

	now := time.UnixMilli(1_767_225_600_000)
	b := spa.Body{Type: spa.MsgOpen, UnixMilli: uint64(now.UnixMilli()), ClientIP: netip.MustParseAddr("192.0.2.10"), Duration: 30}
	b.SetPorts([]spa.Port{{Proto: spa.TCP, Port: 22}})
	var nonce [spa.NonceSize]byte // a real nonce comes from crypto/rand: use SealRandom
	pkt, _ := key.Seal(nil, &b, &nonce, spa.Small)

	table := spa.NewHintTable([]*spa.Key{key}, now, time.Minute)
	from, got, err := table.Open(pkt, now)
	fmt.Println(len(pkt), from.Name(), got.ClientIP, got.PortList(), err)

	pkt[len(pkt)-1] ^= 1
	_, _, err = table.Open(pkt, now)
	fmt.Println(err)
	// Output:
	// 157 alice 192.0.2.10 [tcp/22] <nil>
	// spa: message authentication failed
}
