package api

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Result is what a handler gives back for one request.
//
// Handlers run one at a time per connection, in request order, so their
// effects (appends, metadata changes) happen in the order the client sent
// them. A handler that must wait (a produce waiting for fsync, a fetch long
// poll) returns Later instead of blocking: the connection's writer calls it
// and writes responses in order, so waits on one connection overlap.
type Result struct {
	Resp  kmsg.Response        // immediate response
	Later func() kmsg.Response // deferred response; called exactly once, off the read path
	None  bool                 // no response is sent (produce with acks=0)
}

// Reply wraps an immediate response.
func Reply(r kmsg.Response) Result { return Result{Resp: r} }

// HandlerFunc serves one decoded request whose version is already known to
// be within the registered range.
type HandlerFunc func(env *Env, cc *ConnInfo, req kmsg.Request) Result

type entry struct {
	key      int16
	min, max int16
	fn       HandlerFunc
}

var handlers = map[int16]entry{}

// register is called from each handler file's init, next to the code, so
// that ApiVersions advertises exactly what is implemented.
func register(key, min, max int16, fn HandlerFunc) {
	if _, dup := handlers[key]; dup {
		panic("api: key registered twice")
	}
	if max > kmsg.RequestForKey(key).MaxVersion() {
		panic("api: registered version above what kmsg can decode")
	}
	handlers[key] = entry{key, min, max, fn}
}

// Lookup returns the handler for key, if any.
func Lookup(key int16) (HandlerFunc, int16, int16, bool) {
	e, ok := handlers[key]
	return e.fn, e.min, e.max, ok
}

// VersionRange is one advertised API key.
type VersionRange struct {
	Key      int16
	Name     string
	Min, Max int16
}

// Supported lists every registered key in key order; ApiVersions and the
// README's protocol table are built from it.
func Supported() []VersionRange {
	out := make([]VersionRange, 0, len(handlers))
	for _, e := range handlers {
		out = append(out, VersionRange{e.key, kmsg.NameForKey(e.key), e.min, e.max})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
