package firewall

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// runner runs the backend's work in spad's own network namespace or, with
// Config.NetNS, on one OS thread that joined another one.
//
// A process inherits the network namespace of the thread that forks it, so
// iptables and exec commands started on that thread work inside the
// namespace, exactly as "ip netns exec" would run them (without its /etc
// and /sys remounts, which neither needs). The thread is locked to its
// goroutine and never unlocked: when the goroutine ends, the Go runtime
// destroys the thread instead of reusing it in the wrong namespace.
type runner struct {
	work chan func() // nil: run on the caller's goroutine
	quit chan struct{}
	done chan struct{}
}

// newRunner returns a runner for the namespace at path ("" for spad's own).
func newRunner(path string) (*runner, error) {
	if path == "" {
		return &runner{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("network namespace %q: %w", path, err)
	}
	defer f.Close()
	r := &runner{work: make(chan func()), quit: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go r.loop(int(f.Fd()), started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("network namespace %q: %w", path, err)
	}
	return r, nil
}

func (r *runner) loop(fd int, started chan<- error) {
	defer close(r.done)
	runtime.LockOSThread() // never unlocked, see runner
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		started <- err
		return
	}
	started <- nil
	for {
		select {
		case fn := <-r.work:
			fn()
		case <-r.quit:
			return
		}
	}
}

// do runs fn in the runner's namespace and returns its error.
func (r *runner) do(fn func() error) error {
	if r.work == nil {
		return fn()
	}
	errc := make(chan error, 1)
	select {
	case r.work <- func() { errc <- fn() }:
		return <-errc
	case <-r.done:
		return ErrClosed
	}
}

// close ends the runner's thread. The runner must not be used afterwards.
func (r *runner) close() {
	if r.work != nil {
		close(r.quit)
		<-r.done
	}
}
