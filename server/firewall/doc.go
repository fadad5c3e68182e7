// Package firewall makes spad's grants real in the kernel and makes them go
// away on time, even if spad is killed (SPEC.md §7 step 11; protocol.md
// §3.11).
//
// A grant is a [Rule] — one address may reach one protocol/port — with a
// lifetime. [New] returns a [Backend] for the configured firewall; a
// [Manager] puts it behind one worker goroutine, runs expiry timers where
// the kernel cannot, and reconciles with the daemon's recorded grants at
// start. Package firewalltest has a recording fake for tests without root;
// package actions runs argv templates for the exec backend and for named
// actions.
//
// # Backends
//
// nftables (the default where nf_tables answers over netlink) keeps spad's
// own inet table, talking netlink directly (no nft process). Grants are
// elements "address . protocol . port" of two sets, grants4 and grants6,
// each with its own timeout, so the kernel revokes a grant on time even
// when spad is dead. Every change is one netlink batch. For table "spad",
// protect = ["tcp/22"], manage_deny = true, "nft list table inet spad"
// shows:
//
//	table inet spad {
//		set grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
//		set grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
//		set protect { type inet_proto . inet_service; elements = { tcp . 22 } }
//		chain input {
//			type filter hook input priority filter - 10; policy accept;
//			iifname "lo" accept
//			ct state established,related accept
//			ip saddr . meta l4proto . th dport @grants4 counter accept
//			ip6 saddr . meta l4proto . th dport @grants6 counter accept
//			meta l4proto . th dport @protect counter drop
//		}
//	}
//
// iptables keeps its own chains in the filter table of iptables and
// ip6tables (through go-iptables, which runs the commands with argv, never
// a shell): INPUT jumps first to spad-input, which jumps to spad-grants
// and then drops new connections to the protected ports; spad-grants holds
// one ACCEPT rule per grant with its expiry in the comment
// ("spad-expires=2026-05-01T10:00:00Z"). The kernel does not expire these
// rules: the Manager's timers do, and Reconcile at start removes rules whose
// time passed while spad was down. Each change runs an iptables process;
// with iptables-nft a new grant takes about 1.5 ms (4 ms with ten thousand
// live), but deleting one reads the whole rule set back (about 20 ms with
// hundreds of grants, 110 ms with ten thousand), which bounds how many
// grants per second can expire; prefer nftables for busy servers.
//
// exec runs an open command when a grant starts and a close command when it
// ends (knockd's start_command and stop_command), with a timeout; see
// package actions for the templates. It knows only the grants it opened:
// the Manager runs the timers, and Reconcile runs the close command for
// recorded grants that expired while spad was down and the open command
// for those still live. The open command runs once per grant: a re-knock
// only moves the expiry. Use it for firewalls spad has no backend for.
//
// none changes nothing and logs each grant.
//
// "auto" picks nftables if nf_tables answers over netlink, else iptables,
// else fails with what to install.
//
// # Lifecycle of a grant
//
//   - Open: Allow installs the grant for its duration.
//   - Re-knock: Allow for the same address, protocol and port sets the
//     remaining time to the new duration; there is never a second rule or
//     element (nftables replaces the element in one batch; iptables inserts
//     the new rule before deleting the old one, so access never lapses).
//   - Close message: Revoke removes it at once.
//   - Expiry: the kernel (nftables) or the Manager's timer (iptables, exec)
//     removes it. A connection that is already established survives: the
//     deny only drops packets that do not belong to an established
//     connection (conntrack). Grants match all packets of the client, so
//     the rule set must still accept established traffic after expiry —
//     spad's own deny does; see below for your own rules.
//   - spad killed (SIGKILL, crash): nftables grants keep expiring in the
//     kernel; iptables rules stay until the next start, whose Reconcile
//     removes the expired ones and any the state does not know. The deny
//     stays in place throughout: ports remain closed while spad is down.
//   - spad stopped (SIGTERM): with teardown, Close removes the table or
//     chains, deny included — the protected ports are then open to
//     everyone until spad starts again. Without teardown (the default),
//     nftables leaves table and grants to the kernel; iptables and exec
//     remove their grants (nothing would expire them) and keep the deny,
//     and the next start's Reconcile restores the grants still live.
//
// IPv4 and IPv6 grants work alike. Loopback traffic is never denied.
//
// # Living with an existing rule set
//
// With nftables, every base chain registered on a hook sees every packet,
// in priority order, and a packet survives only if every chain accepts it:
// an accept ends only its own chain, while a drop anywhere is final. So a
// grant (an accept in spad's table) cannot undo a drop in your table, and
// spad's drop (manage_deny) closes a port whatever your rules say. The
// same holds between spad's table and rules made with iptables-nft or
// iptables-legacy, which are base chains too.
//
// With manage_deny = true (the default) let spad decide for the protected
// ports: if your input chain drops by default (policy drop) or drops those
// ports, accept them before that, for example
//
//	table inet filter {
//		chain input {
//			type filter hook input priority filter; policy drop;
//			ct state established,related accept
//			iif "lo" accept
//			tcp dport 22 accept   # spad's table drops it unless granted
//		}
//	}
//
// Without the "tcp dport 22 accept", grants appear to do nothing.
//
// With manage_deny = false you keep a deny of your own and spad only adds
// grants. With nftables, set mark (for example mark = 0x10000) in spad.toml:
// spad's chains run at priority filter - 10, before the usual filter chains,
// and OR that bit into the packet mark of every packet a grant matches.
// Let marked packets past your deny, after your established rule:
//
//	ct state established,related accept
//	tcp dport 22 meta mark & 0x00010000 == 0 drop
//
// With iptables rules of your own, use "-m mark ! --mark 0x10000/0x10000"
// on the DROP. With the iptables backend no mark is needed: spad's jump is
// first in INPUT and a grant ACCEPTs, which ends the filter table's INPUT
// chain, so your later DROP rule or DROP policy does not see granted
// packets (your rules must still accept established connections for them
// to outlive the grant). spad inserts the jump only when INPUT has none,
// so you may move it.
//
// All of these setups are tested (TestNftablesCoexistence,
// TestIptablesCoexistence).
//
// # Containers (Docker)
//
// A port that Docker publishes (docker run -p 2222:22) never reaches the
// input hook: Docker's DNAT sends it through the forward path to the
// container, so the input-path deny does not protect it. Set forward = true
// and list the published host port (protect = ["tcp/2222"]):
//
//   - nftables adds a forward chain (hook forward, priority filter - 10)
//     with the same grant sets, matching the port the client connected to
//     before DNAT ("ct original proto-dst"), and drops destination-NATed
//     connections to a protected port unless granted ("ct status dnat").
//     Routed traffic that was not NATed is left alone.
//   - iptables jumps from DOCKER-USER (creating it, and FORWARD's jump to
//     it, if Docker has not yet) to spad-forward, which uses
//     "-m conntrack --ctorigdstport" and "--ctstate DNAT" the same way;
//     grants sit in spad-fgrants.
//
// Grants then open both paths. Connections made under a grant survive its
// expiry here too. This is tested with a namespace that publishes a
// "container" port by DNAT (TestNftablesForward, TestIptablesForward).
//
// # Network namespaces and tests
//
// Config.NetNS makes a backend work inside another network namespace: the
// nftables backend opens its netlink socket there; the iptables and exec
// backends start their commands on one OS thread that joined the namespace
// (a process inherits the namespace of the thread that forks it), locked to
// its goroutine and discarded afterwards. The privileged tests use it to
// run every backend in throw-away namespaces (internal/netnstest) and never
// touch the host's firewall; they skip without root, and fail instead when
// CI=true.
package firewall
