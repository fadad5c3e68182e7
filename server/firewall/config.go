package firewall

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spa-project/spa/server/firewall/actions"
	"github.com/spa-project/spa/spa"
)

// The backend names of [Config].Backend.
const (
	BackendAuto     = "auto"
	BackendNftables = "nftables"
	BackendIptables = "iptables"
	BackendExec     = "exec"
	BackendNone     = "none"
)

// DefaultTable is the nftables table name and iptables chain prefix when
// [Config].Table is empty.
const DefaultTable = "spad"

// maxTableName keeps "<table>-fgrants" within iptables' 28-byte chain names.
const maxTableName = 20

// DefaultExecTimeout bounds one open or close command when
// [ExecConfig].Timeout is zero.
const DefaultExecTimeout = 10 * time.Second

// PortRange is an inclusive range of ports of one protocol.
type PortRange struct {
	Proto  spa.Proto
	Lo, Hi uint16
}

// String returns the range as "udp/62201" or "udp/20000-59999".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return spa.Port{Proto: r.Proto, Port: r.Lo}.String()
	}
	return fmt.Sprintf("%s/%d-%d", r.Proto, r.Lo, r.Hi)
}

func (r PortRange) valid() bool {
	return (r.Proto == spa.TCP || r.Proto == spa.UDP) && r.Lo != 0 && r.Lo <= r.Hi
}

// Config selects and configures a backend.
type Config struct {
	// Backend is "auto" (or empty), "nftables", "iptables", "exec" or "none".
	Backend string
	// Protect are the ports spad default-denies (with ManageDeny) and
	// grants.
	Protect []spa.Port
	// ManageDeny makes the backend drop new connections to Protect unless
	// a grant allows them. Without it, the backend only installs grants.
	ManageDeny bool
	// Forward also puts the deny and the grants in the forward path, for
	// services published by containers (see the package documentation).
	Forward bool
	// Table is the nftables table and iptables chain prefix: 1 to 20 of
	// A-Z a-z 0-9 _ -, starting with a letter. Default "spad".
	Table string
	// Teardown removes the table or chains on Close. Otherwise nftables
	// leaves everything in place (the kernel still expires grants), and
	// iptables and exec remove their grants but keep the deny.
	Teardown bool
	// Silent are port ranges whose inbound packets (except on loopback) are
	// always dropped, whatever ManageDeny says: spad's own SPA port (and
	// knock ports) in capture mode. No socket listens there, so without
	// the drop the kernel would answer every packet with an ICMP port
	// unreachable, and spad must never answer (SPEC.md §7). The exec and
	// none backends cannot do this; see the package documentation.
	Silent []PortRange
	// Mark, if not zero, is ORed into the packet mark of every packet a
	// grant matches (nftables only), so that a deny rule outside spad's
	// table can let granted packets through (ManageDeny false).
	Mark uint32
	// Exec configures the exec backend.
	Exec ExecConfig
	// NetNS, if not empty, is the path of a network namespace (such as
	// /run/netns/NAME) the backend works in instead of spad's own.
	NetNS string
	// Logger receives the backend's log; nil discards it.
	Logger *slog.Logger
}

// ExecConfig are the exec backend's commands: argv templates as described
// in package actions, run without a shell.
type ExecConfig struct {
	Open    []string      // run when a grant starts
	Close   []string      // run when a grant ends (expiry, close message, shutdown)
	Timeout time.Duration // bound on one command; 0 means DefaultExecTimeout
}

// withDefaults returns cfg with defaults filled in, or an error naming the
// first invalid setting.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Backend == "" {
		cfg.Backend = BackendAuto
	}
	if cfg.Table == "" {
		cfg.Table = DefaultTable
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Exec.Timeout == 0 {
		cfg.Exec.Timeout = DefaultExecTimeout
	}
	if err := checkTable(cfg.Table); err != nil {
		return cfg, err
	}
	if err := checkProtect(cfg.Protect); err != nil {
		return cfg, err
	}
	for _, r := range cfg.Silent {
		if !r.valid() {
			return cfg, fmt.Errorf("silent port range %q: must be tcp or udp, 1 to 65535, low to high", r)
		}
	}
	if cfg.Exec.Timeout < 0 {
		return cfg, fmt.Errorf("exec timeout %v is negative", cfg.Exec.Timeout)
	}
	return cfg, nil
}

func checkTable(name string) error {
	if len(name) > maxTableName {
		return fmt.Errorf("table name %q: longer than %d bytes", name, maxTableName)
	}
	for i, c := range []byte(name) {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '_' || c == '-')) {
			return fmt.Errorf("table name %q: want a letter, then letters, digits, '_' or '-'", name)
		}
	}
	return nil
}

func checkProtect(ports []spa.Port) error {
	seen := make(map[spa.Port]bool, len(ports))
	for _, p := range ports {
		if !p.Valid() {
			return fmt.Errorf("protected port %q: must be tcp or udp, 1 to 65535", p)
		}
		if seen[p] {
			return fmt.Errorf("protected port %q listed twice", p)
		}
		seen[p] = true
	}
	return nil
}

// checkExec validates the exec backend's templates.
func (e ExecConfig) check() error {
	if len(e.Open) == 0 || len(e.Close) == 0 {
		return fmt.Errorf("exec backend needs both an open and a close command")
	}
	if err := actions.CheckArgv(e.Open); err != nil {
		return fmt.Errorf("exec open command: %w", err)
	}
	if err := actions.CheckArgv(e.Close); err != nil {
		return fmt.Errorf("exec close command: %w", err)
	}
	return nil
}
