package controller

import (
	"context"
	"errors"
	"sync"

	"strom/internal/metadata"
)

var errPublisherStopped = errors.New("publisher stopped")

// publisher delivers images to subscribers in order on its own goroutine.
// The raft driver only appends to the queue, so it never waits on a
// subscriber.
type publisher struct {
	mu        sync.Mutex
	queue     []*metadata.Image
	wake      chan struct{} // capacity 1: "queue may be non-empty"
	published uint64        // offset of the last delivered image
	notify    chan struct{} // closed and replaced at every delivery
	stopped   bool
	stopc     chan struct{}
	donec     chan struct{}

	// deliverMu is held while subscribers run, so Subscribe's initial
	// call and the deliveries are one ordered stream.
	deliverMu sync.Mutex
	subs      []func(prev, next *metadata.Image)
	last      *metadata.Image // last delivered image
}

func (p *publisher) init(im *metadata.Image) {
	p.wake = make(chan struct{}, 1)
	p.notify = make(chan struct{})
	p.stopc = make(chan struct{})
	p.donec = make(chan struct{})
	p.last = im
}

func (p *publisher) publish(im *metadata.Image) {
	p.mu.Lock()
	p.queue = append(p.queue, im)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *publisher) run() {
	defer close(p.donec)
	for {
		select {
		case <-p.wake:
		case <-p.stopc:
			return
		}
		for {
			p.mu.Lock()
			if len(p.queue) == 0 {
				p.mu.Unlock()
				break
			}
			next := p.queue[0]
			p.queue = p.queue[1:]
			p.mu.Unlock()

			p.deliverMu.Lock()
			prev := p.last
			for _, fn := range p.subs {
				fn(prev, next)
			}
			p.last = next
			p.deliverMu.Unlock()

			p.mu.Lock()
			p.published = next.Offset
			close(p.notify)
			p.notify = make(chan struct{})
			p.mu.Unlock()
		}
	}
}

func (p *publisher) subscribe(fn func(prev, next *metadata.Image)) {
	p.deliverMu.Lock()
	defer p.deliverMu.Unlock()
	// p.last is the newest delivered image; images still queued reach this
	// subscriber later, in order, with p.last as their prev.
	fn(metadata.Empty(), p.last)
	p.subs = append(p.subs, fn)
}

// wait blocks until the image at offset (or a later one) was delivered.
func (p *publisher) wait(ctx context.Context, offset uint64) error {
	for {
		p.mu.Lock()
		if p.published >= offset {
			p.mu.Unlock()
			return nil
		}
		if p.stopped {
			p.mu.Unlock()
			return errPublisherStopped
		}
		ch := p.notify
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.donec:
			// Re-check: the last delivery may have covered offset.
			p.mu.Lock()
			done := p.published >= offset
			p.mu.Unlock()
			if done {
				return nil
			}
			return errPublisherStopped
		}
	}
}

func (p *publisher) stop() {
	p.mu.Lock()
	already := p.stopped
	p.stopped = true
	p.mu.Unlock()
	if !already {
		close(p.stopc)
	}
	<-p.donec
}
