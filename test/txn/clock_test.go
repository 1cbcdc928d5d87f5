package txn

import (
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/node"
	"strom/test/clients/ktest"
	"strom/test/harness"
)

// manualClock is a txn.Clock that only moves when the test says.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

func describe(t *testing.T, adm *kadm.Client, id string) kadm.DescribedTransaction {
	t.Helper()
	ds, err := adm.DescribeTransactions(ktest.Ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return ds[id]
}

// The coordinator aborts a transaction exactly when the clock passes its
// transaction.timeout.ms, and not before.
func TestTimeoutControlledClock(t *testing.T) {
	clock := &manualClock{now: time.Now()}
	b := harness.StartWith(t, []node.Option{node.WithTxnClock(clock)}, fast...)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	p := txnProducer(t, b.Addr, "tx-clock", topic, kgo.TransactionTimeout(10*time.Second))
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceIn(t, p, vals("held", 2)...)
	adm := kadm.NewClient(newClient(t, b.Addr))

	clock.Advance(9 * time.Second)
	if d := describe(t, adm, "tx-clock"); d.State != "Ongoing" {
		t.Fatalf("state %q before the timeout", d.State)
	}
	if st := fetchState(t, b.Addr, topic, 0); st.LSO != 0 {
		t.Fatalf("lso %d while the transaction is open", st.LSO)
	}

	clock.Advance(time.Second)
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		d := describe(t, adm, "tx-clock")
		if d.State == "CompleteAbort" {
			if d.ProducerEpoch != 1 {
				t.Fatalf("timeout abort left epoch %d, want the bumped epoch 1", d.ProducerEpoch)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not aborted once the clock passed the timeout: %+v", d)
		}
		<-tick.C
	}
	if st := fetchState(t, b.Addr, topic, 0); st.LSO != st.HWM || st.Aborted != 1 {
		t.Fatalf("after the timeout abort: %+v", st)
	}
	if err := p.EndTransaction(ktest.Ctx(t), kgo.TryCommit); err == nil {
		t.Fatal("commit after the timeout abort succeeded")
	}
}
