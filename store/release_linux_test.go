//go:build linux

package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFile is the process's resident memory mapped from files, in bytes.
func rssFile(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

func TestReleaseMemory(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const n, size = 400, 12 << 10 // about 5 MB of articles
	var ids []string
	rng := rand.New(rand.NewPCG(1, 2))
	body := make([]byte, size) // random letters: they do not compress
	for i := range n {
		for j := range body {
			body[j] = byte('a' + rng.IntN(26))
		}
		a := article(fmt.Sprintf("Article %d", i), string(body), day(2023, 7, 3))
		put(t, db, file(fmt.Sprintf("/c/%d.txt", i), a))
		ids = append(ids, a.ID)
	}
	readAll := func() {
		for i, id := range ids {
			a, err := db.Article(ctx, id)
			if err != nil || a.Title != fmt.Sprintf("Article %d", i) || len(a.Body) < size/2 {
				t.Fatalf("article %d: %q, %d bytes, %v", i, a.Title, len(a.Body), err)
			}
		}
	}
	readAll()
	before := rssFile(t)
	if err := db.ReleaseMemory(ctx); err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	if before-after < 2<<20 {
		t.Errorf("mapped file memory went from %d to %d bytes; want at least 2 MB given back", before, after)
	}
	readAll() // everything still reads the same
	mustCheck(t, db)
}
