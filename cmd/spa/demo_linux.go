//go:build linux

package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

func init() {
	extraCommands = append(extraCommands, demoCommand(), demoBastionCommand(), demoProbeCommand())
}

// Addresses of the demo's two hosts (RFC 5737 documentation range).
const (
	demoBastionIP = "192.0.2.1"
	demoClientIP  = "192.0.2.2"
	demoService   = demoBastionIP + ":22"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "show spa at work in two throwaway network namespaces (Linux, as root)",
		Description: `Builds a bastion and a client namespace joined by a virtual cable, runs spad on the
bastion protecting an SSH-like service on tcp/22 with a real firewall, shows the service
closed from the client, knocks, shows it open, waits for the grant to expire, shows it
closed again, and removes everything, also when interrupted.`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "duration", Value: 5 * time.Second, Usage: "length of the demo grant"},
			&cli.BoolFlag{Name: "knock-ports", Usage: "knock on one-time HOTP ports instead of sending one packet to the SPA port"},
		},
		Action: runDemo,
	}
}

func runDemo(c *cli.Context) error {
	if os.Geteuid() != 0 {
		return hintError{errors.New("spa demo creates network namespaces and needs root"),
			"run it as root, e.g.: sudo env PATH=\"$PATH\" go run ./cmd/spa demo"}
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		return hintError{errors.New("spa demo needs the ip command"), "install iproute2 (apt-get install iproute2)"}
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program: %w", err)
	}
	d := &demo{out: c.App.Writer, ip: ipPath, self: self, grant: c.Duration("duration"), knockPorts: c.Bool("knock-ports")}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer d.cleanup()
	err = d.run(ctx)
	if ctx.Err() != nil {
		return errors.New("interrupted; everything the demo created has been removed")
	}
	return err
}

// demo is one run of the demo and everything it created.
type demo struct {
	out        io.Writer
	ip, self   string
	grant      time.Duration
	dir        string
	nsB, nsC   string
	bastion    *exec.Cmd
	stateDir   string
	createdNS  []string
	profile    string
	bastionLog string
	knockPorts bool
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) run(ctx context.Context) error {
	var err error
	if d.dir, err = os.MkdirTemp("", "spa-demo-"); err != nil {
		return err
	}
	d.say("spa demo: a bastion (%s) and a client (%s) in two throwaway network namespaces", demoBastionIP, demoClientIP)
	if err := d.network(ctx); err != nil {
		return err
	}
	if err := d.enroll(); err != nil {
		return err
	}
	if err := d.startBastion(ctx); err != nil {
		return err
	}
	return d.show(ctx)
}

