package firewall

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spa-project/spa/spa"
)

// commentPrefix starts the comment of every iptables grant rule; the
// expiry follows in RFC 3339 UTC, whole seconds rounded up.
const commentPrefix = "spad-expires="

// iptChains are the chain names of one backend, from Config.Table.
type iptChains struct {
	input, grants   string // jumped to from INPUT; grant rules
	forward, fgrant string // jumped to from DOCKER-USER; forward grant rules
}

func chainsFor(table string) iptChains {
	return iptChains{input: table + "-input", grants: table + "-grants",
		forward: table + "-forward", fgrant: table + "-fgrants"}
}

// expiryComment is the comment recording expiry exp.
func expiryComment(exp time.Time) string {
	sec := exp.Unix()
	if exp.Nanosecond() > 0 {
		sec++
	}
	return commentPrefix + time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

// grantSpec is the rule spec of a grant: for the input path it matches the
// destination port, for the forward path the port before DNAT.
func grantSpec(r Rule, comment string, forward bool) []string {
	proto := r.Port.Proto.String()
	port := strconv.Itoa(int(r.Port.Port))
	spec := []string{"-s", netip.PrefixFrom(r.Addr, r.Addr.BitLen()).String(), "-p", proto}
	if forward {
		spec = append(spec, "-m", "conntrack", "--ctorigdstport", port)
	} else {
		spec = append(spec, "-m", proto, "--dport", port)
	}
	return append(spec, "-m", "comment", "--comment", comment, "-j", "ACCEPT")
}

// denySpec drops packets to p that do not belong to an established
// connection: in the input path except from loopback, in the forward path
// only for destination-NATed (published) connections.
func denySpec(p spa.Port, forward bool) []string {
	proto := p.Proto.String()
	port := strconv.Itoa(int(p.Port))
	notEstablished := []string{"-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED", "-j", "DROP"}
	if forward {
		return append([]string{"-p", proto, "-m", "conntrack", "--ctstate", "DNAT", "--ctorigdstport", port}, notEstablished...)
	}
	return append([]string{"!", "-i", "lo", "-p", proto, "-m", proto, "--dport", port}, notEstablished...)
}

// silentSpec drops every packet to a port in r that does not come from
// loopback, so the kernel never answers it.
func silentSpec(r PortRange) []string {
	ports := strconv.Itoa(int(r.Lo))
	if r.Hi != r.Lo {
		ports += ":" + strconv.Itoa(int(r.Hi))
	}
	proto := r.Proto.String()
	return []string{"!", "-i", "lo", "-p", proto, "-m", proto, "--dport", ports, "-j", "DROP"}
}

// iptGrant is a grant rule read back from "iptables -S".
type iptGrant struct {
	Rule
	comment string
	expires time.Time
}

// parseGrantLine parses one "-A CHAIN ..." line of a grant chain. ok is
// false for lines that are not spad grant rules.
func parseGrantLine(line string) (g iptGrant, ok bool, err error) {
	f, err := splitRule(line)
	if err != nil {
		return g, false, err
	}
	var src, proto, port string
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "-s":
			src = f[i+1]
		case "-p":
			proto = f[i+1]
		case "--dport", "--ctorigdstport":
			port = f[i+1]
		case "--comment":
			g.comment = f[i+1]
		}
	}
	if !strings.HasPrefix(g.comment, commentPrefix) {
		return g, false, nil
	}
	prefix, err := netip.ParsePrefix(src)
	if err != nil || prefix.Bits() != prefix.Addr().BitLen() {
		return g, false, fmt.Errorf("grant rule %q: source %q is not one address", line, src)
	}
	p, err := spa.ParsePort(proto + "/" + port)
	if err != nil {
		return g, false, fmt.Errorf("grant rule %q: %w", line, err)
	}
	g.expires, err = iptExpiry(g.comment)
	if err != nil {
		return g, false, fmt.Errorf("grant rule %q: expiry: %w", line, err)
	}
	g.Rule = Rule{Addr: prefix.Addr(), Port: p}
	return g, true, nil
}

// splitRule splits an "iptables -S" line into fields, honouring the double
// quotes iptables puts around comments (with \" and \\ escapes).
func splitRule(line string) ([]string, error) {
	var out []string
	var b strings.Builder
	inField, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\\' && i+1 < len(line):
			i++
			b.WriteByte(line[i])
		case c == '"':
			quoted = !quoted
			inField = true
		case c == ' ' && !quoted:
			if inField {
				out = append(out, b.String())
				b.Reset()
				inField = false
			}
		default:
			b.WriteByte(c)
			inField = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("rule %q: unterminated quote", line)
	}
	if inField {
		out = append(out, b.String())
	}
	return out, nil
}

// iptExpiry parses an expiry comment.
func iptExpiry(comment string) (time.Time, error) {
	return time.Parse(time.RFC3339, strings.TrimPrefix(comment, commentPrefix))
}
