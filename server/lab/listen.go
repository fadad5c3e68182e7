//go:build linux

package lab

import (
	"net"
	"net/netip"
	"sync"
	"testing"
)

// Serve listens on addr (TCP) inside ns and accepts and closes every
// connection: a stand-in for a protected service when only reachability
// matters. t.Cleanup closes it.
func (ns *NS) Serve(t testing.TB, addr netip.AddrPort) {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", addr.String())
		return err
	})
	if err != nil {
		t.Fatalf("listen on %v in %s: %v", addr, ns.Name, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
}
