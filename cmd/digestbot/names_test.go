package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/testenv"
)

// File names holding a newline or an escape sequence reach the terminal
// quoted: they neither split a line nor recolour it. --json keeps them
// exact.
func TestHostileFileNamesAreEscaped(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "in")
	must(t, os.MkdirAll(folder, 0o755))
	names := []string{"evil\nadded      fake.txt", "\x1b[31mred.txt", "rtl\u202etxt.md", "plain name.txt"}
	for i, n := range names {
		testenv.WriteFile(t, filepath.Join(folder, n), strings.Repeat("x", i)+"Border patrol report\n\nThe border patrol met at dawn near the river.\n")
	}
	testenv.WriteFile(t, filepath.Join(folder, "empty\x1b[2J.txt"), "")
	db := filepath.Join(dir, "d.db")
	out, _, err := run(t, dir, "--db", db, "ingest", folder)
	if err == nil {
		t.Fatal("the empty file was not rejected")
	}
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("ingest output holds raw control characters:\n%q", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names)+2 { // a line per file, and the total
		t.Errorf("ingest printed %d lines for %d files:\n%s", len(lines), len(names)+1, out)
	}
	for _, want := range []string{`/in/evil\nadded      fake.txt"`, `/in/\x1b[31mred.txt"`, `/in/rtl\u202etxt.md"`, "/in/plain name.txt  ", `/in/empty\x1b[2J.txt": empty file`} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %s:\n%s", want, out)
		}
	}
	// --json: the names exact.
	js, _, _ := run(t, dir, "--db", filepath.Join(dir, "j.db"), "ingest", "--json", folder)
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		var v ingestLine
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("--json line %q: %v", l, err)
		}
		seen[v.File] = true
	}
	if !seen[filepath.Join(folder, names[0])] || !seen[filepath.Join(folder, names[1])] {
		t.Errorf("--json lost the exact names: %v", seen)
	}
	// The article's source shows quoted in search, show and summarize.
	res, _, err := run(t, dir, "--db", db, "search", "patrol", "--limit", "10")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(res, "\x1b\u202e") || !strings.Contains(res, `"evil\nadded      fake.txt"`) {
		t.Errorf("search output:\n%q", res)
	}
}

// bleve's engine logs through the standard logger; those lines reach the
// configured log as structured records, never raw.
func TestBleveLogLinesAreStructured(t *testing.T) {
	dir := t.TempDir()
	var errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &errb,
		Getenv: env(map[string]string{"HOME": dir}), Now: time.Now}
	if err := m.Run(context.Background(), []string{"--db", filepath.Join(dir, "d.db"), "list"}); err != nil {
		t.Fatal(err)
	}
	defer log.SetOutput(os.Stderr)
	log.Printf("unable to load snapshot, %v, continuing", errors.New("error opening bolt segment: bad"))
	got := errb.String()
	if !strings.Contains(got, `level=WARN msg="search index: a damaged snapshot was skipped`) || !strings.Contains(got, `detail="error opening bolt segment: bad"`) {
		t.Errorf("log:\n%s", got)
	}
}
