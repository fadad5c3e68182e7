package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
)

// Fixed inputs shared by the scenarios.
const (
	epoch0  = 5890752          // epoch of 2026-01-01T00:00:00Z
	t0      = epoch0 * epochMs // 1767225600000, start of epoch0
	now0    = t0 + 123456      // default verifier clock, well inside epoch0
	window0 = 60000            // default W

	serverA = "bastion-a.example"
	serverB = "bastion-b.example"
)

var (
	secretA  = digest("spa test vectors: client secret A")
	secretB  = digest("spa test vectors: client secret B")
	clientV4 = netip.MustParseAddr("198.51.100.23")
	clientV6 = netip.MustParseAddr("2001:db8:0:5::23")
)

// scenario describes one packet vector: the sender's inputs, how the packet
// is damaged (if at all), and what the verifier has and must conclude.
type scenario struct {
	name, comment, expect string
	tags                  []string

	secret      []byte // sender's client secret
	server      string // server the packet is sealed for
	verifier    string // verifying server, "" = server
	verifierKey []byte // K_cs held by the verifier, nil = derived
	now, window uint64

	m         msg
	plain     func([]byte)        // edits the encoded plaintext before sealing
	hdr       byte                // unmasked header byte
	hintEpoch uint64              // epoch of the hint and mask; 0 = epoch(ts)
	wire      func([]byte) []byte // edits the sealed datagram

	source        string
	policy        policyJSON
	presentations int
}

// defaultPolicy allows tcp/22 for at most 300 s, no actions, strict address.
func defaultPolicy() policyJSON {
	return policyJSON{Allow: []string{"tcp/22"}, Actions: []uint16{}, MaxDurationS: 300, DefaultDurationS: 30, Address: "strict"}
}

// sc returns the default scenario, an IPv4 open of tcp/22 for 60 s sent at
// the verifier's time, after edit has changed what the case is about.
func sc(name, expect, comment string, edit func(*scenario), tags ...string) scenario {
	s := scenario{
		name: name, comment: comment, expect: expect, tags: tags,
		secret: secretA, server: serverA, now: now0, window: window0,
		m:      msg{typ: typeOpen, ts: now0, ip: clientV4, duration: 60, ports: []portEntry{tcp(22)}, size: smallBody},
		hdr:    hdrV1Suite1,
		source: clientV4.String(), policy: defaultPolicy(),
	}
	if edit != nil {
		edit(&s)
	}
	return s
}

// build seals the scenario's packet and checks it with the reference
// verifier; a scenario whose outcome differs from its claim is an error.
func (s scenario) build() (*packetJSON, error) {
	k := senderKeys(s.secret, s.server)
	plaintext := s.m.encode()
	if s.plain != nil {
		s.plain(plaintext)
	}
	e := epoch(s.m.ts)
	if s.hintEpoch != 0 {
		e = s.hintEpoch
	}
	nonce := digest("spa test vectors: nonce for " + s.name)[:24]
	pkt := seal(k, s.hdr, e, nonce, plaintext)
	if s.wire != nil {
		pkt = s.wire(slices.Clone(pkt))
	}
	hint, mask := hintFor(k.hint, epoch(s.m.ts))

	v := &packetJSON{
		Comment:            s.comment,
		Flags:              s.flags(),
		ClientSecret:       s.secret,
		ServerName:         s.server,
		VerifierServerName: s.verifier,
		VerifierKey:        s.verifierKey,
		Derived: derivedJSON{
			ServerID: k.serverID, KCS: k.kcs, KMAC: k.mac, KEnc: k.enc, KHint: k.hint,
			KKnock: k.knock, KFrag: k.frag, Hint: hint, Mask: []byte{mask},
		},
		NowMs:         s.now,
		WindowMs:      s.window,
		Nonce:         nonce,
		Plaintext:     plaintext,
		Packet:        pkt,
		Source:        s.source,
		Policy:        s.policy,
		Presentations: s.presentations,
		Expect:        s.expect,
	}

	// A body is given only when sealing it reproduces the packet (§12.1).
	untouched := s.plain == nil && s.wire == nil && s.hdr == hdrV1Suite1 && e == epoch(s.m.ts)
	if m, err := parseBody(plaintext, epoch(s.m.ts)); err == nil && untouched {
		if !bytes.Equal(seal(k, hdrV1Suite1, epoch(m.ts), nonce, m.encode()), pkt) {
			return nil, fmt.Errorf("%s: body does not reseal to the packet", s.name)
		}
		v.Body = m.describe()
	}

	out := referenceVerify(v)
	if out.reason != s.expect {
		return nil, fmt.Errorf("%s: claims %s, reference verifier says %s (%s)", s.name, s.expect, out.reason, out.detail)
	}
	v.Grant = out.grant
	if s.expect == "ok" && s.m.typ == typeOpen && v.Grant == nil {
		return nil, fmt.Errorf("%s: accepted open without grant", s.name)
	}
	return v, nil
}

// flags are the scenario's tags, plus "server" when the reason comes from
// steps 7-9, which a packet-level implementation (steps 1-6) must accept.
func (s scenario) flags() []string {
	f := append([]string{}, s.tags...)
	switch s.expect {
	case "address", "policy", "rate_limited", "replay", "quota":
		f = append(f, "server")
	}
	return f
}
