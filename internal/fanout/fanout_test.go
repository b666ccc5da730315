package fanout_test

import (
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/fanout"
)

func TestList(t *testing.T) {
	t.Parallel()
	var l fanout.List[int]
	if l.Active() {
		t.Error("an empty list is active")
	}
	l.Send(0) // nobody listens: nothing happens

	var got []string
	removeA := l.Add(func(v int) { got = append(got, "a", string(rune('0'+v))) })
	l.Add(func(v int) { got = append(got, "b", string(rune('0'+v))) })
	l.Send(1)
	removeA()
	removeA() // twice is harmless
	l.Send(2)
	want := []string{"a", "1", "b", "1", "b", "2"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if !l.Active() {
		t.Error("a list with a subscriber left is not active")
	}
}

// TestListConcurrent subscribes, sends and unsubscribes from many
// goroutines at once; the race detector checks the list.
func TestListConcurrent(t *testing.T) {
	t.Parallel()
	var l fanout.List[int]
	var mu sync.Mutex
	total := 0
	l.Add(func(v int) { mu.Lock(); total += v; mu.Unlock() })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				remove := l.Add(func(int) {})
				l.Send(1)
				remove()
			}
		}()
	}
	wg.Wait()
	if total != 800 {
		t.Errorf("the first subscriber saw %d events, want 800", total)
	}
}
