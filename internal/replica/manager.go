package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"strom/internal/config"
	plog "strom/internal/log"
	"strom/internal/metadata"
	"strom/internal/vfs"
)

// Config configures a Manager.
type Config struct {
	NodeID int32
	FS     vfs.FS
	Broker *config.Broker
	Logger *slog.Logger
}

type partKey struct {
	topic string
	index int32
}

// Manager owns every partition hosted by this broker.
type Manager struct {
	cfg    Config
	fs     vfs.FS
	logger *slog.Logger

	mu    sync.RWMutex
	parts map[partKey]*Partition // guarded by mu

	sigMu sync.Mutex
	sig   chan struct{} // closed and replaced whenever a high watermark moves

	applied atomic.Uint64 // offset of the newest metadata image applied

	flushWake chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// NewManager starts the manager and its flusher. Partitions appear as
// metadata images are applied with Apply.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.FS == nil {
		cfg.FS = vfs.Default
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, d := range cfg.Broker.LogDirs {
		if err := cfg.FS.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("replica: log dir %s: %w", d, err)
		}
	}
	m := &Manager{
		cfg:       cfg,
		fs:        cfg.FS,
		logger:    cfg.Logger,
		parts:     map[partKey]*Partition{},
		sig:       make(chan struct{}),
		flushWake: make(chan struct{}, 1),
		closed:    make(chan struct{}),
	}
	m.wg.Add(3)
	go m.flusher()
	go m.retention()
	go m.cleaner()
	return m, nil
}

// Signal returns a channel closed at the next high watermark change (or
// partition failure). Waiters re-check their condition and call again.
func (m *Manager) Signal() <-chan struct{} {
	m.sigMu.Lock()
	defer m.sigMu.Unlock()
	return m.sig
}

func (m *Manager) notify() {
	m.sigMu.Lock()
	close(m.sig)
	m.sig = make(chan struct{})
	m.sigMu.Unlock()
}

func (m *Manager) wakeFlusher() {
	select {
	case m.flushWake <- struct{}{}:
	default:
	}
}

// flusher is the group commit loop: every wake-up syncs all dirty
// partitions concurrently, so producers that appended while the previous
// round was syncing share the next fsync.
func (m *Manager) flusher() {
	defer m.wg.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		interval := false
		select {
		case <-m.closed:
			return
		case <-m.flushWake:
		case <-tick.C:
			interval = true
		}
		now := time.Now()
		var due []*Partition
		m.mu.RLock()
		for _, p := range m.parts {
			if !p.dirty.Load() {
				continue
			}
			if p.flushNow.Load() {
				due = append(due, p)
				continue
			}
			// Relaxed mode: flush once flush.ms has passed.
			ms := p.Config().FlushMs
			if interval && ms >= 0 && now.Sub(time.Unix(0, p.lastFlush.Load())) >= time.Duration(ms)*time.Millisecond {
				due = append(due, p)
			}
		}
		m.mu.RUnlock()
		m.flushAll(due)
	}
}

func (m *Manager) flushAll(parts []*Partition) {
	if len(parts) == 0 {
		return
	}
	for _, p := range parts {
		p.flushNow.Store(false)
		p.dirty.Store(false)
	}
	if len(parts) == 1 {
		parts[0].flush()
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func(p *Partition) {
			defer wg.Done()
			p.flush()
			<-sem
		}(p)
	}
	wg.Wait()
}

// retention applies time and size retention in the background.
func (m *Manager) retention() {
	defer m.wg.Done()
	iv := time.Duration(m.cfg.Broker.LogRetentionCheckIntervalMs) * time.Millisecond
	if iv <= 0 {
		iv = 5 * time.Minute
	}
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-m.closed:
			return
		case <-tick.C:
		}
		m.ApplyRetention(time.Now())
	}
}

// ApplyRetention runs one retention pass over every partition.
func (m *Manager) ApplyRetention(now time.Time) {
	for _, p := range m.All() {
		if p.Err() != nil || !p.Config().Delete {
			continue
		}
		n, err := p.log.ApplyRetention(now)
		if err != nil {
			m.logger.Warn("retention failed", "topic", p.Topic, "partition", p.Index, "err", err)
			continue
		}
		if n > 0 {
			m.logger.Info("retention deleted segments", "topic", p.Topic, "partition", p.Index, "segments", n, "log_start_offset", p.LogStartOffset())
		}
	}
}

