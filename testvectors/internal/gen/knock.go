package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
)

// Knock-port constants of SPEC.md §11.
const (
	flagFragmented = 0x02 // body flag bit 1 (§5)
	fragTagLen     = 8    // T_i length (§11.5)
	portAttempts   = 64   // j = 0 .. 63 (§11.4)
	minRange       = 64   // hi - lo + 1 >= 64 (§11.1 rule 1)
	smallPacket    = headLen + smallBody + tagLen
	largePacket    = headLen + largeBody + tagLen
)

// knockConfig is the shared configuration of §11.1 for one knock.
type knockConfig struct {
	n        int
	lo, hi   uint16
	excluded []uint16 // X, ascending; may hold ports outside [lo, hi]
}

// check applies §11.1 rules 1 to 3 (without the look-ahead).
func (cfg knockConfig) check() error {
	size := int(cfg.hi) - int(cfg.lo) + 1
	if cfg.lo < 1 || cfg.lo > cfg.hi || size < minRange {
		return fmt.Errorf("rule 1: range %d-%d", cfg.lo, cfg.hi)
	}
	inside := 0
	for _, p := range cfg.excluded {
		if p >= cfg.lo && p <= cfg.hi {
			inside++
		}
	}
	if 4*inside > size {
		return fmt.Errorf("rule 2: %d of %d ports excluded", inside, size)
	}
	if cfg.n < 2 || cfg.n > 8 {
		return fmt.Errorf("rule 3: n = %d", cfg.n)
	}
	if !slices.IsSorted(cfg.excluded) || len(slices.Compact(slices.Clone(cfg.excluded))) != len(cfg.excluded) {
		return fmt.Errorf("excluded set %v is not ascending and duplicate-free", cfg.excluded)
	}
	return nil
}

// reroll records one attempt of §11.4 that did not produce a port.
type reroll struct {
	i, j   int
	port   uint16
	reason string // "excluded" or "collision"
}

// knockPorts derives p_0 .. p_{n-1} for counter c (§11.4), with the attempt
// j that produced each port and every rejected attempt. An error means the
// counter is unusable.
func knockPorts(kKnock []byte, c uint64, cfg knockConfig) (ports []uint16, attempts []int, rerolls []reroll, err error) {
	size := uint32(cfg.hi) - uint32(cfg.lo) + 1
	for i := 0; i < cfg.n; i++ {
		found := false
		for j := 0; j < portAttempts && !found; j++ {
			msg := []byte("port")
			msg = binary.BigEndian.AppendUint64(msg, c)
			msg = append(msg, byte(cfg.n), byte(i), byte(j))
			if len(msg) != 15 {
				panic("port message is not 15 bytes")
			}
			m := hmac.New(sha256.New, kKnock)
			m.Write(msg)
			p := uint16(uint32(cfg.lo) + dynamicTruncate(m.Sum(nil))%size)
			switch {
			case slices.Contains(cfg.excluded, p):
				rerolls = append(rerolls, reroll{i, j, p, "excluded"})
			case slices.Contains(ports, p):
				rerolls = append(rerolls, reroll{i, j, p, "collision"})
			default:
				ports = append(ports, p)
				attempts = append(attempts, j)
				found = true
			}
		}
		if !found {
			return nil, nil, rerolls, fmt.Errorf("counter %d unusable: fragment %d has no port", c, i)
		}
	}
	return ports, attempts, rerolls, nil
}

// fragmentBounds returns off_i and len_i for fragment i of n of an L-byte
// packet (§11.5).
func fragmentBounds(l, n, i int) (off, length int) {
	q, r := l/n, l%n
	length = q
	if i < r {
		length++
	}
	return i*q + min(i, r), length
}

// fragmentTag is HMAC(k_frag, "frag" || u64(c) || u8(n) || u8(i) || chunk)[0:8].
func fragmentTag(kFrag []byte, c uint64, n, i int, chunk []byte) []byte {
	m := hmac.New(sha256.New, kFrag)
	m.Write([]byte("frag"))
	m.Write(binary.BigEndian.AppendUint64(nil, c))
	m.Write([]byte{byte(n), byte(i)})
	m.Write(chunk)
	return m.Sum(nil)[:fragTagLen]
}

// fragments cuts the sealed packet into payload_i = chunk_i || T_i (§11.5).
func fragments(kFrag []byte, pkt []byte, c uint64, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		off, length := fragmentBounds(len(pkt), n, i)
		chunk := pkt[off : off+length]
		out[i] = append(slices.Clone(chunk), fragmentTag(kFrag, c, n, i, chunk)...)
	}
	return out
}

