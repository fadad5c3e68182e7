package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

// setup gives a script:
//
//   - HOME and XDG_CONFIG_HOME in its work directory, so profiles are
//     stored there;
//   - $UDP, a UDP port on 127.0.0.1 and ::1 that records packets (see the
//     knocked command), $OPEN, a loopback TCP port that echoes, and
//     $CLOSED, one with nothing listening;
//   - profile files for server 127.0.0.1:$UDP: bastion.toml (mode 0600,
//     ports tcp/$OPEN), world.toml (0644), mismatch.toml (server_id of
//     another server), v4.toml (server v4.test), token.txt (its token);
//   - $TOKEN, the token of bastion.toml, $BADTOKEN, a damaged copy, and
//     $SECRET, part of the profile's secret that output must never hold.
func setup(env *testscript.Env) error {
	env.Setenv("HOME", filepath.Join(env.WorkDir, "home"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "config"))
	env.Setenv("SPA_PROFILE", "")
	// A race-enabled binary otherwise sleeps a second before exiting.
	env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	udp, err := newRecorder(env)
	if err != nil {
		return err
	}
	open, err := echoServer(env)
	if err != nil {
		return err
	}
	closed, err := closedPort()
	if err != nil {
		return err
	}
	env.Setenv("UDP", strconv.Itoa(int(udp.port)))
	env.Setenv("OPEN", strconv.Itoa(int(open)))
	env.Setenv("CLOSED", strconv.Itoa(int(closed)))

	p, err := fixtureProfile(udp.port, open)
	if err != nil {
		return err
	}
	udp.profile = p
	env.Values[recorderKey{}] = udp
	return writeFixtures(env, p)
}

// fixtureProfile returns the scripts' profile, with a fixed secret.
func fixtureProfile(udpPort, tcpPort uint16) (*profile.Profile, error) {
	secret, err := keys.GenerateClientSecret(bytes.NewReader(bytes.Repeat([]byte{0x5a}, 32)))
	if err != nil {
		return nil, err
	}
	id, err := keys.NewServerID("bastion.test")
	if err != nil {
		return nil, err
	}
	return &profile.Profile{
		Name: "bastion", Server: "127.0.0.1", Port: udpPort, ServerName: "bastion.test", ServerID: id,
		Secret: secret, Ports: []spa.Port{{Proto: spa.TCP, Port: tcpPort}}, Client: "alice",
	}, nil
}

func writeFixtures(env *testscript.Env, p *profile.Profile) error {
	write := func(name string, data []byte, mode os.FileMode) error {
		path := filepath.Join(env.WorkDir, name)
		if err := os.WriteFile(path, data, mode); err != nil {
			return err
		}
		return os.Chmod(path, mode)
	}
	if err := write("bastion.toml", p.Marshal(), 0o600); err != nil {
		return err
	}
	if err := write("world.toml", p.Marshal(), 0o644); err != nil {
		return err
	}
	other, _ := keys.NewServerID("other.test")
	mismatch := strings.Replace(string(p.Marshal()), p.ServerID.Encode(), other.Encode(), 1)
	if err := write("mismatch.toml", []byte(mismatch), 0o600); err != nil {
		return err
	}
	v4 := *p
	v4.Server = "v4.test"
	if err := write("v4.toml", v4.Marshal(), 0o600); err != nil {
		return err
	}
	token := p.EncodeToken()
	env.Setenv("TOKEN", token)
	if err := write("token.txt", []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	i := len(token) / 2
	bad := token[:i] + string(rune('A'+(token[i]-'A'+1)%26)) + token[i+1:]
	env.Setenv("BADTOKEN", bad)
	env.Setenv("SECRET", strings.TrimPrefix(p.Secret.Encode(), "spa-client-secret-")[:20])
	return nil
}

// recorder records the datagrams sent to one port on 127.0.0.1 and ::1.
type recorder struct {
	port    uint16
	profile *profile.Profile
	mu      sync.Mutex
	got     []datagram
}

type datagram struct {
	from netip.AddrPort
	data []byte
}

type recorderKey struct{}

// newRecorder listens on one port number on both loopback addresses.
func newRecorder(env *testscript.Env) (*recorder, error) {
	var lastErr error
	for range 20 {
		c4, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		port := c4.LocalAddr().(*net.UDPAddr).Port
		c6, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv6loopback, Port: port})
		if err != nil {
			c4.Close()
			lastErr = err
			continue
		}
		r := &recorder{port: uint16(port)}
		for _, c := range []*net.UDPConn{c4, c6} {
			done := make(chan struct{})
			go r.read(c, done)
			env.Defer(func() { c.Close(); <-done })
		}
		return r, nil
	}
	return nil, fmt.Errorf("no UDP port free on both 127.0.0.1 and ::1: %w", lastErr)
}

func (r *recorder) read(c *net.UDPConn, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.got = append(r.got, datagram{from, append([]byte(nil), buf[:n]...)})
		r.mu.Unlock()
	}
}

// take returns and forgets the datagrams received so far.
func (r *recorder) take() []datagram {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// echoServer serves a loopback TCP port that sends back what it receives,
// once the client has finished sending.
func echoServer(env *testscript.Env) (uint16, error) {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, _ := io.ReadAll(c)
				c.Write(b)
			}()
		}
	}()
	env.Defer(func() { l.Close(); wg.Wait() })
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// closedPort returns a loopback TCP port with nothing listening.
func closedPort() (uint16, error) {
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}
