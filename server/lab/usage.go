//go:build linux

package lab

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the times in /proc/PID/stat (USER_HZ, which is
// 100 on every Linux architecture).
const clockTick = 10 * time.Millisecond

// Usage is what a process has used so far.
type Usage struct {
	// CPU is user plus system time of the process and of the children it
	// has waited for (a daemon that runs iptables pays for it).
	CPU time.Duration
	// RSS and PeakRSS are the resident set size now and at its highest
	// (VmRSS and VmHWM), in bytes.
	RSS, PeakRSS int64
}

// ReadUsage reads the usage of process pid from /proc.
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return u, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime, stime, cutime, cstime are fields
	// 14 to 17.
	if len(f) < 15 {
		return u, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	for _, s := range f[11:15] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return u, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		u.CPU += time.Duration(n) * clockTick
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	u.RSS, u.PeakRSS = statusKB(status, "VmRSS:"), statusKB(status, "VmHWM:")
	return u, nil
}

// statusKB returns the value of a "Key:   123 kB" line of
// /proc/PID/status in bytes, 0 if absent.
func statusKB(status []byte, key string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// Usage reads the process's usage (see [ReadUsage]).
func (p *Proc) Usage() (Usage, error) { return ReadUsage(p.Pid()) }