// network creates the two namespaces and the virtual cable between them.
func (d *demo) network(ctx context.Context) error {
	pid := os.Getpid()
	d.nsB, d.nsC = fmt.Sprintf("spademo-%d-bastion", pid), fmt.Sprintf("spademo-%d-client", pid)
	vb, vc := fmt.Sprintf("spd%db", pid), fmt.Sprintf("spd%dc", pid)
	for _, ns := range []string{d.nsB, d.nsC} {
		if err := d.cmd(ctx, "netns", "add", ns); err != nil {
			return err
		}
		d.createdNS = append(d.createdNS, ns)
	}
	steps := [][]string{
		{"link", "add", vb, "netns", d.nsB, "type", "veth", "peer", "name", vc, "netns", d.nsC},
		{"-n", d.nsB, "addr", "add", demoBastionIP + "/24", "dev", vb},
		{"-n", d.nsC, "addr", "add", demoClientIP + "/24", "dev", vc},
		{"-n", d.nsB, "link", "set", vb, "up"}, {"-n", d.nsC, "link", "set", vc, "up"},
		{"-n", d.nsB, "link", "set", "lo", "up"}, {"-n", d.nsC, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := d.cmd(ctx, s...); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) cmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, d.ip, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// enroll writes the bastion's configuration and the client's profile, as
// "spad init" and "spad client add" do.
func (d *demo) enroll() error {
	etc := filepath.Join(d.dir, "etc")
	d.stateDir = filepath.Join(d.dir, "state")
	s := config.DefaultServer()
	s.Name, s.Addr, s.StateDir = "bastion.demo.example", demoBastionIP, d.stateDir
	s.Protect = []spa.Port{{Proto: spa.TCP, Port: 22}}
	if err := server.Init(etc, s); err != nil {
		return err
	}
	d.profile = filepath.Join(d.dir, "demo.spa")
	_, err := server.Enroll(etc, server.Enrollment{Name: "demo", Allow: s.Protect, MaxDuration: d.grant, Knock: config.KnockHOTP}, rand.Reader,
		func(p *profile.Profile) error { return keys.WriteSecretFile(d.profile, p.Marshal()) })
	if err != nil {
		return err
	}
	d.say("[1/6] bastion: spad init, spad client add demo --allow tcp/22 --max-duration %v", d.grant)
	return nil
}

// startBastion runs spad and the service inside the bastion namespace.
func (d *demo) startBastion(ctx context.Context) error {
	d.bastionLog = filepath.Join(d.dir, "spad.log")
	log, err := os.Create(d.bastionLog)
	if err != nil {
		return err
	}
	defer log.Close()
	d.bastion = exec.Command(d.ip, "netns", "exec", d.nsB, d.self, "demo-bastion", "--dir", filepath.Join(d.dir, "etc"))
	d.bastion.Stdout, d.bastion.Stderr = log, log
	if err := d.bastion.Start(); err != nil {
		return fmt.Errorf("starting spad: %w", err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, err := server.Query(d.stateDir, "status"); err == nil {
			d.say("[2/6] bastion: spad running (firewall backend %s), an SSH-like service listening on %s", d.backend(), demoService)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("spad did not start; its log:\n%s", readTail(d.bastionLog))
}

// backend reads from spad's log which firewall backend it chose.
func (d *demo) backend() string {
	f, err := os.Open(d.bastionLog)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "backend="); ok {
			return strings.Fields(after)[0]
		}
	}
	return "?"
}

// inClient runs this program with args inside the client namespace.
func (d *demo) inClient(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, d.ip, append([]string{"netns", "exec", d.nsC, d.self}, args...)...).CombinedOutput()
}

// probe reports whether a new TCP connection to the service succeeds.
func (d *demo) probe(ctx context.Context) (bool, string) {
	out, err := d.inClient(ctx, "demo-probe", demoService)
	return err == nil, strings.TrimSpace(string(out))
}

func (d *demo) show(ctx context.Context) error {
	if open, msg := d.probe(ctx); open {
		return fmt.Errorf("the service is reachable before any knock (%s): the firewall is not working", msg)
	} else {
		d.say("[3/6] client: connect to %s ... %s", demoService, msg)
	}
	args := []string{"knock", "--profile", d.profile, "--wait", "--timeout", "5s", "--json"}
	if d.knockPorts {
		args = append(args, "--knock-ports")
	}
	out, err := d.inClient(ctx, args...)
	if err != nil {
		return fmt.Errorf("spa knock failed: %w\n%s", err, out)
	}
	var res struct {
		OpenAfterMs *float64 `json:"open_after_ms"`
		KnockPorts  []uint16 `json:"knock_ports"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.OpenAfterMs == nil {
		return fmt.Errorf("unexpected output of spa knock: %s", out)
	}
	if d.knockPorts {
		d.say("[4/6] client: spa knock --knock-ports --wait ... %d datagrams to one-time ports %v, open %.1f ms after", len(res.KnockPorts), res.KnockPorts, *res.OpenAfterMs)
	} else {
		d.say("[4/6] client: spa knock --wait ... open %.1f ms after the packet was sent", *res.OpenAfterMs)
	}
	open, msg := d.probe(ctx)
	if !open {
		return fmt.Errorf("knocked, but the service is not reachable: %s", msg)
	}
	d.say("       client: connect to %s ... %s", demoService, msg)
	start := time.Now()
	d.say("[5/6] waiting for the %v grant to expire ...", d.grant)
	for time.Since(start) < d.grant+10*time.Second {
		if open, msg = d.probe(ctx); !open {
			d.say("[6/6] client: connect to %s ... %s (grant expired after %.1f s)", demoService, msg, time.Since(start).Seconds()+0.0)
			return d.summary()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(250 * time.Millisecond)
	}
	return errors.New("the grant did not expire")
}

func (d *demo) summary() error {
	reply, err := server.Query(d.stateDir, "status")
	if err != nil {
		return err
	}
	var st server.Status
	if err := json.Unmarshal(reply, &st); err != nil {
		return err
	}
	d.say("spad counters: accepted %d, refused %d", st.Counters["accepted"], countRefused(st.Counters))
	return nil
}

func countRefused(c map[string]uint64) uint64 {
	var n uint64
	for k, v := range c {
		if k != "accepted" && k != "fragments" { // stored knock fragments are not refusals
			n += v
		}
	}
	return n
}

// cleanup stops spad and removes the namespaces and files, whatever state
// the demo reached.
func (d *demo) cleanup() {
	if d.bastion != nil && d.bastion.Process != nil {
		d.bastion.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.bastion.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			d.bastion.Process.Kill()
			<-done
		}
	}
	for _, ns := range d.createdNS {
		exec.Command(d.ip, "netns", "delete", ns).Run()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
	if len(d.createdNS) > 0 {
		d.say("cleaned up: namespaces %s removed", strings.Join(d.createdNS, ", "))
	}
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
