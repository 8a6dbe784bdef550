package connections

import (
	"sync"
	"testing"
	"time"
)

// RevalidateAfter is revalidateAfter, for tests in package connections_test.
const RevalidateAfter = revalidateAfter

// FakeClock is the clock Load reads in a test. Its time changes only when
// Advance moves it.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// UseFakeClock makes Load read a FakeClock set to the current time, until
// the test ends.
func UseFakeClock(t testing.TB) *FakeClock {
	c := &FakeClock{now: time.Now()}
	previous := clock
	clock = c.Now
	t.Cleanup(func() { clock = previous })
	return c
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
