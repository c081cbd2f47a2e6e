package bot

import "testing"

func TestHighlightEscapesOnceAndBoldsOnce(t *testing.T) {
	cases := []struct {
		name, text string
		marks      []Span
		want       string
	}{
		{"capitals", "Floods in DRESDEN today", []Span{{10, 17}}, "Floods in **DRESDEN** today"},
		{"touching marks merge", "DRESDEN", []Span{{0, 4}, {4, 7}}, "**DRESDEN**"},
		{"markdown in the text", "the *old town* and a_b", []Span{{5, 8}}, `the \***old** town\* and a\_b`},
		{"text already bold", "**DRESDEN**", []Span{{2, 9}}, `\*\***DRESDEN**\*\*`},
		{"bad marks skipped", "abc", []Span{{2, 1}, {0, 9}, {1, 2}, {0, 1}}, `a**b**c`},
		{"line-start markers only", "- a-b\n# c#d > e", nil, "\\- a-b\n\\# c#d > e"},
		{"mentions defused", "@everyone", nil, "@\u200beveryone"},
		{"a mark does not start a line", "Dresden-Neustadt", []Span{{0, 7}}, "**Dresden**-Neustadt"},
		{"after a newline it does", "a\n- b", []Span{{0, 1}}, "**a**\n\\- b"},
	}
	for _, c := range cases {
		if got := highlight(c.text, c.marks); got != c.want {
			t.Errorf("%s: highlight(%q) = %q, want %q", c.name, c.text, got, c.want)
		}
	}
	// Escaping is done once: escaping the query "Party*" gives one
	// backslash, not three.
	if got := escapeMarkdown("Party*"); got != `Party\*` {
		t.Errorf("escapeMarkdown(Party*) = %q", got)
	}
}
