package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/api"
)

// maxInFlight bounds the responses queued per connection; see doc.go.
const maxInFlight = 16

// maxQueuedBytes bounds the record data of the fetch responses queued per
// connection: without it a client that pipelines large fetches and stops
// reading pins maxInFlight full fetch responses. The reader reads no new
// request while more than this is queued.
const maxQueuedBytes = 32 << 20

// maxKeptBuffer is the largest response buffer a connection keeps for
// reuse between responses; typical fetch responses (a few MiB) reuse it.
const maxKeptBuffer = 16 << 20

type slot struct {
	start  time.Time
	corr   int32
	key    int16
	flex   bool // response header v1 (tagged fields); never for ApiVersions
	result api.Result
	bytes  int64 // record data held by result.Resp, counted in conn.queued
}

type conn struct {
	s      *Server
	nc     net.Conn
	info   api.ConnInfo
	ctx    context.Context
	cancel context.CancelFunc
	queue  chan slot

	queued  atomic.Int64  // bytes of the slots in queue (maxQueuedBytes)
	dequeue chan struct{} // signalled when the writer takes a counted slot
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		s:       s,
		nc:      nc,
		ctx:     ctx,
		cancel:  cancel,
		queue:   make(chan slot, maxInFlight),
		dequeue: make(chan struct{}, 1),
		info:    api.ConnInfo{RemoteAddr: nc.RemoteAddr().String(), Ctx: ctx},
	}
}

func (c *conn) run() {
	connectionsOpen.Inc()
	defer connectionsOpen.Dec()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.write()
	}()
	err := c.read()
	switch {
	case err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || c.ctx.Err() != nil:
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		// The client went away without a FIN: routine for killed clients.
		c.s.cfg.Logger.Debug("client reset the connection", "remote", c.info.RemoteAddr, "client_id", c.info.ClientID)
	default:
		connectionsClosedWithError.Inc()
		c.s.cfg.Logger.Warn("closing connection", "remote", c.info.RemoteAddr, "client_id", c.info.ClientID, "reason", err)
	}
	close(c.queue)
	<-done
	c.cancel()
	c.nc.Close()
}

