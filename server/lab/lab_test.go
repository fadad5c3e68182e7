//go:build linux

package lab

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// The lab itself: both address families reach the server, a closed port
// answers and a listening one accepts, the hub lets the attacker overhear
// the client, a forged datagram arrives with the forged source, and a
// race sees a port open.
func TestLab(t *testing.T) {
	l := New(t)
	svc4, svc6 := netip.AddrPortFrom(ServerIP4, 22), netip.AddrPortFrom(ServerIP6, 22)
	for _, a := range []netip.AddrPort{svc4, svc6} {
		if st, err := l.Client.TCPState(a, 2*time.Second); err != nil || st != Closed {
			t.Fatalf("tcp %v before listening: %v (%v), want closed", a, st, err)
		}
	}
	l.Server.Serve(t, svc4)
	l.Server.Serve(t, svc6)
	for _, a := range []netip.AddrPort{svc4, svc6} {
		if st, err := l.Client.TCPState(a, 2*time.Second); err != nil || st != Open {
			t.Fatalf("tcp %v: %v (%v), want open", a, st, err)
		}
	}
	race, err := l.Client.StartRace(svc4, time.Millisecond, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := race.Wait(); err != nil {
		t.Fatalf("race to an open port: %v", err)
	}

	l.Hub(t, true)
	ear, err := l.Attacker.Sniff(Iface, true)
	if err != nil {
		t.Fatal(err)
	}
	defer ear.Close()
	srv, err := l.Server.Sniff(Iface, false)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	msg := []byte("lab test datagram")
	dst := netip.AddrPortFrom(ServerIP4, 9)
	if err := l.Client.SendUDP(dst, msg); err != nil {
		t.Fatal(err)
	}
	if f := waitFrame(t, ear, msg); f.Src != ClientIP4 || f.Out {
		t.Errorf("attacker overheard %v, want the client's datagram coming in", f)
	}
	forged := netip.AddrPortFrom(ClientIP4, 4242)
	spoofed := []byte("forged by the attacker")
	if err := l.Attacker.SendSpoofedUDP4(forged, dst, spoofed); err != nil {
		t.Fatal(err)
	}
	if f := waitFrame(t, srv, spoofed); f.Src != ClientIP4 || f.SrcPort != 4242 {
		t.Errorf("server received %v, want it from %v", f, forged)
	}
}

// waitFrame returns the first UDP frame carrying payload, or fails t.
func waitFrame(t *testing.T, s *Sniffer, payload []byte) Frame {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		f, err := s.Next(time.Until(deadline))
		if errors.Is(err, ErrTimeout) {
			t.Fatalf("no frame with %q", payload)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Proto == ProtoUDP && bytes.Equal(f.Payload, payload) {
			return f
		}
	}
}
