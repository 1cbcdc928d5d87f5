package api

// DeleteGroups: v0-2
//
// Behavior:
// * Only an Empty group can be deleted (else NON_EMPTY_GROUP); an unknown
//   one is GROUP_ID_NOT_FOUND. Its offsets and metadata are tombstoned in
//   __consumer_offsets and the answer waits until that is durable.
//
// Version notes:
// * v1: same as v0; v2: flexible
// * v3 (error message) is not offered.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/group"
)

func init() { register(42, 0, 2, handleDeleteGroups) }

func handleDeleteGroups(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, func() kmsg.Response {
		return group.ErrorResponse(kreq, kerr.GroupIDNotFound.Code)
	})
}
