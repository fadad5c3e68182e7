package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batch is how many datagrams one sendmmsg call carries.
const batch = 64

type config struct {
	dst      []netip.AddrPort
	rate     float64
	duration time.Duration
	size     int
	kind     string
	prefix   []byte
	every    int
}

func (c config) validate() error {
	switch {
	case c.size < 1 || c.size > 1400:
		return fmt.Errorf("-size %d: want 1 to 1400", c.size)
	case c.kind != "random" && c.kind != "base64":
		return fmt.Errorf("-kind %q: want random or base64", c.kind)
	case len(c.prefix) > c.size:
		return errors.New("-prefix is longer than -size")
	case c.every < 1:
		return fmt.Errorf("-prefix-every %d: want 1 or more", c.every)
	case c.rate < 0 || c.duration <= 0:
		return errors.New("-rate must be 0 or more and -duration positive")
	}
	for _, d := range c.dst {
		if d.Addr().Is4() != c.dst[0].Addr().Is4() {
			return errors.New("-to: mixes IPv4 and IPv6 destinations")
		}
	}
	return nil
}

// result is what labflood prints.
type result struct {
	Sent    uint64  `json:"sent"`
	Errors  uint64  `json:"errors"`
	Seconds float64 `json:"seconds"`
	PPS     float64 `json:"pps"`
}

// batchWriter is ipv4.PacketConn or ipv6.PacketConn: sendmmsg.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// flood sends until the duration has passed or stop receives.
func flood(c config, stop <-chan os.Signal) (result, error) {
	runtime.LockOSThread()
	network := "udp4"
	if !c.dst[0].Addr().Is4() {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, nil)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	_ = conn.SetWriteBuffer(4 << 20)
	var w batchWriter = ipv4.NewPacketConn(conn)
	if network == "udp6" {
		w = ipv6.NewPacketConn(conn)
	}
	p := newPayloads(c)
	var res result
	start := time.Now()
	deadline := start.Add(c.duration)
	for {
		select {
		case <-stop:
			return res.finish(start), nil
		default:
		}
		now := time.Now()
		if now.After(deadline) {
			return res.finish(start), nil
		}
		n := batch
		if c.rate > 0 {
			due := int64(c.rate*now.Sub(start).Seconds()) - int64(res.Sent)
			if due <= 0 {
				time.Sleep(time.Duration(float64(batch) / c.rate * float64(time.Second) / 4))
				continue
			}
			n = int(min(due, batch))
		}
		sent, err := w.WriteBatch(p.next(n), 0)
		res.Sent += uint64(sent)
		if err != nil {
			res.Errors++ // ENOBUFS and the like: try again
		}
	}
}

func (r result) finish(start time.Time) result {
	r.Seconds = time.Since(start).Seconds()
	if r.Seconds > 0 {
		r.PPS = float64(r.Sent) / r.Seconds
	}
	return r
}

// payloads hands out batches of junk datagrams. Each batch gets fresh
// random bytes at a few offsets, so no two datagrams in a row are equal
// and no cache can answer them, at a cost one core can afford.
type payloads struct {
	c    config
	msgs []ipv4.Message
	rng  *rand.ChaCha8
}

func newPayloads(c config) *payloads {
	var seed [32]byte
	for i := range seed {
		seed[i] = byte(rand.Uint32())
	}
	p := &payloads{c: c, rng: rand.NewChaCha8(seed)}
	for i := range batch {
		b := make([]byte, c.size)
		p.fill(b)
		if len(c.prefix) > 0 && i%c.every == 0 {
			copy(b, c.prefix)
		}
		dst := c.dst[i%len(c.dst)]
		p.msgs = append(p.msgs, ipv4.Message{Buffers: [][]byte{b}, Addr: net.UDPAddrFromAddrPort(dst)})
	}
	return p
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// fill writes random content of the configured kind into b.
func (p *payloads) fill(b []byte) {
	_, _ = p.rng.Read(b)
	if p.c.kind == "base64" {
		for i := range b {
			b[i] = base64Alphabet[b[i]&63]
		}
	}
}

// next returns n messages with 16 fresh random bytes each after the
// prefix (or at the start).
func (p *payloads) next(n int) []ipv4.Message {
	var r [16]byte
	for _, m := range p.msgs[:n] {
		b := m.Buffers[0]
		off := len(p.c.prefix)
		_, _ = p.rng.Read(r[:])
		if p.c.kind == "base64" {
			for i := range r {
				r[i] = base64Alphabet[r[i]&63]
			}
		}
		copy(b[min(off, len(b)):], r[:])
	}
	return p.msgs[:n]
}
