package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"strom/internal/controller"
	"strom/internal/metadata"
	"strom/internal/replica"
)

// Topics is the part of the metadata controller a coordinator needs: the
// image (to find its internal topic) and topic creation (to create it on
// first use).
type Topics interface {
	Image() *metadata.Image
	CreateTopics(ctx context.Context, specs []controller.TopicSpec, validateOnly bool) []controller.TopicResult
}

// Clock is the driver's time source; tests may substitute one they move.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// WallClock is the real time.
type WallClock struct{}

func (WallClock) Now() time.Time                         { return time.Now() }
func (WallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

var (
	// ErrNoTopic: the internal topic does not exist yet (Ready without
	// create).
	ErrNoTopic = errors.New("internal topic does not exist")
	// ErrClosed: the runtime is stopping.
	ErrClosed = errors.New("coordinator runtime closed")
)

// Config describes one coordinator's internal topic and driver.
type Config struct {
	Name     string               // in log lines, e.g. "group coordinator"
	Topic    controller.TopicSpec // the internal topic, as created on first use
	Topics   Topics
	Replicas *replica.Manager
	Logger   *slog.Logger
	Clock    Clock // nil: wall clock

	// Called on the driver goroutine.
	Load         func(partitions int32) error // rebuild state from the topic (see Replay)
	NextDeadline func() (time.Time, bool)     // when Tick is next due, if ever
	Tick         func()
}

// Runtime runs one coordinator's driver and internal topic. See doc.go.
type Runtime struct {
	cfg   Config
	topic string

	inbox chan func()
	stop  chan struct{}
	done  chan struct{}
	ctx   context.Context // cancelled by Close; bounds durability waits
	cncl  context.CancelFunc

	ready    chan struct{} // closed once the topic is loaded
	mu       sync.Mutex    // guards ensuring
	ensuring bool
}

// New prepares a runtime; Start runs it. The two steps let a
// coordinator keep the *Runtime before its hooks can first run.
func New(cfg Config) *Runtime {
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runtime{
		cfg: cfg, topic: cfg.Topic.Name,
		inbox: make(chan func(), 256),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		ready: make(chan struct{}),
	}
	r.ctx, r.cncl = context.WithCancel(context.Background())
	return r
}

// Start runs the driver. If the topic exists, loading starts at once;
// otherwise the first Ready with create creates it. Call it once.
func (r *Runtime) Start() {
	go r.run()
	if r.cfg.Topics.Image().Topic(r.topic) != nil {
		r.mu.Lock()
		r.ensuring = true
		r.mu.Unlock()
		go r.ensure()
	}
}

// Close stops the driver and waits for it (so only after Start).
// Durability waits in flight end with a context error.
func (r *Runtime) Close() {
	select {
	case <-r.stop:
		return
	default:
	}
	close(r.stop)
	r.cncl()
	<-r.done
}

// Stopping is closed when Close begins.
func (r *Runtime) Stopping() <-chan struct{} { return r.stop }

// Context is cancelled by Close.
func (r *Runtime) Context() context.Context { return r.ctx }

// Ready waits until the topic is loaded. With create, a missing topic is
// created first; without, a missing topic is ErrNoTopic.
func (r *Runtime) Ready(ctx context.Context, create bool) error {
	select {
	case <-r.ready:
		return nil
	default:
	}
	r.mu.Lock()
	if !r.ensuring {
		if !create && r.cfg.Topics.Image().Topic(r.topic) == nil {
			r.mu.Unlock()
			return ErrNoTopic
		}
		r.ensuring = true
		go r.ensure()
	}
	r.mu.Unlock()
	select {
	case <-r.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.stop:
		return ErrClosed
	}
}

// IsReady reports whether the topic is loaded.
func (r *Runtime) IsReady() bool {
	select {
	case <-r.ready:
		return true
	default:
		return false
	}
}

// ensure creates the topic if needed, waits for its partitions to open
// here and has the driver load them. It retries until it succeeds or the
// runtime stops.
func (r *Runtime) ensure() {
	for attempt := 0; ; attempt++ {
		err := r.ensureOnce()
		if err == nil {
			close(r.ready)
			return
		}
		if errors.Is(err, ErrClosed) {
			return
		}
		r.cfg.Logger.Warn(r.cfg.Name+" not ready yet", "attempt", attempt, "err", err)
		select {
		case <-r.stop:
			return
		case <-time.After(time.Second): // retry backoff
		}
	}
}

func (r *Runtime) ensureOnce() error {
	if r.cfg.Topics.Image().Topic(r.topic) == nil {
		ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
		res := r.cfg.Topics.CreateTopics(ctx, []controller.TopicSpec{r.cfg.Topic}, false)
		cancel()
		if err := res[0].Err; err != nil && !errors.Is(err, controller.ErrTopicExists) {
			return fmt.Errorf("creating %s: %w", r.topic, err)
		}
		r.cfg.Logger.Info("created internal topic", "topic", r.topic, "partitions", r.cfg.Topic.NumPartitions)
	}
	deadline := time.After(30 * time.Second)
	var n int32
	for {
		sig := r.cfg.Replicas.Signal()
		if t := r.cfg.Topics.Image().Topic(r.topic); t != nil {
			n = int32(len(t.Partitions))
			open := int32(0)
			for i := int32(0); i < n; i++ {
				if _, err := r.cfg.Replicas.Partition(r.topic, i); err == nil {
					open++
				}
			}
			if open == n {
				break
			}
		}
		select {
		case <-sig:
		case <-deadline:
			return fmt.Errorf("%s partitions did not open", r.topic)
		case <-r.stop:
			return ErrClosed
		}
	}
	errc := make(chan error, 1)
	if !r.Post(func() { errc <- r.cfg.Load(n) }) {
		return ErrClosed
	}
	return <-errc
}

// Post hands fn to the driver; false if the runtime stopped.
func (r *Runtime) Post(fn func()) bool {
	select {
	case r.inbox <- fn:
		return true
	case <-r.stop:
		return false
	}
}

// Call runs fn on the driver and waits until it has run; false (and fn
// not run) if the runtime stopped.
func (r *Runtime) Call(fn func()) bool {
	done := make(chan struct{})
	if !r.Post(func() { defer close(done); fn() }) {
		return false
	}
	<-done
	return true
}

func (r *Runtime) run() {
	defer close(r.done)
	clock := r.cfg.Clock
	for {
		var timer <-chan time.Time
		if d, ok := r.cfg.NextDeadline(); ok {
			timer = clock.After(max(d.Sub(clock.Now()), 0))
		}
		select {
		case fn := <-r.inbox:
			fn()
		case <-timer:
			r.cfg.Tick()
		case <-r.stop:
			return
		}
	}
}
