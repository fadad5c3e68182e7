package spa

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// MsgType is a body's message type (SPEC.md §5).
type MsgType uint8

// The message types.
const (
	MsgOpen   MsgType = 1 // open ports for an address
	MsgClose  MsgType = 2 // end a grant early
	MsgAction MsgType = 3 // run a server-side action by number
	MsgResync MsgType = 4 // report the knock-port counter
)

// String returns "open", "close", "action" or "resync".
func (t MsgType) String() string {
	switch t {
	case MsgOpen:
		return "open"
	case MsgClose:
		return "close"
	case MsgAction:
		return "action"
	case MsgResync:
		return "resync"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Flags are a body's flag bits.
type Flags uint8

// FlagUseSource asks the server to open access for the packet's source
// address instead of the address in the body (for clients behind NAT).
const FlagUseSource Flags = 0x01

// FlagFragmented marks a packet sent as a knock: cut into fragments sent to
// one-time knock ports (SPEC.md §11). It is set in every knock packet and in
// no single datagram: [HintTable.Open] and [ParseBody] reject it, and only
// [Key.SealKnock] and [HintTable.OpenKnock] handle it.
const FlagFragmented Flags = 0x02

// knownFlags are the bits the body of a single datagram may set (SPEC.md
// §5.1 rule 2). FlagFragmented is deliberately absent: it is valid only in a
// packet reassembled from a knock, which the knock functions check
// themselves.
const knownFlags = FlagUseSource

// Body layout (SPEC.md §5).
const (
	MaxPorts = 8 // most port entries in one body

	offType     = 0
	offFlags    = 1
	offTime     = 2
	offCounter  = 10
	offClientIP = 18
	offDuration = 34
	offAction   = 36
	offNPorts   = 38
	offPorts    = 39
	portEntry   = 3
)

// Body is the plaintext of a packet.
type Body struct {
	Type  MsgType
	Flags Flags
	// UnixMilli is the sender's clock in milliseconds since the Unix epoch.
	UnixMilli uint64
	// Counter is the knock-port counter, 0 when unused.
	Counter uint64
	// ClientIP is the address to open; the zero Addr with FlagUseSource.
	// Decoded IPv4-mapped addresses are unmapped to plain IPv4.
	ClientIP netip.Addr
	// Duration is the requested grant in seconds; 0 asks for the default.
	Duration uint16
	// Action is a server-side action number, 0 for none.
	Action uint16
	// NumPorts entries of Ports are in use.
	NumPorts uint8
	Ports    [MaxPorts]Port
}

// PortList returns the body's port entries.
func (b *Body) PortList() []Port { return b.Ports[:min(int(b.NumPorts), MaxPorts)] }

// SetPorts replaces the body's port entries.
func (b *Body) SetPorts(ports []Port) error {
	if len(ports) > MaxPorts {
		return fmt.Errorf("%d ports requested, at most %d fit in one packet", len(ports), MaxPorts)
	}
	b.Ports = [MaxPorts]Port{}
	copy(b.Ports[:], ports)
	b.NumPorts = uint8(len(ports))
	return nil
}

// Validate reports whether b is canonical (SPEC.md §5.1 rules 1 to 5).
// Sealing refuses a body that fails it; parsing rejects one with
// [ReasonBadBody].
func (b *Body) Validate() error {
	if b.Type < MsgOpen || b.Type > MsgResync {
		return fmt.Errorf("unknown message type %d", uint8(b.Type))
	}
	if b.Flags&^knownFlags != 0 {
		return fmt.Errorf("reserved flag bits %#02x set", uint8(b.Flags&^knownFlags))
	}
	if err := b.validateAddr(); err != nil {
		return err
	}
	if err := b.validatePorts(); err != nil {
		return err
	}
	return b.validateType()
}

func (b *Body) validateAddr() error {
	if b.Flags&FlagUseSource != 0 {
		if b.ClientIP.IsValid() && b.ClientIP != netip.IPv6Unspecified() {
			return fmt.Errorf("client address %s given together with use-source", b.ClientIP)
		}
		return nil
	}
	ip := b.ClientIP.Unmap()
	switch {
	case !ip.IsValid():
		return fmt.Errorf("no client address")
	case ip.Zone() != "":
		return fmt.Errorf("client address %s has a zone", ip)
	case ip.IsUnspecified(), ip.IsMulticast(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("client address %s cannot be opened", ip)
	}
	return nil
}

func (b *Body) validatePorts() error {
	if b.NumPorts > MaxPorts {
		return fmt.Errorf("%d port entries, at most %d allowed", b.NumPorts, MaxPorts)
	}
	ports := b.PortList()
	for i, p := range ports {
		if !p.Valid() {
			return fmt.Errorf("port entry %d (%s) is not a TCP or UDP port 1-65535", i, p)
		}
		for _, q := range ports[:i] {
			if p == q {
				return fmt.Errorf("port entry %d (%s) repeats an earlier one", i, p)
			}
		}
	}
	return nil
}

func (b *Body) validateType() error {
	n := b.NumPorts
	switch b.Type {
	case MsgOpen:
		if n == 0 || b.Action != 0 {
			return fmt.Errorf("open needs at least one port and no action")
		}
	case MsgClose:
		if n == 0 || b.Action != 0 || b.Duration != 0 {
			return fmt.Errorf("close needs at least one port, no action and no duration")
		}
	case MsgAction:
		if b.Action == 0 || n != 0 || b.Duration != 0 {
			return fmt.Errorf("action needs an action number, no ports and no duration")
		}
	case MsgResync:
		if n != 0 || b.Action != 0 || b.Duration != 0 {
			return fmt.Errorf("resync carries no ports, action or duration")
		}
	}
	return nil
}

// encode writes the canonical body into dst, which must be a whole zeroed
// bucket of BodyLenSmall or BodyLenLarge bytes.
func (b *Body) encode(dst []byte) {
	dst[offType] = byte(b.Type)
	dst[offFlags] = byte(b.Flags)
	binary.BigEndian.PutUint64(dst[offTime:], b.UnixMilli)
	binary.BigEndian.PutUint64(dst[offCounter:], b.Counter)
	if b.Flags&FlagUseSource == 0 {
		ip := b.ClientIP.As16()
		copy(dst[offClientIP:offDuration], ip[:])
	}
	binary.BigEndian.PutUint16(dst[offDuration:], b.Duration)
	binary.BigEndian.PutUint16(dst[offAction:], b.Action)
	dst[offNPorts] = b.NumPorts
	for i, p := range b.PortList() {
		o := offPorts + portEntry*i
		dst[o] = byte(p.Proto)
		binary.BigEndian.PutUint16(dst[o+1:], p.Port)
	}
}

// ParseBody decodes and strictly validates a plaintext body of either bucket
// size (SPEC.md §5.1 rules 1 to 6). Errors wrap [ReasonBadBody], or
// [ReasonMalformed] for a wrong length.
func ParseBody(src []byte) (Body, error) {
	var b Body
	if len(src) != BodyLenSmall && len(src) != BodyLenLarge {
		return b, ReasonMalformed
	}
	b.Type = MsgType(src[offType])
	b.Flags = Flags(src[offFlags])
	b.UnixMilli = binary.BigEndian.Uint64(src[offTime:])
	b.Counter = binary.BigEndian.Uint64(src[offCounter:])
	ip := netip.AddrFrom16([16]byte(src[offClientIP:offDuration]))
	if b.Flags&FlagUseSource == 0 || ip != netip.IPv6Unspecified() {
		b.ClientIP = ip.Unmap()
	}
	b.Duration = binary.BigEndian.Uint16(src[offDuration:])
	b.Action = binary.BigEndian.Uint16(src[offAction:])
	b.NumPorts = src[offNPorts]
	if b.NumPorts > MaxPorts {
		return Body{}, fmt.Errorf("%w: %d port entries, at most %d allowed", ReasonBadBody, b.NumPorts, MaxPorts)
	}
	end := offPorts + portEntry*int(b.NumPorts)
	for i := range int(b.NumPorts) {
		o := offPorts + portEntry*i
		b.Ports[i] = Port{Proto: Proto(src[o]), Port: binary.BigEndian.Uint16(src[o+1:])}
	}
	for i, c := range src[end:] {
		if c != 0 {
			return Body{}, fmt.Errorf("%w: padding byte at offset %d is not zero", ReasonBadBody, end+i)
		}
	}
	if err := b.Validate(); err != nil {
		return Body{}, fmt.Errorf("%w: %w", ReasonBadBody, err)
	}
	return b, nil
}
