package robustness

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/harness"
)

// These extend test/broker/protocol_test.go (which covers absurd sizes,
// a short frame, an unknown key and a garbage Metadata body).

// expectClosed reads until the broker closes the connection, discarding
// responses; it fails if the connection is still open after 10 s.
func (c *rawConn) expectClosed(what string) (responses int) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for responses = 0; responses < 100; responses++ {
		if _, _, err := c.recv(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.t.Fatalf("%s: connection still open 10s later", what)
			}
			return responses
		}
	}
	c.t.Fatalf("%s: 100 responses and still open", what)
	return responses
}

// produceFrame is a Produce v9 request to a missing topic whose frame
// (including the 4-byte size) is exactly size bytes.
func produceFrame(size int) []byte {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = 1
	req.TimeoutMillis = 1000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "no-such-topic"
	rp := kmsg.NewProduceRequestTopicPartition()
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	base := len(frame(req, 1))
	// Records is a compact bytes field: its length varint grows with it.
	for pad := size - base; pad >= 0; pad-- {
		rp.Records = make([]byte, pad)
		req.Topics[0].Partitions[0] = rp
		if f := frame(req, 1); len(f) == size {
			return f
		}
	}
	panic(fmt.Sprintf("cannot build a %d-byte produce frame", size))
}

func TestFrameLimitsAndTruncation(t *testing.T) {
	const limit = 64 << 10
	b := harness.Start(t, fmt.Sprintf("socket.request.max.bytes=%d", limit))
	createTopic(t, b.Addr, "steady", 1, nil)

	t.Run("frame at the limit is served", func(t *testing.T) {
		c := dial(t, b.Addr)
		if _, err := c.nc.Write(produceFrame(limit + 4)); err != nil { // size field excludes itself
			t.Fatal(err)
		}
		corr, body, err := c.recv()
		if err != nil || corr != 1 {
			t.Fatalf("frame of exactly socket.request.max.bytes: corr %d, %v", corr, err)
		}
		resp := kmsg.NewPtrProduceResponse()
		resp.Version = 9
		if err := resp.ReadFrom(body[1:]); err != nil {
			t.Fatal(err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("produce to a missing topic: %v", kerr.ErrorForCode(code))
		}
	})
	t.Run("one byte over the limit closes the connection", func(t *testing.T) {
		c := dial(t, b.Addr)
		// The broker must refuse on the size alone, before the body.
		f := produceFrame(limit + 5)
		if _, err := c.nc.Write(f[:64]); err != nil {
			t.Fatal(err)
		}
		if n := c.expectClosed("frame over socket.request.max.bytes"); n != 0 {
			t.Fatalf("%d responses to an oversized frame", n)
		}
	})
	t.Run("truncated frame then close", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			c := dial(t, b.Addr)
			f := frame(kmsg.NewPtrMetadataRequest(), int32(i))
			if _, err := c.nc.Write(f[:len(f)/2]); err != nil {
				t.Fatal(err)
			}
			c.nc.Close()
		}
	})
	t.Run("truncated frame then half-close", func(t *testing.T) {
		c := dial(t, b.Addr)
		f := frame(kmsg.NewPtrMetadataRequest(), 1)
		if _, err := c.nc.Write(f[:len(f)-3]); err != nil {
			t.Fatal(err)
		}
		c.nc.(*net.TCPConn).CloseWrite()
		if n := c.expectClosed("frame cut short by EOF"); n != 0 {
			t.Fatalf("%d responses to a truncated frame", n)
		}
	})
	t.Run("good request then garbage", func(t *testing.T) {
		c := dial(t, b.Addr)
		req := kmsg.NewPtrApiVersionsRequest()
		good := frame(req, 41)
		garbage := []byte{0, 0, 0, 8, 0x7f, 0x7f, 0, 0, 0, 42, 0xff, 0xff}
		if _, err := c.nc.Write(append(good, garbage...)); err != nil {
			t.Fatal(err)
		}
		if corr, _, err := c.recv(); err != nil || corr != 41 {
			t.Fatalf("response to the good request before the garbage: corr %d, %v", corr, err)
		}
		if n := c.expectClosed("garbage after a good request"); n != 0 {
			t.Fatalf("%d responses to garbage", n)
		}
	})
	t.Run("version above the served range", func(t *testing.T) {
		c := dial(t, b.Addr)
		// Metadata v99: a header the broker can parse, a version it
		// cannot decode.
		f := []byte{0, 0, 0, 10, 0, 3, 0, 99, 0, 0, 0, 5, 0xff, 0xff}
		if _, err := c.nc.Write(f); err != nil {
			t.Fatal(err)
		}
		c.expectClosed("Metadata v99")
	})
	t.Run("hostile array length", func(t *testing.T) {
		c := dial(t, b.Addr)
		// Metadata v1 claiming 2^31-1 topics in a 4-byte body: must be
		// refused without allocating for them.
		body := []byte{0, 3, 0, 1, 0, 0, 0, 6, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}
		f := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		if _, err := c.nc.Write(append(f, body...)); err != nil {
			t.Fatal(err)
		}
		c.expectClosed("Metadata with a 2^31 array count")
	})

	// Many bad connections at once while a real client works.
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50 && ctx.Err() == nil; i++ {
				nc, err := net.DialTimeout("tcp", b.Addr, 5*time.Second)
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				bad := [][]byte{
					{0x7f, 0xff, 0xff, 0xff},
					{0, 0, 0, 12, 0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0xff, 0xff},
					[]byte(strings.Repeat("GET / HTTP/1.1\r\n", 4)),
					produceFrame(limit + 4)[:100],
				}[(w+i)%4]
				nc.Write(bad)
				nc.(*net.TCPConn).CloseWrite()
				nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, nc)
				nc.Close()
			}
		}()
	}
	roundTrip(t, b.Addr, "steady", 1000)
	wg.Wait()
	roundTrip(t, b.Addr, "steady", 100)
}
