package group

// Server-side assignors for KIP-848 consumer groups.
//
//   - uniform (the default): every partition of a subscribed topic goes
//     to one subscribed member; the members' counts are as even as the
//     subscriptions allow; partitions stay where they are (the previous
//     target) unless balance requires a move, so a rebalance moves as
//     few partitions as possible (Kafka's UniformAssignor).
//   - range: per topic, the subscribed members in order (static members
//     by instance id first, then the others by member id) each take a
//     contiguous range; the first ones take one more when the count
//     does not divide (Kafka's RangeAssignor).

import (
	"sort"
)

// AssignorMember is one member as an assignor sees it.
type AssignorMember struct {
	ID         string
	InstanceID *string
	Topics     []string   // subscribed topic names
	Current    Assignment // the previous target, for stickiness
}

type assignTopic struct {
	name string
	id   topicID
	n    int32
}

// Assign computes the target assignment of every member.
func Assign(assignor string, members []AssignorMember, topics TopicView) map[string]Assignment {
	out := make(map[string]Assignment, len(members))
	for _, m := range members {
		out[m.ID] = Assignment{}
	}
	if len(members) == 0 {
		return out
	}
	// The subscribed topics that exist, by name.
	subs := make(map[string]map[string]bool, len(members))
	seen := map[string]bool{}
	var ts []assignTopic
	for _, m := range members {
		subs[m.ID] = map[string]bool{}
		for _, t := range m.Topics {
			id, n, ok := topics.TopicByName(t)
			if !ok {
				continue
			}
			subs[m.ID][t] = true
			if !seen[t] {
				seen[t] = true
				ts = append(ts, assignTopic{t, id, n})
			}
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	if assignor == "range" {
		assignRange(members, subs, ts, out)
	} else {
		assignUniform(members, subs, ts, out)
	}
	return out
}

func assignRange(members []AssignorMember, subs map[string]map[string]bool, ts []assignTopic, out map[string]Assignment) {
	order := append([]AssignorMember(nil), members...)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if (a.InstanceID != nil) != (b.InstanceID != nil) {
			return a.InstanceID != nil
		}
		if a.InstanceID != nil && *a.InstanceID != *b.InstanceID {
			return *a.InstanceID < *b.InstanceID
		}
		return a.ID < b.ID
	})
	for _, t := range ts {
		var who []string
		for _, m := range order {
			if subs[m.ID][t.name] {
				who = append(who, m.ID)
			}
		}
		if len(who) == 0 {
			continue
		}
		quota, extra := int(t.n)/len(who), int(t.n)%len(who)
		next := int32(0)
		for i, id := range who {
			n := quota
			if i < extra {
				n++
			}
			for k := 0; k < n; k++ {
				out[id].add(tpKey{t.id, next})
				next++
			}
		}
	}
}

func assignUniform(members []AssignorMember, subs map[string]map[string]bool, ts []assignTopic, out map[string]Assignment) {
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	sort.Strings(ids)
	byID := map[topicID]assignTopic{}
	for _, t := range ts {
		byID[t.id] = t
	}
	owner := map[tpKey]string{}
	count := map[string]int{}
	// 1. Keep what each member had, where it is still valid.
	for _, m := range members {
		m.Current.each(func(k tpKey) {
			t, ok := byID[k.id]
			if !ok || k.p >= t.n || !subs[m.ID][t.name] {
				return
			}
			if _, taken := owner[k]; taken {
				return
			}
			owner[k] = m.ID
			out[m.ID].add(k)
			count[m.ID]++
		})
	}
	eligible := func(id string, k tpKey) bool { return subs[id][byID[k.id].name] }
	// 2. Hand every unowned partition to the least loaded subscriber.
	for _, t := range ts {
		for p := int32(0); p < t.n; p++ {
			k := tpKey{t.id, p}
			if _, ok := owner[k]; ok {
				continue
			}
			best := ""
			for _, id := range ids {
				if eligible(id, k) && (best == "" || count[id] < count[best]) {
					best = id
				}
			}
			if best == "" {
				continue
			}
			owner[k] = best
			out[best].add(k)
			count[best]++
		}
	}
	// 3. Balance: move a partition from a member with the most to an
	// eligible member with at least two fewer, until no such move is
	// left. Every move lowers the sum of squared counts, so it ends.
	for {
		moved := false
		order := append([]string(nil), ids...)
		sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	donors:
		for _, from := range order {
			// Give up the highest partitions first: deterministic and
			// leaves the low ones where they were.
			var held []tpKey
			out[from].each(func(k tpKey) { held = append(held, k) })
			sort.Slice(held, func(i, j int) bool {
				ti, tj := byID[held[i].id].name, byID[held[j].id].name
				if ti != tj {
					return ti > tj
				}
				return held[i].p > held[j].p
			})
			for _, k := range held {
				to := ""
				for _, id := range ids {
					if id != from && eligible(id, k) && count[id] <= count[from]-2 && (to == "" || count[id] < count[to]) {
						to = id
					}
				}
				if to == "" {
					continue
				}
				out[from].remove(k)
				out[to].add(k)
				count[from]--
				count[to]++
				moved = true
				break donors
			}
		}
		if !moved {
			return
		}
	}
}

func (a Assignment) remove(k tpKey) {
	ps := a[k.id]
	for i, p := range ps {
		if p == k.p {
			a[k.id] = append(ps[:i:i], ps[i+1:]...)
			break
		}
	}
	if len(a[k.id]) == 0 {
		delete(a, k.id)
	}
}
