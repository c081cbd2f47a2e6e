package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/internal/testenv"
)

// TestCheckDBSearchIndex: check-db checks the search index as it is on
// disk: missing and behind are fine (the next start builds or catches it
// up, and --catch-up does it at once), ahead of the database is a problem.
func TestCheckDBSearchIndex(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "check.db")
	index := indexDir(db)
	check := func(wantErr bool, want ...string) {
		t.Helper()
		args := []string{"check-db", "--db", db}
		if strings.HasPrefix(want[0], "--") {
			args, want = append(args, want[0]), want[1:]
		}
		out, _, err := run(t, dir, args...)
		if (err != nil) != wantErr {
			t.Fatalf("%v: error %v, want error %v; output:\n%s", args, err, wantErr, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in the output:\n%s", args, w, out)
			}
		}
	}
	extra := filepath.Join(dir, "extra.txt")
	testenv.WriteFile(t, extra, " date 2023-05-01 Harbor storms\n\nStorms closed the harbor for two days.\n")

	// The sample corpus, with no index yet.
	if _, _, err := run(t, dir, "ingest", "--db", db); err != nil {
		t.Fatal(err)
	}
	must(t, os.RemoveAll(index))
	check(false, db+": ok, 5 articles\n", index+": none yet; the next start builds it\n")
	check(false, "--catch-up", index+": none yet", index+": caught up: ok as of change 5 (the latest)\n")
	check(false, index+": ok, 5 articles as of change 5 (the latest)\n")

	// An index behind the database.
	must(t, os.Rename(index, filepath.Join(dir, "index-5")))
	if _, _, err := run(t, dir, "backup", "--db", db, filepath.Join(dir, "5.db")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, dir, "ingest", "--db", db, extra); err != nil {
		t.Fatal(err)
	}
	must(t, os.RemoveAll(index))
	must(t, os.Rename(filepath.Join(dir, "index-5"), index))
	check(false, db+": ok, 6 articles\n", index+": ok, 5 articles as of change 5; the next start applies the 1 changes since\n")
	check(false, "--catch-up", index+": caught up: ok as of change 6 (the latest)\n")

	// The database restored from a backup older than its index.
	must(t, os.Rename(filepath.Join(dir, "5.db"), db))
	check(true, db+": ok, 5 articles\n", "search index has applied change 6, but the database's latest change is 5\n")
}
