package netnstest

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Listen opens a TCP listener inside the namespace on addr (such as
// ":22", which takes IPv4 and IPv6) that echoes what each connection
// sends. The test's cleanup closes it and its connections.
func (ns *NS) Listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", addr)
		return err
	})
	if err != nil {
		t.Fatalf("listen on %s in %s: %v", addr, ns.Name, err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln
}

// Dial connects from inside the namespace to addr over TCP, giving up
// after timeout. A firewall that drops the SYN shows as a timeout.
func (ns *NS) Dial(addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		d := net.Dialer{Timeout: timeout}
		c, err = d.Dial("tcp", addr.String())
		return err
	})
	return c, err
}

// Reachable reports whether a TCP connection from the namespace to addr
// succeeds within timeout, and fails t on errors other than a timeout or a
// refusal.
func (ns *NS) Reachable(t testing.TB, addr netip.AddrPort, timeout time.Duration) bool {
	t.Helper()
	c, err := ns.Dial(addr, timeout)
	if err == nil {
		c.Close()
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	t.Fatalf("dial %s from %s: %v", addr, ns.Name, err)
	return false
}

// Echo writes msg on c and reads it back, within timeout.
func Echo(c net.Conn, msg string, timeout time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return errors.New("echo mismatch")
	}
	return nil
}
