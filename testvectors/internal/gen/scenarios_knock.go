package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
)

// Fixed inputs of the knock vectors.
const (
	spaPort0   = 62201 // the SPA port of the default excluded set, outside the default range
	defaultLo  = 20000 // knock_range default (§11.1)
	defaultHi  = 59999
	defaultN   = 4
	totpStepMs = totpStep * 1000
)

// knockCase describes one knock vector (SPEC.md §12.3).
type knockCase struct {
	name, comment string
	tags          []string

	secret  []byte
	server  string
	cfg     knockConfig
	counter uint64

	m          msg  // the body sealed into the packet; its counter may differ from counter
	fragmented bool // seal with FRAGMENTED set
	bare       bool // omit body, nonce, now_ms, window_ms and expect from the file

	now, window uint64
	expect      string

	// check inspects the derivation and fails a case that no longer shows
	// what its comment claims.
	check func(attempts []int, rerolls []reroll) error
}

// defaultKnockBody is an IPv4 open of tcp/22 for 60 s sent at now0.
func defaultKnockBody() msg {
	return msg{typ: typeOpen, ts: now0, ip: clientV4, duration: 60, ports: []portEntry{tcp(22)}, size: smallBody}
}

// kc returns the default knock case, HOTP counter 0 with n = 4 over the
// default range with the SPA port excluded, after edit. Edits set the
// knock's and the body's counter together with withCounter; a negative
// case then changes k.m.counter alone.
func kc(name, expect, comment string, edit func(*knockCase), tags ...string) knockCase {
	k := knockCase{
		name: name, comment: comment, expect: expect, tags: tags,
		secret: secretA, server: serverA,
		cfg:        knockConfig{n: defaultN, lo: defaultLo, hi: defaultHi, excluded: []uint16{spaPort0}},
		m:          defaultKnockBody(),
		fragmented: true,
		now:        now0, window: window0,
	}
	if edit != nil {
		edit(&k)
	}
	return k
}

// withCounter sets the knock's counter and the body's to c.
func withCounter(k *knockCase, c uint64) {
	k.counter = c
	k.m.counter = c
}

