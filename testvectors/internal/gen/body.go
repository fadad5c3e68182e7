package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Message types and flags of SPEC.md §5.
const (
	typeOpen   = 1
	typeClose  = 2
	typeAction = 3
	typeResync = 4

	flagUseSource = 0x01

	protoTCP = 6
	protoUDP = 17

	portsOff = 39 // offset of the first port entry
)

var typeNames = map[uint8]string{typeOpen: "open", typeClose: "close", typeAction: "action", typeResync: "resync"}

// portEntry is one (proto, port) pair of a body.
type portEntry struct {
	proto uint8
	port  uint16
}

func tcp(p uint16) portEntry { return portEntry{protoTCP, p} }
func udp(p uint16) portEntry { return portEntry{protoUDP, p} }

// String is the "tcp/22" form used in vectors; other protocols never reach it.
func (p portEntry) String() string {
	switch p.proto {
	case protoTCP:
		return fmt.Sprintf("tcp/%d", p.port)
	case protoUDP:
		return fmt.Sprintf("udp/%d", p.port)
	}
	return fmt.Sprintf("proto%d/%d", p.proto, p.port)
}

// msg holds the fields of a body (SPEC.md §5). encode writes them as given,
// canonical or not, so negative cases are built the same way as positive
// ones. An invalid ip is written as 16 zero bytes.
type msg struct {
	typ      uint8
	flags    uint8
	ts       uint64
	counter  uint64
	ip       netip.Addr
	duration uint16
	action   uint16
	ports    []portEntry
	size     int // L: smallBody or largeBody
}

// encode lays the fields out at their offsets and zero-pads to L.
func (m msg) encode() []byte {
	b := make([]byte, m.size)
	b[0] = m.typ
	b[1] = m.flags
	binary.BigEndian.PutUint64(b[2:], m.ts)
	binary.BigEndian.PutUint64(b[10:], m.counter)
	if m.ip.IsValid() {
		ip := m.ip.As16()
		copy(b[18:34], ip[:])
	}
	binary.BigEndian.PutUint16(b[34:], m.duration)
	binary.BigEndian.PutUint16(b[36:], m.action)
	b[38] = byte(len(m.ports))
	for i, p := range m.ports {
		b[portsOff+3*i] = p.proto
		binary.BigEndian.PutUint16(b[portsOff+3*i+1:], p.port)
	}
	return b
}

// parseBody applies every rule of SPEC.md §5.1 to a plaintext found under a
// hint of epoch e. It returns the decoded message, or an error naming the
// first rule that fails.
func parseBody(b []byte, e uint64) (msg, error) {
	m := msg{
		typ:      b[0],
		flags:    b[1],
		ts:       binary.BigEndian.Uint64(b[2:]),
		counter:  binary.BigEndian.Uint64(b[10:]),
		ip:       netip.AddrFrom16([16]byte(b[18:34])),
		duration: binary.BigEndian.Uint16(b[34:]),
		action:   binary.BigEndian.Uint16(b[36:]),
		size:     len(b),
	}
	n := int(b[38])
	if m.typ < typeOpen || m.typ > typeResync {
		return m, fmt.Errorf("rule 1: type %d", m.typ)
	}
	if m.flags&^flagUseSource != 0 {
		return m, fmt.Errorf("rule 2: flags %#02x", m.flags)
	}
	if m.flags&flagUseSource != 0 {
		if m.ip != netip.IPv6Unspecified() {
			return m, fmt.Errorf("rule 3: use_source with client_ip %v", m.ip)
		}
	} else {
		u := m.ip.Unmap()
		if u.IsUnspecified() || u.IsMulticast() || u == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return m, fmt.Errorf("rule 3: client_ip %v", m.ip)
		}
	}
	if n > 8 {
		return m, fmt.Errorf("rule 4: n = %d", n)
	}
	seen := map[portEntry]bool{}
	for i := range n {
		p := portEntry{b[portsOff+3*i], binary.BigEndian.Uint16(b[portsOff+3*i+1:])}
		if (p.proto != protoTCP && p.proto != protoUDP) || p.port == 0 || seen[p] {
			return m, fmt.Errorf("rule 4: port entry %v", p)
		}
		seen[p] = true
		m.ports = append(m.ports, p)
	}
	if err := typeRule(m); err != nil {
		return m, err
	}
	for i := portsOff + 3*n; i < len(b); i++ {
		if b[i] != 0 {
			return m, fmt.Errorf("rule 6: padding byte %d is %#02x", i, b[i])
		}
	}
	if epoch(m.ts) != e {
		return m, fmt.Errorf("rule 7: epoch(ts) %d, hint epoch %d", epoch(m.ts), e)
	}
	return m, nil
}

// typeRule is rule 5 of SPEC.md §5.1.
func typeRule(m msg) error {
	n := len(m.ports)
	ok := false
	switch m.typ {
	case typeOpen:
		ok = n >= 1 && m.action == 0
	case typeClose:
		ok = n >= 1 && m.action == 0 && m.duration == 0
	case typeAction:
		ok = m.action != 0 && n == 0 && m.duration == 0
	case typeResync:
		ok = n == 0 && m.action == 0 && m.duration == 0
	}
	if !ok {
		return fmt.Errorf("rule 5: type %d with n %d, action %d, duration %d", m.typ, n, m.action, m.duration)
	}
	return nil
}

// describe is the `body` object of a canonical message.
func (m msg) describe() *bodyJSON {
	b := &bodyJSON{
		Type:      typeNames[m.typ],
		UseSource: m.flags&flagUseSource != 0,
		TsMs:      m.ts,
		Counter:   m.counter,
		DurationS: m.duration,
		Action:    m.action,
		Ports:     portStrings(m.ports),
		Bucket:    "small",
	}
	if !b.UseSource {
		b.ClientIP = m.ip.Unmap().String()
	}
	if m.size == largeBody {
		b.Bucket = "large"
	}
	return b
}

// portStrings never returns nil, so an empty list is written as [].
func portStrings(ps []portEntry) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
