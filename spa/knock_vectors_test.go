package spa_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
	"github.com/spa-project/spa/testvectors"
)

// The knock vectors (SPEC.md §12.3) are written by the independent generator
// in testvectors/internal/gen. For every vector package spa must derive
// exactly its ports, produce exactly its payloads, accept each payload at its
// port, reassemble the packet in any order and, where a body is given,
// verify the packet with the vector's outcome and reseal it byte for byte.

// kvKey is the vector client's key as the server holds it.
func kvKey(t *testing.T, secret []byte, server string) *spa.Key {
	t.Helper()
	id, err := spa.NewServerID(server)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != spa.KeySize {
		t.Fatalf("client secret has %d bytes", len(secret))
	}
	var s [spa.KeySize]byte
	copy(s[:], secret)
	return spa.NewKey("vector client", spa.DeriveClientServerKey(&s, id), id)
}

// kvBody converts a vector's body object to the body spa seals.
func kvBody(t *testing.T, v *testvectors.KnockBody) (spa.Body, spa.Bucket) {
	t.Helper()
	types := map[string]spa.MsgType{"open": spa.MsgOpen, "close": spa.MsgClose, "action": spa.MsgAction, "resync": spa.MsgResync}
	typ, ok := types[v.Type]
	if !ok {
		t.Fatalf("body type %q", v.Type)
	}
	b := spa.Body{Type: typ, UnixMilli: v.TsMs, Counter: v.Counter, Duration: v.DurationS, Action: v.Action}
	if v.UseSource {
		b.Flags |= spa.FlagUseSource
	} else {
		ip, err := netip.ParseAddr(v.ClientIP)
		if err != nil {
			t.Fatal(err)
		}
		b.ClientIP = ip
	}
	var ports []spa.Port
	for _, s := range v.Ports {
		p, err := spa.ParsePort(s)
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, p)
	}
	if err := b.SetPorts(ports); err != nil {
		t.Fatal(err)
	}
	bucket := map[string]spa.Bucket{"small": spa.Small, "large": spa.Large}[v.Bucket]
	return b, bucket
}

// kvOrders are the arrival orders a knock of n fragments is delivered in:
// every permutation for n <= 4, else in order, reversed, every rotation and
// a few shuffles.
func kvOrders(n int, seed uint64) [][]int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	if n <= 4 {
		var all [][]int
		var perm func(prefix, rest []int)
		perm = func(prefix, rest []int) {
			if len(rest) == 0 {
				all = append(all, slices.Clone(prefix))
				return
			}
			for i := range rest {
				next := append(slices.Clone(rest[:i]), rest[i+1:]...)
				perm(append(prefix, rest[i]), next)
			}
		}
		perm(nil, in)
		return all
	}
	var out [][]int
	for r := range n {
		out = append(out, append(slices.Clone(in[r:]), in[:r]...))
	}
	rev := slices.Clone(in)
	slices.Reverse(rev)
	out = append(out, rev)
	rng := rand.New(rand.NewPCG(seed, 0x6b6e6f636b))
	for range 8 {
		out = append(out, rng.Perm(n))
	}
	return out
}

func TestKnockVectorFiles(t *testing.T) {
	vs, err := testvectors.Knocks()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) < 15 {
		t.Fatalf("%d knock vectors, want at least 15", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) { kvCheck(t, &v) })
	}
}

