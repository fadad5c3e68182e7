package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spa-project/spa/spa"
)

// ControlSocket returns the path of the daemon's control socket: a unix
// socket of mode 0600 in the state directory, answering one command per
// connection ("status" or "reload").
func ControlSocket(stateDir string) string { return filepath.Join(stateDir, "spad.sock") }

// Status is what "spad status" shows.
type Status struct {
	Server        string            `json:"server"`
	Started       time.Time         `json:"started"`
	Counters      map[string]uint64 `json:"counters"`
	KernelDrops   uint64            `json:"kernel_drops"`
	ReplayEntries int               `json:"replay_entries"`
	Grants        []GrantStatus     `json:"grants"`
}

// GrantStatus is one live grant.
type GrantStatus struct {
	Client     string    `json:"client"`
	Addr       string    `json:"addr"`
	Port       string    `json:"port"`
	Expires    time.Time `json:"expires"`
	RemainingS int64     `json:"remaining_s"`
}

func (d *Daemon) status() Status {
	now := d.clock.Now()
	st := Status{
		Server: d.config().Server.Name, Started: d.started, Counters: d.v.Counters().Snapshot(),
		KernelDrops: d.src.KernelDrops(), ReplayEntries: d.store.Stats().ReplayEntries, Grants: []GrantStatus{},
	}
	for _, g := range d.store.Grants() {
		if !g.Expires.After(now) {
			continue
		}
		st.Grants = append(st.Grants, GrantStatus{
			Client: g.Client, Addr: g.Addr.String(), Port: spa.Port{Proto: spa.Proto(g.Proto), Port: g.Port}.String(),
			Expires: g.Expires, RemainingS: int64(g.Expires.Sub(now).Seconds()),
		})
	}
	return st
}

func (d *Daemon) listenControl() (net.Listener, error) {
	path := ControlSocket(d.cfg.Server.StateDir)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("another spad is running (control socket %s answers)", path)
	}
	os.Remove(path) // a stale socket from a daemon that died
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return l, nil
}

func (d *Daemon) serveControl(ctx context.Context, l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				d.log.Error("control socket", "error", err.Error())
			}
			return
		}
		d.answer(c)
	}
}

func (d *Daemon) answer(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	var reply any
	switch strings.TrimSpace(line) {
	case "status":
		reply = d.status()
	case "reload":
		if err := d.Reload(); err != nil {
			reply = map[string]string{"error": err.Error()}
		} else {
			reply = map[string]string{"ok": "reloaded"}
		}
	default:
		reply = map[string]string{"error": "unknown command"}
	}
	json.NewEncoder(c).Encode(reply)
}

// Query sends a command to the daemon using stateDir and returns its JSON
// reply.
func Query(stateDir, cmd string) ([]byte, error) {
	path := ControlSocket(stateDir)
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("spad is not running (no answer on %s): %w", path, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintln(c, cmd); err != nil {
		return nil, err
	}
	reply, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("reading reply from %s: %w", path, err)
	}
	var e struct{ Error string }
	if json.Unmarshal(reply, &e) == nil && e.Error != "" {
		return reply, errors.New(e.Error)
	}
	return reply, nil
}
