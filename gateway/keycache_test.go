package gateway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-oss/switchboard/store"
)

func TestKeyCacheExpires(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	cache := newKeyCache(func() time.Time { return now })
	key := store.APIKey{ID: "key_1", WorkspaceID: "ws_1", TokenHash: "hash-1"}
	cache.put(key)

	got, ok := cache.byTokenHash("hash-1")
	require.True(t, ok)
	require.Equal(t, key, got)
	_, ok = cache.byKeyID("key_1")
	require.True(t, ok)

	now = now.Add(keyCacheTTL)
	_, ok = cache.byTokenHash("hash-1")
	require.False(t, ok, "an entry is not used once its TTL has passed")
	_, ok = cache.byKeyID("key_1")
	require.False(t, ok)
}

func TestKeyCacheForget(t *testing.T) {
	cache := newKeyCache(time.Now)
	cache.put(store.APIKey{ID: "key_1", TokenHash: "hash-1"})
	cache.put(store.APIKey{ID: "key_2", TokenHash: "hash-2"})

	cache.forget("key_1")

	_, ok := cache.byTokenHash("hash-1")
	require.False(t, ok)
	_, ok = cache.byKeyID("key_1")
	require.False(t, ok)
	_, ok = cache.byTokenHash("hash-2")
	require.True(t, ok, "other keys stay cached")
}

func TestKeyCacheDropsExpiredOnPut(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	cache := newKeyCache(func() time.Time { return now })
	cache.put(store.APIKey{ID: "key_1", TokenHash: "hash-1"})
	now = now.Add(keyCacheTTL)

	cache.put(store.APIKey{ID: "key_2", TokenHash: "hash-2"})

	require.Len(t, cache.byHash, 1)
	require.Len(t, cache.byID, 1)
}
