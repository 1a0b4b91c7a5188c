// Package column holds the Go types of SQLite columns that need a
// conversion: the generated queries (dbsqlc) read and write them through
// database/sql's Scanner and Valuer.
//
// It imports the standard library only.
package column

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Layout is how times are stored: TEXT in UTC, fixed width so they sort as
// text, in microseconds like PostgreSQL's timestamptz, so both backends
// return the same instants.
const Layout = "2006-01-02T15:04:05.000000Z"

// Time is a TEXT time column.
type Time struct{ time.Time }

// Of returns t as stored: UTC, truncated to microseconds.
func Of(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// OfPtr is Of for a nullable column.
func OfPtr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	c := Of(*t)
	return &c
}

// Ptr returns the time of a nullable column.
func (t *Time) Ptr() *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// Value formats the time.
func (t Time) Value() (driver.Value, error) {
	return t.UTC().Truncate(time.Microsecond).Format(Layout), nil
}

// Scan parses a stored time.
func (t *Time) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("column: time column holds %T", src)
	}
	parsed, err := time.Parse(Layout, s)
	if err != nil {
		return fmt.Errorf("column: %w", err)
	}
	t.Time = parsed
	return nil
}
