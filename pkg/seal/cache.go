package seal

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// keyCache keeps unwrapped data keys so that opening a subject's data does not unwrap their key
// every time, and remembers shredded subjects so that a key being loaded concurrently with Shred
// cannot slip back in. Expiry uses the Sealer's clock.
type keyCache struct {
	ttl time.Duration
	mu  sync.Mutex // orders put against shred; the LRU locks itself for everything else
	lru *lru.Cache[string, cacheEntry]
}

type cacheEntry struct {
	key      *dataKey
	shredded *ShreddedError
	expires  time.Time
}

func newKeyCache(size int, ttl time.Duration) (*keyCache, error) {
	c, err := lru.New[string, cacheEntry](size)
	if err != nil {
		return nil, err
	}
	return &keyCache{ttl: ttl, lru: c}, nil
}

// get returns the cached key or tombstone of a subject, ok false when there is none or it expired.
func (c *keyCache) get(ref string, now time.Time) (*dataKey, *ShreddedError, bool) {
	if c.ttl < 0 {
		return nil, nil, false
	}
	e, ok := c.lru.Get(ref)
	if !ok || !now.Before(e.expires) {
		return nil, nil, false
	}
	return e.key, e.shredded, true
}

// put caches k unless the subject was shredded meanwhile, in which case it reports that instead.
func (c *keyCache) put(ref string, k *dataKey, now time.Time) (*dataKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.lru.Peek(ref); ok && e.shredded != nil {
		return nil, e.shredded
	}
	if c.ttl >= 0 {
		c.lru.Add(ref, cacheEntry{key: k, expires: now.Add(c.ttl)})
	}
	return k, nil
}

// shred drops the subject's key and remembers the shredding. The tombstone is kept even with the
// cache disabled until its TTL, as it is what stops a concurrent put.
func (c *keyCache) shred(ref string, err *ShreddedError, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ttl := c.ttl
	if ttl < 0 {
		ttl = 0
	}
	c.lru.Add(ref, cacheEntry{shredded: err, expires: now.Add(ttl)})
}
