package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A damaged or empty database file gets one line naming it, saying what
// is wrong and what to do, exit status 1 and no change: for every command
// that opens it.
func TestDamagedDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if _, _, err := run(t, dir, "--db", good, "list"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// bbolt grows its file past the pages in use; a cut there loses
	// nothing. The newer of the two headers says how many are.
	le := binary.LittleEndian
	meta := data[16:]
	if m1 := data[4096+16:]; le.Uint64(m1[48:]) > le.Uint64(meta[48:]) {
		meta = m1
	}
	inUse := int(le.Uint64(meta[40:])) * 4096
	for _, cut := range []int{0, 100, 8192, 16384, inUse / 2, inUse - 4096, inUse - 1} {
		for _, args := range [][]string{{"list"}, {"check-db"}, {"ingest", good}, {"reindex"}, {"search", "border"}, {"show", "abc"}, {"backup", filepath.Join(dir, "copy.db")}} {
			path := filepath.Join(t.TempDir(), "t.db")
			if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := run(t, dir, append([]string{"--db", path}, args...)...)
			var stderr bytes.Buffer
			code := exitCode(&stderr, err)
			msg := stderr.String()
			if code != 1 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, path+" is damaged: ") ||
				!strings.Contains(msg, "restore it from a backup") {
				t.Errorf("cut at %d, %v: exit %d, %q; want one line naming the file and what to do, exit 1", cut, args, code, msg)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data[:cut]) {
				t.Errorf("cut at %d, %v: the file was changed (%d bytes, was %d)", cut, args, len(after), cut)
			}
			if _, err := os.Stat(path + ".index"); err == nil {
				t.Errorf("cut at %d, %v: a search index was built for the damaged file", cut, args)
			}
		}
	}
}

// check-db is asked about a database; it must not create one that is not
// there (and so report an empty database as fine).
func TestCheckDBMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "missing.db")
	_, _, err := run(t, dir, "--db", db, "check-db")
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("check-db on a missing database: %v, want an error saying it does not exist", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("check-db created %s (%v)", db, err)
	}
}
