//go:build linux

package systest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// fwknopSubject is fwknopd from Debian (pcap mode on eth0, iptables inside
// the server namespace, Rijndael with an HMAC-SHA256 key) and the fwknop
// client. The service's default deny is an iptables DROP for tcp/22;
// fwknopd inserts its FWKNOP_INPUT chain before it.
type fwknopSubject struct {
	l         *lab.Lab
	proc      *lab.Proc
	key, hmac string // base64
	rc, ipt   string
}

func newFwknopSubject(t testing.TB) subject {
	lab.Require(t, "fwknopd", "fwknop", "iptables")
	p := &fwknopSubject{l: lab.New(t), key: randomBase64(t, 32), hmac: randomBase64(t, 64)}
	p.l.Server.Serve(t, sshAddr4)
	p.ipt, _ = lab.LookPath("iptables")
	p.l.Server.MustRun(t, p.ipt, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	mkdir(t, run, 0o700)
	p.rc = filepath.Join(dir, "fwknoprc")
	conf, access := filepath.Join(dir, "fwknopd.conf"), filepath.Join(dir, "access.conf")
	write(t, conf, fmt.Sprintf("PCAP_INTF %s;\nPCAP_FILTER udp port %d;\nFWKNOP_RUN_DIR %s;\n", lab.Iface, spaPort, run))
	write(t, access, fmt.Sprintf("SOURCE ANY\nKEY_BASE64 %s\nHMAC_KEY_BASE64 %s\nOPEN_PORTS tcp/22\nREQUIRE_SOURCE_ADDRESS Y\nFW_ACCESS_TIMEOUT 30\n", p.key, p.hmac))
	fwknopd, _ := lab.LookPath("fwknopd")
	p.proc = lab.Start(t, p.l.Server.NS, "fwknopd", fwknopd, "-f", "-c", conf, "-a", access)
	waitLog(t, p.proc, "Starting fwknopd main event loop", 15*time.Second)
	return p
}

func (p *fwknopSubject) lab() *lab.Lab        { return p.l }
func (p *fwknopSubject) daemon() *lab.Proc    { return p.proc }
func (p *fwknopSubject) knockPorts() []uint16 { return []uint16{spaPort} }

func (p *fwknopSubject) knock() error {
	_, err := p.l.Client.Run("fwknop", "-A", "tcp/22", "-a", lab.ClientIP4.String(), "-D", lab.ServerIP4.String(),
		"--use-hmac", "--key-base64-rijndael", p.key, "--key-base64-hmac", p.hmac,
		"--rc-file", p.rc, "--no-save-args")
	return err
}

// reset flushes fwknopd's chain (its own expiry works in whole seconds).
func (p *fwknopSubject) reset() error {
	_, err := p.l.Server.Run(p.ipt, "-F", "FWKNOP_INPUT")
	return err
}

// flood sends random base64 text of spa's packet size (fwknop packets are
// base64 text of 140 bytes or more): each passes fwknopd's size and
// character checks and costs it a digest and an HMAC.
func (p *fwknopSubject) flood([]byte) floodSpec {
	return floodSpec{to: []netip.AddrPort{spaAddr4}, kind: "base64", what: "157-byte random base64 text to udp/62201"}
}

func (p *fwknopSubject) counters(testing.TB) map[string]uint64 { return nil }

func randomBase64(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
