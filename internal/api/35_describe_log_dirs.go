package api

// DescribeLogDirs: v0-4
//
// Behavior:
// * Lists every configured log dir (also empty ones) with the partitions
//   this broker hosts in it and each partition's size on disk. Topics
//   null means every partition; otherwise only the named ones this broker
//   hosts (others are left out, as in Kafka).
// * OffsetLag is 0 and IsFuture false: there are no replica moves
//   between dirs (AlterReplicaLogDirs) yet.
// * TotalBytes and UsableBytes (v4) come from statfs on the dir; -1 when
//   it cannot be read.
//
// Version notes:
// * v1: ThrottleMillis
// * v2: flexible versions
// * v3: top-level ErrorCode
// * v4: TotalBytes, UsableBytes (KIP-827)

import (
	"path/filepath"
	"slices"
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/replica"
)

func init() { register(35, 0, 4, handleDescribeLogDirs) }

func handleDescribeLogDirs(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)

	var want map[string]map[int32]bool
	if req.Topics != nil {
		want = map[string]map[int32]bool{}
		for _, t := range req.Topics {
			if want[t.Topic] == nil {
				want[t.Topic] = map[int32]bool{}
			}
			for _, p := range t.Partitions {
				want[t.Topic][p] = true
			}
		}
	}

	// dir -> topic -> partitions
	byDir := map[string]map[string][]*replica.Partition{}
	for _, d := range env.Config.LogDirs {
		byDir[filepath.Clean(d)] = map[string][]*replica.Partition{}
	}
	for _, p := range env.Replicas.All() {
		if want != nil && !want[p.Topic][p.Index] {
			continue
		}
		dir := filepath.Dir(env.Replicas.LogDir(p.Topic, p.Index))
		if byDir[dir] == nil {
			byDir[dir] = map[string][]*replica.Partition{}
		}
		byDir[dir][p.Topic] = append(byDir[dir][p.Topic], p)
	}

	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = d
		if req.Version >= 4 {
			rd.TotalBytes, rd.UsableBytes = diskSpace(d)
		}
		topics := make([]string, 0, len(byDir[d]))
		for t := range byDir[d] {
			topics = append(topics, t)
		}
		slices.Sort(topics)
		for _, t := range topics {
			parts := byDir[d][t]
			slices.SortFunc(parts, func(a, b *replica.Partition) int { return int(a.Index - b.Index) })
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = t
			for _, p := range parts {
				rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
				rp.Partition = p.Index
				rp.Size = p.Size()
				rt.Partitions = append(rt.Partitions, rp)
			}
			rd.Topics = append(rd.Topics, rt)
		}
		resp.Dirs = append(resp.Dirs, rd)
	}
	return Reply(resp)
}

// diskSpace reports the filesystem's total and available bytes for dir,
// or -1, -1 when statfs fails (for example a dir on an in-memory FS in
// tests).
func diskSpace(dir string) (total, usable int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1, -1
	}
	bs := int64(st.Bsize)
	return int64(st.Blocks) * bs, int64(st.Bavail) * bs
}