func kvCheck(t *testing.T, v *testvectors.Knock) {
	key := kvKey(t, v.ClientSecret, v.ServerName)
	n, c := v.Fragments, v.Counter

	// Configuration (§11.1): the range as the knock_range setting writes it.
	r, err := spa.ParsePortRange(fmt.Sprintf("%d-%d", v.Range.Lo, v.Range.Hi))
	if err != nil {
		t.Fatal(err)
	}
	if r != (spa.PortRange{Lo: v.Range.Lo, Hi: v.Range.Hi}) {
		t.Fatalf("ParsePortRange gives %v, want %d-%d", r, v.Range.Lo, v.Range.Hi)
	}
	excluded := spa.ExcludePorts(v.Excluded...)
	if err := spa.CheckKnockConfig(n, r, excluded); err != nil {
		t.Fatalf("CheckKnockConfig refuses the vector's configuration: %v", err)
	}

	// Ports (§11.4) and payloads (§11.5).
	ports, err := key.KnockPorts(c, n, r, excluded)
	if err != nil {
		t.Fatalf("KnockPorts: %v", err)
	}
	if !slices.Equal(ports, v.Ports) {
		t.Errorf("KnockPorts = %v, vector has %v (attempts %v)", ports, v.Ports, v.Attempts)
	}
	payloads := key.Fragments(nil, v.Packet, c, n)
	if len(payloads) != n {
		t.Fatalf("Fragments returned %d payloads, want %d", len(payloads), n)
	}
	for i := range payloads {
		if !bytes.Equal(payloads[i], v.Payloads[i]) {
			t.Errorf("payload %d = %x, vector has %x", i, payloads[i], []byte(v.Payloads[i]))
		}
	}

	// K1-K3: every payload is accepted at its port, as fragment i of the
	// knock; every bit flip fails the tag; a wrong length is malformed.
	table := spa.NewKnockTable()
	if err := table.SetWindow(key, []uint64{c}, n, r, excluded); err != nil {
		t.Fatal(err)
	}
	cands := make([]spa.Candidate, n)
	for i, payload := range v.Payloads {
		want := spa.Candidate{Key: key, Counter: c, Fragments: uint8(n), Index: uint8(i)}
		chunk, ok := key.CheckFragment(c, n, i, payload)
		if !ok || !bytes.Equal(chunk, payload[:len(payload)-spa.FragmentTagSize]) {
			t.Errorf("CheckFragment refuses payload %d (ok %v)", i, ok)
		}
		cands[i] = want
		cand, err := table.Match(v.Ports[i], payload)
		matched := err == nil && cand == want
		if !matched {
			t.Errorf("Match(port %d, payload %d) = %+v, %v; want %+v", v.Ports[i], i, cand, err, want)
		}

		bad := slices.Clone([]byte(payload))
		for bit := range 8 * len(bad) {
			bad[bit/8] ^= 1 << (bit % 8)
			if _, ok := key.CheckFragment(c, n, i, bad); ok {
				t.Errorf("CheckFragment accepts payload %d with bit %d flipped", i, bit)
			}
			if _, err := table.Match(v.Ports[i], bad); matched && !kvIsReason(err, spa.ReasonFragmentAuth) {
				t.Errorf("Match of payload %d with bit %d flipped: %v, want fragment_auth", i, bit, err)
			}
			bad[bit/8] ^= 1 << (bit % 8)
		}
		if _, err := table.Match(v.Ports[i], payload[:len(payload)-1]); matched && !kvIsReason(err, spa.ReasonMalformed) {
			t.Errorf("Match of payload %d one byte short: %v, want malformed", i, err)
		}
	}
	for p := r.Lo; ; p++ {
		if !slices.Contains(v.Ports, p) {
			if _, err := table.Match(p, v.Payloads[0]); !kvIsReason(err, spa.ReasonUnknownKey) {
				t.Errorf("Match at port %d, which is no knock port: %v, want unknown_key", p, err)
			}
			break
		}
	}

	// K4: reassembly in any order, duplicates ignored.
	now := time.UnixMilli(int64(v.NowMs))
	if v.Body == nil {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	src := netip.MustParseAddr("198.51.100.23")
	for _, order := range kvOrders(n, c) {
		re := spa.NewReassembler(spa.ReassemblyLimits{})
		for step, idx := range order {
			for copyNo := range 2 {
				pkt, done, err := re.Add(now, cands[idx], src, v.Payloads[idx])
				last := step == len(order)-1 && copyNo == 0
				if err != nil || done != last {
					t.Fatalf("order %v: fragment %d copy %d: done %v, err %v; want done %v", order, idx, copyNo, done, err, last)
				}
				if done && !bytes.Equal(pkt, v.Packet) {
					t.Fatalf("order %v reassembles %x, want %x", order, pkt, []byte(v.Packet))
				}
			}
		}
	}

	if slices.Contains(v.Flags, "totp") && !slices.Contains(spa.TOTPWindow(now), c) {
		t.Errorf("TOTP counter %d is not in TOTPWindow(%v) = %v", c, now, spa.TOTPWindow(now))
	}
	if v.Body == nil {
		return
	}

	// K5: verification of the reassembled packet.
	hints := spa.NewHintTable([]*spa.Key{key}, now, time.Duration(v.WindowMs)*time.Millisecond)
	gotKey, got, err := hints.OpenKnock(v.Packet, now, cands[n-1])
	if v.Expect != "ok" {
		if !kvIsReason(err, kvReason(t, v.Expect)) {
			t.Errorf("OpenKnock: %v, vector expects %s", err, v.Expect)
		}
		return
	}
	if err != nil || gotKey != key {
		t.Fatalf("OpenKnock: key %v, err %v; vector expects ok", gotKey, err)
	}
	body, bucket := kvBody(t, v.Body)
	want := body
	want.Flags |= spa.FlagFragmented
	if got != want {
		t.Errorf("OpenKnock body = %+v, vector has %+v", got, want)
	}
	if _, _, err := hints.Open(v.Packet, now); !kvIsReason(err, spa.ReasonBadBody) {
		t.Errorf("Open of the knock packet as a single datagram: %v, want bad_body (FRAGMENTED, §5.1 rule 2)", err)
	}

	// The packet is reproduced by sealing the body as a knock.
	var nonce [spa.NonceSize]byte
	copy(nonce[:], v.Nonce)
	sealed, err := key.SealKnock(nil, &body, c, &nonce, bucket)
	if err != nil || !bytes.Equal(sealed, v.Packet) {
		t.Errorf("SealKnock = %x, %v; vector has %x", sealed, err, []byte(v.Packet))
	}
	kPorts, kPayloads, err := key.Knock(&body, c, n, r, excluded, &nonce, bucket)
	if err != nil || !slices.Equal(kPorts, v.Ports) || len(kPayloads) != n {
		t.Fatalf("Knock = %v, %d payloads, %v; vector has ports %v", kPorts, len(kPayloads), err, v.Ports)
	}
	for i := range kPayloads {
		if !bytes.Equal(kPayloads[i], v.Payloads[i]) {
			t.Errorf("Knock payload %d = %x, vector has %x", i, kPayloads[i], []byte(v.Payloads[i]))
		}
	}
}

func kvReason(t *testing.T, s string) spa.Reason {
	t.Helper()
	r, ok := spa.ParseReason(s)
	if !ok {
		t.Fatalf("unknown reason %q", s)
	}
	return r
}

func kvIsReason(err error, want spa.Reason) bool {
	r, ok := spa.ReasonOf(err)
	return ok && r == want
}

func TestTOTPVectorFiles(t *testing.T) {
	vs, err := testvectors.TOTPs()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 18 {
		t.Fatalf("%d TOTP vectors, want 18", len(vs))
	}
	for _, v := range vs {
		h, ok := spa.ParseOTPHash(v.Mode)
		if !ok {
			t.Errorf("%s: unknown mode %q", v.Name, v.Mode)
			continue
		}
		if v.T0 != 0 || v.Step != uint64(spa.TOTPStep/time.Second) {
			t.Errorf("%s: t0 %d, step %d; spa uses T0 = 0 and %v", v.Name, v.T0, v.Step, spa.TOTPStep)
			continue
		}
		at := time.Unix(int64(v.Time), 0)
		if got := spa.TOTPCounter(at); got != v.Counter {
			t.Errorf("%s: TOTPCounter = %d, want %d", v.Name, got, v.Counter)
		}
		if got := spa.DynamicTruncate(v.HMAC); got != v.Truncated {
			t.Errorf("%s: DynamicTruncate = %d, want %d", v.Name, got, v.Truncated)
		}
		if got := spa.FormatOTP(spa.TOTP(h, v.Seed, at, v.Digits), v.Digits); got != v.OTP {
			t.Errorf("%s: TOTP = %s, want %s", v.Name, got, v.OTP)
		}
		if got := spa.FormatOTP(spa.HOTPHash(h, v.Seed, v.Counter, v.Digits), v.Digits); got != v.OTP {
			t.Errorf("%s: HOTPHash = %s, want %s", v.Name, got, v.OTP)
		}
	}
}
