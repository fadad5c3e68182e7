package main

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/spa-project/spa/spa"
)

// cmdExits runs a command and checks its exit code:
//
//	exits CODE COMMAND [ARGS...]
//
// Its standard output and error are kept for stdout and stderr, as with
// exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdKnocked checks the packets the recorder got since the last check:
//
//	knocked N [TYPE PORTS ADDRESS]
//
// N copies of one datagram must have arrived, each a packet that the
// server's verification accepts with the fixture profile's key, of TYPE
// (open or close) for PORTS ("tcp/22,udp/53") and ADDRESS: an IP address,
// "sender" for the address it came from (strict policy), or "source" for
// the USE_SOURCE flag.
func cmdKnocked(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 && len(args) != 4 {
		ts.Fatalf("usage: knocked N [TYPE PORTS ADDRESS]")
	}
	r := ts.Value(recorderKey{}).(*recorder)
	n, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("knocked: bad count %q", args[0])
	}
	deadline := time.Now().Add(3 * time.Second)
	for r.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let any extra copy arrive
	got := r.take()
	if len(got) != n {
		ts.Fatalf("%d datagrams arrived, want %d", len(got), n)
	}
	for _, g := range got {
		if !bytes.Equal(g.data, got[0].data) {
			ts.Fatalf("the copies differ")
		}
	}
	if n == 0 || len(args) == 1 {
		return
	}
	checkPacket(ts, r, got[0], args[1], args[2], args[3])
}

func checkPacket(ts *testscript.TestScript, r *recorder, g datagram, typ, ports, addr string) {
	p := r.profile
	cs := p.Secret.ForServer(p.ServerID).Bytes()
	now := time.Now()
	table := spa.NewHintTable([]*spa.Key{spa.NewKey("alice", cs, p.ServerID.SPA())}, now, time.Minute)
	_, b, err := table.Open(g.data, now)
	if err != nil {
		ts.Fatalf("the server would reject the packet: %v", err)
	}
	var ps []string
	for _, x := range b.PortList() {
		ps = append(ps, x.String())
	}
	if b.Type.String() != typ || strings.Join(ps, ",") != ports {
		ts.Fatalf("packet asks to %s %v, want %s %s", b.Type, ps, typ, ports)
	}
	switch addr {
	case "source":
		if b.Flags&spa.FlagUseSource == 0 {
			ts.Fatalf("packet names %s, want the source flag", b.ClientIP)
		}
	case "sender":
		if b.ClientIP != g.from.Addr().Unmap() {
			ts.Fatalf("packet names %s but came from %s", b.ClientIP, g.from)
		}
	default:
		if b.ClientIP != netip.MustParseAddr(addr) {
			ts.Fatalf("packet names %s, want %s", b.ClientIP, addr)
		}
	}
	ts.Logf("packet from %s: %s %v for %s, %ds", g.from, b.Type, ps, b.ClientIP, b.Duration)
}

// cmdPerm checks a file's permission bits:
//
//	perm MODE FILE
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("perm: bad mode %q", args[0])
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := uint64(fi.Mode().Perm()); (got == want) == neg {
		ts.Fatalf("%s has mode %04o, want %s%04o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}
