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

// maxCreatedContacts bounds the records remembered. At the bound, expired
// records go first, then arbitrary ones, until half the bound is left.
const maxCreatedContacts = 10000

// createdContact is a record this service created for a number.
type createdContact struct {
	id      string
	expires time.Time
}

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

// createdContactID returns the record created for key, or "" when none
// was created within createdContactTTL.
func (s *Service) createdContactID(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	created, ok := s.created[key]
	if !ok || !s.now().Before(created.expires) {
		return ""
	}
	return created.id
}

// rememberContact stores the record created for key.
func (s *Service) rememberContact(key, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.created) >= maxCreatedContacts {
		for key, contact := range s.created {
			if !now.Before(contact.expires) || len(s.created) >= maxCreatedContacts/2 {
				delete(s.created, key)
			}
		}
	}
	s.created[key] = createdContact{id: id, expires: now.Add(createdContactTTL)}
}
