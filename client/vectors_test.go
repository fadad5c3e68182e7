package client

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
	"github.com/spa-project/spa/testvectors"
)

// vectorRequest turns a packet vector's body into the request and deps that
// must reproduce its packet: the vector's time as the clock and its nonce as
// the random source. ok is false for messages the client does not send.
func vectorRequest(t *testing.T, v *testvectors.Packet, n *fakeNet) (req Request, d Deps, ok bool) {
	t.Helper()
	b := v.Body
	switch b.Type {
	case "open":
		req.Type = spa.MsgOpen
	case "close":
		req.Type = spa.MsgClose
	default:
		return req, d, false
	}
	if b.Counter != 0 || b.Action != 0 {
		return req, d, false
	}
	secret, err := keys.GenerateClientSecret(bytes.NewReader(v.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.NewServerID(v.ServerName)
	if err != nil {
		t.Fatal(err)
	}
	req.Profile = &profile.Profile{
		Name: "vector", Server: "server.test", Port: profile.DefaultPort,
		ServerName: v.ServerName, ServerID: id, Secret: secret, Client: "client",
	}
	for _, s := range b.Ports {
		p, err := spa.ParsePort(s)
		if err != nil {
			t.Fatal(err)
		}
		req.Ports = append(req.Ports, p)
	}
	req.Duration = time.Duration(b.DurationS) * time.Second
	if b.UseSource {
		req.AllowIP = AllowSource
	} else if req.AllowIP, err = ParseAllowIP(b.ClientIP); err != nil {
		t.Fatal(err)
	}
	if b.Bucket == "large" {
		req.Bucket = spa.Large
	}
	n.hosts["server.test"] = []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	d = Deps{
		Now:  func() time.Time { return time.UnixMilli(int64(b.TsMs)) },
		Rand: bytes.NewReader(v.Nonce),
		Net:  n,
	}
	return req, d, true
}

// With the vector's pinned time and nonce, the client sends exactly the
// vector's packet, whether the address is given or is the kernel's source.
func TestKnockReproducesVectors(t *testing.T) {
	vs, err := testvectors.Packets()
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, v := range vs {
		if v.Body == nil {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			n := newFakeNet()
			req, d, ok := vectorRequest(t, &v, n)
			if !ok {
				t.Skipf("the client does not send %s messages", v.Body.Type)
			}
			count++
			checkSent(t, req, d, n, v.Packet)

			if a := req.AllowIP.Addr(); a.IsValid() {
				// The same packet when the address comes from the route.
				n := newFakeNet()
				n.sources = map[Family]netip.Addr{familyOf(a): a}
				req, d, _ := vectorRequest(t, &v, n)
				req.AllowIP = AllowIP{}
				checkSent(t, req, d, n, v.Packet)
			}
		})
	}
	if count < 25 {
		t.Fatalf("only %d vectors reproduced", count)
	}
}

func checkSent(t *testing.T, req Request, d Deps, n *fakeNet, want []byte) {
	t.Helper()
	res, err := Knock(context.Background(), req, d)
	if err != nil {
		t.Fatalf("Knock: %v", err)
	}
	sent := n.packets()
	if len(sent) != 1 {
		t.Fatalf("%d datagrams sent, want 1", len(sent))
	}
	if !bytes.Equal(sent[0].data, want) || !bytes.Equal(res.Packet, want) {
		t.Fatalf("sent\n%x\nwant\n%x", sent[0].data, want)
	}
	if sent[0].dst.Port() != profile.DefaultPort {
		t.Fatalf("sent to %s", sent[0].dst)
	}
}
