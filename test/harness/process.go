package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Process is a Strom broker running as a child process, for tests that
// must kill it (SIGKILL) or damage its files while it is down.
type Process struct {
	Addr string // 127.0.0.1:port, the same across restarts
	Dir  string // data directory, the same across restarts

	t         testing.TB
	overrides []string
	out       *tailBuffer // stdout and stderr of every run

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current child has been reaped
}

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// strom builds ./cmd/strom once per test binary.
func stromBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			binary.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(gomod)))
		if root == "." || root == "" {
			binary.err = errors.New("go env GOMOD: not inside a module")
			return
		}
		binary.dir, err = os.MkdirTemp("", "strom-test-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(binary.dir, "strom")
		cmd := exec.Command("go", "build", "-o", binary.path, "./cmd/strom")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/strom: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatalf("harness: %v", binary.err)
	}
	return binary.path
}

// RemoveBinary deletes the strom binary built by StartProcess; call it
// from TestMain after m.Run.
func RemoveBinary() {
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
}

// StartProcess builds strom (once per test binary) and runs
// `strom server` on a free 127.0.0.1 port with its data in a temporary
// directory. It returns once the port accepts and a Kafka client's Ping
// succeeds. The test's cleanup kills the process if it is still running.
func StartProcess(t testing.TB, overrides ...string) *Process {
	t.Helper()
	bin := stromBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &Process{Addr: addr, Dir: t.TempDir(), t: t, overrides: overrides, out: &tailBuffer{max: 1 << 20}}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("harness: broker output (tail):\n%s", p.Output())
		}
	})
	p.start(bin)
	return p
}

func (p *Process) start(bin string) {
	p.t.Helper()
	args := []string{"server",
		"--override", "listeners=PLAINTEXT://" + p.Addr,
		"--override", "log.dirs=" + p.Dir,
		"--override", "strom.admin.listen=",
	}
	for _, o := range p.overrides {
		args = append(args, "--override", o)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	// If the test binary dies, the broker dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(p.out, "--- harness: starting %s %s\n", bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("harness: starting strom: %v", err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(p.out, "--- harness: strom pid %d exited: %v\n", cmd.Process.Pid, err)
		close(done)
	}()
	p.waitReady(done)
}

// waitReady polls until the listener accepts and a Ping succeeds, the
// process exits, or 30 s pass.
func (p *Process) waitReady(done chan struct{}) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		select {
		case <-done:
			p.t.Fatalf("harness: strom exited during start-up:\n%s", p.Output())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("harness: strom not ready at %s after 30s (%d attempts):\n%s", p.Addr, attempt, p.Output())
		}
		if nc, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
			nc.Close()
			if p.ping() == nil {
				return
			}
		}
		select {
		case <-done:
		case <-time.After(20 * time.Millisecond): // poll interval, not synchronisation
		}
	}
}

func (p *Process) ping() error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Addr), kgo.RetryTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

// Pid is the current child's process id, or 0 when none is running.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether a child is running.
func (p *Process) Running() bool { return p.Pid() != 0 }

// Kill sends SIGKILL to the broker's PID and waits until it is reaped.
// It is a no-op when the broker is not running.
func (p *Process) Kill() { p.signal(syscall.SIGKILL) }

// Stop sends SIGTERM (a clean shutdown) and waits for the process to exit.
func (p *Process) Stop() { p.signal(syscall.SIGTERM) }

func (p *Process) signal(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd, p.done = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := syscall.Kill(cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.t.Errorf("harness: kill -%d %d: %v", sig, cmd.Process.Pid, err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-done
		p.t.Errorf("harness: strom pid %d did not exit within 30s of signal %d", cmd.Process.Pid, sig)
	}
}

// Restart stops the broker cleanly if it is running, then starts it
// again on the same directory and port.
func (p *Process) Restart() {
	p.t.Helper()
	p.Stop()
	p.start(stromBinary(p.t))
}

// Output is the tail of everything the broker printed, across restarts.
func (p *Process) Output() string { return p.out.String() }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
