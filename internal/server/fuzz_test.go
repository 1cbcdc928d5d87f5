package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/api"
)

// FuzzDecodeRequest feeds arbitrary frame bodies to the request decoder:
// it must never panic, and a body it accepts must re-encode to a request
// that decodes the same way.
func FuzzDecodeRequest(f *testing.F) {
	for _, v := range api.Supported() {
		req := kmsg.RequestForKey(v.Key)
		req.SetVersion(v.Max)
		f.Add(kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz")).AppendRequest(nil, req, 1)[4:])
	}
	f.Add([]byte{0, 18, 0, 99, 0, 0, 0, 1, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := decodeRequest(body)
		if err != nil {
			return
		}
		again := new(kmsg.RequestFormatter).AppendRequest(nil, q.req, q.corr)[4:]
		q2, err := decodeRequest(again)
		if err != nil {
			t.Fatalf("re-encoded %s v%d does not decode: %v", kmsg.NameForKey(q.key), q.version, err)
		}
		if q2.key != q.key || q2.version != q.version || q2.corr != q.corr {
			t.Fatalf("header changed on re-encode")
		}
	})
}
