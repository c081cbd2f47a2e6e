package search

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// testNow is the clock of every test: relative dates are from 2023-09-15.
var testNow = time.Date(2023, 9, 15, 10, 0, 0, 0, time.UTC)

// testLogger shows the index's log lines when a test fails (go test -v).
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sampleStore is a database holding the embedded sample corpus and the
// test articles in testdata/articles.
func sampleStore(t testing.TB) *store.DB { return testenv.SampleDB(t, "testdata/articles") }

// openIndex opens the index for db in dir (a new folder when "").
func openIndex(t testing.TB, db Store, dir string) *Index {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "index")
	}
	ix, err := Open(context.Background(), dir, db, Options{Logger: testLogger(t), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
