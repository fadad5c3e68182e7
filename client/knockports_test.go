package client

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/spa"
)

var knockNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func knockProfile(t *testing.T, mode string) *profile.Profile {
	p := testProfile(t, "bastion.example.com", 62201)
	p.KnockPorts, p.KnockFragments, p.KnockRange = mode, 4, spa.DefaultKnockRange()
	return p
}

// serverSide reassembles and opens the datagrams a knock sent, as spad
// does, with the live counters given.
func serverSide(t *testing.T, p *profile.Profile, sent []sentPacket, counters []uint64) (spa.Body, error) {
	t.Helper()
	cs := p.Secret.ForServer(p.ServerID).Bytes()
	k := spa.NewKey(p.Client, cs, p.ServerID.SPA())
	table := spa.NewKnockTable()
	if err := table.SetWindow(k, counters, p.KnockFragments, p.KnockRange, p.KnockExcluded()); err != nil {
		t.Fatal(err)
	}
	hints := spa.NewHintTable([]*spa.Key{k}, knockNow, time.Minute)
	re := spa.NewReassembler(spa.ReassemblyLimits{})
	src := netip.MustParseAddr("198.51.100.23")
	for _, s := range sent {
		cand, err := table.Match(s.dst.Port(), s.data)
		if err != nil {
			return spa.Body{}, err
		}
		if pkt, done, err := re.Add(knockNow, cand, src, s.data); err != nil {
			return spa.Body{}, err
		} else if done {
			_, b, err := hints.OpenKnock(pkt, knockNow, cand)
			return b, err
		}
	}
	return spa.Body{}, errors.New("the knock did not complete")
}

func TestHOTPKnockPersistsCounter(t *testing.T) {
	n := newFakeNet()
	n.hosts["bastion.example.com"] = []netip.Addr{netip.MustParseAddr("203.0.113.5")}
	p := knockProfile(t, profile.KnockHOTP)
	store := CounterFile{Path: filepath.Join(t.TempDir(), "bastion.counter")}
	d := Deps{Net: n, Now: func() time.Time { return knockNow }}
	for want := uint64(0); want < 3; want++ {
		before := len(n.packets())
		res, err := Knock(context.Background(), Request{Profile: p, Knock: true, Counters: store}, d)
		if err != nil {
			t.Fatal(err)
		}
		sent := n.packets()[before:]
		if res.Counter != want || len(sent) != 4 || res.Packet != nil {
			t.Fatalf("counter %d, %d datagrams; want counter %d and 4", res.Counter, len(sent), want)
		}
		for i, s := range sent {
			if s.dst.Addr() != netip.MustParseAddr("203.0.113.5") || s.dst.Port() != res.KnockPorts[i] || s.dst.Port() == 62201 {
				t.Fatalf("datagram %d went to %s", i, s.dst)
			}
		}
		b, err := serverSide(t, p, sent, spa.HOTPWindow(want, 10))
		if err != nil || b.Counter != want || b.Flags&spa.FlagFragmented == 0 || b.ClientIP != netip.MustParseAddr("198.51.100.23") {
			t.Fatalf("server side: %+v, %v", b, err)
		}
		if next, _ := store.Next(); next != want+1 {
			t.Fatalf("stored next counter %d, want %d", next, want+1)
		}
	}
}

// The counter is spent before anything is sent: a knock that fails to go
// out still moves it on, so its ports are never used twice.
func TestHOTPCounterSpentEvenIfSendingFails(t *testing.T) {
	n := newFakeNet()
	n.hosts["bastion.example.com"] = []netip.Addr{netip.MustParseAddr("203.0.113.5")}
	n.refuseEvery = 1 // every write fails
	store := CounterFile{Path: filepath.Join(t.TempDir(), "c")}
	_, err := Knock(context.Background(), Request{Profile: knockProfile(t, profile.KnockHOTP), Knock: true, Counters: store}, Deps{Net: n, Now: func() time.Time { return knockNow }})
	if err == nil {
		t.Fatal("knock succeeded with every write refused")
	}
	if next, _ := store.Next(); next != 1 {
		t.Fatalf("next counter %d, want 1", next)
	}
}

func TestTOTPKnockAndErrors(t *testing.T) {
	n := newFakeNet()
	n.hosts["bastion.example.com"] = []netip.Addr{netip.MustParseAddr("203.0.113.5")}
	d := Deps{Net: n, Now: func() time.Time { return knockNow }}
	p := knockProfile(t, profile.KnockTOTP)
	res, err := Knock(context.Background(), Request{Profile: p, Knock: true}, d)
	if err != nil || res.Counter != spa.TOTPCounter(knockNow) {
		t.Fatalf("totp knock: counter %v, %v", res, err)
	}
	if _, err := serverSide(t, p, n.packets(), spa.TOTPWindow(knockNow)); err != nil {
		t.Fatalf("server side: %v", err)
	}
	off := knockProfile(t, profile.KnockOff)
	_, err = Knock(context.Background(), Request{Profile: off, Knock: true}, d)
	if err == nil || !strings.Contains(err.Error(), "no knock ports") || !strings.Contains(Hint(err), "--knock") {
		t.Fatalf("profile without knocks: %v (hint %q)", err, Hint(err))
	}
	if _, err := (CounterFile{Path: writeTemp(t, "garbage")}).Reserve(); err == nil || !strings.Contains(Hint(err), "remove it") {
		t.Fatalf("damaged counter file: %v", err)
	}
}

// Action and resync messages are single packets with the right fields.
func TestActionAndResyncPackets(t *testing.T) {
	n := newFakeNet()
	n.hosts["bastion.example.com"] = []netip.Addr{netip.MustParseAddr("203.0.113.5")}
	d := Deps{Net: n, Now: func() time.Time { return knockNow }}
	p := knockProfile(t, profile.KnockHOTP)
	for _, req := range []Request{
		{Profile: p, Type: spa.MsgAction, Action: 7},
		{Profile: p, Type: spa.MsgResync, Counter: 42},
	} {
		before := len(n.packets())
		if _, err := Knock(context.Background(), req, d); err != nil {
			t.Fatal(err)
		}
		sent := n.packets()[before:]
		_, b, err := verifier(p, knockNow).Open(sent[0].data, knockNow)
		if err != nil || b.Type != req.Type || b.Action != req.Action || b.Counter != req.Counter || b.NumPorts != 0 || sent[0].dst.Port() != 62201 {
			t.Fatalf("%v: %+v %v", req.Type, b, err)
		}
	}
	if _, err := Knock(context.Background(), Request{Profile: p, Type: spa.MsgResync, Knock: true}, d); err == nil {
		t.Fatal("a resync was sent as a knock")
	}
}

func writeTemp(t *testing.T, content string) string {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
