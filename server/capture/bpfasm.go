package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// prog is a tiny classic-BPF assembler with symbolic, forward-only jump
// targets, so that the filter can be written as readable blocks.
type prog struct {
	ins    []bpf.Instruction
	jumps  map[int]jumpTargets // instruction index -> targets
	labels map[string]int
}

// jumpTargets names where a jump goes; "" means the next instruction.
type jumpTargets struct{ yes, no string }

func (p *prog) emit(ins ...bpf.Instruction) {
	p.ins = append(p.ins, ins...)
}

// label names the next instruction.
func (p *prog) label(name string) {
	if p.labels == nil {
		p.labels = map[string]int{}
	}
	if _, dup := p.labels[name]; dup {
		panic("capture: duplicate bpf label " + name) // programming error
	}
	p.labels[name] = len(p.ins)
}

func (p *prog) addJump(ins bpf.Instruction, t jumpTargets) {
	if p.jumps == nil {
		p.jumps = map[int]jumpTargets{}
	}
	p.jumps[len(p.ins)] = t
	p.emit(ins)
}

// jumpIf compares A with val and goes to yes or no.
func (p *prog) jumpIf(cond bpf.JumpTest, val uint32, yes, no string) {
	p.addJump(bpf.JumpIf{Cond: cond, Val: val}, jumpTargets{yes, no})
}

// jumpTo goes to label unconditionally.
func (p *prog) jumpTo(label string) {
	p.addJump(bpf.Jump{}, jumpTargets{yes: label})
}

// resolve fills in the jump offsets.
func (p *prog) resolve() ([]bpf.Instruction, error) {
	out := make([]bpf.Instruction, len(p.ins))
	copy(out, p.ins)
	for i, t := range p.jumps {
		yes, err := p.skip(i, t.yes)
		if err != nil {
			return nil, err
		}
		no, err := p.skip(i, t.no)
		if err != nil {
			return nil, err
		}
		switch ins := out[i].(type) {
		case bpf.Jump:
			ins.Skip = yes
			out[i] = ins
		case bpf.JumpIf:
			if yes > 255 || no > 255 {
				return nil, fmt.Errorf("capture: bpf jump at %d too far (%d, %d)", i, yes, no)
			}
			ins.SkipTrue, ins.SkipFalse = uint8(yes), uint8(no)
			out[i] = ins
		}
	}
	if len(out) > bpfMaxInstructions {
		return nil, fmt.Errorf("capture: bpf program of %d instructions, at most %d", len(out), bpfMaxInstructions)
	}
	return out, nil
}

// skip is the number of instructions to skip from i to label.
func (p *prog) skip(i int, label string) (uint32, error) {
	if label == "" {
		return 0, nil
	}
	at, ok := p.labels[label]
	if !ok {
		return 0, fmt.Errorf("capture: bpf label %q undefined", label)
	}
	if at <= i {
		return 0, fmt.Errorf("capture: bpf jump at %d to %q is not forward", i, label)
	}
	return uint32(at - i - 1), nil
}

// bpfMaxInstructions is the kernel's BPF_MAXINSNS for classic BPF.
const bpfMaxInstructions = 4096
