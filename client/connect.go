package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"time"
)

// Connect knocks with req, waits up to timeout for the TCP port to open on
// the address the packet was sent to, and then copies in to the connection
// and the connection to out until the server closes it: the job of an ssh
// ProxyCommand. The knock result is returned even when a later step fails.
func Connect(ctx context.Context, req Request, port uint16, timeout time.Duration, in io.Reader, out io.Writer, d Deps) (*Result, error) {
	res, err := Knock(ctx, req, d)
	if err != nil {
		return res, err
	}
	conn, err := WaitConn(ctx, netip.AddrPortFrom(res.Addr.Addr(), port), timeout, d)
	if err != nil {
		return res, err
	}
	d.logf("connected to %s", conn.RemoteAddr())
	return res, Splice(ctx, conn, in, out)
}

// Splice copies in to conn and conn to out, and closes conn. It returns when
// the peer has finished sending (or ctx is done). When in reaches its end,
// the sending half of conn is closed so that the peer sees the end too. The
// goroutine reading in runs until in returns, which for standard input may
// be when the process exits.
func Splice(ctx context.Context, conn net.Conn, in io.Reader, out io.Writer) error {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	go func() {
		if _, err := io.Copy(conn, in); err == nil {
			closeWrite(conn)
		}
	}()
	_, err := io.Copy(out, conn)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// closeWrite shuts down the sending half of a TCP connection.
func closeWrite(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
