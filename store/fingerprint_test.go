//go:build linux

package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/store"
)

// soundDB writes the small database to a new file and opens it once, so
// its fingerprint is recorded. It returns the file's path.
func soundDB(t *testing.T) string {
	t.Helper()
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "d.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if walked := openWalked(t, path, store.Options{Now: later}); !walked {
		t.Fatal("first open of a file did not walk it")
	}
	if _, err := os.Stat(path + ".checked"); err != nil {
		t.Fatalf("no fingerprint recorded: %v", err)
	}
	return path
}

// openWalked opens path, reads it as the commands do, closes it and says
// whether Open walked the whole file.
func openWalked(t *testing.T, path string, opts store.Options) bool {
	t.Helper()
	opts.NoSync = true
	if opts.Now == nil {
		opts.Now = later
	}
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	walked := store.Walked(db)
	useReadOnly(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return walked
}

// useReadOnly reads db the ways the one-shot commands do.
func useReadOnly(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.All(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LastSeq(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WriteTo(ctx, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
}

// modify changes a file as a foreign program might, keeping its size and
// modification time: fn gets the file open for writing.
func modify(t *testing.T, path string, fn func(f *os.File) error) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(path, info.ModTime(), info.ModTime())
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnchangedFileIsNotWalkedAgain(t *testing.T) {
	path := soundDB(t)
	for i := range 3 {
		if openWalked(t, path, store.Options{}) {
			t.Fatalf("open %d of an unchanged file walked it", i+2)
		}
	}
	if !openWalked(t, path, store.Options{FullCheck: true}) {
		t.Error("FullCheck did not walk the file")
	}
	if openWalked(t, path, store.Options{}) {
		t.Error("open after a full check walked an unchanged file")
	}
}

// After every kind of change, the next Open walks the file again, and
// refuses it when it is damaged.
func TestChangedFileIsWalked(t *testing.T) {
	pageAt := func(f *os.File, page int64, b []byte) error { _, err := f.WriteAt(b, page*4096); return err }
	tests := []struct {
		name    string
		change  func(t *testing.T, path string) string // returns the path to open
		damaged bool
	}{
		{"a foreign write of the bytes already there", func(t *testing.T, path string) string {
			modify(t, path, func(f *os.File) error {
				b := make([]byte, 4096)
				if _, err := f.ReadAt(b, 2*4096); err != nil {
					return err
				}
				return pageAt(f, 2, b)
			})
			return path
		}, false},
		{"a foreign write over the pages in use", func(t *testing.T, path string) string {
			modify(t, path, func(f *os.File) error { return pageAt(f, 2, make([]byte, 4*4096)) })
			return path
		}, true},
		{"cut short", func(t *testing.T, path string) string {
			info, _ := os.Stat(path)
			if err := os.Truncate(path, info.Size()/2); err != nil {
				t.Fatal(err)
			}
			return path
		}, true},
		{"cut short and grown back with zeros", func(t *testing.T, path string) string {
			info, _ := os.Stat(path)
			if err := os.Truncate(path, 3*4096); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, info.Size()); err != nil {
				t.Fatal(err)
			}
			return path
		}, true},
		{"copied elsewhere with its fingerprint file", func(t *testing.T, path string) string {
			dst := filepath.Join(t.TempDir(), "copy.db")
			for _, suffix := range []string{"", ".checked"} {
				copyFile(t, path+suffix, dst+suffix)
			}
			return dst
		}, false},
		{"another file renamed into place", func(t *testing.T, path string) string {
			other := path + ".new"
			copyFile(t, path, other)
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
			return path
		}, false},
		{"written by digestbot", func(t *testing.T, path string) string {
			db, err := store.Open(path, store.Options{NoSync: true, Now: later})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.PutValue(context.Background(), "k", []byte("v"), time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			return path
		}, false},
		{"written by a process that crashed", func(t *testing.T, path string) string {
			crashAfterWrite(t, path)
			return path
		}, false},
		{"its fingerprint file torn", func(t *testing.T, path string) string {
			if err := os.Truncate(path+".checked", 10); err != nil {
				t.Fatal(err)
			}
			return path
		}, false},
		{"its fingerprint file altered", func(t *testing.T, path string) string {
			modify(t, path+".checked", func(f *os.File) error { _, err := f.WriteAt([]byte{0xff}, 20); return err })
			return path
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.change(t, soundDB(t))
			db, err := store.Open(path, store.Options{NoSync: true, Now: later, LockTimeout: 100 * time.Millisecond})
			if tt.damaged {
				if !errors.Is(err, store.ErrDamaged) {
					t.Fatalf("open: %v, want the file refused as damaged", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walked := store.Walked(db)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if !walked {
				t.Fatal("open did not walk the changed file")
			}
			if openWalked(t, path, store.Options{}) {
				t.Error("the fingerprint was not recorded again after the walk")
			}
		})
	}
}

// A file that changed a moment ago is walked, and its fingerprint is not
// recorded: a write in the same tick of the clock would keep it.
func TestRecentlyChangedFileHasNoFingerprint(t *testing.T) {
	data, err := smallDB()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "d.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if !openWalked(t, path, store.Options{Now: time.Now}) {
			t.Fatalf("open %d of a file changed a moment ago did not walk it", i+1)
		}
	}
	if _, err := os.Stat(path + ".checked"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fingerprint of a file changed a moment ago recorded (%v)", err)
	}
}

// A folder that cannot be written only costs the walk.
func TestFingerprintInReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only folders")
	}
	path := soundDB(t)
	os.Remove(path + ".checked")
	dir := filepath.Dir(path)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	for range 2 {
		if !openWalked(t, path, store.Options{}) {
			t.Fatal("open without a fingerprint did not walk")
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(src)
	if err == nil {
		err = os.WriteFile(dst, data, 0o600)
	}
	if err == nil { // as cp -p does
		err = os.Chtimes(dst, info.ModTime(), info.ModTime())
	}
	if err != nil {
		t.Fatal(err)
	}
}

// crashAfterWrite runs this test binary as a process that opens path,
// writes to it and dies without closing it.
func crashAfterWrite(t *testing.T, path string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAfterWriteHelper$")
	cmd.Env = append(os.Environ(), "STORE_CRASH_DB="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Fatalf("helper: %v, want exit status 7\n%s", err, out)
	}
}

// TestCrashAfterWriteHelper is the process crashAfterWrite runs.
func TestCrashAfterWriteHelper(t *testing.T) {
	path := os.Getenv("STORE_CRASH_DB")
	if path == "" {
		t.Skip("run by crashAfterWrite")
	}
	db, err := store.Open(path, store.Options{Now: later})
	if err == nil {
		err = db.PutValue(context.Background(), "k", []byte(strings.Repeat("v", 5000)), time.Now())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(7) // without closing the database
}
