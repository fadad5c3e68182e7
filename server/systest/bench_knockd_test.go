//go:build linux

package systest

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// The knockd door: three UDP ports in a row.
var knockdSequence = []uint16{7000, 8000, 9000}

// knockdSubject is knockd from Debian (pcap on eth0, a three-port UDP
// sequence whose start command inserts an iptables ACCEPT for the knocker
// inside the server namespace) and the knock client. The default deny is
// an iptables DROP for tcp/22.
type knockdSubject struct {
	l    *lab.Lab
	proc *lab.Proc
	ipt  string
}

func newKnockdSubject(t testing.TB) subject {
	lab.Require(t, "knockd", "knock", "iptables")
	p := &knockdSubject{l: lab.New(t)}
	p.l.Server.Serve(t, sshAddr4)
	p.ipt, _ = lab.LookPath("iptables")
	p.l.Server.MustRun(t, p.ipt, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
	dir := t.TempDir()
	conf := filepath.Join(dir, "knockd.conf")
	write(t, conf, fmt.Sprintf(`[options]
	LogFile = %s
[ssh]
	Sequence = %d:udp,%d:udp,%d:udp
	Seq_Timeout = 5
	Start_Command = %s -I INPUT -s %%IP%% -p tcp --dport 22 -j ACCEPT
`, filepath.Join(dir, "knockd.events"), knockdSequence[0], knockdSequence[1], knockdSequence[2], p.ipt))
	knockd, _ := lab.LookPath("knockd")
	p.proc = lab.Start(t, p.l.Server.NS, "knockd", knockd, "-i", lab.Iface, "-c", conf)
	waitFile(t, filepath.Join(dir, "knockd.events"), "listening on", 15*time.Second)
	return p
}

func (p *knockdSubject) lab() *lab.Lab        { return p.l }
func (p *knockdSubject) daemon() *lab.Proc    { return p.proc }
func (p *knockdSubject) knockPorts() []uint16 { return knockdSequence }

func (p *knockdSubject) knock() error {
	args := []string{"knock", "-u", lab.ServerIP4.String()}
	for _, port := range knockdSequence {
		args = append(args, fmt.Sprint(port))
	}
	_, err := p.l.Client.Run(args...)
	return err
}

// reset deletes every ACCEPT knockd inserted for the client.
func (p *knockdSubject) reset() error {
	for range 20 {
		if _, err := p.l.Server.Run(p.ipt, "-D", "INPUT", "-s", lab.ClientIP4.String(), "-p", "tcp", "--dport", "22", "-j", "ACCEPT"); err != nil {
			return nil // no such rule left
		}
	}
	return fmt.Errorf("more than 20 ACCEPT rules for %v", lab.ClientIP4)
}

// flood sends random datagrams to the door's first port only (junk to
// every port in turn would walk the sequence and open the door for the
// attacker, a different weakness of knockd).
func (p *knockdSubject) flood([]byte) floodSpec {
	return floodSpec{to: []netip.AddrPort{netip.AddrPortFrom(lab.ServerIP4, knockdSequence[0])}, kind: "random",
		what: fmt.Sprintf("157-byte random datagrams to udp/%d, the door's first port", knockdSequence[0])}
}

func (p *knockdSubject) counters(testing.TB) map[string]uint64 { return nil }
