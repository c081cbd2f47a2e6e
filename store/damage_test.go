package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

// smallDB is a small but real database: enough articles that the article
// bucket spans branch and leaf pages, digest runs, values and file
// records, as a bot leaves it. Built once per test binary.
var smallDB = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "digestbot-small-db")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "small.db")
	db, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	var files []store.File
	for i := range 40 {
		a := article(fmt.Sprintf("Article %d about border patrols", i),
			strings.Repeat(fmt.Sprintf("Body of article %d, with words. ", i), 8),
			day(2023, time.Month(1+i%12), 1+i%28))
		files = append(files, file(fmt.Sprintf("/corpus/%02d.txt", i), a))
	}
	now := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	_, err = db.Put(ctx, files)
	if err == nil {
		err = db.Delete(ctx, files[3].Article.ID)
	}
	if err == nil {
		err = db.PutValue(ctx, "panel:1", []byte("state"), now)
	}
	if err == nil {
		_, _, err = db.BeginRun(ctx, store.DigestRun{Digest: "morning", Slot: "2024-05-01T08:00", Due: now, Channel: "123456789012345678", Messages: []json.RawMessage{json.RawMessage(`{"content":"x"}`)}})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// bbolt grows its file ahead of use; the tail is zeros.
	return data[:pagesInUse(data)*4096], nil
})

// openDamaged writes data as a database file, opens it and uses it every
// way the bot does. It fails the test when a panic escapes, when an error
// is not one clear line, or when a file that did not open was changed.
func openDamaged(t *testing.T, data []byte) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{NoSync: true, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), path) {
			t.Errorf("error is not one line naming the file: %q", err)
		}
		if !errors.Is(err, store.ErrDamaged) && !errors.Is(err, store.ErrSchemaUnknown) && !errors.Is(err, store.ErrSchemaNewer) {
			t.Errorf("open: unexpected kind of error: %v", err)
		}
		if after, rerr := os.ReadFile(path); rerr != nil || !bytes.Equal(after, data) {
			t.Errorf("a file that did not open was changed (%v)", rerr)
		}
		return err
	}
	defer db.Close()
	useEveryWay(db)
	return nil
}

