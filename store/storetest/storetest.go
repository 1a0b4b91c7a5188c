// Package storetest is the conformance suite of the store contract, in the
// manner of dex's storage/conformance and River's riverdrivertest: every
// backend's tests call Run, RunConcurrency and RunJobs, and new behaviour in
// the contract extends this suite.
//
// It is imported by tests only. It imports the domain package, store, River
// (for job workers) and the standard library's testing.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/keyhook/keyhook/store"
)

// NewStore returns a fresh, empty store for one test and registers its Close
// with t.Cleanup.
type NewStore func(t *testing.T) store.Store

type subtest struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs the conformance suite. Each subtest runs in parallel with its own
// store from newStore.
func Run(t *testing.T, newStore NewStore) {
	var tests []subtest
	tests = append(tests, connectionTests...)
	tests = append(tests, userTests...)
	tests = append(tests, clientTests...)
	tests = append(tests, resourceServerTests...)
	tests = append(tests, clientGrantTests...)
	tests = append(tests, hookTests...)
	tests = append(tests, actionTests...)
	tests = append(tests, updateTests...)
	tests = append(tests, logTests...)
	tests = append(tests, signingKeyTests...)
	tests = append(tests, txTests...)
	tests = append(tests, jobInsertTests...)
	tests = append(tests, configVersionTests...)
	tests = append(tests, loginFailureTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

// ctx returns a context cancelled at the end of the test.
func ctx(t *testing.T) context.Context { return t.Context() }

// at is a fixed instant with sub-microsecond digits and a non-UTC zone, so
// round trips check both the UTC conversion and the stored precision.
func at(minutes int) time.Time {
	zone := time.FixedZone("UTC+5", 5*3600)
	return time.Date(2024, 5, 6, 7, 8, 9, 123456789, zone).Add(time.Duration(minutes) * time.Minute)
}

// stored is t as every backend returns it: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

func mustEqual[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// mustUTC fails unless tm is in UTC (as returned, not merely equal).
func mustUTC(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.Location() != time.UTC {
		t.Fatalf("%s is in %v, want UTC", what, tm.Location())
	}
}

// set is an update callback that replaces the whole row with v (the store
// keeps the ID and CreatedAt).
func set[T any](v *T) func(*T) error {
	return func(cur *T) error {
		*cur = *v
		return nil
	}
}

func name(prefix string, i int) string { return fmt.Sprintf("%s-%03d", prefix, i) }
