package api

// OffsetDelete: v0
//
// Behavior:
// * Deletes committed offsets of a group (KIP-496). Partitions of a topic
//   the group's members are subscribed to are refused with
//   GROUP_SUBSCRIBED_TO_TOPIC; an unknown group is GROUP_ID_NOT_FOUND.
// * Answered once the tombstones are durable.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/group"
)

func init() { register(47, 0, 0, handleOffsetDelete) }

func handleOffsetDelete(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, func() kmsg.Response {
		return group.ErrorResponse(kreq, kerr.GroupIDNotFound.Code)
	})
}
