//go:build linux

package systest

import (
	"os"
	"testing"
	"time"
)

// benchProfile sizes one run of the benchmark harness.
type benchProfile struct {
	name string
	// knocks is how many knocks measure knock-to-open without a flood.
	knocks int
	// floodKnocks is how many valid knocks are sent during each flood.
	floodKnocks int
	// rates are the junk flood rates in datagrams per second; 0 means as
	// fast as the one-core sender goes.
	rates []float64
	// knockTimeout and floodKnockTimeout are how long a knock may take to
	// open the port before it counts as failed.
	knockTimeout, floodKnockTimeout time.Duration
	// warmup is how long a flood runs before the first knock.
	warmup time.Duration
}

// The profiles: "ci", the default, for a busy two-core CI machine within
// the package's time budget; "full" for the README's table.
var (
	ciProfile = benchProfile{
		name: "ci", knocks: 20, floodKnocks: 5, rates: []float64{5_000, 50_000, 0},
		knockTimeout: 3 * time.Second, floodKnockTimeout: 2 * time.Second, warmup: 500 * time.Millisecond,
	}
	fullProfile = benchProfile{
		name: "full", knocks: 60, floodKnocks: 20, rates: []float64{5_000, 50_000, 100_000, 0},
		knockTimeout: 5 * time.Second, floodKnockTimeout: 3 * time.Second, warmup: time.Second,
	}
)

// loadProfile returns the profile SPA_LAB_PROFILE names ("ci" if unset).
func loadProfile(tb testing.TB) benchProfile {
	tb.Helper()
	switch p := os.Getenv("SPA_LAB_PROFILE"); p {
	case "", "ci":
		return ciProfile
	case "full":
		return fullProfile
	default:
		tb.Fatalf("SPA_LAB_PROFILE=%q: want ci or full", p)
		return benchProfile{}
	}
}
