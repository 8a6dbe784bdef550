package lookup

import (
	"container/list"
	"sync"
	"time"
)

// cache is a bounded map from lookup keys to results whose entries expire.
// A nil result records a number the CRM does not know. When full, it drops
// the least recently used entry. It is safe for concurrent use.
type cache struct {
	size int
	now  func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element
	// order holds *cacheEntry values, the most recently used first.
	order *list.List
}

type cacheEntry struct {
	key     string
	result  *Result
	expires time.Time
}

func newCache(size int, now func() time.Time) *cache {
	return &cache{size: size, now: now, items: map[string]*list.Element{}, order: list.New()}
}

// get returns the result stored under key and whether an unexpired entry
// exists. A found entry with a nil result is a negative entry.
func (c *cache) get(key string) (*Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	element, ok := c.items[key]
	if !ok {
		return nil, false
	}
	entry := element.Value.(*cacheEntry)
	if !c.now().Before(entry.expires) {
		c.order.Remove(element)
		delete(c.items, key)
		return nil, false
	}
	c.order.MoveToFront(element)
	return entry.result, true
}

// put stores result under key for ttl.
func (c *cache) put(key string, result *Result, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()

	entry := &cacheEntry{key: key, result: result, expires: c.now().Add(ttl)}
	if element, ok := c.items[key]; ok {
		element.Value = entry
		c.order.MoveToFront(element)
		return
	}
	c.items[key] = c.order.PushFront(entry)
	for c.order.Len() > c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).key)
	}
}

// remove drops the entry of key, if any.
func (c *cache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if element, ok := c.items[key]; ok {
		c.order.Remove(element)
		delete(c.items, key)
	}
}

// len returns the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
