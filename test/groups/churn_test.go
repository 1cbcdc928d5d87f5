package groups

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// TestGroupChurn has members join and leave while records are produced.
// Every record must be consumed and committed, and, since every member
// commits what it processed before it lets a rebalance proceed, no
// record may be consumed twice: each is delivered exactly once across
// the generations.
func TestGroupChurn(t *testing.T) {
	for _, bal := range []kgo.GroupBalancer{kgo.RangeBalancer(), kgo.CooperativeStickyBalancer()} {
		t.Run(bal.ProtocolName(), func(t *testing.T) {
			b := startBroker(t)
			topic := ktest.CreateTopic(t, b.Addr, 6)
			group := uniqueGroup(t)
			s := newSeen()
			start := func(name string) *kgoMember {
				return startKgo(t, b.Addr, group, topic, name, s, kgo.Balancers(bal))
			}

			prodDone := make(chan struct{})
			go func() {
				defer close(prodDone)
				for i := 0; i < 10; i++ {
					produce(t, b.Addr, topic, fmt.Sprintf("r%d", i), 50)
				}
			}()
			ms := []*kgoMember{start("m0"), start("m1")}
			for i := 2; i < 7; i++ {
				n := s.count()
				waitFor(t, 20*time.Second, "progress before the next change", func() bool { return s.count() > n || s.count() == 500 })
				ms = append(ms, start(fmt.Sprintf("m%d", i)))
				ms[0].stop()
				ms = ms[1:]
			}
			<-prodDone
			waitFor(t, 30*time.Second, "all 500 records consumed", func() bool { return s.count() == 500 })
			if d := s.dups(); len(d) > 0 {
				t.Fatalf("%d records consumed more than once: %v", len(d), d[:min(len(d), 10)])
			}
			ends := endOffsets(t, b.Addr, topic)
			waitFor(t, 10*time.Second, "every partition committed to its end", func() bool {
				cm := committed(t, b.Addr, group, topic)
				for p, e := range ends {
					if cm[p] != e {
						return false
					}
				}
				return true
			})
		})
	}
}
