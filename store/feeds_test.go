package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/digestbot/digestbot/store"
)

func TestFeedState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "digestbot.db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing stored yet: no state, and an empty listing.
	if v, err := db.FeedState(ctx, "coastal"); err != nil || v != nil {
		t.Fatalf("FeedState before any write = %q, %v; want nil, nil", v, err)
	}
	if all, err := db.FeedStates(ctx); err != nil || len(all) != 0 {
		t.Fatalf("FeedStates before any write = %v, %v", all, err)
	}
	if err := db.PutFeedState(ctx, "", []byte("x")); err == nil {
		t.Fatal("PutFeedState with an empty name succeeded")
	}
	for _, s := range []struct{ name, value string }{{"coastal", "one"}, {"alpine", "two"}, {"coastal", "three"}} {
		if err := db.PutFeedState(ctx, s.name, []byte(s.value)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	// The state survives a reopen, and the last write wins.
	db, err = store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.FeedState(ctx, "coastal"); string(v) != "three" {
		t.Errorf("coastal = %q, want three", v)
	}
	all, err := db.FeedStates(ctx)
	if err != nil || len(all) != 2 || string(all["alpine"]) != "two" {
		t.Errorf("FeedStates = %q, %v", all, err)
	}
	if problems, err := db.Check(ctx); err != nil || len(problems) != 0 {
		t.Errorf("Check after feed states = %v, %v", problems, err)
	}
}

func TestPutFeedItemsIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("Ferry resumes", "The ferry ran again.", day(2023, 7, 4))
	out, err := db.PutFeedItems(ctx, "coastal", []store.File{file("feed:coastal:id:1", a)}, func(o []store.Outcome) ([]byte, error) {
		if len(o) != 1 || o[0].Status != store.Added {
			t.Errorf("outcomes seen by state: %+v", o)
		}
		return []byte("added 1"), nil
	})
	if err != nil || len(out) != 1 || out[0].Status != store.Added {
		t.Fatalf("PutFeedItems = %+v, %v", out, err)
	}
	if v, _ := db.FeedState(ctx, "coastal"); string(v) != "added 1" {
		t.Errorf("state %q", v)
	}
	// A state that cannot be made undoes the items too.
	b := article("Sea wall approved", "Councillors voted for it.", day(2023, 7, 3))
	_, err = db.PutFeedItems(ctx, "coastal", []store.File{file("feed:coastal:id:2", b)}, func([]store.Outcome) ([]byte, error) {
		return nil, errors.New("cannot encode")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("%d articles after a failed PutFeedItems, want 1", n)
	}
	if v, _ := db.FeedState(ctx, "coastal"); string(v) != "added 1" {
		t.Errorf("state %q after a failed write", v)
	}
	mustCheck(t, db)
}
