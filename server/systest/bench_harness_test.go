//go:build linux

package systest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// harness measures one subject.
type harness struct {
	t    testing.TB
	p    benchProfile
	bin  binaries
	s    subject
	l    *lab.Lab
	wire *lab.Sniffer // the client's eth0: the moment a knock leaves
	last []byte       // the last knock datagram seen
}

// knockResult is one measured knock.
type knockResult struct {
	opened  bool
	latency time.Duration // from the first knock datagram on the wire to the first connection
	err     error
}

// phase is a series of knocks, with or without a flood.
type phase struct {
	rate    float64 // requested junk rate; 0 = as fast as one core goes (with flood set)
	flood   bool
	pps     float64 // achieved junk rate
	knocks  []knockResult
	cpu     float64 // daemon CPU during the phase, in cores
	counter map[string]uint64
}

// measure runs the whole profile against s.
func measure(t testing.TB, p benchProfile, s subject) systemResult {
	t.Helper()
	h := &harness{t: t, p: p, bin: build(t), s: s, l: s.lab()}
	var err error
	if h.wire, err = h.l.Client.Sniff(lab.Iface, false); err != nil {
		t.Fatal(err)
	}
	defer h.wire.Close()
	res := systemResult{quiet: h.series(p.knocks, p.knockTimeout)}
	for _, rate := range p.rates {
		res.floods = append(res.floods, h.floodPhase(rate))
	}
	if done, err := s.daemon().Exited(); done {
		t.Fatalf("the daemon exited during the benchmark: %v\n%s", err, s.daemon().Log())
	}
	u, err := s.daemon().Usage()
	if err != nil {
		t.Fatalf("daemon usage: %v", err)
	}
	res.peakRSS = u.PeakRSS
	res.junk = s.flood(h.last).what
	return res
}

// series measures n knocks in a row.
func (h *harness) series(n int, timeout time.Duration) phase {
	var ph phase
	for range n {
		ph.knocks = append(ph.knocks, h.knockOnce(timeout))
	}
	return ph
}

// knockOnce makes sure the port is closed, races connects while the real
// client knocks, and measures from the first knock datagram on the
// client's wire to the first connection that succeeds.
func (h *harness) knockOnce(timeout time.Duration) knockResult {
	if err := h.closed(); err != nil {
		h.t.Fatal(err)
	}
	h.wire.Drain()
	race, err := h.l.Client.StartRace(sshAddr4, time.Millisecond, timeout)
	if err != nil {
		h.t.Fatal(err)
	}
	kerr := h.s.knock()
	opened, rerr := race.Wait()
	sent, ferr := h.knockSent()
	switch {
	case kerr != nil:
		return knockResult{err: fmt.Errorf("client: %w", kerr)}
	case ferr != nil:
		return knockResult{err: ferr}
	case rerr != nil:
		return knockResult{err: rerr}
	case opened.Before(sent):
		return knockResult{err: errors.New("the port was open before the knock (a late grant for an earlier one)")}
	}
	return knockResult{opened: true, latency: opened.Sub(sent)}
}

// closed resets the subject and checks that the port is closed.
func (h *harness) closed() error {
	for range 5 {
		if err := h.s.reset(); err != nil {
			return err
		}
		st, err := h.l.Client.TCPState(sshAddr4, 150*time.Millisecond)
		if err != nil {
			return err
		}
		if st == lab.Silent {
			return nil
		}
	}
	return errors.New("tcp/22 stays open after five resets")
}

// knockSent returns the kernel timestamp of the first knock datagram the
// client sent since the last drain, and keeps the datagram.
func (h *harness) knockSent() (time.Time, error) {
	ports := h.s.knockPorts()
	for {
		f, err := h.wire.Next(time.Second)
		if err != nil {
			return time.Time{}, fmt.Errorf("no knock datagram on the client's wire: %w", err)
		}
		if f.Out && f.Proto == lab.ProtoUDP && f.Dst == lab.ServerIP4 && slices.Contains(ports, f.DstPort) {
			h.last = append(h.last[:0], f.Payload...)
			return f.Time, nil
		}
	}
}

// floodPhase measures valid knocks while a junk flood at rate runs.
func (h *harness) floodPhase(rate float64) phase {
	spec := h.s.flood(h.last)
	fl, err := lab.StartCmd(h.l.Attacker.Command(h.bin.labflood, "-to", joinAddrs(spec.to),
		"-rate", fmt.Sprint(rate), "-duration", "10m", "-kind", spec.kind, "-prefix", hex.EncodeToString(spec.prefix)),
		"labflood", h.t.TempDir())
	if err != nil {
		h.t.Fatal(err)
	}
	defer fl.Stop(time.Second)
	time.Sleep(h.p.warmup)
	if done, err := fl.Exited(); done {
		h.t.Fatalf("labflood exited: %v\n%s", err, fl.Log())
	}
	ph := phase{rate: rate, flood: true}
	c0 := h.s.counters(h.t)
	u0, err := h.s.daemon().Usage()
	if err != nil {
		h.t.Fatal(err)
	}
	t0 := time.Now()
	ph.knocks = h.series(h.p.floodKnocks, h.p.floodKnockTimeout).knocks
	u1, err := h.s.daemon().Usage()
	if err != nil {
		h.t.Fatal(err)
	}
	ph.cpu = (u1.CPU - u0.CPU).Seconds() / time.Since(t0).Seconds()
	if c0 != nil {
		ph.counter = delta(c0, h.s.counters(h.t))
	}
	ph.pps = h.stopFlood(fl)
	return ph
}

func joinAddrs(to []netip.AddrPort) string {
	var s []string
	for _, a := range to {
		s = append(s, a.String())
	}
	return strings.Join(s, ",")
}

// stopFlood stops labflood and returns the rate it reached.
func (h *harness) stopFlood(fl *lab.Proc) float64 {
	_ = fl.Signal(syscall.SIGTERM)
	if err := fl.Wait(5 * time.Second); err != nil {
		h.t.Fatalf("labflood: %v\n%s", err, fl.Log())
	}
	var r struct {
		Sent uint64  `json:"sent"`
		PPS  float64 `json:"pps"`
	}
	out := strings.TrimSpace(fl.Log())
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		h.t.Fatalf("labflood's report %q: %v", out, err)
	}
	return r.PPS
}
