package broker

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/harness"
)

// rawConn speaks the Kafka framing by hand so tests can send what no
// well-behaved client would.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *rawConn) send(req kmsg.Request, corr int32) {
	c.t.Helper()
	b := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test")).AppendRequest(nil, req, corr)
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one response frame and returns its correlation id and body
// (after the response header; headerTags says whether to skip a v1 header's tag byte).
func (c *rawConn) recv(headerTags bool) (int32, []byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.br, body); err != nil {
		return 0, nil, err
	}
	corr := int32(binary.BigEndian.Uint32(body))
	body = body[4:]
	if headerTags {
		body = body[1:]
	}
	return corr, body, nil
}

func TestApiVersionsUnknownVersionGetsKIP511Reply(t *testing.T) {
	b := harness.Start(t)
	c := dial(t, b.Addr)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 99 // far beyond anything served
	c.send(req, 7)
	corr, body, err := c.recv(false)
	if err != nil {
		t.Fatal(err)
	}
	if corr != 7 {
		t.Fatalf("correlation id %d, want 7", corr)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("error code %d, want UNSUPPORTED_VERSION", resp.ErrorCode)
	}
	var found bool
	for _, k := range resp.ApiKeys {
		if k.ApiKey == 18 {
			found = true
			if k.MinVersion != 0 || k.MaxVersion < 3 {
				t.Fatalf("ApiVersions range %d-%d", k.MinVersion, k.MaxVersion)
			}
		}
	}
	if !found {
		t.Fatal("ApiVersions key missing from the KIP-511 reply")
	}
}

// kafka-python sends ApiVersions v0 with Metadata v0 pipelined behind it.
func TestPipelinedApiVersionsV0AndMetadataV0(t *testing.T) {
	b := harness.Start(t)
	c := dial(t, b.Addr)
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 0
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 0
	c.send(av, 1)
	c.send(md, 2)
	corr, body, err := c.recv(false)
	if err != nil || corr != 1 {
		t.Fatalf("first response corr=%d err=%v", corr, err)
	}
	avr := kmsg.NewPtrApiVersionsResponse()
	avr.Version = 0
	if err := avr.ReadFrom(body); err != nil || avr.ErrorCode != 0 {
		t.Fatalf("ApiVersions v0: %v code %d", err, avr.ErrorCode)
	}
	want := map[int16]int16{0: 0, 2: 0, 10: 0, 11: 0, 17: 0, 19: 0, 22: 0, 32: 0}
	got := map[int16][2]int16{}
	for _, k := range avr.ApiKeys {
		got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	for key, min := range want {
		if r, ok := got[key]; ok && r[0] != min {
			t.Errorf("%s advertised min %d, librdkafka 2.0.2 needs %d", kmsg.NameForKey(key), r[0], min)
		}
	}
	if r := got[0]; r[1] < 8 {
		t.Errorf("Produce max %d: kafka-python infers an old broker below v8", r[1])
	}
	corr, body, err = c.recv(false)
	if err != nil || corr != 2 {
		t.Fatalf("second response corr=%d err=%v", corr, err)
	}
	mdr := kmsg.NewPtrMetadataResponse()
	mdr.Version = 0
	if err := mdr.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if len(mdr.Brokers) != 1 || mdr.Brokers[0].Host != "127.0.0.1" {
		t.Fatalf("metadata brokers %+v", mdr.Brokers)
	}
}

// A bad frame closes that connection alone; others keep working.
func TestBadFramesCloseOnlyTheirConnection(t *testing.T) {
	b := harness.Start(t, "socket.request.max.bytes=1048576")
	good, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := good.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	cases := map[string][]byte{
		"oversized":       {0x7f, 0xff, 0xff, 0xff},
		"negative size":   {0xff, 0xff, 0xff, 0xf0},
		"too short":       {0, 0, 0, 2, 0, 1},
		"unknown api key": append([]byte{0, 0, 0, 10}, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff),
		"garbage body":    append([]byte{0, 0, 0, 12}, 0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0xff, 0xff), // Metadata v9 with junk
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, b.Addr)
			if _, err := c.nc.Write(frame); err != nil {
				t.Fatal(err)
			}
			c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := c.recv(false); err == nil {
				t.Fatal("broker answered a bad frame instead of closing the connection")
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection left open after a bad frame")
			}
			if err := good.Ping(ctx); err != nil {
				t.Fatalf("other client broken after %s: %v", name, err)
			}
		})
	}
}

// A version Strom does not serve is answered with UNSUPPORTED_VERSION,
// not a dropped connection.
func TestUnsupportedVersionAnswered(t *testing.T) {
	b := harness.Start(t)
	c := dial(t, b.Addr)
	req := kmsg.NewPtrFetchRequest()
	req.Version = 14 // above the advertised Fetch range, within what kmsg encodes
	c.send(req, 3)
	corr, body, err := c.recv(true)
	if err != nil {
		t.Fatalf("connection dropped instead of an answer: %v", err)
	}
	if corr != 3 {
		t.Fatalf("correlation id %d, want 3", corr)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 14
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("error code %d, want UNSUPPORTED_VERSION", resp.ErrorCode)
	}
	// The connection still works.
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	c.send(av, 4)
	if corr, _, err := c.recv(false); err != nil || corr != 4 {
		t.Fatalf("after the error: corr %d err %v", corr, err)
	}
}
