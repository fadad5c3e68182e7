// Command labflood sends a junk UDP flood from one CPU core, for the spa
// network lab's benchmarks. It runs inside the attacker namespace and
// sends datagrams of a fixed size to one or more destinations, as fast as
// one core allows (-rate 0) or at a given rate, until -duration has passed
// or it receives SIGTERM or SIGINT. It then prints one JSON object:
//
//	{"sent": 1234567, "errors": 0, "seconds": 10.0, "pps": 123456}
//
// The payload is random bytes (-kind random) or random standard base64
// text (-kind base64, what a text protocol such as fwknop's must parse).
// With -prefix HEX every -prefix-every'th datagram starts with those bytes:
// for spa, the first five bytes of a captured packet (masked header and key
// hint), so that the daemon finds a candidate key and must check a MAC.
//
// Usage:
//
//	labflood -to 192.0.2.1:62201[,ADDR:PORT...] [-rate PPS] [-duration 10s] [-size 157]
//	         [-kind random|base64] [-prefix HEX] [-prefix-every 2]
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "labflood:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("labflood", flag.ContinueOnError)
	to := fs.String("to", "", "destinations ADDR:PORT, comma-separated (sent to in turn)")
	rate := fs.Float64("rate", 0, "datagrams per second; 0 sends as fast as one core can")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	size := fs.Int("size", 157, "datagram payload size in bytes")
	kind := fs.String("kind", "random", "payload: random bytes or base64 text")
	prefix := fs.String("prefix", "", "hex bytes that start some datagrams")
	every := fs.Int("prefix-every", 2, "every N'th datagram gets the prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config{rate: *rate, duration: *duration, size: *size, kind: *kind, every: *every}
	var err error
	if cfg.dst, err = parseDestinations(*to); err != nil {
		return err
	}
	if cfg.prefix, err = hex.DecodeString(*prefix); err != nil {
		return fmt.Errorf("-prefix: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	// One core: the sender is what "one attacker core" means.
	runtime.GOMAXPROCS(1)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	res, err := flood(cfg, stop)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func parseDestinations(s string) ([]netip.AddrPort, error) {
	var dst []netip.AddrPort
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ap, err := netip.ParseAddrPort(f)
		if err != nil {
			return nil, fmt.Errorf("-to: %w", err)
		}
		dst = append(dst, ap)
	}
	if len(dst) == 0 {
		return nil, fmt.Errorf("-to: no destination")
	}
	return dst, nil
}
