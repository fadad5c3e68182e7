package client

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

// CounterStore hands out HOTP knock counters (SPEC.md §11.6 step 1).
type CounterStore interface {
	// Reserve returns the next counter and durably records the one after
	// it before returning: no counter is ever used twice, even when a knock
	// fails or the process dies.
	Reserve() (uint64, error)
	// Next returns the next counter without using it (for a resync).
	Next() (uint64, error)
}

// CounterFile is a CounterStore kept in a file holding the next counter
// as decimal text. A missing file means 0.
type CounterFile struct{ Path string }

// CounterPath returns where the HOTP counter of a profile is kept: next to
// the profile file if it came from one, else in dir (the profile store),
// named after the server and the client.
func CounterPath(p *profile.Profile, profileFile, dir string) string {
	if profileFile != "" {
		return strings.TrimSuffix(profileFile, filepath.Ext(profileFile)) + ".counter"
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%s.counter", p.ServerName, p.Client))
}

// Next implements CounterStore.
func (f CounterFile) Next() (uint64, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the knock counter: %w", err)
	}
	c, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, withHint(fmt.Errorf("knock counter file %s is damaged: %w", f.Path, err),
			"remove it; the next knock then resyncs with the server")
	}
	return c, nil
}

// Reserve implements CounterStore.
func (f CounterFile) Reserve() (uint64, error) {
	c, err := f.Next()
	if err != nil {
		return 0, err
	}
	if c >= spa.MaxKnockCounter {
		return 0, errors.New("knock counter exhausted")
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return 0, fmt.Errorf("storing the knock counter: %w", err)
	}
	if err := keys.ReplaceSecretFile(f.Path, []byte(strconv.FormatUint(c+1, 10)+"\n")); err != nil {
		return 0, fmt.Errorf("storing the knock counter: %w", err)
	}
	return c, nil
}

// knockCounter picks the counter of a knock: the next HOTP counter, or the
// TOTP step of the packet's time. It is called again with the previous
// counter when that one is unusable.
func knockCounter(req *Request, now time.Time, prev *uint64) (uint64, error) {
	switch req.Profile.KnockPorts {
	case profile.KnockHOTP:
		if req.Counters == nil {
			return 0, errors.New("no knock counter store")
		}
		return req.Counters.Reserve()
	case profile.KnockTOTP:
		if prev != nil {
			return *prev + 1, nil // the server also accepts the next step
		}
		return spa.TOTPCounter(now), nil
	}
	return 0, withHint(errors.New("this profile has no knock ports"),
		`ask the server's admin for a profile made with "spad client add --knock hotp" (or totp)`)
}

// sendKnock seals body as a knock and sends its fragments, each copies
// times, from the source address conn uses (SPEC.md §11.6).
func sendKnock(ctx context.Context, d Deps, req *Request, res *Result, body *spa.Body, dst netip.AddrPort) error {
	p := req.Profile
	key := packetKey(p)
	var (
		ports    []uint16
		payloads [][]byte
		c        uint64
		prev     *uint64
	)
	for tries := 0; ; tries++ {
		var err error
		if c, err = knockCounter(req, res.SentAt, prev); err != nil {
			return err
		}
		var nonce [spa.NonceSize]byte
		if _, err := d.rand().Read(nonce[:]); err != nil {
			return fmt.Errorf("reading a nonce: %w", err)
		}
		b := *body
		ports, payloads, err = key.Knock(&b, c, p.KnockFragments, p.KnockRange, p.KnockExcluded(), &nonce, req.Bucket)
		if errors.Is(err, spa.ErrCounterUnusable) && tries < 8 {
			d.logf("knock counter %d has no ports; trying the next", c)
			prev = &c
			continue
		}
		if err != nil {
			return fmt.Errorf("making the knock: %w", err)
		}
		break
	}
	res.Counter, res.KnockPorts = c, ports
	d.logf("knock with %s counter %d: %d fragments to ports %v", p.KnockPorts, c, len(ports), ports)
	for i, port := range ports {
		to := netip.AddrPortFrom(dst.Addr(), port)
		conn, err := d.net().DialUDP(ctx, to)
		if err != nil {
			return fmt.Errorf("sending to %s: %w", to, err)
		}
		_, err = send(ctx, d, conn, to, payloads[i], req.copies())
		conn.Close()
		if err != nil {
			return err
		}
		if req.KnockGap > 0 && i < len(ports)-1 {
			if err := sleep(ctx, req.KnockGap); err != nil {
				return err
			}
		}
	}
	res.Copies = req.copies()
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
