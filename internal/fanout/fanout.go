// Package fanout hands events to a set of subscribers that may change
// while events flow: the HubSpot client's calls and the governor's budget
// reach a daemon's hooks through it. Sending costs one atomic load when
// nobody subscribes.
package fanout

import (
	"slices"
	"sync"
	"sync/atomic"
)

// List is a set of subscribers to events of type T. The zero List has
// none and is ready to use; a List must not be copied after first use. It
// is safe for concurrent use.
type List[T any] struct {
	mu   sync.Mutex // serialises Add and remove
	subs atomic.Pointer[[]*sub[T]]
}

type sub[T any] struct{ fn func(T) }

// Add subscribes fn and returns a function that unsubscribes it; calling
// that more than once is harmless. A Send under way when fn is removed may
// still call it.
func (l *List[T]) Add(fn func(T)) (remove func()) {
	s := &sub[T]{fn: fn}
	l.update(func(subs []*sub[T]) []*sub[T] { return append(subs, s) })
	var once sync.Once
	return func() {
		once.Do(func() {
			l.update(func(subs []*sub[T]) []*sub[T] {
				return slices.DeleteFunc(subs, func(x *sub[T]) bool { return x == s })
			})
		})
	}
}

// update replaces the subscribers with change applied to a copy of them,
// so that a Send under way keeps reading the old slice.
func (l *List[T]) update(change func([]*sub[T]) []*sub[T]) {
	l.mu.Lock()
	defer l.mu.Unlock()
	subs := change(slices.Clone(l.load()))
	l.subs.Store(&subs)
}

func (l *List[T]) load() []*sub[T] {
	if p := l.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// Active reports whether anyone subscribes, so that a sender can skip
// building an event nobody reads.
func (l *List[T]) Active() bool { return len(l.load()) > 0 }

// Send calls every subscriber with v, in the order they subscribed, in the
// caller's goroutine.
func (l *List[T]) Send(v T) {
	for _, s := range l.load() {
		s.fn(v)
	}
}
