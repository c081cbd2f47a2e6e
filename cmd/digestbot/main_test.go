package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// run runs digestbot with args against a database in dir and returns its
// output and error.
func run(t *testing.T, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: env(map[string]string{"HOME": dir, "XDG_DATA_HOME": filepath.Join(dir, "data")}),
		Now:    func() time.Time { return time.Date(2023, 7, 4, 9, 0, 0, 0, time.UTC) },
	}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

func TestFirstUseListsSampleCorpus(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "list")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "digestbot", "digestbot.db")); err != nil {
		t.Errorf("default database not created in XDG_DATA_HOME: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "DATE") || lines[6] != "5 articles" {
		t.Fatalf("list output:\n%s", out)
	}
	// Newest first.
	wantOrder := []string{"2023-08-08", "2023-07-03", "2022-11-05", "2022-07-13", "2021-09"}
	for i, d := range wantOrder {
		if !strings.HasPrefix(lines[i+1], d+" ") {
			t.Errorf("line %d = %q, want date %s", i+1, lines[i+1], d)
		}
	}
}

func TestIngestReportsEveryFileAndKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in")
	must(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	good := " date 2024-03-15 Harbor reopens after storm\n\nThe harbor reopened on Friday after a week of repairs.\n"
	testenv.WriteFile(t, filepath.Join(src, "good.txt"), good)
	testenv.WriteFile(t, filepath.Join(src, "sub", "copy.md"), good)
	testenv.WriteFile(t, filepath.Join(src, "sub", "other.txt"), "Date: 2024/06/01\n\nCity council votes on budget.\n\nThe council voted 7 to 2.\n")
	testenv.WriteFile(t, filepath.Join(src, "empty.txt"), "")
	testenv.WriteFile(t, filepath.Join(src, "blank.txt"), " \n\t\n")
	testenv.WriteFile(t, filepath.Join(src, "junk.txt"), "\x00\x01\x02binary\x00\xff")
	testenv.WriteFile(t, filepath.Join(src, "ignored.bin"), "not an article extension")
	db := filepath.Join(dir, "x.db")

	out, _, err := run(t, dir, "ingest", "--db", db, "--json", src)
	if !errors.Is(err, errRejected) {
		t.Fatalf("err = %v, want rejected files reported", err)
	}
	status := map[string]ingestLine{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l ingestLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		status[filepath.Base(l.File)] = l
	}
	want := map[string]string{"good.txt": "added", "copy.md": "duplicate", "other.txt": "added",
		"empty.txt": "rejected", "blank.txt": "rejected", "junk.txt": "rejected"}
	if len(status) != len(want) {
		t.Errorf("got %d lines, want %d:\n%s", len(status), len(want), out)
	}
	for f, s := range want {
		if status[f].Status != s {
			t.Errorf("%s: status %q (reason %q), want %q", f, status[f].Status, status[f].Reason, s)
		}
	}
	if l := status["good.txt"]; l.Title != "Harbor reopens after storm" || l.Date != "2024-03-15" || l.DatePrecision != "day" || len(l.ID) != 12 {
		t.Errorf("good.txt: %+v", l)
	}
	if status["junk.txt"].Reason == "" || status["empty.txt"].Reason == "" {
		t.Errorf("rejected without a reason: %+v %+v", status["junk.txt"], status["empty.txt"])
	}

	// A second run changes nothing; a file that turns bad is rejected and its
	// stored article is kept.
	testenv.WriteFile(t, filepath.Join(src, "sub", "other.txt"), "")
	out, _, _ = run(t, dir, "ingest", "--db", db, src)
	for _, w := range []string{"unchanged  " + filepath.Join(src, "good.txt"), "rejected   " + filepath.Join(src, "sub", "other.txt") + ": empty file", "4 rejected"} {
		if !strings.Contains(out, w) {
			t.Errorf("re-ingest output lacks %q:\n%s", w, out)
		}
	}
	out, _, err = run(t, dir, "date", "--db", db, "2024")
	if err != nil || !strings.Contains(out, "2 articles dated in 2024") {
		t.Errorf("after re-ingest: %v\n%s", err, out)
	}
}

