package server

import (
	"context"
	"time"

	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

// grantWorker applies accepted decisions one at a time, then records the
// grants in the state so that status and a restart know what is live.
//
// The firewall goes first because the record costs a durable commit that
// the client would otherwise wait for. It is safe: the packet's replay entry
// is already durable (SPEC.md §9), and a crash between the two loses the
// grant, never leaks it: nftables expires it in the kernel, and the
// iptables reconcile at start removes rules the state does not know.
func (d *Daemon) grantWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case dec := <-d.grants:
			if err := d.fw.Apply(ctx, dec); err != nil {
				d.log.Error("firewall change failed", "client", dec.Client, "addr", dec.Addr, "error", err.Error())
			}
			d.record(dec)
		}
	}
}

// record keeps the state's list of grants in step with a decision.
func (d *Daemon) record(dec Decision) {
	now := d.clock.Now()
	for _, p := range dec.Ports {
		var err error
		switch dec.Type {
		case spa.MsgOpen:
			err = d.store.PutGrant(state.Grant{Client: dec.Client, Addr: dec.Addr, Proto: uint8(p.Proto), Port: p.Port, Expires: now.Add(dec.Duration)})
		case spa.MsgClose:
			err = d.store.DeleteGrant(dec.Addr, uint8(p.Proto), p.Port)
		}
		if err != nil {
			d.log.Error("recording grant", "client", dec.Client, "error", err.Error())
		}
	}
}

// maintain sweeps expired replay entries and grant records.
func (d *Daemon) maintain(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.v.Tick(d.clock.Now())
			if _, err := d.store.Sweep(); err != nil {
				d.log.Error("sweeping replay entries", "error", err.Error())
			}
			for _, g := range d.store.ExpiredGrants(d.clock.Now()) {
				if err := d.store.DeleteGrant(g.Addr, g.Proto, g.Port); err == nil {
					d.log.Info("grant expired", "client", g.Client, "addr", g.Addr, "port", spa.Port{Proto: spa.Proto(g.Proto), Port: g.Port}.String())
				}
			}
		}
	}
}
