package search

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// largestSegment is the biggest segment file of the index in dir.
func largestSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	if len(segs) == 0 {
		t.Fatal("no segment files")
	}
	size := func(p string) int64 { i, _ := os.Stat(p); return i.Size() }
	return slices.MaxFunc(segs, func(a, b string) int { return int(size(a) - size(b)) })
}

func hitIDs(res Results) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// Bytes changed in the middle of a segment are found by the searches that
// read them; each such search rebuilds the index from the database and is
// answered from it, as if nothing had happened.
func TestSearchHealsDamagedSegment(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	clean := filepath.Join(t.TempDir(), "index")
	queries := []string{"border police", "party history", "vill*", `"border defense"`, "learning -party"}
	want := map[string][]string{}
	ix := openIndex(t, db, clean)
	for _, q := range queries {
		res, err := ix.Search(ctx, q, Request{})
		must(t, err)
		want[q] = hitIDs(res)
	}
	must(t, ix.Close())
	seg, err := filepath.Rel(clean, largestSegment(t, clean))
	must(t, err)
	data, err := os.ReadFile(filepath.Join(clean, seg))
	must(t, err)

	// The same noise each run: bytes no segment holds by chance.
	noise := []byte{0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xc8, 0x34}
	step := max(len(data)/(2*healSteps), 1)
	healed := 0
	for off := len(data) / 2; off < len(data)-32; off += step {
		dir := filepath.Join(t.TempDir(), "index")
		copyDir(t, clean, dir)
		damaged := bytes.Clone(data)
		copy(damaged[off:], noise)
		must(t, os.WriteFile(filepath.Join(dir, seg), damaged, 0o644))

		var p progressLog
		ix := openLogged(t, db, dir, &p)
		for _, q := range queries {
			res, err := ix.Search(ctx, q, Request{})
			if err != nil {
				t.Errorf("damage at %d, search %q: %v", off, q, err)
				continue
			}
			if len(p.rebuilds()) > 0 && !slices.Equal(hitIDs(res), want[q]) {
				t.Errorf("damage at %d, search %q after the rebuild: %v, want %v", off, q, hitIDs(res), want[q])
			}
		}
		if r := p.rebuilds(); len(r) > 0 {
			if len(r) > 1 {
				t.Errorf("damage at %d: rebuilds %q, want one", off, r)
			}
			if strings.Contains(r[0], "search found the search index damaged") {
				healed++ // found by a query; others were found at open
			}
			if _, busy := ix.Busy(); busy {
				t.Errorf("damage at %d: still busy after the rebuild", off)
			}
		}
		must(t, ix.Close())
	}
	if healed == 0 {
		t.Fatal("no damage was found by a search: the test damages the wrong bytes")
	}
	t.Logf("%d damaged segments found by a search and healed", healed)
}

// A search that fails on an index just rebuilt (a query bleve cannot run,
// not damage on disk) does not rebuild again and again.
func TestNoRebuildLoop(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	ix.mu.RLock()
	bi := ix.bi
	ix.mu.RUnlock()
	must(t, ix.heal(context.Background(), bi, "a test"))
	ix.mu.RLock()
	fresh := ix.bi
	ix.mu.RUnlock()
	if fresh == bi {
		t.Fatal("heal did not rebuild")
	}
	start := time.Now()
	if err := ix.heal(context.Background(), fresh, "again"); !failedIndex(err) {
		t.Errorf("second heal of a fresh index: %v, want the failure reported", err)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.bi != fresh {
		t.Errorf("a fresh index was rebuilt again (%s)", time.Since(start))
	}
}

// healSteps is how many places of a segment's second half are damaged.
const healSteps = 120

// Busy says a rebuild is under way, and how far it is, while it runs.
func TestBusyDuringRebuild(t *testing.T) {
	var ix *Index
	var during []Progress
	ix, err := Open(context.Background(), filepath.Join(t.TempDir(), "index"), sampleStore(t), Options{
		Logger: quietLogger(),
		Progress: func(Progress) {
			if ix == nil {
				return // the first build, inside Open
			}
			if p, busy := ix.Busy(); busy {
				during = append(during, p)
			}
		},
	})
	must(t, err)
	defer ix.Close()
	if _, busy := ix.Busy(); busy {
		t.Fatal("busy before any rebuild")
	}
	must(t, ix.Rebuild(context.Background()))
	if len(during) == 0 || during[0].Reason != "rebuild requested" || during[len(during)-1].Total == 0 {
		t.Errorf("busy during the rebuild: %+v", during)
	}
	if _, busy := ix.Busy(); busy {
		t.Error("still busy after the rebuild")
	}
}

// An index opened read-only heals like any other, and is writable after.
func TestReadOnlyIndexHeals(t *testing.T) {
	ctx := context.Background()
	db := sampleStore(t)
	clean := filepath.Join(t.TempDir(), "index")
	must(t, openIndex(t, db, clean).Close())
	seg, err := filepath.Rel(clean, largestSegment(t, clean))
	must(t, err)
	data, err := os.ReadFile(filepath.Join(clean, seg))
	must(t, err)
	noise := []byte{0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60, 0x5c, 0xed, 0xc8, 0x34}
	step := max(len(data)/(2*healSteps), 1)
	for off := len(data) / 2; off < len(data)-32; off += step {
		dir := filepath.Join(t.TempDir(), "index")
		copyDir(t, clean, dir)
		damaged := bytes.Clone(data)
		copy(damaged[off:], noise)
		must(t, os.WriteFile(filepath.Join(dir, seg), damaged, 0o644))
		var p progressLog
		ix, err := Open(ctx, dir, db, Options{Logger: testLogger(t), Progress: p.report, ReadOnly: true})
		must(t, err)
		if !ix.readOnly {
			must(t, ix.Close()) // found at open: not what this test is after
			continue
		}
		for _, q := range []string{"border police", "party history", "vill*", `"border defense"`, "learning -party"} {
			_, err := ix.Search(ctx, q, Request{})
			must(t, err)
		}
		if len(p.rebuilds()) == 0 {
			must(t, ix.Close())
			continue
		}
		if ix.readOnly {
			t.Error("a healed index is still marked read-only")
		}
		loadText(t, db, "harbor.txt", " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday.\n")
		must(t, ix.CatchUp(ctx))
		mustFind(t, ix, "harbor", 1)
		must(t, ix.Close())
		return
	}
	t.Fatal("no damage was found by a search of a read-only index")
}
