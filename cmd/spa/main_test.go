package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/spa-project/spa/client"
)

// TestMain lets the test binary run as the spa command in scripts, on a
// network that resolves only test names and reaches only loopback.
//
// With SPA_TEST_AS_SPA=1 it is the plain spa command on the real network:
// the demo test runs it, and the demo runs itself again inside its network
// namespaces.
func TestMain(m *testing.M) {
	if os.Getenv("SPA_TEST_AS_SPA") == "1" {
		main()
		return
	}
	testscript.Main(m, map[string]func(){
		"spa": func() {
			testOnlyNet = loopbackNet{}
			if v := os.Getenv("SPA_TEST_NOW"); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					panic(err)
				}
				testOnlyNow = func() time.Time { return t }
			}
			main()
		},
	})
}

// TestScripts runs the scripts in testdata: each gets its own home and
// config directories, profile fixtures and loopback servers (see setup).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		Setup:               setup,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits, "knocked": cmdKnocked, "perm": cmdPerm},
		RequireExplicitExec: true,
	})
}

// loopbackNet is the network of the scripts: "bastion.test" is 127.0.0.1
// and ::1, "v4.test" is 127.0.0.1, every other name does not exist, and
// nothing but loopback addresses is ever contacted.
type loopbackNet struct{}

var testHosts = map[string][]netip.Addr{
	"localhost":    {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	"bastion.test": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
	"v4.test":      {netip.MustParseAddr("127.0.0.1")},
}

func (loopbackNet) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	var out []netip.Addr
	for _, a := range testHosts[host] {
		if network == "ip" || network == "ip4" && a.Is4() || network == "ip6" && a.Is6() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

var errNotLoopback = errors.New("test network: refusing a non-loopback address")

func (loopbackNet) DialUDP(ctx context.Context, dst netip.AddrPort) (client.Datagram, error) {
	if !dst.Addr().IsLoopback() {
		return nil, errNotLoopback
	}
	return client.System.DialUDP(ctx, dst)
}

func (loopbackNet) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	if !dst.Addr().IsLoopback() {
		return nil, errNotLoopback
	}
	return client.System.DialTCP(ctx, dst)
}