// specPayloadLens is the table of §11.5 as printed, indexed by n, for the
// small and the large bucket. The generator checks its own arithmetic
// against it.
var specPayloadLens = map[int][2][]int{
	2: {{87, 86}, {151, 150}},
	3: {{61, 60, 60}, {103, 103, 103}},
	4: {{48, 47, 47, 47}, {80, 79, 79, 79}},
	5: {{40, 40, 39, 39, 39}, {65, 65, 65, 65, 65}},
	6: {{35, 34, 34, 34, 34, 34}, {56, 56, 56, 55, 55, 55}},
	7: {{31, 31, 31, 30, 30, 30, 30}, {49, 49, 49, 49, 49, 48, 48}},
	8: {{28, 28, 28, 28, 28, 27, 27, 27}, {44, 44, 44, 44, 44, 43, 43, 43}},
}

// checkPayloadLens compares the payload lengths with the §11.5 table.
func checkPayloadLens(payloads [][]byte, pktLen int) error {
	bucket := 0
	if pktLen == largePacket {
		bucket = 1
	}
	want := specPayloadLens[len(payloads)][bucket]
	for i, p := range payloads {
		if len(p) != want[i] {
			return fmt.Errorf("payload %d of %d has %d bytes, the table of §11.5 says %d", i, len(payloads), len(p), want[i])
		}
	}
	return nil
}

// referenceReceive runs §11.7 K1 to K4 on a finished knock vector, reading
// only its JSON fields: a knock table holding this one counter, each payload
// delivered to its port in the given order, and the reassembly by slot. It
// returns the reassembled packet, which appears exactly when the last slot
// is filled.
func referenceReceive(v *knockJSON, order []int) ([]byte, error) {
	k := senderKeys(v.ClientSecret, v.ServerName)
	cfg := knockConfig{n: v.Fragments, lo: v.Range.Lo, hi: v.Range.Hi, excluded: v.Excluded}
	ports, _, _, err := knockPorts(k.knock, v.Counter, cfg)
	if err != nil {
		return nil, err
	}
	table := map[uint16]int{} // K1: port -> fragment index of the only live counter
	for i, p := range ports {
		table[p] = i
	}
	slots := make([][]byte, cfg.n)
	filled := 0
	for step, idx := range order {
		d := []byte(v.Payloads[idx])
		i, ok := table[v.Ports[idx]]
		if !ok {
			return nil, fmt.Errorf("K1: payload %d at port %d: unknown_key", idx, v.Ports[idx])
		}
		_, small := fragmentBounds(smallPacket, cfg.n, i)
		_, large := fragmentBounds(largePacket, cfg.n, i)
		if len(d) != small+fragTagLen && len(d) != large+fragTagLen {
			return nil, fmt.Errorf("K2: payload %d: malformed", idx)
		}
		chunk := d[:len(d)-fragTagLen]
		if !hmac.Equal(fragmentTag(k.frag, v.Counter, cfg.n, i, chunk), d[len(d)-fragTagLen:]) {
			return nil, fmt.Errorf("K3: payload %d: fragment_auth", idx)
		}
		if slots[i] == nil {
			slots[i] = chunk
			filled++
		}
		if (filled == cfg.n) != (step == len(order)-1) {
			return nil, fmt.Errorf("K4: %d of %d slots filled after %d fragments", filled, cfg.n, step+1)
		}
	}
	return bytes.Join(slots, nil), nil
}

// parseKnockBody is §7 step 5 with the changes of §11.7 K5: FRAGMENTED must
// be set, counter must equal the knock's c and type must not be resync, on
// top of every rule of §5.1 (rule 2 then allows bit 1).
func parseKnockBody(b []byte, e, c uint64) (msg, error) {
	if b[1]&flagFragmented == 0 {
		return msg{}, fmt.Errorf("K5: FRAGMENTED clear")
	}
	plain := slices.Clone(b)
	plain[1] &^= flagFragmented
	m, err := parseBody(plain, e)
	if err != nil {
		return m, err
	}
	m.flags |= flagFragmented
	if m.counter != c {
		return m, fmt.Errorf("K5: body counter %d, knock counter %d", m.counter, c)
	}
	if m.typ == typeResync {
		return m, fmt.Errorf("K5: resync sent as a knock")
	}
	return m, nil
}

// referenceVerifyKnock runs §7 steps 1 to 6 with the changes of §11.7 K5 on
// a reassembled packet, reading only the vector's JSON fields: only the
// knock's client is a candidate, and the body must be bound to the knock.
func referenceVerifyKnock(v *knockJSON, pkt []byte) outcome {
	body, e, fail := openPacket(senderKeys(v.ClientSecret, v.ServerName), pkt, v.NowMs, v.WindowMs)
	if fail != nil {
		return *fail
	}
	m, err := parseKnockBody(body, e, v.Counter)
	if err != nil {
		return outcome{reason: "bad_body", detail: err.Error()}
	}
	if stale(m.ts, v.NowMs, v.WindowMs) {
		return outcome{reason: "stale"}
	}
	return outcome{reason: "ok"}
}