// knockScenarios are the knock vectors.
func knockScenarios() ([]knockCase, error) {
	var all []knockCase

	// Every n from 2 to 8 in both buckets, HOTP counters 0 to 13.
	for n := 2; n <= 8; n++ {
		for b, bucket := range []string{"small", "large"} {
			c := uint64(2*(n-2) + b)
			all = append(all, kc(fmt.Sprintf("knock_n%d_%s", n, bucket), "ok",
				fmt.Sprintf("open tcp/22 as a knock of %d fragments in the %s bucket, HOTP counter %d", n, bucket, c),
				func(k *knockCase) {
					k.cfg.n = n
					withCounter(k, c)
					if bucket == "large" {
						k.m.size = largeBody
					}
				}, fmt.Sprintf("n%d", n), bucket, "hotp"))
		}
	}

	all = append(all,
		kc("knock_counter_2_32", "ok", "counter 2^32 exactly: u64(c) in the port and tag inputs must not be cut to 32 bits", func(k *knockCase) {
			withCounter(k, 1<<32)
		}, "counter", "hotp"),
		kc("knock_counter_u64_bytes", "ok", "counter 0x0001020304050607 checks the u64 byte order of the port, tag and body encodings (below 2^53 so JSON readers that use doubles keep it exact); large bucket, n = 6", func(k *knockCase) {
			withCounter(k, 0x0001020304050607)
			k.cfg.n = 6
			k.m.size = largeBody
		}, "counter", "large", "hotp"),
		kc("knock_totp", "ok", fmt.Sprintf("TOTP mode: counter floor(ts / 30 s) = %d for the body's ts %d ms", now0/totpStepMs, uint64(now0)), func(k *knockCase) {
			withCounter(k, now0/totpStepMs)
		}, "totp"),
		kc("knock_totp_next_step", "ok", fmt.Sprintf("TOTP mode, a client that used c + 1 = %d (the server's live set includes c_now + 1); n = 3", now0/totpStepMs+1), func(k *knockCase) {
			withCounter(k, now0/totpStepMs+1)
			k.cfg.n = 3
		}, "totp"),
		kc("knock_other_client", "ok", "another client secret and server name: keys, ports and tags all change; n = 5", func(k *knockCase) {
			k.secret = secretB
			k.server = serverB
			k.cfg.n = 5
			withCounter(k, 3)
		}, "hotp"),
		kc("knock_ipv6", "ok", "open tcp/22 for an IPv6 client as a knock", func(k *knockCase) {
			k.m.ip = clientV6
			withCounter(k, 21)
		}, "ipv6", "hotp"),
		kc("knock_use_source", "ok", "USE_SOURCE (bit 0) together with FRAGMENTED (bit 1): flags byte 0x03", func(k *knockCase) {
			k.m.flags = flagUseSource
			k.m.ip = netip.Addr{}
			withCounter(k, 22)
		}, "use-source", "hotp"),
		kc("knock_close", "ok", "a close sent as a knock", func(k *knockCase) {
			k.m.typ = typeClose
			k.m.duration = 0
			withCounter(k, 23)
		}, "close", "hotp"),
		kc("knock_action", "ok", "an action (number 2) sent as a knock, n = 2, large bucket", func(k *knockCase) {
			k.m.typ = typeAction
			k.m.action = 2
			k.m.duration = 0
			k.m.ports = nil
			k.m.size = largeBody
			k.cfg.n = 2
			withCounter(k, 24)
		}, "action", "large", "hotp"),
		kc("knock_eight_ports", "ok", "open the maximum of 8 ports as a knock of 8 fragments", func(k *knockCase) {
			k.m.ports = []portEntry{tcp(22), udp(53), tcp(53), tcp(443), udp(443), tcp(8443), udp(51820), tcp(3389)}
			k.cfg.n = 8
			withCounter(k, 25)
		}, "ports", "hotp"),
		kc("knock_top_range", "ok", "range 65472-65535, the 64 highest ports: lo + (DT mod 64) reaches 65535 without overflowing 16 bits; no body", func(k *knockCase) {
			k.cfg = knockConfig{n: 8, lo: 65472, hi: 65535, excluded: []uint16{spaPort0}}
			withCounter(k, 26)
			k.bare = true
		}, "range", "hotp"),
		kc("knock_full_range", "ok", "range 1-65535, the largest: DT mod 65535; the excluded set holds ports 53 and 62201; no body", func(k *knockCase) {
			k.cfg = knockConfig{n: 5, lo: 1, hi: 65535, excluded: []uint16{53, spaPort0}}
			withCounter(k, 27)
			k.bare = true
		}, "range", "hotp"),

		// Negative verification cases (§11.7 K5, §12.3).
		kc("knock_bad_body_not_fragmented", "bad_body", "FRAGMENTED clear in a packet that arrived as a knock: every fragment is valid, but K5 requires the flag", func(k *knockCase) {
			k.fragmented = false
			withCounter(k, 30)
		}, "bad_body", "hotp"),
		kc("knock_bad_body_counter_next", "bad_body", "the body's counter is c + 1, not the knock's c: the authenticated counter must bind the packet to its ports", func(k *knockCase) {
			withCounter(k, 31)
			k.m.counter = 32
		}, "bad_body", "hotp"),
		kc("knock_bad_body_counter_zero", "bad_body", "the body's counter is 0 (unused), the knock's is 33", func(k *knockCase) {
			withCounter(k, 33)
			k.m.counter = 0
		}, "bad_body", "hotp"),
		kc("knock_bad_body_counter_high_bits", "bad_body", "the body's counter differs from the knock's 2^32 + 34 only above bit 31", func(k *knockCase) {
			withCounter(k, 1<<32+34)
			k.m.counter = 34
		}, "bad_body", "counter", "hotp"),
		kc("knock_bad_body_resync", "bad_body", "a resync sent as a knock with FRAGMENTED and the right counter: a resync is never a knock", func(k *knockCase) {
			k.m.typ = typeResync
			k.m.duration = 0
			k.m.ports = nil
			withCounter(k, 35)
		}, "bad_body", "resync", "hotp"),
		kc("knock_stale", "stale", "ts = now - W - 1 ms, in the same hint epoch: the knock reassembles and authenticates but is not fresh", func(k *knockCase) {
			k.m.ts = now0 - window0 - 1
			withCounter(k, 36)
		}, "freshness", "hotp"),
		kc("knock_unknown_key_old_epoch", "unknown_key", "ts one hour before now: the packet's hint is of an epoch outside the table, so K5 step 2 finds no candidate of the knock's client", func(k *knockCase) {
			k.m.ts = now0 - 3600000
			withCounter(k, 37)
		}, "freshness", "hotp"),
	)

	reroll, err := smallRangeCase()
	if err != nil {
		return nil, err
	}
	excl, err := excludedHitCase()
	if err != nil {
		return nil, err
	}
	return append(all, reroll, excl), nil
}

