package api

import (
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDescribeLogDirs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "a", 2, nil)
	e.createTopic(t, "b", 1, nil)
	e.produce(t, "a", 1, 20)
	dir := filepath.Clean(e.Config.LogDirs[0])

	reqTopic := func(name string, parts ...int32) kmsg.DescribeLogDirsRequestTopic {
		rt := kmsg.NewDescribeLogDirsRequestTopic()
		rt.Topic, rt.Partitions = name, parts
		return rt
	}
	for _, tc := range []struct {
		name    string
		version int16
		topics  []kmsg.DescribeLogDirsRequestTopic
		want    map[string][]int32
	}{
		{"all v0", 0, nil, map[string][]int32{"a": {0, 1}, "b": {0}}},
		{"all v4", 4, nil, map[string][]int32{"a": {0, 1}, "b": {0}}},
		{"some", 2, []kmsg.DescribeLogDirsRequestTopic{reqTopic("a", 1, 9), reqTopic("nope", 0)}, map[string][]int32{"a": {1}}},
		{"none", 3, []kmsg.DescribeLogDirsRequestTopic{}, map[string][]int32{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrDescribeLogDirsRequest()
			req.Topics = tc.topics
			resp := e.do(t, req, tc.version).(*kmsg.DescribeLogDirsResponse)
			if len(resp.Dirs) != 1 || resp.Dirs[0].Dir != dir {
				t.Fatalf("dirs %+v, want just %s", resp.Dirs, dir)
			}
			d := resp.Dirs[0]
			if tc.version >= 4 && (d.TotalBytes <= 0 || d.UsableBytes < 0 || d.UsableBytes > d.TotalBytes) {
				t.Errorf("total %d usable %d", d.TotalBytes, d.UsableBytes)
			}
			if tc.version < 4 && (d.TotalBytes != -1 || d.UsableBytes != -1) {
				t.Errorf("v%d carries total/usable bytes", tc.version)
			}
			got := map[string][]int32{}
			for _, rt := range d.Topics {
				for _, rp := range rt.Partitions {
					got[rt.Topic] = append(got[rt.Topic], rp.Partition)
					size := e.waitPartition(t, rt.Topic, rp.Partition).Size()
					if rp.Size != size {
						t.Errorf("%s-%d size %d, want %d", rt.Topic, rp.Partition, rp.Size, size)
					}
					if rt.Topic == "a" && rp.Partition == 1 && rp.Size == 0 {
						t.Errorf("a-1 holds records but reports size 0")
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("topics %v, want %v", got, tc.want)
			}
			for topic, parts := range tc.want {
				if len(got[topic]) != len(parts) {
					t.Fatalf("topics %v, want %v", got, tc.want)
				}
				for i := range parts {
					if got[topic][i] != parts[i] {
						t.Fatalf("topics %v, want %v", got, tc.want)
					}
				}
			}
		})
	}
}
