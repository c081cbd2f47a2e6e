package search

import (
	"context"
	"strings"
	"testing"
)

// The sample corpus (corpus/sample) and the test articles, by source file.
const (
	mohe     = "000_3f43ee69d8cb5553.txt" // Mohe, Arctic village: border police, patrols, consortiums (2023-07-03)
	xuQin    = "001_b281ecb0d3253aec.txt" // Xu Qin, 20th National Congress propaganda (2022-11-05)
	heJing   = "002_517fc5acc2ab6940.txt" // He Jing: party history learning, bone carvings (2023-08-08)
	xinjiang = "003_e84a5fb799e18aa7.txt" // Urumqi community, 4.936 million organisations (2022-07-13)
	wu       = "004_cbabd072070e4c09.txt" // Wu Jinlong, Eighth Route Army veteran (2021-09)
	drone    = "cjk_drone_patrol.txt"     // 漠河边境启用无人机巡逻, Chinese (2023-09-12)
)

// TestRelevance asks the sample corpus questions with one right answer
// and checks that it comes first.
func TestRelevance(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	tests := []struct {
		name, q  string
		opts     Request
		first    string
		total    int  // when > 0, the number of results
		anyWords bool // no article has all the words
	}{
		{name: "the issue's example", q: "border police", first: mohe, total: 1},
		{name: "stem: plural finds singular", q: "carvings", first: heJing},
		{name: "stem: singular finds plural", q: "consortium", first: mohe},
		{name: "stem: patrols", q: "patrols", first: mohe},
		{name: "stem: verb form", q: "emphasizing propaganda", first: xuQin},
		{name: "number with a decimal point", q: "4.936", first: xinjiang, total: 1},
		{name: "number: a year", q: "2017 party", first: mohe},
		{name: "phrase", q: `"fighting fortress"`, first: xinjiang, total: 1},
		{name: "phrase with curly quotes", q: "“party history” learning", first: heJing},
		{name: "phrase across a stop word", q: `"Eighth Route Army"`, first: wu, total: 1},
		{name: "phrase of a hyphenated word", q: "grass-roots organizations", first: xinjiang},
		{name: "exclusion", q: "fortress -urumqi", first: mohe, total: 1},
		{name: "excluded phrase", q: `fortress -"fighting fortress"`, first: mohe, total: 1},
		{name: "prefix", q: "consort*", first: mohe, total: 1},
		{name: "prefix cut by stemming", q: "Liaosh* campaig*", first: wu},
		{name: "prefix within a phrase", q: `"bone carvi*"`, first: heJing, total: 1},
		{name: "prefix ending where stemming cut", q: "carvi*", first: heJing, total: 1},
		{name: "date: a month", q: "party", opts: Request{From: "2022-07", To: "2022-07"}, first: xinjiang, total: 1},
		{name: "date: in the query", q: "congress date:2022", first: xuQin},
		{name: "date: month precision is within its year", q: "party date:2021", first: wu, total: 1},
		{name: "date: relative", q: "party date:last-month", first: heJing, total: 1},
		{name: "date: open range", q: "party from:2023-08", first: heJing, total: 1},
		{name: "CJK word", q: "无人机", first: drone, total: 1},
		{name: "CJK words", q: "边境 巡逻", first: drone, total: 1},
		{name: "CJK phrase", q: `"北极村周边"`, first: drone, total: 1},
		{name: "case and width folded", q: "ＵＲＵＭＱＩ", first: xinjiang},
		{name: "possessive", q: "Mohe’s heritage", first: mohe},
		{name: "title words weigh more", q: "Xu Qin", first: xuQin},
		{name: "any word when none has all", q: "xylophone fortress urumqi", first: xinjiang, anyWords: true},
		{name: "search-engine syntax typed by accident", q: "title:Urumqi^2", first: xinjiang},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.q, tt.opts)
			if err != nil {
				t.Fatalf("Search(%q): %v", tt.q, err)
			}
			if len(res.Hits) == 0 {
				t.Fatalf("Search(%q): nothing found", tt.q)
			}
			if got := res.Hits[0].Source; got != tt.first {
				t.Errorf("Search(%q): first %s, want %s\n%s", tt.q, got, tt.first, describe(res))
			}
			if tt.total > 0 && res.Total != tt.total {
				t.Errorf("Search(%q): %d results, want %d\n%s", tt.q, res.Total, tt.total, describe(res))
			}
			if res.AnyWords != tt.anyWords {
				t.Errorf("Search(%q): AnyWords %v, want %v", tt.q, res.AnyWords, tt.anyWords)
			}
			for _, h := range res.Hits {
				if h.Snippet.Text == "" {
					t.Errorf("Search(%q): %s has no snippet", tt.q, h.Source)
				}
			}
		})
	}
}

// TestNoMatch: words and filters that match nothing give no results, not
// an error; in particular a date known to the month is never within a day.
func TestNoMatch(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	for _, q := range []string{
		"xylophone", "party date:2021-09-15", `"police border"`, "border -police", "zzz*",
		"border date:2022", "无人机 date:2022",
	} {
		res, err := ix.Search(context.Background(), q, Request{})
		if err != nil {
			t.Errorf("Search(%q): %v", q, err)
			continue
		}
		if res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("Search(%q) found %d\n%s", q, res.Total, describe(res))
		}
	}
}

func TestPaging(t *testing.T) {
	ix := openIndex(t, sampleStore(t), "")
	ctx := context.Background()
	all, err := ix.Search(ctx, "party", Request{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 5 || len(all.Hits) != 5 {
		t.Fatalf("party: %d results, %d hits; want 5\n%s", all.Total, len(all.Hits), describe(all))
	}
	var paged []string
	for page := 1; page <= 3; page++ {
		res, err := ix.Search(ctx, "party", Request{Limit: 2, Page: page})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 5 || res.Pages() != 3 {
			t.Errorf("page %d: total %d, pages %d", page, res.Total, res.Pages())
		}
		for _, h := range res.Hits {
			paged = append(paged, h.ID)
		}
	}
	var whole []string
	for _, h := range all.Hits {
		whole = append(whole, h.ID)
	}
	if strings.Join(paged, " ") != strings.Join(whole, " ") {
		t.Errorf("pages give %v, one page %v", paged, whole)
	}
	if res, err := ix.Search(ctx, "party", Request{Limit: 2, Page: 4}); err != nil || len(res.Hits) != 0 || res.Total != 5 {
		t.Errorf("page past the end: %v, %+v", err, res)
	}
	for _, o := range []Request{{Limit: MaxLimit + 1}, {Limit: 100, Page: 1000}} {
		if _, err := ix.Search(ctx, "party", o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func describe(res Results) string {
	var b strings.Builder
	for i, h := range res.Hits {
		b.WriteString("  ")
		b.WriteString(strings.Join([]string{string(rune('1' + i)), h.Source, h.Date.String(), h.Title}, " "))
		b.WriteString("\n")
	}
	return b.String()
}