// smallRangeCase is the §12.3 small range: 64 ports, n = 8, a quarter of the
// range excluded (the most rule 2 allows). It takes the first counter whose
// derivation rerolls both for an excluded port and for a collision with an
// earlier fragment's port.
func smallRangeCase() (knockCase, error) {
	cfg := knockConfig{n: 8, lo: 40000, hi: 40063}
	for p := uint16(40000); p <= 40063; p += 4 {
		cfg.excluded = append(cfg.excluded, p)
	}
	cfg.excluded = append(cfg.excluded, spaPort0)
	k := senderKeys(secretA, serverA)
	for c := uint64(100); c < 1100; c++ {
		_, _, rerolls, err := knockPorts(k.knock, c, cfg)
		if err != nil {
			continue
		}
		if !hasReroll(rerolls, "excluded") || !hasReroll(rerolls, "collision") {
			continue
		}
		return kc("knock_small_range_rerolls", "ok",
			fmt.Sprintf("range 40000-40063 (64 ports) with n = 8 and 16 excluded ports inside it (every fourth, 25%%, the most §11.1 rule 2 allows) plus the SPA port: counter %d is the first from 100 whose derivation rerolls both for an excluded port and for a collision with an earlier fragment; %s",
				c, describeRerolls(rerolls)),
			func(kk *knockCase) {
				kk.cfg = cfg
				withCounter(kk, c)
				kk.check = func(_ []int, rr []reroll) error {
					if !hasReroll(rr, "excluded") || !hasReroll(rr, "collision") {
						return fmt.Errorf("rerolls %v lack an excluded or a collision", rr)
					}
					return nil
				}
			}, "range", "reroll", "n8", "hotp"), nil
	}
	return knockCase{}, fmt.Errorf("no counter in 100..1099 rerolls for both reasons")
}

// excludedHitCase excludes, in the default range, the first-choice ports of
// fragments 1 and 3 of counter 40, so both reroll; the excluded set also
// holds ports outside the range, which never matter.
func excludedHitCase() (knockCase, error) {
	const c = 40
	k := senderKeys(secretA, serverA)
	plain := knockConfig{n: defaultN, lo: defaultLo, hi: defaultHi}
	first, attempts, _, err := knockPorts(k.knock, c, plain)
	if err != nil {
		return knockCase{}, err
	}
	if slices.ContainsFunc(attempts, func(j int) bool { return j != 0 }) {
		return knockCase{}, fmt.Errorf("counter %d rerolls without exclusions: %v", c, attempts)
	}
	cfg := plain
	cfg.excluded = []uint16{22, first[1], first[3], spaPort0, 65535}
	slices.Sort(cfg.excluded)
	return kc("knock_excluded_hit", "ok",
		fmt.Sprintf("default range with the excluded set %v: %d and %d are the ports fragments 1 and 3 of counter %d would take on attempt 0, so both reroll; 22 and 65535 lie outside the range",
			cfg.excluded, first[1], first[3], c),
		func(kk *knockCase) {
			kk.cfg = cfg
			withCounter(kk, c)
			kk.check = func(att []int, rr []reroll) error {
				if att[0] != 0 || att[1] == 0 || att[2] != 0 || att[3] == 0 || !hasReroll(rr, "excluded") {
					return fmt.Errorf("attempts %v, rerolls %v", att, rr)
				}
				return nil
			}
		}, "excluded", "reroll", "hotp"), nil
}

