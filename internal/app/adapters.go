package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/search"
)

// Search runs the bot's searches on the index (bot.Searcher).
type Search struct {
	Index *search.Index
	Now   func() time.Time // in the configured zone
}

// Search answers one page of q.
func (s Search) Search(ctx context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	// A query the user got wrong is an apperr.Invalid the bot shows as is.
	res, err := s.Index.Search(ctx, q.Text, search.Request{From: q.From, To: q.To, Limit: q.PerPage, Page: q.Page + 1, Now: s.Now()})
	if err != nil {
		return bot.SearchResult{}, err
	}
	out := bot.SearchResult{Total: res.Total, About: res.About}
	for _, h := range res.Hits {
		hit := bot.SearchHit{ID: h.ID, Title: h.Title, Source: h.Source, URL: h.URL, Date: h.Date, Snippet: h.Snippet.Text}
		for _, m := range h.Snippet.Marks {
			hit.Marks = append(hit.Marks, bot.Span{Start: m.Start, End: m.End})
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

// Summaries gives the bot an article's summary.
type Summaries struct{ Service *digest.Service }

// Summary is a's summary with the default options.
func (s Summaries) Summary(ctx context.Context, a corpus.Article) (string, error) {
	sum, err := s.Service.Summary(ctx, a, digest.Options{})
	if err != nil {
		return "", err
	}
	return sum.Text(), nil
}

// BotMessage converts a rendered digest message for the bot's transports.
func BotMessage(m digest.Message) bot.Message {
	out := bot.Message{Content: m.Content, Nonce: m.Nonce}
	for _, e := range m.Embeds {
		be := bot.Embed{Title: e.Title, URL: e.URL, Description: e.Description, Color: e.Color}
		if e.Footer != nil {
			be.Footer = e.Footer.Text
		}
		out.Embeds = append(out.Embeds, be)
	}
	return out
}

// ChannelPoster is what can post a message to a channel: the Discord
// transport or the console.
type ChannelPoster interface {
	Post(ctx context.Context, channelID string, m bot.Message) (string, error)
}

// DigestPoster posts the scheduler's digests through a transport (a
// channel the bot may not post in is an apperr.Forbidden, which the
// scheduler knows as undeliverable).
type DigestPoster struct{ To ChannelPoster }

// Post posts m in channel.
func (p DigestPoster) Post(ctx context.Context, channel string, m digest.Message) (string, error) {
	return p.To.Post(ctx, channel, BotMessage(m))
}

// LazyPoster forwards to the transport once it exists: the scheduler is
// built before the transport it posts through.
type LazyPoster struct {
	mu sync.Mutex
	to ChannelPoster
}

// Set makes to the transport posts go through.
func (p *LazyPoster) Set(to ChannelPoster) {
	p.mu.Lock()
	p.to = to
	p.mu.Unlock()
}

// Post posts m through the transport, or fails when none is set yet.
func (p *LazyPoster) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	p.mu.Lock()
	to := p.to
	p.mu.Unlock()
	if to == nil {
		return "", errors.New("no transport connected yet")
	}
	return to.Post(ctx, channel, m)
}
