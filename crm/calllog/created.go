package calllog

import (
	"sync"
	"time"
)

// createdContactTTL is how long a record this service created for an
// unknown caller is reused when the CRM's search does not find it yet.
// The CRMs publish no bound on how long their search index lags a new
// record. Seconds to a few minutes is an estimate, so a second call from
// the number within this time gets the same record.
const createdContactTTL = 10 * time.Minute

// maxCreatedContacts bounds the records remembered.
const maxCreatedContacts = 10000

// numberLocks serialises the choice of a call's CRM record per connection
// and number, so calls from one new number that end together create one
// record. It holds a mutex only while someone uses it.
type numberLocks struct {
	mu    sync.Mutex
	locks map[string]*numberLock
}

type numberLock struct {
	sync.Mutex
	users int
}

// lock locks key and returns the function that unlocks it.
func (l *numberLocks) lock(key string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*numberLock{}
	}
	lock, ok := l.locks[key]
	if !ok {
		lock = &numberLock{}
		l.locks[key] = lock
	}
	lock.users++
	l.mu.Unlock()

	lock.Lock()
	return func() {
		lock.Unlock()
		l.mu.Lock()
		lock.users--
		if lock.users == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
}

// contactKey identifies a number on a connection.
func contactKey(connectionID, number string) string {
	return connectionID + "\n" + number
}
