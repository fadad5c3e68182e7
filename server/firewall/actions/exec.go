package actions

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// MaxOutput is how much of a command's combined output is kept.
const MaxOutput = 64 << 10

// killGrace is how long Exec waits for the output pipes to close after the
// process was killed (a grandchild may hold them).
const killGrace = time.Second

// env is the whole environment of a command.
var env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}

// Exec runs an already expanded argv, whose first element must be an
// absolute path, directly (no shell) and waits at most timeout. It returns
// the combined output, at most MaxOutput bytes. Exec starts the process on
// the calling goroutine's OS thread, so a caller that locked its thread
// into another network namespace runs the command there.
func Exec(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error) {
	if err := checkCommand(argv); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("command %q: timeout %v must be positive", argv[0], timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = "/"
	out := &limitedBuffer{max: MaxOutput}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = killGrace
	ownProcessGroup(cmd)
	err := cmd.Run()
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w after %v (%v)", ErrTimeout, timeout, err)
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("command %q: %w", argv[0], err)
	}
	return out.Bytes(), nil
}

// checkCommand checks an expanded argv: a program given as an absolute
// path, no NUL bytes. Tokens are not looked for: values may contain braces.
func checkCommand(argv []string) error {
	if len(argv) == 0 {
		return errors.New("empty command")
	}
	if !filepath.IsAbs(argv[0]) {
		return fmt.Errorf("program %q: not an absolute path", argv[0])
	}
	for i, a := range argv {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argument %d %q: contains a NUL byte", i, a)
		}
	}
	return nil
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest, so a chatty command never blocks on a full pipe.
type limitedBuffer struct {
	mu        sync.Mutex
	max       int
	buf       []byte
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.max - len(b.buf)
	if len(p) > room {
		b.truncated = true
		b.buf = append(b.buf, p[:max(room, 0)]...)
	} else {
		b.buf = append(b.buf, p...)
	}
	return len(p), nil
}

// Bytes returns the kept output, with a note if some was dropped.
func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.truncated {
		return append(b.buf[:len(b.buf):len(b.buf)], "\n[output truncated]\n"...)
	}
	return b.buf
}
