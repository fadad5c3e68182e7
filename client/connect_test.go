package client

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
)

// echo serves one connection: it reads to the end, then writes back what
// it read and closes.
func echo(t *testing.T, l *net.TCPListener) {
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		c.Write(b)
	}()
}

// Connect knocks, waits for the port and splices, end to end on loopback.
func TestConnect(t *testing.T) {
	srv := newUDPServer(t, "127.0.0.1:0")
	l := listenTCP(t)
	echo(t, l)
	p := testProfile(t, "127.0.0.1", srv.port())
	port := addrOf(l).Port()
	var out bytes.Buffer
	req := Request{Profile: p, Ports: []spa.Port{{Proto: spa.TCP, Port: port}}}
	_, err := Connect(context.Background(), req, port, 5*time.Second, strings.NewReader("SSH-2.0-test\r\n"), &out, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "SSH-2.0-test\r\n" {
		t.Fatalf("got %q", out.String())
	}
	got := srv.wait(t, 1)
	_, b, err := verifier(p, time.Now()).Open(got[0].data, time.Now())
	if err != nil || b.PortList()[0].Port != port {
		t.Fatalf("body %+v, %v", b, err)
	}
}

func TestConnectTimeout(t *testing.T) {
	srv := newUDPServer(t, "127.0.0.1:0")
	p := testProfile(t, "127.0.0.1", srv.port())
	addr := closedPort(t)
	req := Request{Profile: p, Ports: []spa.Port{{Proto: spa.TCP, Port: addr.Port()}}}
	res, err := Connect(context.Background(), req, addr.Port(), 300*time.Millisecond, strings.NewReader(""), io.Discard, Deps{})
	if err == nil || res == nil || Hint(err) == "" {
		t.Fatalf("Connect: %v, %v", res, err)
	}
}

// Splice stops when the context ends, even if the peer stays silent.
func TestSpliceCanceled(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	if err := Splice(ctx, a, pr, io.Discard); err == nil {
		t.Fatal("no error")
	}
}
