//go:build linux

package systest

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// spaSubject is spad (nftables backend) and the spa client. Alice may send
// 1,000 requests a second: each measured knock is followed by a close.
type spaSubject struct {
	s *spadLab
	t testing.TB
}

func newSpaSubject(t testing.TB) subject {
	s := newSpadLab(t, spadOptions{clientRate: 1000})
	s.Server.Serve(t, sshAddr4)
	return &spaSubject{s: s, t: t}
}

func (p *spaSubject) lab() *lab.Lab        { return p.s.Lab }
func (p *spaSubject) daemon() *lab.Proc    { return p.s.proc }
func (p *spaSubject) knockPorts() []uint16 { return []uint16{spaPort} }

func (p *spaSubject) knock() error {
	_, err := p.s.spa(p.s.Client, "knock", "--profile", p.s.profile)
	return err
}

// reset sends the authenticated close and waits until spad has no grant.
func (p *spaSubject) reset() error {
	for try := 0; try < 3; try++ {
		if len(p.s.status(p.t).Grants) == 0 {
			return nil
		}
		if out, err := p.s.spa(p.s.Client, "close", "--profile", p.s.profile); err != nil {
			return fmt.Errorf("spa close: %w: %s", err, out)
		}
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if len(p.s.status(p.t).Grants) == 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("spad still has grants %q after three closes", p.s.grants(p.t))
}

// flood sends random datagrams of spa's size, half of them starting with
// the masked header and key hint of the client's last knock, which an
// observer on the path has seen: those make spad find alice's key and
// check a MAC, the costliest refusal available without the key.
func (p *spaSubject) flood(knock []byte) floodSpec {
	f := floodSpec{to: []netip.AddrPort{spaAddr4}, kind: "random", what: "157-byte random datagrams to udp/62201"}
	if len(knock) >= 5 {
		f.prefix = knock[:5]
		f.what += ", half with the header and key hint of a real knock"
	}
	return f
}

func (p *spaSubject) counters(t testing.TB) map[string]uint64 {
	st := p.s.status(t)
	c := st.Counters
	c["kernel_drops"] = st.KernelDrops
	return c
}
