package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// damageFoundBySearch damages the largest segment of the index beside db
// where a search for q fails or heals (bytes only a query reads) and
// returns true,
// or false when no place of the segment's second half does.
func damageFoundBySearch(t *testing.T, dbPath, q string) bool {
	t.Helper()
	dir := indexDir(dbPath)
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	size := func(p string) int64 { i, _ := os.Stat(p); return i.Size() }
	seg := slices.MaxFunc(segs, func(a, b string) int { return int(size(a) - size(b)) })
	clean, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	noise := []byte{0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xc8, 0x34}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for off := len(clean) / 2; off < len(clean)-32; off += 97 {
		damaged := bytes.Clone(clean)
		copy(damaged[off:], noise)
		if err := os.WriteFile(seg, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		// Probe a copy: a probe that heals must not heal the real one.
		probe := filepath.Join(t.TempDir(), "probe")
		copyTree(t, dir, probe)
		found := false
		ix, err := search.Open(context.Background(), probe, db, search.Options{Logger: quiet, Progress: func(p search.Progress) {
			found = found || strings.Contains(p.Reason, "search found")
		}})
		if err == nil {
			// Without healing, the search itself fails.
			_, serr := ix.Search(context.Background(), q, search.Request{})
			found = found || serr != nil
			ix.Close()
		}
		if found {
			return true
		}
	}
	must(t, os.WriteFile(seg, clean, 0o600))
	return false
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The running bot heals a search index damaged where only a query looks:
// the search that finds it rebuilds the index and is answered, with no
// "run reindex" for the user.
func TestRunHealsDamagedSearchIndex(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "bot.db")
	const q = "party history"
	if _, _, err := run(t, dir, "--db", dbPath, "search", q); err != nil {
		t.Fatal(err)
	}
	if !damageFoundBySearch(t, dbPath, q) {
		t.Skip("no damage in the segment's second half fails this search")
	}
	in, feed := io.Pipe()
	logs := &syncBuffer{}
	m := &Main{Stdin: in, Stdout: logs, Stderr: logs, Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"--db", dbPath, "run"}) }()
	fmt.Fprintf(feed, "/search %s\n", q)
	eventually(t, "the search answered", func() bool {
		out := logs.String()
		return strings.Contains(out, "Search: "+q) && strings.Contains(out, "└──")
	})
	feed.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "search index damaged; rebuilding it from the database") || strings.Contains(out, "reindex") ||
		!strings.Contains(out, "page 1 of") {
		t.Errorf("the bot did not heal the index:\n%s", out)
	}
}
