package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/keyhook/keyhook"
	"github.com/keyhook/keyhook/store"
)

// testActionDeployRace: concurrent deploys of one action get distinct,
// consecutive numbers, and the last one committed is the deployed one.
func testActionDeployRace(t *testing.T, s store.Store) {
	a := newAction("race", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	versions := make([]*keyhook.ActionVersion, updaters)
	allSucceed(t, raceN(updaters, func(i int) error {
		v, err := s.ActionDeploy(ctx(t), a.ID, deployDraft)
		versions[i] = v
		return err
	}))
	numbers := []int{}
	for _, v := range versions {
		numbers = append(numbers, v.Number)
	}
	slices.Sort(numbers)
	want := []int{}
	for i := range updaters {
		want = append(want, i+1)
	}
	mustEqual(t, numbers, want)
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, got.DeployedVersion, updaters)
	for _, v := range versions {
		if v.Number == updaters {
			mustEqual(t, got.DeployedVersionID, v.ID)
		}
	}
}

// testActionDeployRaceInTx is the deploy as the Management API makes it:
// in a transaction with a job insert, beside draft edits.
func testActionDeployRaceInTx(t *testing.T, s store.Store) {
	a := newAction("race", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	build(t, s, a)
	allSucceed(t, raceN(updaters, func(i int) error {
		return s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
			if i%2 == 1 {
				_, err := tx.ActionUpdate(ctx, a.ID, func(a *keyhook.Action) error {
					a.Secrets = append(a.Secrets, keyhook.ActionSecret{Name: name("k", i), Value: "v"})
					return nil
				})
				return err
			}
			if _, err := tx.ActionDeploy(ctx, a.ID, deployDraft); err != nil {
				return err
			}
			return tx.JobInsert(ctx, JobArgs{Value: fmt.Sprint(i)})
		})
	}))
	versions, total, err := s.ActionVersionList(ctx(t), store.ActionVersionListParams{ActionID: a.ID})
	must(t, err)
	mustEqual(t, total, updaters/2)
	for i, v := range versions {
		mustEqual(t, v.Number, updaters/2-i)
	}
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, len(got.Secrets), 1+updaters/2)
	mustEqual(t, got.DeployedVersion, updaters/2)
}

// testActionUpdateNoLostUpdate: concurrent draft edits (a secret each)
// all survive.
func testActionUpdateNoLostUpdate(t *testing.T, s store.Store) {
	a := newAction("lost", keyhook.TriggerPostLogin)
	must(t, s.ActionCreate(ctx(t), a))
	allSucceed(t, raceN(updaters, func(i int) error {
		_, err := s.ActionUpdate(ctx(t), a.ID, func(a *keyhook.Action) error {
			a.Secrets = append(a.Secrets, keyhook.ActionSecret{Name: name("k", i), Value: "v"})
			a.Revision++
			return nil
		})
		return err
	}))
	got, err := s.ActionGet(ctx(t), a.ID)
	must(t, err)
	mustEqual(t, len(got.Secrets), 1+updaters)
	mustEqual(t, got.Revision, int64(updaters))
}

// testBindingsUpdateNoLostUpdate: concurrent PATCHes that each add one
// action to a trigger's list all survive, in some order.
func testBindingsUpdateNoLostUpdate(t *testing.T, s store.Store) {
	ids := make([]string, updaters)
	for i := range ids {
		a := newAction(name("b", i), keyhook.TriggerPostLogin)
		must(t, s.ActionCreate(ctx(t), a))
		ids[i] = a.ID
	}
	allSucceed(t, raceN(updaters, func(i int) error {
		return s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.BindingsUpdate(ctx, keyhook.TriggerPostLogin, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
				// The API's check of each action, through the same Tx.
				if _, err := tx.ActionGet(ctx, ids[i]); err != nil {
					return nil, err
				}
				return append(cur, keyhook.Binding{ID: keyhook.NewBindingID(), ActionID: ids[i], DisplayName: ids[i]}), nil
			})
			return err
		})
	}))
	got, total, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: keyhook.TriggerPostLogin})
	must(t, err)
	mustEqual(t, total, updaters)
	bound := bindingActions(got)
	slices.Sort(bound)
	want := slices.Clone(ids)
	slices.Sort(want)
	mustEqual(t, bound, want)
}

// testDeleteBoundRace races binding an action against deleting it without
// force: either the binding wins (the delete is refused) or the delete
// does (the binding fails with ErrNotFound); never a binding to a deleted
// action.
func testDeleteBoundRace(t *testing.T, s store.Store) {
	for round := range 10 {
		a := newAction(name("race", round), keyhook.TriggerPostLogin)
		must(t, s.ActionCreate(ctx(t), a))
		errs := raceN(2, func(i int) error {
			if i == 0 {
				return s.ActionDelete(ctx(t), a.ID, false)
			}
			return s.InTx(ctx(t), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.BindingsUpdate(ctx, keyhook.TriggerPostLogin, func(cur []keyhook.Binding) ([]keyhook.Binding, error) {
					if _, err := tx.ActionGet(ctx, a.ID); err != nil {
						return nil, err
					}
					return []keyhook.Binding{{ID: keyhook.NewBindingID(), ActionID: a.ID, DisplayName: "x"}}, nil
				})
				return err
			})
		})
		deleteErr, bindErr := errs[0], errs[1]
		switch {
		case deleteErr == nil && errors.Is(bindErr, store.ErrNotFound):
		case errors.Is(deleteErr, store.ErrConflict) && bindErr == nil:
		default:
			t.Fatalf("round %d: delete %v, bind %v", round, deleteErr, bindErr)
		}
		list, err := s.BindingListDeployed(ctx(t), keyhook.TriggerPostLogin)
		must(t, err)
		_, total, err := s.BindingList(ctx(t), store.BindingListParams{TriggerID: keyhook.TriggerPostLogin})
		must(t, err)
		_, getErr := s.ActionGet(ctx(t), a.ID)
		if (total == 1) != (getErr == nil) || len(list) != 0 {
			t.Fatalf("round %d: %d bindings, action %v", round, total, getErr)
		}
		// Clear for the next round.
		_, err = s.BindingsUpdate(ctx(t), keyhook.TriggerPostLogin, func([]keyhook.Binding) ([]keyhook.Binding, error) { return nil, nil })
		must(t, err)
	}
}
