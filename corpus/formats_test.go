package corpus

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formatGolden is what a golden file records about a parsed format file:
// everything the parse found, the whole body included.
type formatGolden struct {
	Title     string   `json:"title"`
	TitleFrom string   `json:"title_from"`
	Date      string   `json:"date"`
	Precision string   `json:"precision"`
	DateFrom  string   `json:"date_from"`
	URL       string   `json:"url"`
	Words     int      `json:"words"`
	Body      []string `json:"paragraphs"`
}

// TestFormatGoldens parses every file in testdata/formats and compares the
// result with testdata/formats/golden/<file>.json. Regenerate with:
// go test ./corpus -run FormatGoldens -update
func TestFormatGoldens(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "formats", "*.*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no format files (err %v)", err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			a, err := Parse(name, data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, para := range a.Paragraphs() {
				if strings.ContainsAny(para, "<>") && strings.Contains(para, "</") {
					t.Errorf("markup left in the body: %q", para)
				}
			}
			got, err := json.MarshalIndent(formatGolden{
				Title: a.Title, TitleFrom: a.TitleFrom.String(), Date: a.Date.String(),
				Precision: a.Date.Precision.String(), DateFrom: a.Date.From.String(), URL: a.URL,
				Words: a.Words, Body: a.Paragraphs(),
			}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "formats", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", name, golden, got, want)
			}
		})
	}
}

// BenchmarkParseFormats parses each testdata/formats file; the per-file
// results show what each reader costs (HTML runs go-readability).
func BenchmarkParseFormats(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "*.*"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(p)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
