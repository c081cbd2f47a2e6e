//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/digestbot/digestbot/store"
)

// Commands that only read open the database for reading only: they run
// while another reader holds the file (a writer would wait for it and
// give up), and leave the file as it was, not a byte or its modification
// time changed.
func TestReadCommandsOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	id := firstHit(t, dir) // loads the sample, builds the index
	path := filepath.Join(dir, "data", "digestbot", "digestbot.db")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"search", "border"}, {"list"}, {"show", id}, {"date", "2023"}, {"stats"}} {
		if _, stderr, err := run(t, dir, args...); err != nil {
			t.Fatalf("%v while another reader holds the database: %v\n%s", args, err, stderr)
		}
		after, _ := os.ReadFile(path)
		now, _ := os.Stat(path)
		if !bytes.Equal(after, before) || !now.ModTime().Equal(info.ModTime()) {
			t.Errorf("%v changed the database file", args)
		}
	}
	// A command that writes waits for the reader, then gives up.
	if _, _, err := run(t, dir, "ingest", dir); !errors.Is(err, store.ErrLocked) {
		t.Errorf("ingest while another process holds the database: %v, want ErrLocked", err)
	}
}
