package bot

import (
	"context"
	"fmt"

	"github.com/digestbot/digestbot/corpus"
)

// The /stats histogram: bar width and the most months drawn (an embed
// description holds 4096 characters).
const (
	statsBarWidth = 20
	statsMonths   = 36
)

// statsCommand shows the archive at a glance: the counts, the span of the
// dates and a histogram of articles per month, in a code block so the bars
// line up.
func (b *Bot) statsCommand(ctx context.Context, _ Request) (Response, error) {
	arts, err := b.d.Articles.Headers(ctx)
	if err != nil {
		return Response{}, fmt.Errorf("stats: %w", err)
	}
	s := corpus.ArchiveStats(arts)
	desc := "```\n" + s.Summary() + "```"
	if len(s.Months) > 0 {
		desc += "\n**Articles per month**\n```\n" + s.Histogram(statsBarWidth, statsMonths) + "```"
	}
	e := Embed{Title: "The archive", Description: clipText(desc, maxDescription)}
	return Response{Embeds: []Embed{e}, Ephemeral: true}, nil
}
