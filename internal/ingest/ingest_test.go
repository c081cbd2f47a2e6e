package ingest_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

func collect(t *testing.T, res *[]ingest.Result) func(ingest.Result) {
	return func(r ingest.Result) { *res = append(*res, r) }
}

func TestRunBatchesKeepOrderAndRejectBadFiles(t *testing.T) {
	dir := t.TempDir()
	texts := map[string]string{
		"a.txt":   " date 2023-07-03 First story\n\nBody of the first story.\n",
		"b.txt":   "Second story, undated.\n\nIt has a body too.\n",
		"c.txt":   strings.Repeat("Too long. ", 200),
		"d.txt":   "\x00\x00\x00\x00binary",
		"e.txt":   " date 2023-07-03 First story\r\n\r\nBody of the first story.\r\n", // a.txt with CRLF
		"f.md":    "Date: 15 March 2024\n\nThird story\n\nMarkdown body.\n",
		"gone.md": "",
	}
	for name, text := range texts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, "gone.md")) // listed, then vanished before reading
	files, _ := corpus.Collect([]string{dir})
	files = append(files, corpus.File{Path: filepath.Join(dir, "gone.md"), Name: "gone.md"})

	db := testenv.OpenDB(t)
	var res []ingest.Result
	sum, err := ingest.Run(context.Background(), db, files, ingest.Options{MaxBytes: 1000, BatchSize: 2, Workers: 3}, collect(t, &res))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		status store.Status
		reason string
	}{
		{"a.txt", store.Added, ""},
		{"b.txt", store.Added, ""},
		{"c.txt", ingest.Rejected, "too large"},
		{"d.txt", ingest.Rejected, "binary"},
		{"e.txt", store.Duplicate, "same content as a.txt"},
		{"f.md", store.Added, ""},
		{"gone.md", ingest.Rejected, "unreadable"},
	}
	if len(res) != len(want) {
		t.Fatalf("got %d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		r := res[i]
		if r.File.Name != w.name || r.Status != w.status || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("result %d: %s %s %q, want %s %s %q", i, r.File.Name, r.Status, r.Reason, w.name, w.status, w.reason)
		}
		if r.Status == ingest.Rejected && !errors.As(r.Err, new(*corpus.FileError)) {
			t.Errorf("%s: rejection error %v does not name the file", w.name, r.Err)
		}
	}
	if sum[store.Added] != 3 || sum[ingest.Rejected] != 3 || sum[store.Duplicate] != 1 {
		t.Errorf("summary %v", sum)
	}

	// Unchanged files are recognised by their bytes; a file saved again with
	// other line ends holds the same article.
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte(strings.ReplaceAll(texts["b.txt"], "\n", "\r\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	res = nil
	sum, err = ingest.Run(context.Background(), db, files[:2], ingest.Options{}, collect(t, &res))
	if err != nil {
		t.Fatal(err)
	}
	if sum[store.Unchanged] != 2 || res[0].Article.Title != "First story" || res[0].Article.Date.String() != "2023-07-03" {
		t.Errorf("re-run: %v, first result %+v", sum, res[0])
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	db := testenv.OpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ingest.Run(ctx, db, corpus.Sample(), ingest.Options{}, func(ingest.Result) {})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n, _ := db.Count(context.Background()); n != 0 {
		t.Fatalf("stored %d articles after cancel", n)
	}
}

// Cancelled between batches, a run stops with the batches it reported
// stored, while the next one may already be read and parsed.
func TestRunCancelledMidway(t *testing.T) {
	db := testenv.OpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var res []ingest.Result
	_, err := ingest.Run(ctx, db, corpus.Sample(), ingest.Options{BatchSize: 2}, func(r ingest.Result) {
		res = append(res, r)
		cancel()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(res) != 2 {
		t.Fatalf("reported %d results, want the first batch's 2", len(res))
	}
	if n, _ := db.Count(context.Background()); n != 2 {
		t.Fatalf("stored %d articles, want the first batch's 2", n)
	}
	for _, r := range res {
		if _, err := db.Article(context.Background(), r.Article.ID); r.Status != store.Added || err != nil {
			t.Errorf("%s: %s, stored: %v", r.File.Name, r.Status, err)
		}
	}
}

// failingStore is a Store whose second Put fails, and that notes any use
// after the run that got the failure has returned.
type failingStore struct {
	ingest.Store
	puts     atomic.Int32
	returned atomic.Bool
	late     atomic.Int32
}

func (f *failingStore) Files(ctx context.Context, paths []string) (map[string]store.FileInfo, error) {
	if f.returned.Load() {
		f.late.Add(1)
	}
	return f.Store.Files(ctx, paths)
}

func (f *failingStore) Put(ctx context.Context, files []store.File) ([]store.Outcome, error) {
	if f.returned.Load() {
		f.late.Add(1)
	}
	if f.puts.Add(1) == 2 {
		return nil, errors.New("disk full")
	}
	return f.Store.Put(ctx, files)
}

// A store error stops the run with the batches before it stored, and
// nothing touches the store once Run has returned.
func TestRunStopsAtStoreError(t *testing.T) {
	db := testenv.OpenDB(t)
	fs := &failingStore{Store: db}
	var res []ingest.Result
	_, err := ingest.Run(context.Background(), fs, corpus.Sample(), ingest.Options{BatchSize: 2}, collect(t, &res))
	fs.returned.Store(true)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the store's error", err)
	}
	if len(res) != 2 {
		t.Fatalf("reported %d results, want the first batch's 2", len(res))
	}
	if n, _ := db.Count(context.Background()); n != 2 {
		t.Fatalf("stored %d articles, want the first batch's 2", n)
	}
	time.Sleep(20 * time.Millisecond)
	if n := fs.late.Load(); n > 0 {
		t.Fatalf("the store was used %d times after Run returned", n)
	}
}

func TestSampleCorpusLoads(t *testing.T) {
	db := testenv.OpenDB(t)
	var res []ingest.Result
	sum, err := ingest.Run(context.Background(), db, corpus.Sample(), ingest.Options{}, collect(t, &res))
	if err != nil {
		t.Fatal(err)
	}
	if sum[store.Added] != 5 {
		for _, r := range res {
			t.Logf("%s: %s %s", r.File.Name, r.Status, r.Reason)
		}
		t.Fatalf("sample corpus: %v, want 5 added", sum)
	}
}

// A file is skipped unread only when its size and modification time are
// as recorded: same-size edits and touched files are still looked at.
func TestUnchangedBySizeAndTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.txt")
	write := func(text string, mtime time.Time) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	db := testenv.OpenDB(t)
	ingestOne := func() ingest.Result {
		files, _ := corpus.Collect([]string{dir})
		var res []ingest.Result
		if _, err := ingest.Run(context.Background(), db, files, ingest.Options{}, collect(t, &res)); err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	write("Story one.\n\nBody aaaa.\n", t0)
	if r := ingestOne(); r.Status != store.Added {
		t.Fatalf("first: %s", r.Status)
	}
	if r := ingestOne(); r.Status != store.Unchanged || r.Article.Title != "Story one." {
		t.Fatalf("again: %s %q", r.Status, r.Article.Title)
	}
	write("Story one.\n\nBody aaaa.\n", t0.Add(time.Hour)) // touched
	if r := ingestOne(); r.Status != store.Unchanged {
		t.Fatalf("touched: %s", r.Status)
	}
	write("Story one.\n\nBody bbbb.\n", t0.Add(2*time.Hour)) // same size, new text
	if r := ingestOne(); r.Status != store.Updated {
		t.Fatalf("same-size edit: %s", r.Status)
	}
}

// A run holds the Go heap to a soft limit (the default, or the one asked
// for) unless the process has its own, and puts back what it found.
func TestRunLimitsMemory(t *testing.T) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Skip("the process has a memory limit (GOMEMLIMIT)")
	}
	dir := t.TempDir()
	testenv.WriteFile(t, filepath.Join(dir, "a.txt"), "A story\n\nIts body.\n")
	files, _ := corpus.Collect([]string{dir})
	for _, tt := range []struct {
		memory, want int64
	}{
		{0, ingest.DefaultMemory},
		{64 << 20, 64 << 20},
		{-1, math.MaxInt64},
	} {
		db := testenv.OpenDB(t)
		var during int64
		_, err := ingest.Run(context.Background(), db, files, ingest.Options{Memory: tt.memory}, func(ingest.Result) {
			during = debug.SetMemoryLimit(-1)
		})
		if err != nil {
			t.Fatal(err)
		}
		if during != tt.want {
			t.Errorf("Memory %d: limit %d during the run, want %d", tt.memory, during, tt.want)
		}
		if after := debug.SetMemoryLimit(-1); after != math.MaxInt64 {
			t.Errorf("Memory %d: limit %d after the run, want none", tt.memory, after)
		}
	}
}
