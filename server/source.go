package server

import (
	"fmt"
	"net/netip"

	"github.com/spa-project/spa/server/capture"
	"github.com/spa-project/spa/server/config"
)

// OpenSource opens the packet source the configuration asks for: packet
// capture (the default, which sees datagrams the firewall drops, so the SPA
// port stays closed) or a plain UDP socket.
func OpenSource(cfg *config.Config) (Source, error) {
	s := cfg.Server
	cc := capture.Config{Interfaces: s.Interfaces, PortLo: s.Port, PortHi: s.Port}
	var (
		src capture.Source
		err error
	)
	switch s.Listen {
	case config.ListenUDP:
		// One socket per port: knock ranges are for capture mode.
		src, err = capture.OpenUDP(cc, nil)
	default:
		cc.More = []capture.PortRange{{Lo: s.Knock.Range.Lo, Hi: s.Knock.Range.Hi}}
		src, err = capture.OpenAFPacket(cc)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s listener on port %d: %w", s.Listen, s.Port, err)
	}
	return captureSource{src}, nil
}

// captureSource adapts a capture.Source to Source.
type captureSource struct{ s capture.Source }

func (c captureSource) Next() ([]byte, netip.Addr, uint16, error) {
	p, err := c.s.Read()
	return p.Payload, p.Src, p.DstPort, err
}

func (c captureSource) KernelDrops() uint64 { return c.s.Stats().KernelDrops }
func (c captureSource) Close() error        { return c.s.Close() }
