package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"
)

// bleve's raw log lines become structured records saying what happened.
func TestLogWriter(t *testing.T) {
	var out bytes.Buffer
	l := log.New(LogWriter(slog.New(slog.NewJSONHandler(&out, nil))), "", 0)
	l.Printf("unable to load snapshot, %v, continuing", fmt.Errorf("error loading segment: open x.zap: no such file"))
	l.Printf("something else\nwith two lines")
	// Written in pieces, a line is one record.
	w := LogWriter(slog.New(slog.NewJSONHandler(&out, nil)))
	fmt.Fprint(w, "unable to parse segment ")
	fmt.Fprint(w, "epoch 0a, continuing\n")

	var recs []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]string
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not one JSON record a line: %q", line)
		}
		recs = append(recs, r)
	}
	want := []map[string]string{
		{"level": "WARN", "msg": "search index: a damaged snapshot was skipped; an older one is used and the index is caught up from the database", "detail": "error loading segment: open x.zap: no such file", "source": "bleve"},
		{"level": "WARN", "msg": "library log line", "line": "something else"},
		{"level": "WARN", "msg": "library log line", "line": "with two lines"},
		{"level": "WARN", "msg": "search index: a damaged snapshot key was skipped", "detail": "0a", "source": "bleve"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), out.String())
	}
	for i, w := range want {
		for k, v := range w {
			if recs[i][k] != v {
				t.Errorf("record %d: %s = %q, want %q", i, k, recs[i][k], v)
			}
		}
	}
}
