package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

// AT-39: key material never reaches the log, at any level, whatever
// traffic arrives: accepted, refused after authentication, replayed, stale
// or garbage, as single packets and as knocks.
func TestLogsHoldNoSecrets(t *testing.T) {
	c, k := knockClient("alice", config.KnockHOTP)
	r := newRig(t, t0, c) // logs at debug level, the most verbose
	r.v.logLimit = newBucket(1e9, 1<<30, t0)

	secret := sha256.Sum256([]byte("secret of alice")) // testClient's secret
	cs := spa.DeriveClientServerKey(&secret, testServer.SPA())
	var forms []string
	for _, b := range [][]byte{secret[:], cs[:]} {
		forms = append(forms, hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	}

	good := sealOpen(t, k, t0, "192.0.2.10")
	r.handle(good, "192.0.2.10")                                             // accepted
	r.handle(good, "192.0.2.10")                                             // replay
	r.handle(sealOpen(t, k, t0, "192.0.2.99"), "192.0.2.10")                 // address
	r.handle(sealOpen(t, k, t0.Add(-time.Hour), "192.0.2.10"), "192.0.2.10") // stale or unknown
	bad := append([]byte(nil), good...)
	bad[50] ^= 1
	r.handle(bad, "192.0.2.10") // auth
	ports, payloads := makeKnock(t, k, t0, "192.0.2.10", 0)
	r.deliver(ports, payloads, "192.0.2.10")
	r.v.HandleKnock(payloads[0], netip.MustParseAddr("192.0.2.10"), ports[0]) // a dead port now

	logs := r.logs.String()
	if !strings.Contains(logs, "accepted") || !strings.Contains(logs, "reason=replay") {
		t.Fatalf("the log is not what this test expects:\n%s", logs)
	}
	for _, f := range forms {
		if strings.Contains(logs, f) {
			t.Fatalf("the log contains key material (%.12s...):\n%s", f, logs)
		}
	}
}
