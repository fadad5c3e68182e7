package spa

import (
	"net/netip"
	"testing"
	"time"
)

// knockServer does what the daemon does with the knock API (SPEC.md §11.7,
// §11.8), with a map as the replay cache and grants recorded instead of
// firewall changes.
type knockServer struct {
	t      testing.TB
	now    time.Time
	hints  *HintTable
	table  *KnockTable
	ra     *Reassembler
	totp   bool
	n      int
	r      PortRange
	excl   func(uint16) bool
	s      int
	cs     map[*Key]uint64
	seen   map[[NonceSize]byte]bool
	grants []Body
	drops  map[Reason]int
}

const testSPAPort = 62201

func newKnockServer(t testing.TB, totp bool, keys ...*Key) *knockServer {
	s := &knockServer{
		t: t, now: testNow, table: NewKnockTable(), ra: NewReassembler(ReassemblyLimits{}),
		totp: totp, n: 4, r: DefaultKnockRange(), excl: ExcludePorts(testSPAPort), s: DefaultLookAhead,
		cs: map[*Key]uint64{}, seen: map[[NonceSize]byte]bool{}, drops: map[Reason]int{},
	}
	s.hints = NewHintTable(keys, s.now, testWindow)
	for _, k := range keys {
		s.cs[k] = 0
		s.refresh(k)
	}
	return s
}

// refresh recomputes k's live set in the table.
func (s *knockServer) refresh(k *Key) {
	live := HOTPWindow(s.cs[k], s.s)
	if s.totp {
		live = TOTPWindow(s.now)
	}
	var err error
	if s.table.keys[k] != nil {
		err = s.table.SetCounters(k, live)
	} else {
		err = s.table.SetWindow(k, live, s.n, s.r, s.excl)
	}
	if err != nil {
		s.t.Fatal(err)
	}
}

// advance moves the clock, expires partial knocks and, in TOTP mode,
// rebuilds the live sets when the step changed.
func (s *knockServer) advance(d time.Duration) int {
	before := TOTPCounter(s.now)
	s.now = s.now.Add(d)
	if s.totp && TOTPCounter(s.now) != before {
		for k := range s.cs {
			s.refresh(k)
		}
	}
	return s.ra.Expire(s.now)
}

func (s *knockServer) drop(err error) {
	r, ok := ReasonOf(err)
	if !ok {
		s.t.Fatalf("error without a reason: %v", err)
	}
	s.drops[r]++
}

// deliver is one datagram arriving at a knock port.
func (s *knockServer) deliver(port uint16, src netip.Addr, payload []byte) {
	cand, err := s.table.Match(port, payload)
	if err != nil {
		s.drop(err)
		return
	}
	pkt, done, err := s.ra.Add(s.now, cand, src, payload)
	if err != nil {
		s.drop(err)
		return
	}
	if !done {
		return
	}
	key, b, err := s.hints.OpenKnock(pkt, s.now, cand)
	if key != nil && !s.totp && cand.Counter+1 > s.cs[key] {
		// Authenticated: the counter is spent (SPEC.md §11.7 K5 item 3).
		s.cs[key] = cand.Counter + 1
		s.refresh(key)
		s.ra.Forget(key, s.cs[key])
	}
	if err != nil {
		s.drop(err)
		return
	}
	s.accept(pkt, b)
}

// deliverSPA is one datagram arriving at the SPA port.
func (s *knockServer) deliverSPA(pkt []byte) {
	key, b, err := s.hints.Open(pkt, s.now)
	if err != nil {
		s.drop(err)
		return
	}
	if !s.accept(pkt, b) || b.Type != MsgResync {
		return
	}
	if s.totp {
		s.drops[ReasonPolicy]++
		return
	}
	if b.Counter > s.cs[key] { // never backwards (SPEC.md §11.8)
		s.cs[key] = b.Counter
		s.refresh(key)
		s.ra.Forget(key, s.cs[key])
	}
}

// accept is the replay check and the grant.
func (s *knockServer) accept(pkt []byte, b Body) bool {
	nonce := [NonceSize]byte(pkt[offNonce:HeaderLen])
	if s.seen[nonce] {
		s.drops[ReasonReplay]++
		return false
	}
	s.seen[nonce] = true
	s.grants = append(s.grants, b)
	return true
}

// knockClient is the client side: a key and its HOTP counter.
type knockClient struct {
	t    testing.TB
	key  *Key
	next uint64
	seq  uint64 // for distinct nonces
}

// knock makes a knock with counter c and a body stamped at now.
func (c *knockClient) knock(counter uint64, now time.Time) (ports []uint16, payloads [][]byte) {
	c.t.Helper()
	c.seq++
	var nonce [NonceSize]byte
	copy(nonce[:], c.key.Name())
	nonce[20], nonce[21], nonce[22], nonce[23] = byte(c.seq>>24), byte(c.seq>>16), byte(c.seq>>8), byte(c.seq)
	ports, payloads, err := c.key.Knock(openBody(now, "192.0.2.10"), counter, 4, DefaultKnockRange(), ExcludePorts(testSPAPort), &nonce, Small)
	if err != nil {
		c.t.Fatal(err)
	}
	return ports, payloads
}

// nextKnock spends the next HOTP counter.
func (c *knockClient) nextKnock(now time.Time) (uint64, []uint16, [][]byte) {
	counter := c.next
	c.next++ // persisted before sending
	ports, payloads := c.knock(counter, now)
	return counter, ports, payloads
}

// resync seals a resync single datagram carrying the next counter.
func (c *knockClient) resync(now time.Time) []byte {
	c.seq++
	var nonce [NonceSize]byte
	nonce[0], nonce[23] = 0xee, byte(c.seq)
	b := &Body{Type: MsgResync, UnixMilli: uint64(now.UnixMilli()), Counter: c.next, ClientIP: netip.MustParseAddr("192.0.2.10")}
	pkt, err := c.key.Seal(nil, b, &nonce, Small)
	if err != nil {
		c.t.Fatal(err)
	}
	return pkt
}

var (
	srcA = netip.MustParseAddr("192.0.2.10")
	srcB = netip.MustParseAddr("198.51.100.7")
)

// sendAll delivers every fragment in order from src.
func (s *knockServer) sendAll(ports []uint16, payloads [][]byte, src netip.Addr) {
	for i := range ports {
		s.deliver(ports[i], src, payloads[i])
	}
}
