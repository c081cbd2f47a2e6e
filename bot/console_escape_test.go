package bot

import (
	"context"
	"strings"
	"testing"
)

// The console prints to a terminal: a control character in what it shows
// (a file name given as an article's source) is escaped, not obeyed.
func TestConsoleEscapesControlCharacters(t *testing.T) {
	var out strings.Builder
	c := &Console{Out: &out}
	if _, err := c.Post(context.Background(), "news", Message{Content: "from \x1b[31mred.txt\nnext line\twith a tab"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "\x1b") || !strings.Contains(got, `from \x1b[31mred.txt`+"\nnext line\twith a tab") {
		t.Errorf("console printed %q", got)
	}
}
