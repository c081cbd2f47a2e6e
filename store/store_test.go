package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// MustOpenDB opens a new database in a temporary folder, closed at the end
// of the test.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "digestbot.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// article builds an article from its text the way the parser would: the
// ID and hash follow the content.
func article(title, body string, date corpus.Date) corpus.Article {
	sum := sha256.Sum256([]byte(title + "\n\n" + body))
	h := hex.EncodeToString(sum[:])
	return corpus.Article{ID: h[:12], Hash: h, Title: title, Body: body, Date: date, Source: title + ".txt", Words: 3}
}

func day(y int, m time.Month, d int) corpus.Date {
	date, ok := corpus.DayDate(y, m, d, corpus.FromHeader)
	if !ok {
		panic("bad test date")
	}
	return date
}

func file(path string, a corpus.Article) store.File {
	return store.File{Path: path, RawHash: "raw-" + a.Hash, Size: int64(len(a.Body)), Article: a}
}

func put(t *testing.T, db *store.DB, files ...store.File) []store.Outcome {
	t.Helper()
	out, err := db.Put(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustCheck(t *testing.T, db *store.DB) {
	t.Helper()
	problems, err := db.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error("consistency:", p)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("Border police patrol", "First paragraph.\n\nSecond paragraph with 无人机.", day(2023, 7, 3))
	a.Date.From = corpus.FromMetadata
	a.Words = 7
	if empty, err := db.Empty(ctx); err != nil || !empty {
		t.Fatalf("new database: Empty = %v, %v; want true", empty, err)
	}
	out := put(t, db, file("/c/a.txt", a))
	if out[0].Status != store.Added || out[0].ID != a.ID {
		t.Fatalf("put: got %+v", out[0])
	}
	got, err := db.Article(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if got, err := db.Article(ctx, a.ID[:5]); err != nil || got.ID != a.ID {
		t.Fatalf("prefix lookup: %v %v", got.ID, err)
	}
	if got, err := db.Article(ctx, strings.ToUpper(a.ID[:6])); err != nil || got.ID != a.ID {
		t.Fatalf("upper-case prefix lookup: %v %v", got.ID, err)
	}
	if _, err := db.Article(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing article: err = %v, want ErrNotFound", err)
	}
	if _, err := db.Article(ctx, a.ID[:3]); !errors.Is(err, store.ErrTooShort) {
		t.Fatalf("3-character prefix: err = %v, want ErrTooShort", err)
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Fatalf("count = %d", n)
	}
	if empty, err := db.Empty(ctx); err != nil || empty {
		t.Fatalf("one article: Empty = %v, %v; want false", empty, err)
	}
	for _, id := range []string{a.ID, a.ID[:6]} {
		head, err := db.Header(ctx, id)
		want := a
		want.Body = ""
		if err != nil || head != want {
			t.Fatalf("Header(%s) = %+v, %v; want the article without its body", id, head, err)
		}
	}
	mustCheck(t, db)
}

func TestReingestIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("A", "alpha", day(2023, 1, 2))
	b := article("B", "beta", day(2022, 5, 6))
	put(t, db, file("/c/a.txt", a), file("/c/b.txt", b))
	seq, _ := db.LastSeq(ctx)
	out := put(t, db, file("/c/a.txt", a), file("/c/b.txt", b))
	for _, o := range out {
		if o.Status != store.Unchanged {
			t.Errorf("re-put: status %s, want unchanged", o.Status)
		}
	}
	if seq2, _ := db.LastSeq(ctx); seq2 != seq {
		t.Errorf("re-put logged changes: seq %d → %d", seq, seq2)
	}
	files, err := db.Files(ctx, []string{"/c/a.txt", "/c/missing.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files["/c/a.txt"].RawHash != "raw-"+a.Hash || files["/c/a.txt"].Article.Title != "A" || files["/c/a.txt"].Article.Body != "" {
		t.Errorf("Files = %+v", files)
	}
	mustCheck(t, db)
}

func TestDuplicateAndUpdate(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("A", "alpha", day(2023, 1, 2))
	out := put(t, db, file("/c/a.txt", a), file("/c/copy-of-a.txt", a))
	if out[1].Status != store.Duplicate || out[1].ID != a.ID || out[1].Original != a.Source {
		t.Fatalf("second copy: %+v", out[1])
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Fatalf("duplicate stored twice: count %d", n)
	}

	// The original file changes: its new article is stored, and the old one
	// stays because the copy still holds it.
	a2 := article("A", "alpha, revised", day(2023, 1, 3))
	out = put(t, db, file("/c/a.txt", a2))
	if out[0].Status != store.Updated || out[0].Previous != a.ID || out[0].ID != a2.ID {
		t.Fatalf("update: %+v", out[0])
	}
	if _, err := db.Article(ctx, a.ID); err != nil {
		t.Fatalf("article still held by the copy was removed: %v", err)
	}
	// The copy changes too: now nothing holds the first article.
	c2 := article("C", "gamma", corpus.Date{})
	out = put(t, db, file("/c/copy-of-a.txt", c2))
	if out[0].Status != store.Updated {
		t.Fatalf("update of copy: %+v", out[0])
	}
	if _, err := db.Article(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unreferenced article kept: err = %v", err)
	}
	all, _ := db.All(ctx)
	if len(all) != 2 || all[0].ID != a2.ID || all[1].ID != c2.ID {
		t.Fatalf("All = %v, want [a2, c2 (undated last)]", all)
	}
	mustCheck(t, db)

	if err := db.Delete(ctx, a2.ID); err != nil {
		t.Fatal(err)
	}
	if files, _ := db.Files(ctx, []string{"/c/a.txt"}); len(files) != 0 {
		t.Errorf("file record kept after delete: %+v", files)
	}
	var deleted []string
	_ = db.Changes(ctx, 0, func(c store.Change) error {
		if c.Deleted {
			deleted = append(deleted, c.ID)
		}
		return nil
	})
	if len(deleted) != 2 || deleted[0] != a.ID || deleted[1] != a2.ID {
		t.Errorf("deletions logged = %v", deleted)
	}
	mustCheck(t, db)
}

func TestBetweenNeverClaimsADay(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	d3 := article("day", "x", day(2023, 7, 3))
	month, _ := corpus.MonthDate(2023, 7, corpus.FromBody)
	m := article("month", "y", month)
	year, _ := corpus.YearDate(2023, corpus.FromBody)
	y := article("year", "z", year)
	other := article("other", "w", day(2022, 12, 31))
	put(t, db, file("/1", d3), file("/2", m), file("/3", y), file("/4", other))

	cases := []struct {
		when string
		want []string
	}{
		{"2023-07-03", []string{"day"}},
		// Newest first by the first day a date covers: 2023-07-03, then
		// 2023-07 (from 07-01), then 2023 (from 01-01).
		{"2023-07", []string{"day", "month"}},
		{"2023", []string{"day", "month", "year"}},
		{"2022-12-31..2023-07-31", []string{"day", "month", "other"}},
		{"2023-08..", nil},
		{"..2023-01-01", []string{"other"}},
	}
	for _, c := range cases {
		r, err := corpus.ParseWhen(c.when, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		arts, err := db.Between(ctx, r.From, r.To)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range arts {
			got = append(got, a.Title)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %v", c.when, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: got %v, want %v", c.when, got, c.want)
				break
			}
		}
	}
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	setSchema(t, path, store.SchemaVersion+1)
	if _, err := store.Open(path, store.Options{}); !errors.Is(err, store.ErrSchemaNewer) {
		t.Fatalf("newer schema: err = %v, want ErrSchemaNewer", err)
	}

	// A bbolt file that is not ours.
	other := filepath.Join(t.TempDir(), "other.db")
	b, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
	b.Close()
	if _, err := store.Open(other, store.Options{}); !errors.Is(err, store.ErrSchemaUnknown) {
		t.Fatalf("foreign bbolt file: err = %v, want ErrSchemaUnknown", err)
	}

	// Not a bbolt file at all.
	junk := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(junk, make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(junk, store.Options{}); err == nil {
		t.Fatal("opened a file of zeros")
	}
}

func setSchema(t *testing.T, path string, v uint32) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint32(nil, v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A version-1 database has no refs bucket; opening it migrates, and the
// shared-article bookkeeping then works as on a new database.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := article("A", "alpha", day(2023, 1, 2))
	if _, err := db.Put(ctx, []store.File{file("/a", a), file("/a-copy", a)}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("refs")) })
	b.Close()
	setSchema(t, path, 1)

	db, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("open version 1: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	if _, err := db.Put(ctx, []store.File{file("/a", article("A2", "new", corpus.Date{}))}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Article(ctx, a.ID); err != nil {
		t.Fatalf("after migration, an article held by a copy was dropped: %v", err)
	}
	mustCheck(t, db)
}

func TestLockedDatabaseFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt's flock conflicts between two opens even in one process.
	done := make(chan error, 1)
	go func() {
		db2, err := store.Open(path, store.Options{})
		if err == nil {
			db2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrLocked) {
			t.Fatalf("second open: err = %v, want ErrLocked", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second open hung on a locked database")
	}
}

func TestValuesAndHeaders(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, _, err := db.Value(ctx, "q1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing value: %v", err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	for i, k := range []string{"q1", "q2", "q3"} {
		if err := db.PutValue(ctx, k, []byte("v-"+k), t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	v, at, err := db.Value(ctx, "q2")
	if err != nil || string(v) != "v-q2" || !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("Value(q2) = %q %v %v", v, at, err)
	}
	if n, err := db.PruneValues(ctx, t0.Add(90*time.Minute)); err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if _, _, err := db.Value(ctx, "q3"); err != nil {
		t.Fatalf("newest value pruned: %v", err)
	}

	a := article("A", "alpha body", day(2023, 1, 2))
	put(t, db, file("/a", a))
	h, err := db.Headers(ctx)
	if err != nil || len(h) != 1 || h[0].Title != "A" || h[0].Body != "" || h[0].Words != a.Words {
		t.Fatalf("Headers = %+v, %v", h, err)
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("A", "alpha", day(2023, 1, 2))
	put(t, db, file("/a", a))
	dst := filepath.Join(t.TempDir(), "backup.db")
	if _, err := db.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	// The original stays open and writable while the copy is used.
	put(t, db, file("/b", article("B", "beta", day(2023, 1, 3))))
	cp, err := store.Open(dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if n, _ := cp.Count(ctx); n != 1 {
		t.Fatalf("backup holds %d articles, want the 1 stored when it was taken", n)
	}
	mustCheck(t, cp)
	if _, err := os.Stat(dst + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

// TestPreparedFiles stores files prepared beforehand, one of them changed
// since and one whose ID is taken by other content: each is stored as Put
// would store it unprepared.
func TestPreparedFiles(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	a := article("Prepared", strings.Repeat("A long body that compresses well. ", 40), day(2024, 2, 3))
	changed := article("Changed later", "short body", day(2024, 2, 4))
	clash := article("Clash", strings.Repeat("Another long body, compressed too. ", 40), day(2024, 2, 5))
	clash.ID = a.ID // the same ID, other content: Put gives it a longer one
	files := []store.File{file("/c/a.txt", a), file("/c/changed.txt", changed), file("/c/clash.txt", clash)}
	for i := range files {
		files[i].Prepare()
	}
	files[1].Article.Title = "Changed title"
	out := put(t, db, files...)
	if out[2].ID == a.ID || !strings.HasPrefix(clash.Hash, out[2].ID) {
		t.Fatalf("clashing ID: stored as %q; want a longer prefix of %q", out[2].ID, clash.Hash)
	}
	want := []corpus.Article{a, files[1].Article, clash}
	want[2].ID = out[2].ID
	for i, o := range out {
		if o.Status != store.Added || o.ID != want[i].ID {
			t.Fatalf("put %d: got %+v", i, o)
		}
		got, err := db.Article(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != want[i] {
			t.Errorf("prepared file %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	mustCheck(t, db)
}
