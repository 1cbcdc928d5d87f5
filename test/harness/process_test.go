package harness

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// TestProcessLifecycle: the strom binary starts on the given port and
// directory, SIGKILL really kills that PID, Restart comes back on the
// same address with the data, and SIGTERM is a clean exit.
func TestProcessLifecycle(t *testing.T) {
	p := StartProcess(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.Addr), kgo.DefaultProduceTopic("life"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("one")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	pid := p.Pid()
	p.Kill()
	if p.Running() {
		t.Fatal("still running after Kill")
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Fatalf("pid %d still exists after Kill: %v", pid, err)
	}
	p.Restart()
	if p.Pid() == pid {
		t.Fatal("restart reused the old process")
	}
	ends, err := kadm.NewClient(mustClient(t, p.Addr)).ListEndOffsets(ctx, "life")
	if err != nil {
		t.Fatal(err)
	}
	if lo, _ := ends.Lookup("life", 0); lo.Offset != 1 {
		t.Fatalf("end offset %d after SIGKILL and restart, want 1", lo.Offset)
	}
	p.Stop()
	if out := p.Output(); !strings.Contains(out, "exited: <nil>") || !strings.Contains(out, "signal: killed") {
		t.Fatalf("want one SIGKILL and one clean exit in the log:\n%s", out)
	}
}

func mustClient(t *testing.T, addr string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}
