package txn

import (
	"math"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// State is a transactional id's state, numbered as in Kafka's
// __transaction_state records (kmsg.TransactionState).
type State int8

const (
	Empty State = iota
	Ongoing
	PrepareCommit
	PrepareAbort
	CompleteCommit
	CompleteAbort
	Dead
	PrepareEpochFence
)

func (s State) String() string { return kmsg.TransactionState(s).String() }

// preparing reports a state whose markers are being written: requests
// other than retries get CONCURRENT_TRANSACTIONS until it completes.
func (s State) preparing() bool {
	return s == PrepareCommit || s == PrepareAbort || s == PrepareEpochFence
}

// TP is one partition in a transaction.
type TP struct {
	Topic     string
	Partition int32
}

// Meta is what is stored for a transactional id: one
// __transaction_state value.
type Meta struct {
	ProducerID int64
	Epoch      int16
	TimeoutMs  int32
	State      State
	Partitions map[TP]bool
	StartMs    int64 // when the current transaction began; -1 if none
	UpdatedMs  int64
}

// SortedPartitions lists the partitions in a stable order.
func (m Meta) SortedPartitions() []TP {
	out := make([]TP, 0, len(m.Partitions))
	for tp := range m.Partitions {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

func (m Meta) clone() Meta {
	c := m
	c.Partitions = make(map[TP]bool, len(m.Partitions))
	for tp := range m.Partitions {
		c.Partitions[tp] = true
	}
	return c
}

// Txn is the pure state machine of one transactional id: no goroutines,
// clock or I/O. Each request method takes the current time and returns
// the next Meta to store (write is false when nothing changes) or a Kafka
// error code. The driver stores the next Meta, and only once it is
// durable calls Apply; meanwhile Pending is set and every other request
// gets CONCURRENT_TRANSACTIONS, as Kafka's pendingState does.
type Txn struct {
	ID string
	Meta
	// LastEpoch is the epoch before the last bump by the coordinator, so
	// that a producer fenced by a timeout can still re-initialise with
	// the epoch it knows (KIP-360/KIP-588); -1 if none.
	LastEpoch int16
	Pending   *Meta
	// completing is set while markers are being written for a Prepare
	// state; the driver owns it.
	completing bool
}

// NewTxn returns a transactional id that has no producer yet.
func NewTxn(id string) *Txn {
	return &Txn{ID: id, Meta: Meta{ProducerID: -1, Epoch: -1, State: Empty, StartMs: -1, Partitions: map[TP]bool{}}, LastEpoch: -1}
}

// Apply installs a stored transition.
func (t *Txn) Apply(m Meta) {
	if m.Epoch != t.Epoch || m.ProducerID != t.ProducerID {
		t.LastEpoch = t.Epoch
		if m.ProducerID != t.ProducerID {
			t.LastEpoch = -1
		}
	}
	t.Meta = m
	t.Pending = nil
}

// InitAction is what InitProducerId asks of the driver.
type InitAction int8

const (
	InitReply    InitAction = iota // answer with the current id and epoch, no write
	InitWrite                      // store Next, then answer with it
	InitAbort                      // store Next (a fencing abort), complete it, answer CONCURRENT_TRANSACTIONS
	InitRejected                   // answer Code
)

// InitResult is InitProducer's decision.
type InitResult struct {
	Action InitAction
	Next   Meta
	Code   int16
}

// InitProducer handles InitProducerId for this transactional id.
// reqPID/reqEpoch are -1 unless the client sent its current id (v3+,
// KIP-360). newPID allocates a producer id when the epoch is exhausted
// or the id is new.
func (t *Txn) InitProducer(now time.Time, reqPID int64, reqEpoch int16, timeoutMs int32, newPID func() (int64, error)) InitResult {
	if t.Pending != nil || t.State.preparing() || t.completing {
		return InitResult{Action: InitRejected, Code: kerr.ConcurrentTransactions.Code}
	}
	if reqPID >= 0 {
		switch {
		case reqPID != t.ProducerID:
			return InitResult{Action: InitRejected, Code: kerr.ProducerFenced.Code}
		case reqEpoch == t.LastEpoch && t.LastEpoch >= 0 && (t.State == Empty || t.State == CompleteAbort || t.State == CompleteCommit) && t.StartMs < 0:
			// A retry of the InitProducerId that bumped to the current
			// epoch: answer it again rather than fencing the caller.
			return InitResult{Action: InitReply}
		case reqEpoch != t.Epoch && reqEpoch != t.LastEpoch:
			return InitResult{Action: InitRejected, Code: kerr.ProducerFenced.Code}
		}
	}
	ms := now.UnixMilli()
	if t.State == Ongoing {
		// A new producer instance takes over: the old one's transaction
		// is aborted under a bumped epoch, which fences it everywhere.
		next := t.Meta.clone()
		next.State, next.Epoch, next.UpdatedMs = PrepareAbort, t.Epoch+1, ms
		return InitResult{Action: InitAbort, Next: next}
	}
	next := Meta{ProducerID: t.ProducerID, Epoch: t.Epoch + 1, TimeoutMs: timeoutMs, State: Empty, Partitions: map[TP]bool{}, StartMs: -1, UpdatedMs: ms}
	if t.ProducerID < 0 || t.Epoch >= math.MaxInt16-1 {
		id, err := newPID()
		if err != nil {
			return InitResult{Action: InitRejected, Code: kerr.CoordinatorNotAvailable.Code}
		}
		next.ProducerID, next.Epoch = id, 0
	}
	return InitResult{Action: InitWrite, Next: next}
}

// checkProducer validates the producer id and epoch a request carries.
func (t *Txn) checkProducer(pid int64, epoch int16) int16 {
	switch {
	case pid != t.ProducerID:
		return kerr.InvalidProducerIDMapping.Code
	case epoch != t.Epoch:
		return kerr.ProducerFenced.Code
	case t.Pending != nil || t.completing:
		return kerr.ConcurrentTransactions.Code
	}
	return 0
}

// AddPartitions handles AddPartitionsToTxn and AddOffsetsToTxn (whose
// partition is the group's __consumer_offsets partition).
func (t *Txn) AddPartitions(now time.Time, pid int64, epoch int16, tps []TP) (next Meta, write bool, code int16) {
	if code := t.checkProducer(pid, epoch); code != 0 {
		return Meta{}, false, code
	}
	switch t.State {
	case PrepareCommit, PrepareAbort, PrepareEpochFence:
		return Meta{}, false, kerr.ConcurrentTransactions.Code
	case Dead:
		return Meta{}, false, kerr.InvalidTxnState.Code
	}
	if t.State == Ongoing {
		all := true
		for _, tp := range tps {
			if !t.Partitions[tp] {
				all = false
				break
			}
		}
		if all {
			return Meta{}, false, 0
		}
	}
	next = t.Meta.clone()
	ms := now.UnixMilli()
	if t.State != Ongoing {
		next.Partitions = map[TP]bool{}
		next.StartMs = ms
	}
	for _, tp := range tps {
		next.Partitions[tp] = true
	}
	next.State, next.UpdatedMs = Ongoing, ms
	return next, true, 0
}

// EndTxn handles EndTxn. done reports a retry of an EndTxn that already
// completed (answered with success and no write).
func (t *Txn) EndTxn(now time.Time, pid int64, epoch int16, commit bool) (next Meta, done bool, code int16) {
	if code := t.checkProducer(pid, epoch); code != 0 {
		return Meta{}, false, code
	}
	switch t.State {
	case Ongoing:
		next = t.Meta.clone()
		next.State, next.UpdatedMs = PrepareAbort, now.UnixMilli()
		if commit {
			next.State = PrepareCommit
		}
		return next, false, 0
	case CompleteCommit:
		if commit {
			return Meta{}, true, 0
		}
	case CompleteAbort:
		if !commit {
			return Meta{}, true, 0
		}
	case PrepareCommit:
		if commit {
			return Meta{}, false, kerr.ConcurrentTransactions.Code
		}
	case PrepareAbort:
		if !commit {
			return Meta{}, false, kerr.ConcurrentTransactions.Code
		}
	}
	return Meta{}, false, kerr.InvalidTxnState.Code
}

// Complete is the transition after every marker of a Prepare state is
// written: CompleteCommit or CompleteAbort, with no partitions.
func (t *Txn) Complete(now time.Time) Meta {
	next := t.Meta.clone()
	next.State = CompleteAbort
	if t.State == PrepareCommit {
		next.State = CompleteCommit
	}
	next.Partitions = map[TP]bool{}
	next.UpdatedMs = now.UnixMilli()
	return next
}

// Deadline is when the open transaction times out, if there is one.
func (t *Txn) Deadline() (time.Time, bool) {
	if t.State != Ongoing || t.Pending != nil || t.completing || t.StartMs < 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(t.StartMs + int64(t.TimeoutMs)), true
}

// Expire returns the fencing abort for a transaction open past its
// timeout: PrepareAbort under a bumped epoch, so that the producer's
// late writes, AddPartitions and EndTxn are refused (Kafka's
// PrepareEpochFence followed by the abort, in one step).
func (t *Txn) Expire(now time.Time) (Meta, bool) {
	d, ok := t.Deadline()
	if !ok || now.Before(d) || t.Epoch >= math.MaxInt16-1 {
		return Meta{}, false
	}
	next := t.Meta.clone()
	next.State, next.Epoch, next.UpdatedMs = PrepareAbort, t.Epoch+1, now.UnixMilli()
	return next, true
}

// Verify is the check a transactional produce passes (KIP-890's
// verification, done by the single node's own coordinator): the
// partition must be in the producer's ongoing transaction.
func (t *Txn) Verify(pid int64, epoch int16, tp TP) int16 {
	switch {
	case pid != t.ProducerID:
		return kerr.InvalidProducerIDMapping.Code
	case epoch < t.Epoch:
		return kerr.InvalidProducerEpoch.Code
	case epoch > t.Epoch:
		return kerr.InvalidProducerEpoch.Code
	case t.State != Ongoing || !t.Partitions[tp]:
		return kerr.InvalidTxnState.Code
	}
	return 0
}
