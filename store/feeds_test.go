package store_test

import (
	"context"
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
