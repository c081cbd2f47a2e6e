package main

import (
	"context"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/search"
)

// The adapters below connect the bot's consumer interfaces to the search
// index, the digest service and the transports. They translate types and
// nothing else.

// botSearch runs the bot's searches on the index.
type botSearch struct {
	ix  *search.Index
	now func() time.Time // in the configured zone
}

func (s botSearch) Search(ctx context.Context, q bot.SearchQuery) (bot.SearchResult, error) {
	// A query the user got wrong is an apperr.Invalid the bot shows as is.
	res, err := s.ix.Search(ctx, q.Text, search.Request{From: q.From, To: q.To, Limit: q.PerPage, Page: q.Page + 1, Now: s.now()})
	if err != nil {
		return bot.SearchResult{}, err
	}
	out := bot.SearchResult{Total: res.Total}
	for _, h := range res.Hits {
		hit := bot.SearchHit{ID: h.ID, Title: h.Title, Source: h.Source, URL: h.URL, Date: h.Date, Snippet: h.Snippet.Text}
		for _, m := range h.Snippet.Marks {
			hit.Marks = append(hit.Marks, bot.Span{Start: m.Start, End: m.End})
		}
		out.Hits = append(out.Hits, hit)
	}
	return out, nil
}

// botSummaries gives the bot an article's summary.
type botSummaries struct{ svc *digest.Service }

func (s botSummaries) Summary(ctx context.Context, a corpus.Article) (string, error) {
	sum, err := s.svc.Summary(ctx, a, digest.Options{})
	if err != nil {
		return "", err
	}
	return sum.Text(), nil
}

// botDigests previews, posts and lists digests for the bot.
type botDigests struct {
	svc   *digest.Service
	sched *schedHolder // a reload swaps the scheduler
	loc   *time.Location
	now   func() time.Time
}

// spec is the digest rule would give channel: the configured digest of
// that channel and rule when there is one (its title, limits and
// filters), else the defaults.
func (d botDigests) spec(channel, rule string) (digest.Spec, error) {
	r, err := digest.ParseRule(rule) // an apperr.Invalid the bot shows
	if err != nil {
		return digest.Spec{}, err
	}
	for _, j := range d.sched.get().Jobs() {
		if j.Spec.Channel == channel && j.Spec.Rule == r {
			return j.Spec, nil
		}
	}
	return digest.Spec{Channel: channel, Rule: r, Zone: d.loc}, nil
}

// moment is when to build the digest: now, or so that it covers day.
func (d botDigests) moment(spec digest.Spec, day time.Time) time.Time {
	if day.IsZero() {
		return d.now()
	}
	return spec.MomentCovering(day)
}

func (d botDigests) Preview(ctx context.Context, channel, rule string, day time.Time) (bot.DigestPreview, error) {
	spec, err := d.spec(channel, rule)
	if err != nil {
		return bot.DigestPreview{}, err
	}
	dg, err := d.svc.Build(ctx, spec, d.moment(spec, day))
	if err != nil {
		return bot.DigestPreview{}, err
	}
	p := bot.DigestPreview{Title: dg.Title, Articles: len(dg.Items), Covers: dg.Coverage()}
	if dg.Empty() && !spec.PostWhenEmpty {
		return p, nil
	}
	for _, m := range digest.Render(dg) {
		p.Messages = append(p.Messages, botMessage(m))
	}
	return p, nil
}

func (d botDigests) Post(ctx context.Context, channel, rule string, day time.Time) (int, error) {
	spec, err := d.spec(channel, rule)
	if err != nil {
		return 0, err
	}
	run, err := d.sched.get().PostNow(ctx, spec, d.moment(spec, day))
	if err != nil {
		return 0, err
	}
	return len(run.Sent), nil
}

func (d botDigests) Schedules(_ context.Context, channel string) ([]bot.ScheduleInfo, error) {
	var out []bot.ScheduleInfo
	for _, j := range d.sched.get().Jobs() {
		if (channel != "" && j.Spec.Channel != channel) || j.Schedule == nil {
			continue
		}
		out = append(out, bot.ScheduleInfo{
			Name: j.Spec.Name, Channel: j.Spec.Channel, Spec: j.Schedule.String(), Zone: j.Schedule.Zone().String(),
			Select: string(j.Spec.Rule), Covers: j.Spec.Coverage(), Next: j.Schedule.Next(d.now(), 3),
		})
	}
	return out, nil
}

// botMessage converts a rendered digest message for the bot's transports.
func botMessage(m digest.Message) bot.Message {
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

// channelPoster is what can post a message to a channel: the Discord
// transport or the console.
type channelPoster interface {
	Post(ctx context.Context, channelID string, m bot.Message) (string, error)
}

// digestPoster posts the scheduler's digests through a transport (a
// channel the bot may not post in is an apperr.Forbidden, which the
// scheduler knows as undeliverable).
type digestPoster struct{ to channelPoster }

func (p digestPoster) Post(ctx context.Context, channel string, m digest.Message) (string, error) {
	return p.to.Post(ctx, channel, botMessage(m))
}