// Partition returns a partition this broker leads.
func (m *Manager) Partition(topic string, index int32) (*Partition, error) {
	m.mu.RLock()
	p := m.parts[partKey{topic, index}]
	m.mu.RUnlock()
	if p == nil {
		return nil, ErrUnknownTopicOrPartition
	}
	return p, nil
}

// All returns every hosted partition.
func (m *Manager) All() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.parts))
	for _, p := range m.parts {
		out = append(out, p)
	}
	return out
}

// LogDir is the directory holding a partition's log (first log dir for now).
func (m *Manager) LogDir(topic string, index int32) string {
	return filepath.Join(m.cfg.Broker.LogDirs[0], topic+"-"+strconv.Itoa(int(index)))
}

// Apply brings the hosted partitions in line with a new metadata image:
// opens logs for new partitions, removes those of deleted topics and
// pushes config changes. It is called by the controller's publisher, one
// image at a time.
func (m *Manager) Apply(prev, next *metadata.Image) {
	// Never act on an image older than one already applied: a stale image
	// lacks recent topics, and their partitions would be deleted.
	if last := m.applied.Load(); next.Offset < last {
		m.logger.Warn("ignoring an older metadata image", "offset", next.Offset, "applied", last)
		return
	}
	m.applied.Store(next.Offset)
	// Removed or recreated topics.
	for _, p := range m.All() {
		t := next.Topic(p.Topic)
		if t == nil || t.ID != p.TopicID || int(p.Index) >= len(t.Partitions) {
			m.remove(p)
		}
	}
	type pending struct {
		t  *metadata.Topic
		pm metadata.Partition
		tc config.Topic
	}
	var toOpen []pending
	for _, t := range next.Topics {
		// Images are copy-on-write: a topic that did not change is the
		// same pointer, and if its partitions are open there is nothing
		// to do (this keeps creating the 10,000th partition from
		// re-resolving the configs of the 9,999 before it).
		if prev != nil && prev.Topic(t.Name) == t && m.allOpen(t) {
			continue
		}
		tc, err := m.cfg.Broker.ResolveTopic(t.Configs)
		if err != nil {
			m.logger.Error("topic config invalid; using defaults", "topic", t.Name, "err", err)
			tc, _ = m.cfg.Broker.ResolveTopic(nil)
		}
		for _, pm := range t.Partitions {
			if !contains(pm.Replicas, m.cfg.NodeID) {
				continue
			}
			m.mu.RLock()
			p := m.parts[partKey{t.Name, pm.Index}]
			m.mu.RUnlock()
			if p == nil {
				toOpen = append(toOpen, pending{t, pm, tc})
				continue
			}
			if pm.LeaderEpoch > p.LeaderEpoch() {
				if err := p.log.AssignEpoch(pm.LeaderEpoch); err != nil {
					p.fail(err)
				}
			}
			p.leaderEpoch.Store(pm.LeaderEpoch)
			old := p.Config()
			c := tc
			p.cfg.Store(&c)
			if old != tc {
				p.log.SetConfig(logConfig(tc))
			}
		}
	}
	// Opening a new partition costs a few fsyncs (directory, metadata file,
	// epoch checkpoint); open many at once so that creating thousands of
	// partitions, or starting with them, is not a serial chain of fsyncs.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, o := range toOpen {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := m.open(o.t, o.pm, o.tc); err != nil {
				m.logger.Error("cannot open partition", "topic", o.t.Name, "partition", o.pm.Index, "err", err)
			}
		}()
	}
	wg.Wait()
	// Orphaned directories can only appear at start-up (a topic deleted
	// while the broker was down) or when a topic goes away; scanning the
	// log directories on every image would cost O(partitions) per change.
	if prev == nil || len(prev.Topics) == 0 || removedTopic(prev, next) {
		m.removeOrphans(next)
	}
}

// allOpen reports whether every partition of t hosted here is open.
func (m *Manager) allOpen(t *metadata.Topic) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, pm := range t.Partitions {
		if contains(pm.Replicas, m.cfg.NodeID) && m.parts[partKey{t.Name, pm.Index}] == nil {
			return false
		}
	}
	return true
}

// removedTopic reports whether a topic of prev is gone (or recreated) in next.
func removedTopic(prev, next *metadata.Image) bool {
	for name, t := range prev.Topics {
		if n := next.Topic(name); n == nil || n.ID != t.ID || len(n.Partitions) < len(t.Partitions) {
			return true
		}
	}
	return false
}

