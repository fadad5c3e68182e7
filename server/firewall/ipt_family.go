package firewall

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// The operations of one family (iptables or ip6tables) on the filter
// table. They run on the backend's runner thread, one at a time.

// ensureChain creates chain if it does not exist.
func (f *iptFamily) ensureChain(chain string) error {
	ok, err := f.ipt.ChainExists(filterTable, chain)
	if err != nil {
		return fmt.Errorf("checking chain %s: %w", chain, err)
	}
	if !ok {
		if err := f.ipt.NewChain(filterTable, chain); err != nil {
			return fmt.Errorf("creating chain %s: %w", chain, err)
		}
	}
	return nil
}

// ensureJump inserts "-j to" at the top of from unless from already jumps
// to it somewhere (an admin may have moved the jump on purpose).
func (f *iptFamily) ensureJump(from, to string) error {
	ok, err := f.ipt.Exists(filterTable, from, "-j", to)
	if err != nil {
		return fmt.Errorf("checking jump %s -> %s: %w", from, to, err)
	}
	if !ok {
		if err := f.ipt.Insert(filterTable, from, 1, "-j", to); err != nil {
			return fmt.Errorf("inserting jump %s -> %s: %w", from, to, err)
		}
	}
	return nil
}

// syncChain makes chain hold exactly specs. If it does not already, the new
// rules are appended before the old ones are deleted, so the deny is never
// missing.
func (f *iptFamily) syncChain(chain string, specs [][]string) error {
	lines, err := f.ipt.List(filterTable, chain)
	if err != nil {
		return fmt.Errorf("listing %s: %w", chain, err)
	}
	var have, want []string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A ") {
			have = append(have, l)
		}
	}
	for _, s := range specs {
		want = append(want, "-A "+chain+" "+strings.Join(s, " "))
	}
	if slices.Equal(have, want) {
		return nil
	}
	for _, s := range specs {
		if err := f.ipt.Append(filterTable, chain, s...); err != nil {
			return fmt.Errorf("appending to %s: %w", chain, err)
		}
	}
	for range have {
		if err := f.ipt.DeleteById(filterTable, chain, 1); err != nil {
			return fmt.Errorf("deleting old rule of %s: %w", chain, err)
		}
	}
	return nil
}

// removeForward undoes the forward-path setup of an earlier configuration.
func (f *iptFamily) removeForward(c iptChains) error {
	ok, err := f.ipt.ChainExists(filterTable, c.forward)
	if err != nil || !ok {
		return err
	}
	if err := f.deleteJump(dockerUser, c.forward); err != nil {
		return err
	}
	return errors.Join(f.ipt.ClearAndDeleteChain(filterTable, c.forward),
		f.ipt.ClearAndDeleteChain(filterTable, c.fgrant))
}

// deleteJump removes "-j to" from from, if both exist.
func (f *iptFamily) deleteJump(from, to string) error {
	ok, err := f.ipt.ChainExists(filterTable, from)
	if err != nil || !ok {
		return err
	}
	return f.deleteRule(from, []string{"-j", to})
}

// deleteRule deletes one rule matching spec; a missing rule is not an
// error.
func (f *iptFamily) deleteRule(chain string, spec []string) error {
	err := f.ipt.Delete(filterTable, chain, spec...)
	var ierr *iptables.Error
	if errors.As(err, &ierr) && ierr.IsNotExist() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting from %s: %w", chain, err)
	}
	return nil
}

// setGrant installs r with comment in chain (m mirrors chain), then deletes
// the rule it replaces.
func (f *iptFamily) setGrant(chain string, m map[Rule]string, r Rule, comment string, forward bool) error {
	old, had := m[r]
	if had && old == comment {
		return nil
	}
	if err := f.ipt.Insert(filterTable, chain, 1, grantSpec(r, comment, forward)...); err != nil {
		return fmt.Errorf("%s: inserting into %s: %w", f.name, chain, err)
	}
	m[r] = comment
	if had {
		if err := f.deleteRule(chain, grantSpec(r, old, forward)); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}

// unsetGrant deletes r's rule from chain, if m knows one.
func (f *iptFamily) unsetGrant(chain string, m map[Rule]string, r Rule, forward bool) error {
	old, had := m[r]
	if !had {
		return nil
	}
	if err := f.deleteRule(chain, grantSpec(r, old, forward)); err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	delete(m, r)
	return nil
}

// clearGrants flushes the grant chains, keeping the deny.
func (f *iptFamily) clearGrants(c iptChains, forward bool) error {
	err := f.ipt.ClearChain(filterTable, c.grants)
	if forward {
		err = errors.Join(err, f.ipt.ClearChain(filterTable, c.fgrant))
	}
	clear(f.grants)
	clear(f.fgrants)
	if err != nil {
		return fmt.Errorf("%s: clearing grants: %w", f.name, err)
	}
	return nil
}

// teardown removes the jumps and all of spad's chains.
func (f *iptFamily) teardown(c iptChains) error {
	err := errors.Join(
		f.deleteJump("INPUT", c.input),
		f.deleteJump(dockerUser, c.forward))
	for _, ch := range []string{c.input, c.forward, c.grants, c.fgrant} {
		err = errors.Join(err, f.ipt.ClearAndDeleteChain(filterTable, ch))
	}
	clear(f.grants)
	clear(f.fgrants)
	if err != nil {
		return fmt.Errorf("%s: teardown: %w", f.name, err)
	}
	return nil
}
