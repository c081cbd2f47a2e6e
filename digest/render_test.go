package digest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/digestbot/digestbot/corpus"
)

func renderJSON(t *testing.T, msgs []Message) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(msgs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkLimits fails the test for any Discord limit a message breaks.
func checkLimits(t *testing.T, msgs []Message) {
	t.Helper()
	for i, m := range msgs {
		total := Len(m.Content)
		if n := Len(m.Content); n > LimitContent {
			t.Errorf("message %d: content %d > %d", i, n, LimitContent)
		}
		if len(m.Embeds) > LimitEmbeds {
			t.Errorf("message %d: %d embeds > %d", i, len(m.Embeds), LimitEmbeds)
		}
		for j, e := range m.Embeds {
			if n := Len(e.Title); n > LimitTitle || n == 0 {
				t.Errorf("message %d embed %d: title %d characters", i, j, n)
			}
			if n := Len(e.Description); n > LimitDescription {
				t.Errorf("message %d embed %d: description %d > %d", i, j, n, LimitDescription)
			}
			if e.Footer != nil && Len(e.Footer.Text) > LimitFooter {
				t.Errorf("message %d embed %d: footer too long", i, j)
			}
			total += embedLen(e)
		}
		if total > LimitTotal {
			t.Errorf("message %d: %d characters in all > %d", i, total, LimitTotal)
		}
		if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
			t.Errorf("message %d may ping: %+v", i, m.AllowedMentions)
		}
	}
}

func TestRenderGoldenSample(t *testing.T) {
	e := newEnv(t, true)
	for _, c := range []struct {
		name string
		spec Spec
		at   time.Time
	}{
		{"on-this-day", Spec{Rule: SelectOnThisDay}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)},
		{"new", Spec{Title: "Morning *digest*", MaxArticles: 4}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)},
		{"day-empty", Spec{Rule: SelectDay, PostWhenEmpty: true}, time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			msgs := Render(build(t, e.svc, c.spec, c.at))
			checkLimits(t, msgs)
			golden(t, filepath.Join("render", c.name+".json"), renderJSON(t, msgs))
		})
	}
}

// longItem is a story with a long title and a full 700-character summary.
func longItem(i int) Item {
	title := fmt.Sprintf("Story %d: ", i) + strings.Repeat("the provincial committee reviewed the harbor plans again ", 4)
	var sum []string
	for k := range 3 {
		sum = append(sum, fmt.Sprintf("Sentence %d of story %d says the council met on Friday and agreed that the harbor, the schools and the new railway line to the border town would all be funded from next year's budget, after a long debate.", k+1, i))
	}
	date, _ := corpus.DayDate(2024, 7, 1+i%28, corpus.FromHeader)
	it := Item{ID: fmt.Sprintf("%012x", 0xa0000+i), Title: strings.TrimSpace(title), Source: fmt.Sprintf("%03d_story.txt", i), Date: date, Summary: sum}
	if i%7 == 0 {
		it.AlsoIn = []Ref{{ID: "dup", Title: "The same story from another desk", Source: "wire.txt"}}
	}
	return it
}

// TestRenderFortyArticles: a 40-story digest splits over several messages,
// every limit holds, every story appears once and in order, and every
// summary sentence and title appears whole.
func TestRenderFortyArticles(t *testing.T) {
	d := Digest{Title: "Daily digest", Rule: SelectDay, At: time.Date(2024, 7, 30, 8, 0, 0, 0, time.UTC),
		Day: time.Date(2024, 7, 29, 0, 0, 0, 0, time.UTC), More: 3}
	for i := range 40 {
		d.Items = append(d.Items, longItem(i))
	}
	msgs := Render(d)
	checkLimits(t, msgs)
	if len(msgs) < 5 {
		t.Fatalf("%d messages: 40 stories of ~1,000 characters need at least 7", len(msgs))
	}
	var embeds []Embed
	for i, m := range msgs {
		embeds = append(embeds, m.Embeds...)
		if i > 0 && !strings.Contains(m.Content, fmt.Sprintf("(continued, %d/%d)", i+1, len(msgs))) {
			t.Errorf("message %d content %q", i, m.Content)
		}
	}
	if len(embeds) != 40 {
		t.Fatalf("%d embeds, want 40", len(embeds))
	}
	for i, e := range embeds {
		it := d.Items[i]
		if !strings.Contains(e.Footer.Text, it.ID) || e.Title != it.Title {
			t.Errorf("embed %d is not story %d whole: %q", i, i, e.Title)
		}
		for _, s := range it.Summary {
			if !strings.Contains(e.Description, s) {
				t.Errorf("embed %d lacks sentence %q", i, s)
			}
		}
		if len(it.AlsoIn) > 0 && !strings.Contains(e.Description, "wire.txt (The same story from another desk)") {
			t.Errorf("embed %d lacks also-in", i)
		}
	}
	if last := msgs[len(msgs)-1].Content; !strings.Contains(last, "3 more stories — try /date when:2024-07-29") {
		t.Errorf("last content %q", last)
	}
	golden(t, filepath.Join("render", "forty.json"), renderJSON(t, msgs))
}

