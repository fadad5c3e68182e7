// Command gen writes the spa protocol's test vectors (spa/SPEC.md §12).
//
// It is deliberately independent of package spa: every packet is built from
// the primitives (crypto/sha256, crypto/hmac, crypto/hkdf and XChaCha20 from
// golang.org/x/crypto/chacha20) following the specification alone, so the
// vectors check the implementation instead of freezing its bugs. Keys and
// nonces are fixed (SHA-256 of labels and case names), so the output is
// deterministic. Every packet vector is run through a reference verifier
// written from SPEC.md §7, and the generator fails if a case does not end with
// the reason it claims; every knock vector (§11, §12.3) is received,
// reassembled in several orders and verified by a reference receiver written
// from §11.7; the RFC 4226, RFC 6238 and RFC 5869 known answers are
// recomputed and compared with the published values.
//
// Usage:
//
//	go run ./internal/gen -out DIR
//
// writes DIR/packet/*.json, DIR/knock/*.json, DIR/hotp/*.json,
// DIR/totp/*.json and DIR/hkdf/*.json, one case per file, after deleting
// every *.json already in those directories.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
)

func main() {
	out := flag.String("out", ".", "directory to write packet/, knock/, hotp/, totp/ and hkdf/ into")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

// run builds every vector, then replaces the five directories' contents.
// Nothing is written unless every case builds and checks.
func run(out string) error {
	if err := checkXChaCha20(); err != nil {
		return err
	}
	packets, err := packetVectors()
	if err != nil {
		return err
	}
	hotps, err := hotpVectors()
	if err != nil {
		return err
	}
	hkdfs, err := hkdfVectors()
	if err != nil {
		return err
	}
	totps, err := totpVectors()
	if err != nil {
		return err
	}
	knocks, err := knockVectors()
	if err != nil {
		return err
	}
	dirs := map[string]map[string]any{"packet": packets, "knock": knocks, "hotp": hotps, "totp": totps, "hkdf": hkdfs}
	for dir, cases := range dirs {
		if err := writeDir(filepath.Join(out, dir), cases); err != nil {
			return err
		}
	}
	return nil
}

// packetVectors builds every scenario, keyed by file name.
func packetVectors() (map[string]any, error) {
	var all []scenario
	all = append(all, okScenarios()...)
	all = append(all, wireScenarios()...)
	all = append(all, badBodyScenarios()...)
	all = append(all, serverScenarios()...)
	cases := map[string]any{}
	for _, s := range all {
		if _, dup := cases[s.name]; dup {
			return nil, fmt.Errorf("duplicate case %s", s.name)
		}
		v, err := s.build()
		if err != nil {
			return nil, err
		}
		cases[s.name] = v
	}
	return cases, nil
}

// writeDir deletes dir/*.json and writes one pretty-printed file per case.
func writeDir(dir string, cases map[string]any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cases[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
