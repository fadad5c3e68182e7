package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
	"github.com/spa-project/spa/testvectors"
)

// Every vector through the whole pipeline gives exactly its expectation.
func TestVectorsThroughPipeline(t *testing.T) {
	vs, err := testvectors.Packets()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			c := vectorClient(t, &v)
			r := newRig(t, time.UnixMilli(int64(v.NowMs)), c)
			r.v.opts.Window = time.Duration(v.WindowMs) * time.Millisecond
			r.v.SetClients(r.client)
			n := max(v.Presentations, 1)
			var d Decision
			for i := range n {
				d, err = r.handle(v.Packet, v.Source)
				if i < n-1 && err != nil {
					t.Fatalf("presentation %d: %v", i+1, err)
				}
			}
			if v.Expect != "ok" {
				if r, ok := spa.ReasonOf(err); !ok || r.String() != v.Expect {
					t.Fatalf("got %v, want %s", err, v.Expect)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want ok", err)
			}
			if v.Grant != nil {
				got := fmt.Sprintf("%s %v %d", d.Addr, d.Ports, int(d.Duration.Seconds()))
				want := fmt.Sprintf("%s [%s] %d", v.Grant.Address, strings.Join(v.Grant.Ports, " "), v.Grant.DurationS)
				if got != want {
					t.Fatalf("grant %s, want %s", got, want)
				}
			}
		})
	}
}

func vectorClient(t *testing.T, v *testvectors.Packet) Client {
	t.Helper()
	id := mustServerID(v.Verifier())
	cs := spa.DeriveClientServerKey((*[32]byte)(v.ClientSecret), id.SPA())
	if v.VerifierKey != nil {
		cs = [32]byte(v.VerifierKey)
	}
	var addr any
	if err := json.Unmarshal(v.Policy.Address, &addr); err != nil {
		t.Fatal(err)
	}
	policy, _ := addr.(string)
	if list, ok := addr.([]any); ok {
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = p.(string)
		}
		policy = strings.Join(parts, ",")
	}
	ap, err := config.ParseAddressPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	c := Client{
		Name: "client", Key: spa.NewKey("client", cs, id.SPA()), Address: ap,
		MaxDuration:     time.Duration(v.Policy.MaxDurationS) * time.Second,
		DefaultDuration: time.Duration(v.Policy.DefaultDurationS) * time.Second,
		Actions:         v.Policy.Actions, Rate: 100, Burst: 100,
	}
	if v.Policy.KnockPorts != "" {
		c.Knock, c.KnockFragments = v.Policy.KnockPorts, spa.DefaultFragments
	}
	for _, s := range v.Policy.Allow {
		p, err := spa.ParsePort(s)
		if err != nil {
			t.Fatal(err)
		}
		c.Allow = append(c.Allow, p)
	}
	return c
}
