package gateway

import (
	"sync"
	"time"

	"github.com/switchboard-oss/switchboard/store"
)

// keyCacheTTL is how long an API key read for authentication is reused
// before it is read again.
//
// NOTE: a key revoked through another gateway instance keeps working on
// this one for up to keyCacheTTL. Revocation through this instance takes
// effect at once, because it drops the key from the cache.
const keyCacheTTL = 2 * time.Second

// keyCache keeps the API keys that authenticated recently, by token hash
// and by id, so a busy key costs one database read per keyCacheTTL rather
// than one per request. Only keys found are kept, so random tokens cannot
// grow it beyond the workspace's real keys.
type keyCache struct {
	mu     sync.Mutex
	now    func() time.Time
	byHash map[string]cachedKey
	byID   map[string]cachedKey
}

type cachedKey struct {
	key     store.APIKey
	expires time.Time
}

func newKeyCache(now func() time.Time) *keyCache {
	return &keyCache{now: now, byHash: map[string]cachedKey{}, byID: map[string]cachedKey{}}
}

// byTokenHash returns the cached key whose token hashes to hash.
func (c *keyCache) byTokenHash(hash string) (store.APIKey, bool) {
	return c.get(c.byHash, hash)
}

// byKeyID returns the cached key with id.
func (c *keyCache) byKeyID(id string) (store.APIKey, bool) {
	return c.get(c.byID, id)
}

func (c *keyCache) get(m map[string]cachedKey, k string) (store.APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entry, ok := m[k]
	if !ok || !c.now().Before(entry.expires) {
		return store.APIKey{}, false
	}
	return entry.key, true
}

// put caches key until keyCacheTTL from now. Expired entries are removed
// on the way, so the maps hold no more than the keys used within the TTL.
func (c *keyCache) put(key store.APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for k, entry := range c.byHash {
		if !now.Before(entry.expires) {
			delete(c.byHash, k)
			delete(c.byID, entry.key.ID)
		}
	}
	entry := cachedKey{key: key, expires: now.Add(keyCacheTTL)}
	c.byHash[key.TokenHash] = entry
	c.byID[key.ID] = entry
}

// forget drops the key with id, so its revocation takes effect at once.
func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if entry, ok := c.byID[id]; ok {
		delete(c.byHash, entry.key.TokenHash)
		delete(c.byID, id)
	}
}
