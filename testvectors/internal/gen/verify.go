package main

import (
	"bytes"
	"crypto/hmac"
	"fmt"
	"net/netip"
	"slices"
)

// outcome is what a full server does with a vector's last delivery.
type outcome struct {
	reason string     // "ok" or a reason of SPEC.md §10
	grant  *grantJSON // for an accepted open
	detail string     // why, for error messages
}

// referenceVerify runs SPEC.md §7 steps 1-9 on a finished vector, reading
// only its JSON fields. The generator uses it to confirm that every scenario
// really ends with the reason it claims, so a slip in a scenario (an epoch
// that leaves the table, a port the policy happens to allow) fails the
// generator instead of shipping a wrong vector.
func referenceVerify(v *packetJSON) outcome {
	name := v.VerifierServerName
	if name == "" {
		name = v.ServerName
	}
	sid := serverID(name)
	kcs := []byte(v.VerifierKey)
	if kcs == nil {
		kcs = clientServerKey(v.ClientSecret, sid)
	}
	body, e, fail := openPacket(purposeKeys(sid, kcs), []byte(v.Packet), v.NowMs, v.WindowMs)
	if fail != nil {
		return *fail
	}

	// Steps 5 and 6.
	m, err := parseBody(body, e)
	if err != nil {
		return outcome{reason: "bad_body", detail: err.Error()}
	}
	if stale(m.ts, v.NowMs, v.WindowMs) {
		return outcome{reason: "stale"}
	}

	// Steps 7-9.
	addr, err := grantAddress(m, v.Source, v.Policy.Address)
	if err != nil {
		return outcome{reason: "address", detail: err.Error()}
	}
	if err := checkPolicy(m, v.Policy); err != nil {
		return outcome{reason: "policy", detail: err.Error()}
	}
	if v.Presentations > 1 {
		return outcome{reason: "replay"}
	}
	out := outcome{reason: "ok"}
	if m.typ == typeOpen {
		out.grant = &grantJSON{Address: addr.String(), Ports: portStrings(m.ports), DurationS: clamp(m.duration, v.Policy)}
	}
	return out
}

// grantAddress applies the address policy of SPEC.md §10.1 and returns the
// address access would be opened for.
func grantAddress(m msg, source string, policy any) (netip.Addr, error) {
	src, err := netip.ParseAddr(source)
	if err != nil {
		return netip.Addr{}, err
	}
	src = src.Unmap()
	useSource := m.flags&flagUseSource != 0
	ip := m.ip.Unmap()
	switch p := policy.(type) {
	case string:
		switch {
		case p == "strict" && !useSource && ip == src:
			return ip, nil
		case p == "source" && useSource:
			return src, nil
		}
		return netip.Addr{}, fmt.Errorf("%s policy, use_source %v, client_ip %v, source %v", p, useSource, ip, src)
	case []string:
		for _, s := range p {
			if !useSource && netip.MustParsePrefix(s).Contains(ip) {
				return ip, nil
			}
		}
		return netip.Addr{}, fmt.Errorf("cidr policy %v, use_source %v, client_ip %v", p, useSource, ip)
	}
	return netip.Addr{}, fmt.Errorf("unknown address policy %v", policy)
}

// checkPolicy is the port and action part of SPEC.md §7 step 8.
func checkPolicy(m msg, p policyJSON) error {
	for _, e := range m.ports {
		if !slices.Contains(p.Allow, e.String()) {
			return fmt.Errorf("port %v not allowed", e)
		}
	}
	if m.action != 0 && !slices.Contains(p.Actions, m.action) {
		return fmt.Errorf("action %d not allowed", m.action)
	}
	if m.typ == typeResync && p.KnockPorts != "hotp" {
		return fmt.Errorf("resync from a client not in HOTP knock mode (SPEC.md §11.8)")
	}
	return nil
}

// clamp is the granted duration: 0 means the default, and the maximum caps it.
func clamp(d uint16, p policyJSON) uint32 {
	switch {
	case d == 0:
		return p.DefaultDurationS
	case uint32(d) > p.MaxDurationS:
		return p.MaxDurationS
	}
	return uint32(d)
}

// openPacket runs SPEC.md §7 steps 1-4 with the verifier's keys k: length,
// the hint table for epoch(now-W) .. epoch(now+W), header then MAC per
// candidate, and decryption. It returns the body and the epoch of the hint
// it matched, or the outcome of the step that failed.
func openPacket(k keys, pkt []byte, nowMs, windowMs uint64) (body []byte, e uint64, fail *outcome) {
	if len(pkt) != headLen+smallBody+tagLen && len(pkt) != headLen+largeBody+tagLen {
		return nil, 0, &outcome{reason: "malformed", detail: fmt.Sprintf("length %d", len(pkt))}
	}
	size := len(pkt) - headLen - tagLen
	type candidate struct {
		e    uint64
		mask byte
	}
	var cands []candidate
	for e := epoch(nowMs - windowMs); e <= epoch(nowMs+windowMs); e++ {
		if hint, mask := hintFor(k.hint, e); bytes.Equal(hint, pkt[1:5]) {
			cands = append(cands, candidate{e, mask})
		}
	}
	if len(cands) == 0 {
		return nil, 0, &outcome{reason: "unknown_key"}
	}
	ct := pkt[headLen : headLen+size]
	skipped := 0
	for _, c := range cands {
		if pkt[0]^c.mask != hdrV1Suite1 {
			skipped++
			continue
		}
		if hmac.Equal(packetTag(k.mac, k.serverID, pkt[:headLen], ct), pkt[headLen+size:]) {
			return xor(ct, xchacha20(k.enc, pkt[5:headLen], size)), c.e, nil
		}
	}
	if skipped == len(cands) {
		return nil, 0, &outcome{reason: "malformed", detail: "header"}
	}
	return nil, 0, &outcome{reason: "auth"}
}

// stale reports whether ts lies outside [now-W, now+W] (step 6).
func stale(ts, nowMs, windowMs uint64) bool { return ts+windowMs < nowMs || ts > nowMs+windowMs }
