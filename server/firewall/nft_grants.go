package firewall

import (
	"context"
	"errors"
	"time"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

func (b *nftBackend) setFor(r Rule) *nftables.Set {
	if r.Addr.Is4() {
		return b.g4
	}
	return b.g6
}

// Allow adds r with a timeout of ttl. To set the timeout of an element that
// may already exist on every kernel (an existing element keeps its old
// timeout on an add before Linux 6.10), the batch is add, delete, add: the
// first add makes sure the delete finds the element.
func (b *nftBackend) Allow(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.normalize()
	if err != nil {
		return b.errorf("%w", err)
	}
	if err := checkTTL(r, ttl); err != nil {
		return b.errorf("%w", err)
	}
	ttl = ttl.Round(time.Millisecond)
	elem := []nftables.SetElement{{Key: grantKey(r), Timeout: max(ttl, time.Millisecond)}}
	return b.batch("allowing "+r.String(), func(c *nftables.Conn, s *nftables.Set) error {
		return errors.Join(c.SetAddElements(s, elem), c.SetDeleteElements(s, elem), c.SetAddElements(s, elem))
	}, r)
}

// Revoke deletes r: add (so the delete cannot fail on a missing element),
// then delete, in one batch.
func (b *nftBackend) Revoke(ctx context.Context, r Rule) error {
	r, err := r.normalize()
	if err != nil {
		return b.errorf("%w", err)
	}
	elem := []nftables.SetElement{{Key: grantKey(r), Timeout: time.Second}}
	return b.batch("revoking "+r.String(), func(c *nftables.Conn, s *nftables.Set) error {
		return errors.Join(c.SetAddElements(s, elem), c.SetDeleteElements(s, elem))
	}, r)
}

// busyRetries is how often a batch is retried after EBUSY, which the
// kernel returns now and then while a set's hash table is being resized.
// A failed batch changed nothing, so retrying is safe.
const busyRetries = 4

// batch queues the messages of queue and sends them, retrying after EBUSY.
// If the table has gone (someone ran "nft flush ruleset"), it sets up
// again and retries once.
func (b *nftBackend) batch(what string, queue func(*nftables.Conn, *nftables.Set) error, r Rule) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	err := b.send(queue, r)
	for i := 0; i < busyRetries && errors.Is(err, unix.EBUSY); i++ {
		time.Sleep(time.Millisecond << i)
		err = b.send(queue, r)
	}
	if errors.Is(err, unix.ENOENT) {
		b.log.Warn("table missing, setting it up again", "table", b.cfg.Table)
		if err = b.setupLocked(); err == nil {
			err = b.send(queue, r)
		}
	}
	if err != nil {
		return b.errorf("%s: %w", what, err)
	}
	return nil
}

func (b *nftBackend) send(queue func(*nftables.Conn, *nftables.Set) error, r Rule) error {
	if err := queue(b.conn, b.setFor(r)); err != nil {
		_ = b.conn.Flush() // discard the queued messages; err is what matters
		return err
	}
	return b.conn.Flush()
}

// Live lists both grant sets. Expired elements are not listed by the
// kernel even before its garbage collector removes them.
func (b *nftBackend) Live(ctx context.Context) ([]Live, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	var out []Live
	seen := map[Rule]int{}
	for _, s := range []*nftables.Set{b.g4, b.g6} {
		elems, err := b.conn.GetSetElements(s)
		if err != nil {
			return nil, b.errorf("listing set %q: %w", s.Name, err)
		}
		for _, e := range elems {
			r, err := parseGrantKey(e.Key)
			if err != nil {
				return nil, b.errorf("set %q: %w", s.Name, err)
			}
			// A dump taken while the kernel resizes the set may list an
			// element twice.
			if i, dup := seen[r]; dup {
				out[i].Remaining = max(out[i].Remaining, e.Expires)
				continue
			}
			seen[r] = len(out)
			out = append(out, Live{Rule: r, Remaining: e.Expires})
		}
	}
	return out, nil
}

// Close deletes the table with Teardown and closes the netlink socket.
func (b *nftBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.cfg.Teardown {
		b.conn.DelTable(b.table)
		if ferr := b.conn.Flush(); ferr != nil && !errors.Is(ferr, unix.ENOENT) {
			err = b.errorf("deleting table: %w", ferr)
		} else {
			b.log.Info("firewall torn down", "table", b.cfg.Table)
		}
	}
	err = errors.Join(err, b.conn.CloseLasting())
	b.closeNS()
	return err
}

// release closes the connection without touching the kernel (a failed
// probe must not tear down a table an earlier run left).
func (b *nftBackend) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	_ = b.conn.CloseLasting()
	b.closeNS()
}

func (b *nftBackend) closeNS() {
	if b.ns != nil {
		b.ns.Close()
		b.ns = nil
	}
}
