package config

import (
	"time"

	"github.com/spa-project/spa/spa"
)

// Defaults and limits of spad.toml.
const (
	// DefaultDir is the default configuration directory.
	DefaultDir = "/etc/spa"
	// DefaultStateDir is the default state directory (replay cache).
	DefaultStateDir = "/var/lib/spa"
	// DefaultPort is the default UDP port of spa packets.
	DefaultPort = 62201
	// DefaultWindow is the default freshness window W (SPEC.md §8).
	DefaultWindow = 60 * time.Second
	// MinWindow and MaxWindow bound the freshness window.
	MinWindow = time.Second
	MaxWindow = 10 * time.Minute
	// DefaultLogRate is the default number of drop-log lines per second.
	DefaultLogRate = 10
	// MaxLogRate bounds log_rate.
	MaxLogRate = 1_000_000

	// DefaultReplayPerClient and DefaultReplayGlobal are the default bounds
	// of the replay cache (SPEC.md §9).
	DefaultReplayPerClient = 1024
	DefaultReplayGlobal    = 1_000_000
	// MaxReplayGlobal bounds both replay cache limits.
	MaxReplayGlobal = 100_000_000
	// DefaultRate is the default request rate per client, per second.
	DefaultRate = 1.0
	// DefaultBurst is the default burst of requests above the rate.
	DefaultBurst = 5
	// MaxRate and MaxBurst bound the rate limits.
	MaxRate  = 1000.0
	MaxBurst = 10_000

	// MaxInterfaceName is the longest interface name (Linux IFNAMSIZ - 1).
	MaxInterfaceName = 15
)

// ListenMode is how spad receives packets.
type ListenMode string

// The listen modes.
const (
	// ListenCapture reads packets from the network interfaces without
	// opening a socket, so the SPA port itself looks closed. The default.
	ListenCapture ListenMode = "capture"
	// ListenUDP receives packets on an ordinary UDP socket.
	ListenUDP ListenMode = "udp"
)

// Backend is the firewall backend that opens and closes ports.
type Backend string

// The firewall backends.
const (
	BackendAuto     Backend = "auto" // nftables if available, else iptables; the default
	BackendNftables Backend = "nftables"
	BackendIptables Backend = "iptables"
	BackendExec     Backend = "exec" // run external commands
	BackendNone     Backend = "none" // change nothing (testing, logging only)
)

// LogFormat is the format of spad's log.
type LogFormat string

// The log formats.
const (
	LogText LogFormat = "text" // the default
	LogJSON LogFormat = "json"
)

// LogLevel is the least severe level spad logs.
type LogLevel string

// The log levels.
const (
	LogDebug LogLevel = "debug"
	LogInfo  LogLevel = "info" // the default
	LogWarn  LogLevel = "warn"
	LogError LogLevel = "error"
)

// Server is the content of spad.toml. Start from [DefaultServer]: some
// defaults are not zero values.
type Server struct {
	// Name is the server name N (SPEC.md §2), 1 to 255 bytes of UTF-8. The
	// server identity, keys.NewServerID(Name), enters every client's key:
	// renaming the server invalidates every enrolled client.
	Name string
	// Listen is how packets are received (key "listen").
	Listen ListenMode
	// Port is the UDP port packets are sent to (key "port").
	Port uint16
	// Interfaces are the interfaces to capture on; empty means all (key
	// "interfaces").
	Interfaces []string
	// Addr is the host name or address clients send to, written into their
	// profiles; "" if not set (key "addr").
	Addr string
	// Protect are the ports kept closed until a client opens them (key
	// "protect").
	Protect []spa.Port
	// Backend is the firewall backend (key "backend").
	Backend Backend
	// ManageDeny is whether spad installs the rules that drop traffic to
	// the protected ports (key "manage_deny").
	ManageDeny bool
	// StateDir is the absolute path of the state directory (key
	// "state_dir").
	StateDir string
	// Window is the freshness window W, MinWindow to MaxWindow (key
	// "window").
	Window time.Duration
	// LogFormat and LogLevel configure the log (keys "log_format",
	// "log_level").
	LogFormat LogFormat
	LogLevel  LogLevel
	// LogRate is the most drop-log lines per second; 0 turns them off (key
	// "log_rate").
	LogRate int
	// Forward also puts the deny and the grants in the forward path, for
	// services published by containers, such as Docker's (key "forward").
	Forward bool
	// Teardown removes spad's firewall table or chains when spad stops
	// (key "teardown"). Without it, nftables grants expire in the kernel
	// on their own, and iptables and exec grants are restored at the next
	// start; with it, the protected ports are open while spad is stopped.
	Teardown bool
	// Mark, if not zero, is set on packets a grant lets through (nftables
	// only), so that a deny rule kept outside spad's table (manage_deny =
	// false) can skip them (key "mark").
	Mark uint32
	// Exec are the exec backend's commands ([exec] table).
	Exec Exec
	// Actions are the named commands clients may run ([[action]] tables).
	Actions []Action
	// Knock are the knock-port settings (keys "knock_*").
	Knock Knock
	// Limits are the replay cache bounds and rate limits ([limits] table).
	Limits Limits
}

// Limits is the [limits] table of spad.toml.
type Limits struct {
	// ReplayPerClient and ReplayGlobal bound the replay cache entries of
	// one client and of all clients (keys "replay_per_client",
	// "replay_global"; SPEC.md §9).
	ReplayPerClient int
	ReplayGlobal    int
	// Rate is the sustained number of requests per second a client may send
	// (key "rate"), Burst how many it may send at once above it (key
	// "burst"). A client file may override both.
	Rate  float64
	Burst int
}

// DefaultServer returns a Server with every default set and no name.
func DefaultServer() Server {
	return Server{
		Listen:     ListenCapture,
		Port:       DefaultPort,
		Protect:    []spa.Port{{Proto: spa.TCP, Port: 22}},
		Backend:    BackendAuto,
		ManageDeny: true,
		StateDir:   DefaultStateDir,
		Window:     DefaultWindow,
		LogFormat:  LogText,
		LogLevel:   LogInfo,
		LogRate:    DefaultLogRate,
		Exec:       Exec{Timeout: DefaultActionTimeout},
		Knock:      Knock{Range: spa.DefaultKnockRange(), Lookahead: DefaultKnockLookahead, Timeout: DefaultKnockTimeout},
		Limits: Limits{
			ReplayPerClient: DefaultReplayPerClient,
			ReplayGlobal:    DefaultReplayGlobal,
			Rate:            DefaultRate,
			Burst:           DefaultBurst,
		},
	}
}
