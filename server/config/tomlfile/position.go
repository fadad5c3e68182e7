package tomlfile

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions maps the keys of a TOML document to the lines they are on, so
// that problems found after decoding can name their line.
type positions struct {
	keys  map[string]int   // dotted key → line of its first part
	elems map[string][]int // dotted key of an array → line of each element
}

// indexPositions walks the document with go-toml's unstable parser. It stops
// quietly at a syntax error: decoding reports that error with its position.
func indexPositions(data []byte) positions {
	pos := positions{keys: map[string]int{}, elems: map[string][]int{}}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	arrays := map[string]int{} // elements seen so far of each array of tables
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			var line int
			table, line = keyParts(&p, nil, e.Key())
			pos.set(table, line)
		case unstable.ArrayTable:
			// [[action]] number N is addressed as "action.N": its keys are
			// "action.N.name" and so on.
			var line int
			table, line = keyParts(&p, nil, e.Key())
			name := strings.Join(table, ".")
			table = append(table, strconv.Itoa(arrays[name]))
			arrays[name]++
			pos.set(table, line)
		case unstable.KeyValue:
			pos.keyValue(&p, table, e)
		}
	}
	return pos
}

// keyValue records the key of the key-value node kv, found in the table
// prefix, and the positions inside its value.
func (pos positions) keyValue(p *unstable.Parser, prefix []string, kv *unstable.Node) {
	parts, line := keyParts(p, prefix, kv.Key())
	pos.set(parts, line)
	key := strings.Join(parts, ".")
	v := kv.Value()
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for it.Next() {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			elemLine := line
			if n.Raw.Length > 0 {
				elemLine = p.Shape(n.Raw).Start.Line
			}
			pos.elems[key] = append(pos.elems[key], elemLine)
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				pos.keyValue(p, parts, n)
			}
		}
	}
}

// keyParts returns prefix followed by the parts of the key it iterates over,
// and the line of the key's first part.
func keyParts(p *unstable.Parser, prefix []string, it unstable.Iterator) ([]string, int) {
	parts := append([]string(nil), prefix...)
	line := 0
	for it.Next() {
		n := it.Node()
		if line == 0 {
			line = p.Shape(n.Raw).Start.Line
		}
		parts = append(parts, string(n.Data))
	}
	return parts, line
}

// set records line for the dotted key parts and, where not yet known, for
// each table the key implies ("limits" for "limits.rate").
func (pos positions) set(parts []string, line int) {
	for i := 1; i <= len(parts); i++ {
		k := strings.Join(parts[:i], ".")
		if _, ok := pos.keys[k]; !ok {
			pos.keys[k] = line
		}
	}
}

// line returns the line of the dotted key, 0 if it is not in the document.
func (pos positions) line(key string) int { return pos.keys[key] }

// elemLine returns the line of element i of the array at key, falling back to
// the key's line.
func (pos positions) elemLine(key string, i int) int {
	if lines := pos.elems[key]; i < len(lines) {
		return lines[i]
	}
	return pos.line(key)
}
