package api

// ApiVersions: v0-4
//
// Behavior:
// * Lists exactly the keys and versions registered by the handler files.
// * The response always uses response header v0 (no tagged-field byte),
//   even for flexible versions; the server handles that.
// * An unsupported request version is answered by the server with a v0
//   body, UNSUPPORTED_VERSION and the key list (KIP-511), so clients retry
//   with the highest version we support.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(18, 0, 4, handleApiVersions) }

// AdvertisedKeys builds the ApiVersions key list from the registry.
func AdvertisedKeys() []kmsg.ApiVersionsResponseApiKey {
	sup := Supported()
	out := make([]kmsg.ApiVersionsResponseApiKey, 0, len(sup))
	for _, v := range sup {
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = v.Key, v.Min, v.Max
		out = append(out, k)
	}
	return out
}

func handleApiVersions(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.ApiKeys = AdvertisedKeys()
	return Reply(resp)
}
