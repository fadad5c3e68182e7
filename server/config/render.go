package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spa-project/spa/server/config/tomlfile"
)

// renderServer returns s as the text of spad.toml, with a comment for each
// key.
func renderServer(s Server, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# spad configuration, written by "spad init" on %s.
# Check it after every change with "spad check". Durations are strings such
# as "30s", "5m" or "1h30m".

# The server's name, normally its host name. The server's identity is derived
# from it and enters every client's key: renaming the server invalidates every
# enrolled client.
name = %s

# How packets arrive: "capture" reads them from the network interfaces without
# opening a socket, so that the port looks closed; "udp" listens on a UDP
# socket.
listen = %s

# The UDP port clients send their packets to.
port = %d

# Interfaces to capture packets on, such as ["eth0"]; empty means all.
interfaces = %s

`, now.UTC().Format(time.RFC3339), tomlfile.Quote(s.Name), tomlfile.Quote(string(s.Listen)), s.Port, tomlfile.QuoteList(s.Interfaces))
	b.WriteString("# Host name or address that clients send to, written into their profiles.\n")
	if s.Addr == "" {
		b.WriteString("# addr = \"bastion.example.com\"\n\n")
	} else {
		fmt.Fprintf(&b, "addr = %s\n\n", tomlfile.Quote(s.Addr))
	}
	fmt.Fprintf(&b, `# Ports that stay closed until a client opens them for its address.
protect = %s

# Firewall backend: "auto" (nftables if available, else iptables),
# "nftables", "iptables", "exec" (run commands) or "none" (change nothing).
backend = %s

# Whether spad installs the rules that drop traffic to the protected ports.
# Set it to false if you maintain those rules yourself.
manage_deny = %t

# Also guard the forward path, for services published by containers
# (Docker): grants then match the published port before address translation.
forward = %t

# Remove spad's firewall rules when it stops. Without it, nftables grants
# still expire on their own and the protected ports stay closed while spad
# is down; with it, they are open while spad is down.
teardown = %t

# With manage_deny = false and your own deny rule: spad sets this packet mark
# (nftables only) on packets a grant lets through, so your rule can skip them.
mark = %d

# Knock ports (SPEC.md §11): the UDP port range one-time knock ports are
# drawn from, and ports in it that must never be knock ports (every UDP port
# a service on this host listens on). Keep the range away from the
# ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range). Clients' profiles
# carry the range and the exclusions: after changing them, give clients new
# profiles.
knock_range = %s
knock_exclude = %s
# HOTP look-ahead (how many counters ahead a client may be) and how long an
# incomplete knock is kept.
knock_lookahead = %d
knock_timeout = %s

# Directory for the replay cache and other state (an absolute path).
state_dir = %s

# Freshness window: how far a packet's time may be from the server's clock,
# 1s to 10m. Keep the clocks synchronised.
window = %s

# Log format, "text" or "json", and the least severe level logged: "debug",
# "info", "warn" or "error".
log_format = %s
log_level = %s

# The most log lines per second about dropped packets; 0 logs none.
log_rate = %d

[limits]
# Replay cache entries kept per client and for all clients together. When
# one is full, packets are refused until entries expire.
replay_per_client = %d
replay_global = %d

# Requests per second a client may send, and how many it may send at once
# above that rate. A client file may set its own "rate" and "burst".
rate = %s
burst = %d
`, tomlfile.PortList(s.Protect), tomlfile.Quote(string(s.Backend)), s.ManageDeny, s.Forward, s.Teardown, s.Mark,
		tomlfile.Quote(s.Knock.Range.String()), intList(s.Knock.Exclude), s.Knock.Lookahead, tomlfile.Quote(tomlfile.FormatDuration(s.Knock.Timeout)),
		tomlfile.Quote(s.StateDir),
		tomlfile.Quote(tomlfile.FormatDuration(s.Window)), tomlfile.Quote(string(s.LogFormat)), tomlfile.Quote(string(s.LogLevel)), s.LogRate,
		s.Limits.ReplayPerClient, s.Limits.ReplayGlobal, tomlfile.FormatFloat(s.Limits.Rate), s.Limits.Burst)
	renderExec(&b, s)
	renderActions(&b, s.Actions)
	return []byte(b.String())
}

// intList writes ports as a TOML array of integers.
func intList(ports []uint16) string {
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = strconv.Itoa(int(p))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// renderExec writes the [exec] table: the configured commands, examples to
// replace for the exec backend, or commented examples otherwise.
func renderExec(b *strings.Builder, s Server) {
	b.WriteString(`
# The exec backend runs these commands (argv lists, never a shell) when a
# grant starts and ends. Tokens: {ip} {family} {proto} {port} {duration}
# {client}.
`)
	e, prefix := s.Exec, "# "
	switch {
	case len(e.Open) > 0 || len(e.Close) > 0:
		prefix = ""
	case s.Backend == BackendExec:
		b.WriteString("# Replace these examples with your own commands.\n")
		prefix = ""
		e.Open = []string{"/usr/local/sbin/spa-open", "{ip}", "{proto}", "{port}", "{duration}"}
		e.Close = []string{"/usr/local/sbin/spa-close", "{ip}", "{proto}", "{port}"}
	default:
		e.Open = []string{"/usr/local/sbin/spa-open", "{ip}", "{proto}", "{port}", "{duration}"}
		e.Close = []string{"/usr/local/sbin/spa-close", "{ip}", "{proto}", "{port}"}
	}
	if e.Timeout == 0 {
		e.Timeout = DefaultActionTimeout
	}
	fmt.Fprintf(b, "%s[exec]\n%sopen = %s\n%sclose = %s\n%stimeout = %s\n", prefix, prefix, tomlfile.QuoteList(e.Open),
		prefix, tomlfile.QuoteList(e.Close), prefix, tomlfile.Quote(tomlfile.FormatDuration(e.Timeout)))
}

// renderActions writes the [[action]] tables, or a commented example.
func renderActions(b *strings.Builder, acts []Action) {
	b.WriteString(`
# Named actions a client may run by number if its client file lists the
# name in "actions". The command is an argv list with the same tokens; its
# output goes to the log.
`)
	prefix := ""
	if len(acts) == 0 {
		prefix = "# "
		acts = []Action{{ID: 1, Name: "restart-web", Argv: []string{"/usr/bin/systemctl", "restart", "nginx"}, Timeout: 30 * time.Second}}
	}
	for _, a := range acts {
		fmt.Fprintf(b, "%s[[action]]\n%sid = %d\n%sname = %s\n%sargv = %s\n%stimeout = %s\n", prefix, prefix, a.ID,
			prefix, tomlfile.Quote(a.Name), prefix, tomlfile.QuoteList(a.Argv), prefix, tomlfile.Quote(tomlfile.FormatDuration(a.Timeout)))
	}
}

// renderClient returns c as the text of its client file. The result holds the
// client's key: the caller must clear it after use.
func renderClient(c Client, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# spa client %s, enrolled by "spad client add" on %s.
# This file holds the client's key for this server (never the client's
# secret). Keep it private: mode 0600, readable by spad only.
name = %s
key = %s

# Ports the client may open.
allow = %s

# The longest access a client may ask for, and what it gets if it asks for
# no particular time.
max_duration = %s
default_duration = %s

# Addresses the client may open access for: "strict" (the address named in
# the packet, which must also be its source), "source" (the packet's source
# address, for clients behind NAT) or a list of prefixes such as
# "198.51.100.0/24, 2001:db8::/32" (any address named in the packet inside
# them).
address = %s
`, tomlfile.Quote(c.Name), now.UTC().Format(time.RFC3339), tomlfile.Quote(c.Name), tomlfile.Quote(c.Key.Encode()),
		tomlfile.PortList(c.Allow), tomlfile.Quote(tomlfile.FormatDuration(c.MaxDuration)), tomlfile.Quote(tomlfile.FormatDuration(c.DefaultDuration)),
		tomlfile.Quote(c.Address.String()))
	b.WriteString(renderClientKnock(c))
	b.WriteString("\n# Server-side actions the client may run.\n")
	if len(c.Actions) == 0 {
		b.WriteString("# actions = [\"restart-vpn\"]\n")
	} else {
		fmt.Fprintf(&b, "actions = %s\n", tomlfile.QuoteList(c.Actions))
	}
	b.WriteString("\n# Rate limit overrides; by default the server's [limits].\n")
	if c.Rate > 0 {
		fmt.Fprintf(&b, "rate = %s\n", tomlfile.FormatFloat(c.Rate))
	} else {
		b.WriteString("# rate = 1.0\n")
	}
	if c.Burst > 0 {
		fmt.Fprintf(&b, "burst = %d\n", c.Burst)
	} else {
		b.WriteString("# burst = 5\n")
	}
	b.WriteString("\n# When the client stops being accepted (RFC 3339).\n")
	if c.Expires.IsZero() {
		b.WriteString("# expires = 2030-01-02T03:04:05Z\n")
	} else {
		fmt.Fprintf(&b, "expires = %s\n", tomlfile.FormatTime(c.Expires))
	}
	if !c.Revoked.IsZero() {
		b.WriteString(revokedLine(c.Revoked))
	}
	return []byte(b.String())
}

// revokedLine returns the lines that mark a client revoked at t.
func revokedLine(t time.Time) string {
	return fmt.Sprintf("\n# Revoked by \"spad client revoke\": the client is never accepted again.\nrevoked = %s\n", tomlfile.FormatTime(t))
}