func logConfig(tc config.Topic) plog.Config {
	c := plog.DefaultConfig()
	c.SegmentBytes = tc.SegmentBytes
	c.SegmentMs = tc.SegmentMs
	c.IndexIntervalBytes = tc.IndexIntervalBytes
	c.MaxIndexBytes = tc.SegmentIndexBytes
	c.RetentionMs = tc.RetentionMs
	c.RetentionBytes = tc.RetentionBytes
	return c
}

func (m *Manager) open(t *metadata.Topic, pm metadata.Partition, tc config.Topic) error {
	dir := m.LogDir(t.Name, pm.Index)
	if err := m.checkTopicID(dir, t.ID); err != nil {
		return err
	}
	l, err := plog.Open(m.fs, dir, logConfig(tc), m.logger.With("topic", t.Name, "partition", pm.Index))
	if err != nil {
		return err
	}
	if err := l.AssignEpoch(pm.LeaderEpoch); err != nil {
		l.Close()
		return err
	}
	p := &Partition{Topic: t.Name, Index: pm.Index, TopicID: t.ID, m: m, log: l}
	p.leaderEpoch.Store(pm.LeaderEpoch)
	c := tc
	p.cfg.Store(&c)
	p.lastFlush.Store(time.Now().UnixNano())
	// Everything recovered from disk is committed: a single replica's
	// log is, by definition, the whole in-sync set.
	p.hwm.Store(l.EndOffset())
	m.mu.Lock()
	m.parts[partKey{t.Name, pm.Index}] = p
	m.mu.Unlock()
	m.notify()
	return nil
}

// checkTopicID makes sure a directory left by a deleted topic of the same
// name is not mistaken for the new topic's data (Kafka's partition.metadata).
func (m *Manager) checkTopicID(dir string, id metadata.TopicID) error {
	want := "version: 0\ntopic_id: " + fmt.Sprintf("%x", id[:]) + "\n"
	path := filepath.Join(dir, "partition.metadata")
	f, err := m.fs.OpenFile(path, os.O_RDONLY, 0)
	if err == nil {
		buf := make([]byte, 256)
		n, _ := f.Read(buf)
		f.Close()
		if string(buf[:n]) == want {
			return nil
		}
		m.logger.Warn("removing partition directory of an older topic with the same name", "dir", dir)
		if err := m.fs.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := m.fs.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err = m.fs.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(want)); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return m.fs.SyncDir(filepath.Dir(dir))
}

func (m *Manager) remove(p *Partition) {
	m.mu.Lock()
	if m.parts[partKey{p.Topic, p.Index}] == p {
		delete(m.parts, partKey{p.Topic, p.Index})
	}
	m.mu.Unlock()
	if err := p.log.Delete(); err != nil {
		m.logger.Warn("deleting partition log", "topic", p.Topic, "partition", p.Index, "err", err)
	}
	m.notify()
}

// removeOrphans deletes partition directories that no topic in the image
// owns any more (a topic deleted while the broker was down).
func (m *Manager) removeOrphans(img *metadata.Image) {
	for _, d := range m.cfg.Broker.LogDirs {
		ents, err := m.fs.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if !e.IsDir() || strings.HasPrefix(name, "__cluster_metadata") {
				continue
			}
			i := strings.LastIndexByte(name, '-')
			if i <= 0 {
				continue
			}
			idx, err := strconv.Atoi(name[i+1:])
			if err != nil {
				continue
			}
			t := img.Topic(name[:i])
			if t != nil && idx < len(t.Partitions) {
				continue
			}
			m.mu.RLock()
			_, open := m.parts[partKey{name[:i], int32(idx)}]
			m.mu.RUnlock()
			if open {
				continue
			}
			m.logger.Info("removing directory of deleted partition", "dir", filepath.Join(d, name))
			if err := m.fs.RemoveAll(filepath.Join(d, name)); err != nil {
				m.logger.Warn("removing orphan partition directory", "dir", name, "err", err)
			}
		}
	}
}

// Close flushes and closes every log and stops the background goroutines.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { close(m.closed) })
	m.wg.Wait()
	// Closing a log syncs it and writes its producer snapshot: a few
	// milliseconds of fsync each, so close many at once or a broker with
	// thousands of partitions takes minutes to stop.
	parts := m.All()
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i, p := range parts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			errs[i] = p.log.Close()
			<-sem
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