// TestRenderOverLimits: text far beyond the limits is shortened at whole
// words and sentences, never mid-word, and says what was left out.
func TestRenderOverLimits(t *testing.T) {
	longTitle := strings.Repeat("Harbor committee ", 40) + "ends"
	var sum []string
	for i := range 6 {
		sum = append(sum, fmt.Sprintf("Sentence %d. ", i)+strings.Repeat("The council agreed on the plan after a long debate. ", 15))
	}
	var refs []Ref
	for i := range 300 {
		refs = append(refs, Ref{ID: fmt.Sprint(i), Title: "Another version of the harbor story", Source: fmt.Sprintf("copy%03d.txt", i)})
	}
	d := Digest{Title: strings.Repeat("Very long digest title ", 20), At: time.Date(2024, 7, 3, 0, 0, 0, 0, time.UTC),
		Items: []Item{{ID: "abc", Title: longTitle, Summary: sum, AlsoIn: refs}, {ID: "cjk", Title: strings.Repeat("漠河边防", 100)}}}
	msgs := Render(d)
	checkLimits(t, msgs)
	e := msgs[0].Embeds[0]
	if !strings.HasSuffix(e.Title, "committee…") || !strings.HasPrefix(longTitle, strings.TrimSuffix(e.Title, "…")) {
		t.Errorf("title not cut at a word: %q", e.Title)
	}
	if !strings.Contains(e.Description, "; and 300 more") && !strings.Contains(e.Description, " more") {
		t.Errorf("left-out duplicates not counted: …%s", e.Description[len(e.Description)-80:])
	}
	for _, s := range sum[:2] {
		if !strings.Contains(e.Description, s) {
			t.Errorf("a summary sentence that fits was dropped")
		}
	}
	if cjk := msgs[0].Embeds[1].Title; Len(cjk) > LimitTitle || !strings.HasSuffix(cjk, "…") {
		t.Errorf("CJK title %d long: %q", Len(cjk), cjk)
	}
}

func TestRenderEmpty(t *testing.T) {
	d := Digest{Title: "New articles", Rule: SelectNew, At: time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)}
	if msgs := Render(d); msgs != nil {
		t.Errorf("empty digest rendered %d messages", len(msgs))
	}
	d.PostWhenEmpty = true
	msgs := Render(d)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "Nothing new") || !strings.Contains(msgs[0].Content, "<t:1720008000:D>") {
		t.Errorf("empty digest: %+v", msgs)
	}
}

func TestClipWords(t *testing.T) {
	cases := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"the harbor reopened on Friday", 20, "the harbor reopened…"},
		{"the harbor, reopened", 12, "the harbor…"},
		{"supercalifragilistic", 10, "…"},
		{"漠河市是中国最北的城市", 6, "漠河市是中…"},
		{"emoji 😀😀😀 end", 12, "emoji 😀😀…"},
	}
	for _, c := range cases {
		got := clipWords(c.in, c.limit)
		if got != c.want || Len(got) > c.limit {
			t.Errorf("clipWords(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}

func TestEscapeAndFormatText(t *testing.T) {
	in := "# Not a heading: *bold* _it_ `code` ~~x~~ a|b > q\n- item"
	esc := escape(in)
	if strings.ContainsAny(strings.NewReplacer(`\*`, "", `\_`, "", "\\`", "", `\~`, "", `\|`, "", `\#`, "", `\-`, "").Replace(esc), "*_`~|") {
		t.Errorf("escape(%q) = %q", in, esc)
	}
	if unescape(esc) != in {
		t.Errorf("unescape(escape(x)) = %q", unescape(esc))
	}
	m := Message{Content: "**Daily** · <t:1720008000:D>", Embeds: []Embed{{Title: "A\\_B", Description: "line 1\nline 2", Footer: &EmbedFooter{Text: "ID x"}}}}
	want := "**Daily** · 2024-07-03\n┌ A_B\n│ line 1\n│ line 2\n└ ID x"
	if got := FormatText(m); got != want {
		t.Errorf("FormatText:\n%s\nwant\n%s", got, want)
	}
}

func TestSetNonces(t *testing.T) {
	a, b := make([]Message, 3), make([]Message, 3)
	SetNonces(a, "morning\x002024-07-03T08:00")
	SetNonces(b, "morning\x002024-07-03T08:00")
	seen := map[string]bool{}
	for i := range a {
		if a[i].Nonce != b[i].Nonce || len(a[i].Nonce) != 25 || !a[i].EnforceNonce || seen[a[i].Nonce] {
			t.Errorf("nonce %d: %q", i, a[i].Nonce)
		}
		seen[a[i].Nonce] = true
		for _, r := range a[i].Nonce {
			if !unicode.IsDigit(r) && (r < 'a' || r > 'f') {
				t.Errorf("nonce %q", a[i].Nonce)
			}
		}
	}
}
