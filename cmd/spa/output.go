package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/spa-project/spa/spa"
)

// knockJSON is what --json prints: one object per command.
type knockJSON struct {
	Type        string   `json:"type"`
	Server      string   `json:"server"`
	Host        string   `json:"host"`
	Addr        string   `json:"addr"`
	Ports       []string `json:"ports"`
	AllowIP     string   `json:"allow_ip"` // an address, or "source"
	DurationS   int      `json:"duration_s"`
	SentAt      string   `json:"sent_at"`
	Repeat      int      `json:"repeat"`
	KnockPorts  []uint16 `json:"knock_ports,omitempty"`   // a knock's one-time ports
	Counter     *uint64  `json:"counter,omitempty"`       // a knock's counter
	Open        *bool    `json:"open,omitempty"`          // only with --wait
	OpenAfterMs *float64 `json:"open_after_ms,omitempty"` // only once open; 0.01 ms resolution
}

func (r report) json() knockJSON {
	res := r.res
	j := knockJSON{
		Type:      res.Type.String(),
		Server:    res.Server,
		Host:      res.Host,
		Addr:      res.Addr.String(),
		Ports:     portStrings(res.Ports),
		AllowIP:   res.AllowIP.String(),
		DurationS: int((res.Duration + time.Second - 1) / time.Second),
		SentAt:    res.SentAt.UTC().Format(time.RFC3339Nano),
		Repeat:    res.Copies,
	}
	if res.UseSource {
		j.AllowIP = "source"
	}
	if len(res.KnockPorts) > 0 {
		c := res.Counter
		j.KnockPorts, j.Counter = res.KnockPorts, &c
	}
	if r.waited {
		open := r.open
		j.Open = &open
		if open {
			ms := float64(r.openAfter.Microseconds()/10) / 100
			j.OpenAfterMs = &ms
		}
	}
	return j
}

func portStrings(ps []spa.Port) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
