package robustness

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/harness"
)

// TestThousandsOfIdleConnections: 2,000 connections that send nothing,
// or stop in the middle of a frame, do not stall a normal client that
// produces and consumes; afterwards the broker still answers on them.
func TestThousandsOfIdleConnections(t *testing.T) {
	want := 2000
	// Each connection costs two descriptors here: the broker runs in
	// this process.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		if need := uint64(2*want + 256); lim.Cur < need {
			lim.Cur = min(need, lim.Max)
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
		if avail := (int(lim.Cur) - 256) / 2; avail < want {
			want = max(avail, 100)
			t.Logf("RLIMIT_NOFILE %d: using %d idle connections instead of 2000", lim.Cur, want)
		}
	}
	b := harness.Start(t)
	createTopic(t, b.Addr, "busy", 3, nil)

	conns := make([]net.Conn, 0, want)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := 0; i < want; i++ {
		c, err := net.DialTimeout("tcp", b.Addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		if i%10 == 9 {
			// A slow client: half a frame header, then nothing.
			if _, err := c.Write([]byte{0, 0}); err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
		}
	}
	t.Logf("%d connections open, every tenth stalled mid-frame", len(conns))

	roundTrip(t, b.Addr, "busy", 2000)

	// The idle ones were accepted and are served when they speak.
	for i := 0; i < len(conns); i += 97 {
		if i%10 == 9 {
			continue
		}
		c := &rawConn{t: t, nc: conns[i]}
		c.br = newReader(conns[i])
		conns[i].SetDeadline(time.Now().Add(20 * time.Second))
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = 3
		req.ClientSoftwareName, req.ClientSoftwareVersion = "idle", "1"
		resp := c.roundTripRaw(req, int32(i)).(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 || len(resp.ApiKeys) == 0 {
			t.Fatalf("idle connection %d: ApiVersions error %d, %d keys", i, resp.ErrorCode, len(resp.ApiKeys))
		}
	}
}
