package digest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
)

// A story's title links to the original article when it has a URL, in the
// embed and in the JSON payload posted to Discord.
func TestRenderLinksTitles(t *testing.T) {
	date, _ := corpus.DayDate(2024, 2, 10, corpus.FromMetaTag)
	d := Digest{Title: "Daily digest", Rule: SelectDay, At: time.Date(2024, 2, 11, 8, 0, 0, 0, time.UTC),
		Day: time.Date(2024, 2, 10, 0, 0, 0, 0, time.UTC), Items: []Item{
			{ID: "aaaaaaaaaaaa", Title: "Museum reopens", URL: "https://news.example/museum", Date: date,
				Summary: []string{"The museum reopened on Saturday after two years."}},
			{ID: "bbbbbbbbbbbb", Title: "Local notes", Date: date, Summary: []string{"The fair drew a record crowd on Sunday."}},
		}}
	msgs := Render(d)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 2 {
		t.Fatalf("messages: %+v", msgs)
	}
	if got := msgs[0].Embeds[0].URL; got != "https://news.example/museum" {
		t.Errorf("first embed URL %q", got)
	}
	if got := msgs[0].Embeds[1].URL; got != "" {
		t.Errorf("an article without a URL got %q", got)
	}
	if text := FormatText(msgs[0]); !strings.Contains(text, "┌ Museum reopens\n│ <https://news.example/museum>\n") {
		t.Errorf("text form lacks the link:\n%s", text)
	}
	payload, _ := json.Marshal(msgs[0])
	if !strings.Contains(string(payload), `"url":"https://news.example/museum"`) || strings.Count(string(payload), `"url"`) != 1 {
		t.Errorf("payload: %s", payload)
	}
}

// Boilerplate that survives into a body (sharing prompts, captions, rights
// notices, newsletter footers) is never a summary sentence.
func TestBoilerplateNeverSummarised(t *testing.T) {
	sp := testSplitter(t)
	body := strings.Join([]string{
		"The council approved the new cycle lanes on Thursday after a long debate.",
		"Share this article with your friends and family today.",
		"Photo: Cyclists on Market Street during the morning rush hour.",
		"Work is due to start in September and will take about four months.",
		"You are receiving this email because you subscribed to our weekly newsletter.",
		"© 2024 Riverside Gazette. All rights reserved.",
	}, "\n\n")
	for _, s := range sp.Split(body) {
		boiler := strings.HasPrefix(s.Text, "Share") || strings.HasPrefix(s.Text, "Photo") ||
			strings.HasPrefix(s.Text, "You are") || strings.HasPrefix(s.Text, "©") || strings.HasPrefix(s.Text, "All rights")
		if boiler != (s.Kind == KindBoilerplate) {
			t.Errorf("%q: kind %v", s.Text, s.Kind)
		}
	}
}