// read decodes requests and runs their handlers in order.
func (c *conn) read() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var size [4]byte
	for {
		for c.queued.Load() > maxQueuedBytes {
			select {
			case <-c.dequeue:
			case <-c.ctx.Done():
				return c.ctx.Err()
			}
		}
		if _, err := io.ReadFull(br, size[:]); err != nil {
			return err
		}
		n := int32(binary.BigEndian.Uint32(size[:]))
		if n < 8 {
			return fmt.Errorf("malformed frame: size %d", n)
		}
		if n > c.s.cfg.MaxRequestBytes {
			return fmt.Errorf("frame of %d bytes exceeds socket.request.max.bytes (%d)", n, c.s.cfg.MaxRequestBytes)
		}
		bytesIn.Add(float64(n) + 4)
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return fmt.Errorf("reading %d-byte frame: %w", n, err)
		}
		sl, err := c.handle(body)
		if err != nil {
			return err
		}
		sl.bytes = recordBytes(sl.result.Resp)
		c.queued.Add(sl.bytes)
		select {
		case c.queue <- sl:
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// request is a decoded request frame.
type request struct {
	key, version int16
	corr         int32
	clientID     *string
	req          kmsg.Request // nil when the version is out of range
}

// errVersion marks a request whose version Strom does not serve.
var errVersion = errors.New("unsupported version")

// decodeRequest parses a frame body: the request header (v1 or v2) and
// the body for the key and version it names. It never panics on bad
// input (fuzzed).
func decodeRequest(body []byte) (request, error) {
	r := kbin.Reader{Src: body}
	var q request
	q.key = r.Int16()
	q.version = r.Int16()
	q.corr = r.Int32()
	q.clientID = r.NullableString()
	if r.Complete() != nil {
		return q, errors.New("malformed request header")
	}
	_, min, max, ok := api.Lookup(q.key)
	if !ok {
		return q, fmt.Errorf("unsupported API key %d (version %d)", q.key, q.version)
	}
	if q.version < min || q.version > max {
		return q, fmt.Errorf("%w: %s v%d, supported %d-%d", errVersion, kmsg.NameForKey(q.key), q.version, min, max)
	}
	req := kmsg.RequestForKey(q.key)
	req.SetVersion(q.version)
	if req.IsFlexible() {
		kmsg.SkipTags(&r)
		if r.Complete() != nil {
			return q, errors.New("malformed request header tags")
		}
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return q, fmt.Errorf("decoding %s v%d: %w", kmsg.NameForKey(q.key), q.version, err)
	}
	q.req = req
	return q, nil
}

func (c *conn) handle(body []byte) (sl slot, err error) {
	q, err := decodeRequest(body)
	if q.clientID != nil {
		c.info.ClientID = *q.clientID
	}
	sl = slot{corr: q.corr, key: q.key, start: time.Now()}
	if errors.Is(err, errVersion) && q.key == 18 {
		// KIP-511: reply v0 with the supported range so the client retries.
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		resp.ApiKeys = api.AdvertisedKeys()
		sl.result = api.Reply(resp)
		return sl, nil
	}
	if errors.Is(err, errVersion) {
		if resp := unsupportedVersion(q); resp != nil {
			c.s.cfg.Logger.Info("unsupported request version", "remote", c.info.RemoteAddr, "client_id", c.info.ClientID, "err", err)
			sl.flex = resp.IsFlexible()
			sl.result = api.Reply(resp)
			return sl, nil
		}
	}
	if err != nil {
		return sl, err
	}
	sl.flex = q.req.IsFlexible() && q.key != 18
	defer func() {
		if p := recover(); p != nil {
			c.s.cfg.Logger.Error("handler panic", "key", kmsg.NameForKey(q.key), "version", q.version, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error handling %s", kmsg.NameForKey(q.key))
		}
	}()
	fn, _, _, _ := api.Lookup(q.key)
	sl.result = fn(c.s.cfg.Env, &c.info, q.req)
	return sl, nil
}

// write resolves queued results in order and writes their responses,
// coalescing writes while more responses are ready.
func (c *conn) write() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var buf []byte
	failed := false
	for sl := range c.queue {
		if sl.bytes > 0 {
			c.queued.Add(-sl.bytes)
			select {
			case c.dequeue <- struct{}{}:
			default:
			}
		}
		if failed {
			continue // drain so the reader never blocks
		}
		resp := sl.result.Resp
		if sl.result.Later != nil {
			resp = c.resolve(sl)
		}
		am := metricsFor(sl.key)
		am.total.Inc()
		if sl.result.None || resp == nil {
			am.seconds.Observe(time.Since(sl.start).Seconds())
			continue
		}
		// Size the buffer for the record data up front: growing it by
		// doubling copied every fetched byte several times (bench/PROFILE.md).
		buf = slices.Grow(buf[:0], int(recordBytes(resp))+1024)
		buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
		if sl.flex {
			buf = append(buf, 0)
		}
		buf = resp.AppendTo(buf)
		binary.BigEndian.PutUint32(buf[0:4], uint32(len(buf)-4))
		binary.BigEndian.PutUint32(buf[4:8], uint32(sl.corr))
		if _, err := bw.Write(buf); err != nil {
			failed = true
			c.fail()
			continue
		}
		bytesOut.Add(float64(len(buf)))
		if len(c.queue) == 0 {
			if err := bw.Flush(); err != nil {
				failed = true
				c.fail()
			}
		}
		am.seconds.Observe(time.Since(sl.start).Seconds())
		if cap(buf) > maxKeptBuffer {
			buf = nil // don't pin an unusually large response's buffer
		}
	}
}

// recordBytes is the size of the record data a response holds.
func recordBytes(r kmsg.Response) int64 {
	f, ok := r.(*kmsg.FetchResponse)
	if !ok {
		return 0
	}
	var n int64
	for i := range f.Topics {
		for j := range f.Topics[i].Partitions {
			n += int64(len(f.Topics[i].Partitions[j].RecordBatches))
		}
	}
	return n
}

func (c *conn) resolve(sl slot) (resp kmsg.Response) {
	defer func() {
		if p := recover(); p != nil {
			c.s.cfg.Logger.Error("deferred handler panic", "key", kmsg.NameForKey(sl.key), "panic", p, "stack", string(debug.Stack()))
			resp = nil
			c.fail()
		}
	}()
	return sl.result.Later()
}

func (c *conn) fail() {
	c.cancel()
	c.nc.Close()
}
