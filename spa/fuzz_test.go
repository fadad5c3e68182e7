package spa_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
)

// FuzzOpen feeds arbitrary packets to the verifier of one vector's server.
// Properties: no panic; on failure no body is returned and any key returned
// is the enrolled one; on success the body re-seals to the same packet.
func FuzzOpen(f *testing.F) {
	vs := loadVectors(f)
	seeds := 0
	for _, v := range vs {
		f.Add([]byte(v.Packet))
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no fuzz seeds")
	}
	// Verify against the first plain valid vector's server.
	var v = vs[0]
	for _, c := range vs {
		if c.Name == "ok_ipv4_tcp22" {
			v = c
		}
	}
	tab := verifier(f, &v)
	key := senderKey(f, &v)
	now := time.UnixMilli(int64(v.NowMs))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		k, b, err := tab.Open(pkt, now)
		if err != nil {
			if _, ok := spa.ReasonOf(err); !ok {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		size := spa.Small
		if len(pkt) == spa.PacketLenLarge {
			size = spa.Large
		}
		again, serr := key.Seal(nil, &b, (*[spa.NonceSize]byte)(pkt[5:29]), size)
		if k == nil || serr != nil || !bytes.Equal(again, pkt) {
			t.Fatalf("accepted packet does not re-seal identically: %v", serr)
		}
	})
}

// FuzzParseBody checks that every accepted body is canonical: encoding it
// again gives the same bytes.
func FuzzParseBody(f *testing.F) {
	vs := loadVectors(f)
	for _, v := range vs {
		f.Add([]byte(v.Plaintext))
	}
	if len(vs) == 0 {
		f.Fatal("no fuzz seeds")
	}
	id, _ := spa.NewServerID("fuzz.example")
	key := spa.NewKey("fuzz", [32]byte{1}, id)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := spa.ParseBody(body)
		if err != nil {
			if r, ok := spa.ReasonOf(err); !ok || (r != spa.ReasonBadBody && r != spa.ReasonMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if b.UnixMilli > 1<<62 {
			return // beyond what time.Time round-trips; Open treats it as stale
		}
		size := spa.Small
		if len(body) == spa.BodyLenLarge {
			size = spa.Large
		}
		var nonce [spa.NonceSize]byte
		pkt, err := key.Seal(nil, &b, &nonce, size)
		if err != nil {
			t.Fatalf("parsed body does not seal: %v", err)
		}
		tab := spa.NewHintTable([]*spa.Key{key}, time.UnixMilli(int64(b.UnixMilli)), time.Minute)
		_, again, err := tab.Open(pkt, time.UnixMilli(int64(b.UnixMilli)))
		if err != nil || again != b {
			t.Fatalf("body does not survive a round trip: %v", err)
		}
	})
}
