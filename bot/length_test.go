package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/internal/testenv"
)

func TestLen(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"  abc \n", 3}, // trimmed, as Discord trims
		{"é", 1},        // one code unit
		{"😀", 2},        // a surrogate pair
		{" 😀 a 😀 ", 7},  // inner spaces count
		{"日本語", 3},
	} {
		if got := bot.Len(c.s); got != c.want {
			t.Errorf("Len(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// manySchedules are more, and longer, than one embed can hold.
type manySchedules struct{ fakeDigests }

func (manySchedules) Schedules(context.Context, string) ([]bot.ScheduleInfo, error) {
	var out []bot.ScheduleInfo
	for i := range 40 {
		var next []time.Time
		for j := range 5 {
			next = append(next, time.Date(2023, 7, 5+j, i%24, 0, 0, 0, time.UTC))
		}
		out = append(out, bot.ScheduleInfo{Name: fmt.Sprintf("digest-%02d-%s", i, strings.Repeat("😀", 150)), Spec: "0 8 * * *",
			Zone: "Europe/Berlin", Select: "new", Next: next})
	}
	return out, nil
}

// /schedule keeps to one embed's limits (resources/message#embed-object-embed-limits):
// 25 fields, field names 256 and values 1024, 6000 characters in all, as
// Len counts them.
func TestScheduleFitsOneEmbed(t *testing.T) {
	db := testenv.SampleDB(t)
	b := bot.New(bot.Deps{Articles: db, State: db, Digests: &manySchedules{}, Now: now})
	resp := b.Handle(context.Background(), cmd("schedule"))
	if len(resp.Embeds) != 1 {
		t.Fatalf("/schedule: %+v", resp)
	}
	e := resp.Embeds[0]
	total := bot.Len(e.Title) + bot.Len(e.Footer)
	for _, f := range e.Fields {
		if bot.Len(f.Name) > 256 || bot.Len(f.Value) > 1024 {
			t.Errorf("field over its limit: name %d, value %d", bot.Len(f.Name), bot.Len(f.Value))
		}
		total += bot.Len(f.Name) + bot.Len(f.Value)
	}
	if len(e.Fields) > 25 || total > 6000 || len(e.Fields) == 0 {
		t.Errorf("%d fields, %d characters; want 1 to 25 and at most 6000", len(e.Fields), total)
	}
	if !strings.Contains(e.Footer, "more not shown") {
		t.Errorf("footer %q does not say schedules were left out", e.Footer)
	}
}

// hugeSearch has more results than any page number will ever show.
type hugeSearch struct {
	total int
	about bool
}

func (h hugeSearch) Search(_ context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	hits := []bot.SearchHit{{ID: "abcdef123456", Title: "A result"}}
	return bot.SearchResult{Total: h.total, About: h.about, Hits: hits}, nil
}

// Every custom ID stays within 100 characters (components/reference),
// whatever the page number.
func TestCustomIDsFitAnyPage(t *testing.T) {
	db := testenv.SampleDB(t)
	for _, total := range []int{6, 50_000, 5_000_000_000} {
		for _, query := range []string{"border police", strings.Repeat("ö", 50) + " 😀😀", "x" + strings.Repeat(" y", 41)} {
			b := bot.New(bot.Deps{Articles: db, State: db, Search: hugeSearch{total: total}, Now: now})
			resp := b.Handle(context.Background(), cmd("search", "query", query))
			if len(resp.Components) == 0 {
				t.Fatalf("search %q (%d results): no components: %+v", query, total, resp)
			}
			for _, row := range resp.Components {
				for _, c := range row {
					if n := bot.Len(c.CustomID); n > 100 {
						t.Errorf("search %q, %d results: custom ID %q is %d long", query, total, c.CustomID, n)
					}
				}
			}
			// The last page's buttons too.
			last := (total+4)/5 - 1
			for _, row := range resp.Components {
				for _, c := range row {
					if strings.HasPrefix(c.CustomID, "s|1|") {
						id := "s|" + fmt.Sprint(last) + strings.TrimPrefix(c.CustomID, "s|1")
						page := b.Handle(context.Background(), bot.Request{Kind: bot.KindComponent, CustomID: id, Options: map[string]string{}})
						for _, r := range page.Components {
							for _, pc := range r {
								if n := bot.Len(pc.CustomID); n > 100 {
									t.Errorf("page %d: custom ID %q is %d long", last, pc.CustomID, n)
								}
							}
						}
					}
				}
			}
		}
	}
}

// An estimated total says so.
func TestSearchAboutTotal(t *testing.T) {
	db := testenv.SampleDB(t)
	for _, about := range []bool{false, true} {
		b := bot.New(bot.Deps{Articles: db, State: db, Search: hugeSearch{total: 4800, about: about}, Now: now})
		resp := b.Handle(context.Background(), cmd("search", "query", `"the common words"`))
		if len(resp.Embeds) != 1 {
			t.Fatalf("/search: %+v", resp)
		}
		want := "4800 results · page 1 of 960"
		if about {
			want = "about " + want
		}
		if f := resp.Embeds[0].Footer; f != want {
			t.Errorf("about %v: footer %q, want %q", about, f, want)
		}
	}
}
