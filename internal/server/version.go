package server

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// unsupportedVersion builds the answer to a request whose version Strom
// does not serve but kmsg can still encode: the response kind at the
// request's version with UNSUPPORTED_VERSION in its top-level error code.
// Kafka closes the connection instead; an answer tells the client what
// went wrong. Returns nil when there is no way to say it (the version is
// beyond kmsg or the response has no top-level error code), in which case
// the connection is closed with a log line.
func unsupportedVersion(q request) kmsg.Response {
	req := kmsg.RequestForKey(q.key)
	if req == nil || q.version < 0 || q.version > req.MaxVersion() {
		return nil
	}
	resp := req.ResponseKind()
	resp.SetVersion(q.version)
	v := reflect.ValueOf(resp).Elem()
	f := v.FieldByName("ErrorCode")
	if !f.IsValid() || f.Kind() != reflect.Int16 || !f.CanSet() {
		return nil
	}
	f.SetInt(int64(kerr.UnsupportedVersion.Code))
	return resp
}
