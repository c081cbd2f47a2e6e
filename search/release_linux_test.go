//go:build linux

package search

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// residentUnder returns the resident memory (Rss in /proc/self/smaps) of
// the process's maps of segment files under dir.
func residentUnder(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	must(t, err)
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && strings.HasPrefix(fields[5], dir+"/") && strings.HasSuffix(fields[5], ".zap")
			continue
		}
		if in && fields[0] == "Rss:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			total += kb << 10
		}
	}
	must(t, sc.Err())
	return total
}

// Searching leaves pages of the index's segment files resident; release
// gives them back, and searches running meanwhile are not disturbed.
func TestReleaseMapped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir() + "/index"
	ix, err := Open(ctx, dir, sampleStore(t), Options{Logger: testLogger(t), Now: func() time.Time { return testNow }, MappedMemory: -1})
	must(t, err)
	defer ix.Close()
	want, err := ix.Search(ctx, "border police", Request{})
	must(t, err)
	if residentUnder(t, dir) == 0 {
		t.Fatal("nothing of the index resident after a search")
	}
	ix.release()
	if got := residentUnder(t, dir); got != 0 {
		t.Errorf("%d bytes of the index resident after release", got)
	}

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				res, err := ix.Search(ctx, "border police", Request{})
				if err != nil || res.Total != want.Total || res.Hits[0].ID != want.Hits[0].ID {
					t.Errorf("search during release: %v, %d results", err, res.Total)
					return
				}
			}
		}()
	}
	for range 50 {
		ix.release()
	}
	wg.Wait()
}

// With a bound below what the process maps already, each search starts a
// release; they do not pile up, and closing waits for the last.
func TestReleaseIfOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir() + "/index"
	ix, err := Open(ctx, dir, sampleStore(t), Options{Logger: testLogger(t), Now: func() time.Time { return testNow }, MappedMemory: 1})
	must(t, err)
	for range 100 {
		if _, err := ix.Search(ctx, "border police", Request{}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, ix.Close())
	ix.release() // closed: nothing to do
}