func TestShowAndDateJSON(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "date", "2023-07", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		When, From, To string
		Results        []articleRow
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.From != "2023-07-01" || res.To != "2023-07-31" || len(res.Results) != 1 || res.Results[0].Date != "2023-07-03" {
		t.Fatalf("date 2023-07: %+v", res)
	}
	id := res.Results[0].ID
	out, _, err = run(t, dir, "show", id[:6], "--json")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		ID, Title  string
		DateFrom   string `json:"date_from"`
		Paragraphs []string
	}
	must(t, json.Unmarshal([]byte(out), &a))
	if len(a.Paragraphs) < 5 || !strings.HasPrefix(a.Title, "Mohe City") {
		t.Errorf("show: %+v", a)
	}
	if _, _, err := run(t, dir, "show", "zzzzzz"); err == nil || !strings.Contains(err.Error(), "No article has the ID") {
		t.Errorf("unknown ID: %v", err)
	}
	// Relative to the injected clock: 2023-07-04, so yesterday is 07-03.
	out, _, err = run(t, dir, "date", "yesterday")
	if err != nil || !strings.Contains(out, id) {
		t.Errorf("date yesterday: %v\n%s", err, out)
	}
	if _, _, err := run(t, dir, "date", "2023-02-30"); err == nil || !strings.Contains(err.Error(), "no day 30") {
		t.Errorf("impossible date: %v", err)
	}
}

func TestUsage(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"ingest", "list", "show", "date", "check-config"} {
		out, _, err := run(t, dir, cmd, "--help")
		if err != nil && !strings.Contains(err.Error(), "help") {
			t.Errorf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(out, "usage: digestbot "+cmd) || !strings.Contains(out, "-db") {
			t.Errorf("%s --help printed:\n%s", cmd, out)
		}
	}
	var ue usageError
	if _, _, err := run(t, dir, "frobnicate"); !errors.As(err, &ue) {
		t.Errorf("unknown command: %v", err)
	}
	if _, _, err := run(t, dir, "list", "--bogus"); !errors.As(err, &ue) {
		t.Errorf("unknown flag: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDashWordsInSearch(t *testing.T) {
	dir := t.TempDir()
	// "fortress" is in two sample articles; only one mentions Urumqi.
	out, _, err := run(t, dir, "search", "fortress", "-urumqi", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Total   int
		Results []struct{ ID string }
	}
	must(t, json.Unmarshal([]byte(out), &res))
	if res.Total != 1 || res.Results[0].ID != "ad0293d1ae8f" {
		t.Fatalf("fortress -urumqi: %s", out)
	}
	if out, _, _ := run(t, dir, "search", "--help"); !strings.Contains(out, "usage: digestbot search") {
		t.Errorf("search --help: %q", out)
	}
	var ue usageError
	if _, _, err := run(t, dir, "list", "-urumqi"); !errors.As(err, &ue) {
		t.Errorf("an unknown flag elsewhere must stay an error: %v", err)
	}
}

func TestCountsAndHelpRead(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{rejectedCount(1, 1), "the only file was rejected"},
		{rejectedCount(3, 3), "all 3 files were rejected"},
		{rejectedCount(1, 2), "1 of 2 files was rejected (the other one was loaded)"},
		{rejectedCount(2, 5), "2 of 5 files were rejected (the other 3 were loaded)"},
		{summaryLine(ingest.Summary{store.Added: 1}), "1 file: 1 added"},
		{firstSentence("Check the database's consistency: every article in the date and\nhash indexes. More.\n\nDetails."),
			"Check the database's consistency: every article in the date and hash indexes."},
		{wrapText("aaa bbb ccc", 7, "  "), "aaa bbb\n  ccc"},
		{formatDuration(6 * time.Hour), "6h"},
		{formatDuration(24 * time.Hour), "1 day"},
		{formatDuration(90 * time.Minute), "1h30m"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for _, c := range (&Main{}).commands() {
		if s := firstSentence(c.summary); !strings.HasSuffix(s, ".") {
			t.Errorf("%s: help line %q is not a whole sentence", c.name, s)
		}
	}
}

// TestShowIDsAnyCase: an ID prefix matches in any case; one too short says
// how long it must be.
func TestShowIDsAnyCase(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, dir, "show", "AD0293")
	if err != nil || !strings.Contains(out, "ID:      ad0293d1ae8f") {
		t.Errorf("show AD0293: %v\n%s", err, out)
	}
	if _, _, err := run(t, dir, "show", "ad"); err == nil || !strings.Contains(err.Error(), "at least 4 characters") {
		t.Errorf("show ad: %v", err)
	}
}
