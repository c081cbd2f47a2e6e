package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digestbot/digestbot/corpus"
)

// A folder with one file of each kind digestbot reads (HTML pages from
// differently built sites, Markdown, a header-block text, email, dated file
// names) loads with titles, dates and URLs and clean bodies, and a digest of
// it links every title that has a URL.
func TestFolderOfEveryFormat(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "articles")
	must(t, os.MkdirAll(src, 0o755))
	paths, err := filepath.Glob(filepath.Join("..", "..", "corpus", "testdata", "formats", "*.*"))
	if err != nil || len(paths) < 10 {
		t.Fatalf("format files: %v %v", paths, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		must(t, err)
		must(t, os.WriteFile(filepath.Join(src, filepath.Base(p)), data, 0o644))
	}
	db := filepath.Join(dir, "x.db")
	out, _, err := run(t, dir, "ingest", "--db", db, "--json", src)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	urls := map[string]string{} // ID → URL
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l ingestLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		name := filepath.Base(l.File)
		switch {
		case l.Status != "added":
			t.Errorf("%s: %s (%s)", name, l.Status, l.Reason)
		case l.Title == "" || strings.ContainsAny(l.Title, "<>") || strings.HasPrefix(l.Title, "---") ||
			strings.Contains(l.Title, "Title:") || strings.HasPrefix(l.Title, "From:") || strings.HasPrefix(l.Title, "#"):
			t.Errorf("%s: title %q", name, l.Title)
		case l.Date == "" || l.DateFrom == "none" || l.DateFrom == "" || l.TitleFrom == "":
			t.Errorf("%s: date %q from %q, title from %q", name, l.Date, l.DateFrom, l.TitleFrom)
		case l.URL != "" && corpus.CleanURL(l.URL) != l.URL:
			t.Errorf("%s: URL %q not clean", name, l.URL)
		}
		urls[l.ID] = l.URL
	}
	if len(urls) != len(paths) {
		t.Fatalf("%d articles from %d files:\n%s", len(urls), len(paths), out)
	}

	for id, u := range urls {
		if u == "" {
			continue
		}
		out, _, err := run(t, dir, "show", "--db", db, "--json", id)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(out), &raw); err != nil || raw["url"] != u || raw["title_from"] == "" {
			t.Errorf("show --json %s: url %v, title_from %v (%v)", id, raw["url"], raw["title_from"], err)
		}
		break
	}

	out, _, err = run(t, dir, "digest", "--db", db, "--select", "new", "--max", "50", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var d digestOutput
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("digest JSON: %v\n%s", err, out)
	}
	if len(d.Articles) != len(paths) {
		t.Errorf("digest has %d articles, want %d", len(d.Articles), len(paths))
	}
	linked := 0
	for _, a := range d.Articles {
		if a.URL != urls[a.ID] {
			t.Errorf("%s: digest URL %q, stored %q", a.ID, a.URL, urls[a.ID])
		}
		for _, bad := range []string{"<", "Share this", "Photo:", "receiving this", "Unsubscribe", "All rights reserved", "---"} {
			if strings.Contains(a.Summary, bad) {
				t.Errorf("%s: summary has %q: %s", a.Title, bad, a.Summary)
			}
		}
	}
	for _, m := range d.Messages {
		for _, e := range m.Embeds {
			if e.URL != "" {
				linked++
			}
		}
	}
	want := 0
	for _, u := range urls {
		if u != "" {
			want++
		}
	}
	if linked != want || want < 6 {
		t.Errorf("%d linked titles in the digest, want %d (of %d articles)", linked, want, len(urls))
	}
}
