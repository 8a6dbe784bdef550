package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// UnixMilli is a time kept in an integer column as Unix milliseconds, the
// one timestamp representation both databases store and compare alike.
type UnixMilli struct{ time.Time }

// Millis returns t truncated to milliseconds, in UTC.
func Millis(t time.Time) UnixMilli {
	return UnixMilli{time.UnixMilli(t.UnixMilli()).UTC()}
}

// Scan implements sql.Scanner.
func (t *UnixMilli) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		t.Time = time.UnixMilli(v).UTC()
		return nil
	case nil:
		t.Time = time.Time{}
		return nil
	default:
		return fmt.Errorf("scan UnixMilli: unsupported type %T", src)
	}
}

// Value implements driver.Valuer.
func (t UnixMilli) Value() (driver.Value, error) {
	return t.UnixMilli(), nil
}
