package client

import (
	"fmt"
	"time"
)

// The range of plausible clocks. A clock outside it is certainly wrong (a
// machine without a battery-backed clock often boots in 1970), and a packet
// stamped with it would only be dropped as stale by the server, silently.
var (
	minPlausible = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	maxPlausible = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// CheckClock reports an error if t, the clock plus any offset, is
// obviously wrong: before 2024 or from 2100 on.
func CheckClock(t time.Time) error {
	if t.Before(minPlausible) || !t.Before(maxPlausible) {
		return withHint(fmt.Errorf("the clock says %s, which cannot be right: the server would drop the packet as stale", t.UTC().Format(time.RFC3339)),
			"set the clock (enable NTP, e.g. timedatectl set-ntp true); if you cannot, pass --time-offset with how far it is off, e.g. --time-offset 90s")
	}
	return nil
}
