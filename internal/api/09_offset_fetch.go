package api

// OffsetFetch: v0-8
//
// Behavior:
// * A partition without a committed offset, in any group (also an
//   unknown one, or one without members: consumers that only assign(),
//   or ask before joining), is offset -1 with no error, never
//   GROUP_ID_NOT_FOUND.
// * A null topic list (v2+) returns every committed offset of the group.
// * v8+ asks for several groups at once, each answered on its own.
// * RequireStable (v7+) never has to wait: transactional offsets are not
//   implemented, so no offset is ever pending.
//
// Version notes:
// * v2: top-level error, null topics = all; v3: throttle
// * v5: leader epoch; v6: flexible; v7: RequireStable; v8: groups
// * v9+ (KIP-848 member epoch, topic ids) are not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(9, 0, 8, handleOffsetFetch) }

func handleOffsetFetch(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
