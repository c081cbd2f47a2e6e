package store_test

import (
	"context"
	"slices"
	"testing"
)

// TestIDs lists the stored articles in ID order, deleted ones gone.
func TestIDs(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	ids := func() []string {
		t.Helper()
		out, err := db.IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := ids(); len(got) != 0 {
		t.Fatalf("empty database: IDs %q", got)
	}
	a, b, c := article("Harbor", "Storms.", day(2023, 5, 1)), article("Council", "Budget.", day(2023, 5, 2)), article("River", "Floods.", day(2023, 5, 3))
	put(t, db, file("a.txt", a), file("b.txt", b), file("c.txt", c))
	want := []string{a.ID, b.ID, c.ID}
	slices.Sort(want)
	if got := ids(); !slices.Equal(got, want) {
		t.Fatalf("IDs %q, want %q", got, want)
	}
	if err := db.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(id string) bool { return id == b.ID })
	if got := ids(); !slices.Equal(got, want) {
		t.Fatalf("after deleting %s: IDs %q, want %q", b.ID, got, want)
	}
}