func hasReroll(rr []reroll, reason string) bool {
	return slices.ContainsFunc(rr, func(r reroll) bool { return r.reason == reason })
}

// describeRerolls lists the rejected attempts for a comment.
func describeRerolls(rr []reroll) string {
	parts := make([]string, len(rr))
	for i, r := range rr {
		parts[i] = fmt.Sprintf("fragment %d attempt %d hit %d (%s)", r.i, r.j, r.port, r.reason)
	}
	return "rejected attempts: " + strings.Join(parts, ", ")
}

// build seals the case's body as a knock, derives ports and payloads, and
// checks the result with the reference receiver and verifier.
func (s knockCase) build() (*knockJSON, error) {
	if err := s.cfg.check(); err != nil {
		return nil, fmt.Errorf("%s: invalid configuration: %w", s.name, err)
	}
	k := senderKeys(s.secret, s.server)
	m := s.m
	if s.fragmented {
		m.flags |= flagFragmented
	}
	nonce := digest("spa test vectors: knock nonce for " + s.name)[:24]
	plaintext := m.encode()
	pkt := seal(k, hdrV1Suite1, epoch(m.ts), nonce, plaintext)

	ports, attempts, rerolls, err := knockPorts(k.knock, s.counter, s.cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if s.check != nil {
		if err := s.check(attempts, rerolls); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	payloads := fragments(k.frag, pkt, s.counter, s.cfg.n)
	if err := checkPayloadLens(payloads, len(pkt)); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if !bytes.Equal(bytes.Join(payloadChunks(payloads), nil), pkt) {
		return nil, fmt.Errorf("%s: chunks do not cover the packet", s.name)
	}
	for i, p := range ports {
		if p < s.cfg.lo || p > s.cfg.hi || slices.Contains(s.cfg.excluded, p) || slices.Index(ports, p) != i {
			return nil, fmt.Errorf("%s: port %d of %v", s.name, i, ports)
		}
	}

	v := &knockJSON{
		Comment:      s.comment,
		Flags:        append([]string{}, s.tags...),
		ClientSecret: s.secret,
		ServerName:   s.server,
		Derived:      knockDerivedJSON{KKnock: k.knock, KFrag: k.frag},
		Fragments:    s.cfg.n,
		Range:        rangeJSON{Lo: s.cfg.lo, Hi: s.cfg.hi},
		Excluded:     append([]uint16{}, s.cfg.excluded...),
		Counter:      s.counter,
		Packet:       pkt,
		Ports:        ports,
		Attempts:     attempts,
		Payloads:     make([]hexBytes, len(payloads)),
	}
	for i, p := range payloads {
		v.Payloads[i] = p
	}

	// K1-K4 in several orders, each reassembling exactly the packet.
	rng := rand.New(rand.NewPCG(binary.BigEndian.Uint64(digest(s.name)), s.counter))
	orders := [][]int{identity(s.cfg.n), reversed(s.cfg.n), rng.Perm(s.cfg.n)}
	for _, order := range orders {
		got, err := referenceReceive(v, order)
		if err != nil {
			return nil, fmt.Errorf("%s: order %v: %w", s.name, order, err)
		}
		if !bytes.Equal(got, pkt) {
			return nil, fmt.Errorf("%s: order %v reassembles a different packet", s.name, order)
		}
	}
	// A flipped bit anywhere in a payload must fail its tag (K3).
	for i := range v.Payloads {
		for _, bit := range []int{0, 8*len(v.Payloads[i]) - 1, 8*len(v.Payloads[i])/2 + 3} {
			bad := *v
			bad.Payloads = slices.Clone(v.Payloads)
			bad.Payloads[i] = slices.Clone(v.Payloads[i])
			bad.Payloads[i][bit/8] ^= 1 << (bit % 8)
			if _, err := referenceReceive(&bad, []int{i}); err == nil || !strings.Contains(err.Error(), "fragment_auth") {
				return nil, fmt.Errorf("%s: payload %d with bit %d flipped: %v", s.name, i, bit, err)
			}
		}
	}

	out := referenceVerifyKnock(&knockJSON{
		ClientSecret: s.secret, ServerName: s.server, Counter: s.counter, NowMs: s.now, WindowMs: s.window,
	}, pkt)
	if out.reason != s.expect {
		return nil, fmt.Errorf("%s: claims %s, reference verifier says %s (%s)", s.name, s.expect, out.reason, out.detail)
	}
	if s.bare {
		if s.expect != "ok" {
			return nil, fmt.Errorf("%s: a case without body must still carry a valid knock", s.name)
		}
		return v, nil
	}

	// The body object must describe the plaintext exactly: re-encoding it
	// from its decoded form reproduces the packet.
	check := m
	check.flags &^= flagFragmented
	if _, err := parseBody(check.encode(), epoch(m.ts)); err != nil {
		return nil, fmt.Errorf("%s: body is not canonical apart from the knock rules: %w", s.name, err)
	}
	v.Nonce = nonce
	body := &knockBodyJSON{bodyJSON: *m.describe()}
	if !s.fragmented {
		f := false
		body.Fragmented = &f
	}
	if resealed := seal(k, hdrV1Suite1, epoch(m.ts), nonce, bodyFromJSON(body).encode()); !bytes.Equal(resealed, pkt) {
		return nil, fmt.Errorf("%s: body object does not reseal to the packet", s.name)
	}
	v.Body = body
	v.NowMs, v.WindowMs, v.Expect = s.now, s.window, s.expect
	return v, nil
}

// bodyFromJSON rebuilds the plaintext fields from a body object, as an
// implementation reading the vector would.
func bodyFromJSON(b *knockBodyJSON) msg {
	m := msg{ts: b.TsMs, counter: b.Counter, duration: b.DurationS, action: b.Action, size: smallBody}
	for t, name := range typeNames {
		if name == b.Type {
			m.typ = t
		}
	}
	if b.UseSource {
		m.flags |= flagUseSource
	} else {
		m.ip = netip.MustParseAddr(b.ClientIP)
	}
	if b.Fragmented == nil || *b.Fragmented {
		m.flags |= flagFragmented
	}
	for _, s := range b.Ports {
		var proto string
		var port uint16
		if _, err := fmt.Sscanf(strings.Replace(s, "/", " ", 1), "%s %d", &proto, &port); err != nil {
			panic(err)
		}
		m.ports = append(m.ports, map[string]portEntry{"tcp": tcp(port), "udp": udp(port)}[proto])
	}
	if b.Bucket == "large" {
		m.size = largeBody
	}
	return m
}

func payloadChunks(payloads [][]byte) [][]byte {
	out := make([][]byte, len(payloads))
	for i, p := range payloads {
		out[i] = p[:len(p)-fragTagLen]
	}
	return out
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func reversed(n int) []int {
	out := identity(n)
	slices.Reverse(out)
	return out
}

// knockVectors builds every knock case, keyed by file name.
func knockVectors() (map[string]any, error) {
	all, err := knockScenarios()
	if err != nil {
		return nil, err
	}
	cases := map[string]any{}
	for _, c := range all {
		if _, dup := cases[c.name]; dup {
			return nil, fmt.Errorf("duplicate case %s", c.name)
		}
		v, err := c.build()
		if err != nil {
			return nil, err
		}
		cases[c.name] = v
	}
	return cases, nil
}