// useEveryWay reads and writes db as the commands and the bot do, ignoring
// the errors: only a panic counts.
func useEveryWay(db *store.DB) {
	ctx := context.Background()
	_, _ = db.Count(ctx)
	_, _ = db.All(ctx)
	_, _ = db.IDs(ctx)
	_, _ = db.Check(ctx)
	_, _ = db.Between(ctx, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	_ = db.Changes(ctx, 0, func(c store.Change) error { _, _ = db.Article(ctx, c.ID); return nil })
	_, _ = db.LastSeq(ctx)
	_, _ = db.Files(ctx, []string{"/corpus/01.txt", "/corpus/03.txt"})
	_, _ = db.Runs(ctx, "morning")
	_, _, _ = db.LastRun(ctx, "morning")
	_, _, _ = db.Value(ctx, "panel:1")
	_, _ = db.WriteTo(ctx, io.Discard, nil)
	a := article("A new one", "Fresh text.", day(2024, 5, 2))
	_, _ = db.Put(ctx, []store.File{file("/corpus/new.txt", a)})
	_ = db.PutValue(ctx, "panel:2", []byte("more"), time.Now())
	if ids, err := db.IDs(ctx); err == nil && len(ids) > 2 {
		_ = db.Delete(ctx, ids[1]) // shrinks pages: bbolt merges them
		_ = db.Delete(ctx, ids[2])
	}
	_, _ = db.Count(ctx)
	_, _ = db.Check(ctx)
}

func TestSmallDBIsSound(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	branches := 0
	for at := 2 * 4096; at < len(data); at += 4096 {
		if binary.LittleEndian.Uint16(data[at+8:]) == 0x01 {
			branches++
		}
	}
	if branches == 0 {
		t.Fatalf("small database (%d bytes) has no branch page to damage", len(data))
	}
	if err := openDamaged(t, data); err != nil {
		t.Fatalf("the undamaged database does not open: %v", err)
	}
}

// A database cut short anywhere is refused with one line naming the file,
// never a crash, and left as it was.
func TestTruncatedDatabase(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	cuts := []int{0, 1, 15, 100, 1000, 4095, 4096, 4097, 8191, 8192, 12288, 16384, 16385, 20000}
	for c := 16384; c < len(data); c += 4096 {
		cuts = append(cuts, c, c+100, c+2048)
	}
	// bbolt grows its file ahead of use: a cut in the unused tail loses
	// nothing and is no damage.
	inUse := pagesInUse(data) * 4096
	refused := 0
	for _, cut := range cuts {
		if cut >= len(data) {
			continue
		}
		err := openDamaged(t, data[:cut])
		if cut >= inUse {
			if err != nil {
				t.Errorf("cut at %d, after the %d bytes in use: %v", cut, inUse, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("cut at %d of the %d bytes in use: opened without complaint", cut, inUse)
			continue
		}
		if !errors.Is(err, store.ErrDamaged) {
			t.Errorf("cut at %d: %v, want a damaged-file error", cut, err)
		}
		refused++
	}
	t.Logf("%d truncations refused", refused)
}

// pagesInUse reads the high-water mark of data's newer header.
func pagesInUse(data []byte) int {
	le := binary.LittleEndian
	m := data[16:]
	if m1 := data[4096+16:]; le.Uint64(m1[48:]) > le.Uint64(m[48:]) {
		m = m1
	}
	return int(le.Uint64(m[40:]))
}

// An empty file is an error, not a new database to fill.
func TestEmptyFileIsNotANewDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(path, store.Options{})
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "empty (0 bytes)") {
		t.Fatalf("open empty file: %v, want it refused as empty", err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() != 0 {
		t.Fatalf("the empty file was changed: %v %v", info.Size(), err)
	}
	// A file that does not exist is created.
	db, err := store.Open(filepath.Join(t.TempDir(), "new.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// Flipped bytes anywhere (headers, page headers, element tables, keys and
// values) never crash: the damage is refused at open, or reported by the
// read that meets it.
func TestFlippedBytes(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	offsets := []int{}
	for page := 0; page*4096 < len(data); page++ {
		for _, in := range []int{0, 8, 10, 12, 16, 20, 24, 32, 56, 64, 300, 2000} {
			offsets = append(offsets, page*4096+in)
		}
	}
	refused := 0
	for _, off := range offsets {
		for _, mask := range []byte{0x01, 0xFF} {
			d := bytes.Clone(data)
			d[off] ^= mask
			if openDamaged(t, d) != nil {
				refused++
			}
		}
	}
	t.Logf("%d of %d flips refused at open; the rest opened and were used", refused, 2*len(offsets))
}

// Damage that would send bbolt round in circles or out of its pages is
// caught before bbolt sees the file.
func TestStructuralDamageRefused(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	// The newer header says where the root bucket is.
	root := func(d []byte) int {
		m0, m1 := d[16:], d[4096+16:]
		m := m0
		if le.Uint64(m1[48:]) > le.Uint64(m0[48:]) {
			m = m1
		}
		return int(le.Uint64(m[16:]))
	}
	for _, c := range []struct {
		name  string
		spoil func(d []byte)
		want  string
	}{
		{"both headers", func(d []byte) { d[16+56] ^= 1; d[4096+16+56] ^= 1 }, "both of its header pages are damaged"},
		{"root page type", func(d []byte) { le.PutUint16(d[root(d)*4096+8:], 0x40) }, "page type"},
		// (Not a fixed number: the root may be any page, page 2 included.)
		{"root page names another", func(d []byte) { le.PutUint64(d[root(d)*4096:], uint64(root(d))+1) }, "calls itself"},
		{"root claims too many entries", func(d []byte) { le.PutUint16(d[root(d)*4096+10:], 0xFFF0) }, "more than fit"},
		{"root overflows the file", func(d []byte) { le.PutUint32(d[root(d)*4096+12:], 1<<30) }, "runs past"},
	} {
		d := bytes.Clone(data)
		c.spoil(d)
		err := openDamaged(t, d)
		if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want damaged with %q", c.name, err, c.want)
		}
	}
}

// One damaged header is no damage: bbolt keeps two, and the other serves.
func TestOneHeaderDamaged(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, 4096} {
		d := bytes.Clone(data)
		d[at+16+56] ^= 0xFF // its checksum
		if err := openDamaged(t, d); err != nil {
			t.Errorf("header at %d damaged: %v", at, err)
		}
	}
}

// FuzzOpenDamaged opens damaged copies of a small real database: cut short
// at cut (when cut is within the file) and with flips applied, each five
// bytes an offset (u32, modulo the length) and a mask xor-ed in there. No
// panic may escape, and a refused file is left as it was.
func FuzzOpenDamaged(f *testing.F) {
	data, err := smallDB()
	if err != nil {
		f.Fatal(err)
	}
	flip := func(pairs ...uint32) []byte {
		var b []byte
		for i := 0; i+1 < len(pairs); i += 2 {
			b = binary.LittleEndian.AppendUint32(b, pairs[i])
			b = append(b, byte(pairs[i+1]))
		}
		return b
	}
	n := uint32(len(data))
	for _, cut := range []uint32{0, 100, 4096, 8192, 12288, 16384, n / 2, n - 4096, n - 1, n} {
		f.Add(cut, []byte(nil))
	}
	for page := uint32(0); page*4096 < n; page++ {
		at := page * 4096
		f.Add(n, flip(at+8, 0xFF))           // page type
		f.Add(n, flip(at+10, 0x7F))          // element count
		f.Add(n, flip(at+12, 0x10))          // overflow
		f.Add(n, flip(at+16, 0x01))          // first element (or meta magic)
		f.Add(n, flip(at+20, 0x40, at+1, 1)) // element position, page id
		f.Add(n, flip(at+600, 0xFF))         // keys and values
		f.Add(n-4096, flip(at+24, 0x02))     // a bucket's root, cut short too
	}
	f.Fuzz(func(t *testing.T, cut uint32, flips []byte) {
		d := bytes.Clone(data)
		if cut < uint32(len(d)) {
			d = d[:cut]
		}
		for i := 0; i+5 <= len(flips) && len(d) > 0; i += 5 {
			off := binary.LittleEndian.Uint32(flips[i:]) % uint32(len(d))
			d[off] ^= flips[i+4]
		}
		_ = openDamaged(t, d)
	})
}
