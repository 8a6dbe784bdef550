package crmhttp

import (
	"sync"
	"time"
)

// Cache is a small map whose entries expire TTL after they were stored.
// Connectors use it for owners and other lookups that change rarely. It
// is safe for concurrent use. Create one with NewCache, because the zero
// value has no map.
type Cache[V any] struct {
	ttl time.Duration
	// maxEntries bounds the entries, 0 for no bound.
	maxEntries int
	now        func() time.Time
	mu         sync.Mutex
	entries    map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	expires time.Time
}

// NewCache returns a cache whose entries live for ttl. A nil now uses
// time.Now.
func NewCache[V any](ttl time.Duration, now func() time.Time) *Cache[V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[V]{ttl: ttl, now: now, entries: make(map[string]cacheEntry[V])}
}

// NewBoundedCache returns a cache whose entries live for ttl and that
// holds at most maxEntries. When Set finds it full, expired entries go
// first, then arbitrary ones, until half the bound is left.
func NewBoundedCache[V any](ttl time.Duration, maxEntries int, now func() time.Time) *Cache[V] {
	c := NewCache[V](ttl, now)
	c.maxEntries = maxEntries
	return c
}

// Get returns the value stored under key and whether it is present and
// not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	entry, ok := c.entries[key]
	if !ok || !c.now().Before(entry.expires) {
		delete(c.entries, key)
		var zero V
		return zero, false
	}
	return entry.value, true
}

// Set stores value under key for the cache's TTL.
func (c *Cache[V]) Set(key string, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()

	now := c.now()
	if c.maxEntries > 0 && len(c.entries) >= c.maxEntries {
		for k, entry := range c.entries {
			if !now.Before(entry.expires) || len(c.entries) > c.maxEntries/2 {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = cacheEntry[V]{value: value, expires: now.Add(c.ttl)}
}
