//go:build linux

package systest

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// systemResult is everything measured for one system.
type systemResult struct {
	name    string
	junk    string // what its floods sent
	quiet   phase  // knocks without a flood
	floods  []phase
	peakRSS int64
	skipped string // why it was not measured
}

// latencies returns the latencies of the knocks that opened, sorted.
func (p phase) latencies() []time.Duration {
	var l []time.Duration
	for _, k := range p.knocks {
		if k.opened {
			l = append(l, k.latency)
		}
	}
	slices.Sort(l)
	return l
}

// opened counts the knocks that opened the port.
func (p phase) opened() int { return len(p.latencies()) }

// percentile returns the q-th percentile (nearest rank) of sorted l.
func percentile(l []time.Duration, q float64) (time.Duration, bool) {
	if len(l) == 0 {
		return 0, false
	}
	i := int(q*float64(len(l))+0.5) - 1
	return l[min(max(i, 0), len(l)-1)], true
}

func (p phase) p(q float64) (time.Duration, bool) { return percentile(p.latencies(), q) }

// rateName names a flood rate for the table.
func rateName(r float64) string {
	if r == 0 {
		return "max"
	}
	if r >= 1000 {
		return fmt.Sprintf("%gk pps", r/1000)
	}
	return fmt.Sprintf("%g pps", r)
}

func fmtDur(d time.Duration, ok bool) string {
	switch {
	case !ok:
		return "—"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
}

func fmtPPS(pps float64) string {
	if pps >= 1000 {
		return fmt.Sprintf("%.0fk", pps/1000)
	}
	return fmt.Sprintf("%.0f", pps)
}

// ratio formats a/b, "—" if either is missing.
func ratio(a, b float64, okA, okB bool) string {
	if !okA || !okB || b == 0 {
		return "—"
	}
	r := a / b
	switch {
	case r < 0.01:
		return fmt.Sprintf("%.4f×", r)
	case r < 1:
		return fmt.Sprintf("%.2f×", r)
	default:
		return fmt.Sprintf("%.1f×", r)
	}
}

// report writes the results as a Markdown table, the machine, the
// ratios spa/peer and the details of every phase.
func report(w io.Writer, p benchProfile, results []systemResult) {
	fmt.Fprintf(w, "spa lab benchmark, profile %q, %s\n", p.name, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "machine: %s\n\n", machine())
	hdr := []string{"system", "knock→open p50", "p99", "opened, no flood"}
	for _, r := range p.rates {
		hdr = append(hdr, "opened @ "+rateName(r))
	}
	hdr = append(hdr, "daemon CPU @ max", "peak RSS")
	fmt.Fprintf(w, "| %s |\n|---|%s\n", strings.Join(hdr, " | "), strings.Repeat("---:|", len(hdr)-1))
	for _, r := range results {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row(r), " | "))
	}
	for _, peer := range results[min(1, len(results)):] {
		fmt.Fprintf(w, "| %s |\n", strings.Join(ratioRow(results[0], peer, len(p.rates)), " | "))
	}
	fmt.Fprintln(w)
	for _, r := range results {
		details(w, r)
	}
}

func row(r systemResult) []string {
	if r.skipped != "" {
		return []string{r.name, "not measured: " + r.skipped}
	}
	p50, ok50 := r.quiet.p(0.50)
	p99, ok99 := r.quiet.p(0.99)
	cells := []string{r.name, fmtDur(p50, ok50), fmtDur(p99, ok99), fmt.Sprintf("%d/%d", r.quiet.opened(), len(r.quiet.knocks))}
	for _, f := range r.floods {
		c := fmt.Sprintf("%d/%d", f.opened(), len(f.knocks))
		if f.rate == 0 {
			c += fmt.Sprintf(" (%s pps)", fmtPPS(f.pps))
		}
		cells = append(cells, c)
	}
	cpu := "—"
	if n := len(r.floods); n > 0 {
		cpu = fmt.Sprintf("%.0f %%", 100*r.floods[n-1].cpu)
	}
	return append(cells, cpu, fmt.Sprintf("%.1f MiB", float64(r.peakRSS)/(1<<20)))
}

func ratioRow(spa, peer systemResult, rates int) []string {
	cells := []string{spa.name + " / " + peer.name}
	if spa.skipped != "" || peer.skipped != "" {
		return append(cells, "—")
	}
	for _, q := range []float64{0.50, 0.99} {
		a, okA := spa.quiet.p(q)
		b, okB := peer.quiet.p(q)
		cells = append(cells, ratio(float64(a), float64(b), okA, okB))
	}
	for range rates + 1 {
		cells = append(cells, "")
	}
	if n, m := len(spa.floods), len(peer.floods); n > 0 && m > 0 {
		cells = append(cells, ratio(spa.floods[n-1].cpu, peer.floods[m-1].cpu, true, true))
	} else {
		cells = append(cells, "—")
	}
	return append(cells, ratio(float64(spa.peakRSS), float64(peer.peakRSS), true, true))
}

func details(w io.Writer, r systemResult) {
	if r.skipped != "" {
		return
	}
	fmt.Fprintf(w, "%s, floods of %s:\n", r.name, r.junk)
	for _, ph := range append([]phase{r.quiet}, r.floods...) {
		name := "no flood"
		if ph.flood {
			name = fmt.Sprintf("flood %s, reached %s pps", rateName(ph.rate), fmtPPS(ph.pps))
		}
		p50, ok50 := ph.p(0.50)
		p99, ok99 := ph.p(0.99)
		fmt.Fprintf(w, "  %-32s opened %d/%d, p50 %s, p99 %s", name, ph.opened(), len(ph.knocks), fmtDur(p50, ok50), fmtDur(p99, ok99))
		if ph.flood {
			fmt.Fprintf(w, ", daemon CPU %.0f %%", 100*ph.cpu)
		}
		if ph.counter != nil {
			fmt.Fprintf(w, ", counters %s", fmtCounters(ph.counter))
		}
		fmt.Fprintln(w)
		for _, k := range ph.knocks {
			if !k.opened {
				fmt.Fprintf(w, "    failed: %v\n", k.err)
				break // one example is enough
			}
		}
	}
}

// machine describes the machine the benchmark ran on.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb := statusValue(string(b), "MemTotal:"); kb > 0 {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	var u unix.Utsname
	kernel := "?"
	if unix.Uname(&u) == nil {
		kernel = unix.ByteSliceToString(u.Release[:])
	}
	return fmt.Sprintf("%d × %q%s, Linux %s, %s", runtime.NumCPU(), model, mem, kernel, runtime.Version())
}

// statusValue returns the number after key in a /proc text file.
func statusValue(text, key string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			var n int64
			fmt.Sscan(rest, &n)
			return n
		}
	}
	return 0
}
