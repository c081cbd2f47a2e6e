package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/internal/apperr"
)

// DigestPreview is a digest as it would be posted.
type DigestPreview struct {
	Title    string
	Articles int
	Messages []Message
	// Covers says what the digest holds: "articles dated 8 August 2023".
	Covers string
}

// ScheduleInfo describes one configured digest.
type ScheduleInfo struct {
	Name, Channel, Spec, Zone, Select string
	// Covers says what each run holds ("articles dated the day before
	// each run (covers: yesterday)").
	Covers string
	Next   []time.Time
}

// Digests builds and posts digests. day is the calendar day the digest is
// to cover (a "day" digest: that day; the others: as of the end of that
// day), or the zero time for the digest as it would be built now.
type Digests interface {
	// Preview builds the digest rule would give channel, recording
	// nothing.
	Preview(ctx context.Context, channelID, rule string, day time.Time) (DigestPreview, error)
	// Post builds the digest and posts it to channel now, recorded like a
	// scheduled post so it is never sent twice. It returns the number of
	// messages sent.
	Post(ctx context.Context, channelID, rule string, day time.Time) (int, error)
	// Schedules lists the digests configured for channel; for "" every
	// configured digest.
	Schedules(ctx context.Context, channelID string) ([]ScheduleInfo, error)
}

// digestRuleChoices are the /digest select choices, from digest.Rules.
func digestRuleChoices() []Choice {
	out := make([]Choice, len(digest.Rules))
	for i, r := range digest.Rules {
		out[i] = Choice{Name: r.Describe(), Value: string(r)}
	}
	return out
}

// canPost reports whether the member may post to the channel through the
// bot: Manage Server, Administrator, or a role named in the config.
func (b *Bot) canPost(req Request) bool {
	if req.Permissions&(PermManageGuild|PermAdmin) != 0 {
		return true
	}
	for _, r := range req.Roles {
		if slices.Contains(b.d.ManagerRoles, r) {
			return true
		}
	}
	return false
}

// digestArgs checks the select and date options; date is "" (now) or the
// day the digest covers, returned as a UTC midnight.
func (b *Bot) digestArgs(rule, date string) (string, time.Time, error) {
	if rule == "" {
		rule = string(digest.SelectNew)
	}
	if !slices.Contains(digest.Rules, digest.Rule(rule)) {
		return "", time.Time{}, Errorf("select must be %s.", digest.RuleNames())
	}
	if date == "" {
		return rule, time.Time{}, nil
	}
	r, err := corpus.ParseWhen(date, b.d.Now().In(b.d.Location))
	if err != nil || !r.From.Equal(r.To) {
		return "", time.Time{}, Errorf("date must be one day, like 2024-07-03, today or yesterday.")
	}
	return rule, r.From, nil
}

func (b *Bot) digestCommand(ctx context.Context, req Request) (Response, error) {
	if b.d.Digests == nil {
		return Response{}, apperr.Errorf(apperr.Unavailable, "Digests are not configured on this bot.")
	}
	rule, day, err := b.digestArgs(strings.TrimSpace(req.Option("select")), strings.TrimSpace(req.Option("date")))
	if err != nil {
		return Response{}, err
	}
	p, err := b.d.Digests.Preview(ctx, req.ChannelID, rule, day)
	if err != nil {
		return Response{}, err
	}
	if len(p.Messages) == 0 {
		return Response{Content: fmt.Sprintf("Nothing to post: the %q digest covers %s, and there are none.", rule, p.Covers), Ephemeral: true}, nil
	}
	first := p.Messages[0]
	note := fmt.Sprintf("Preview (only you can see this): %s in %s. Covers %s.", plural(p.Articles, "article"), plural(len(p.Messages), "message"), p.Covers)
	if len(p.Messages) > 1 {
		note += " The first message is shown."
	}
	resp := Response{Content: note + "\n\n" + first.Content, Embeds: first.Embeds, Ephemeral: true}
	if b.canPost(req) {
		date := ""
		if !day.IsZero() {
			date = day.Format(time.DateOnly)
		}
		resp.Components = []Row{{{Kind: Button, CustomID: fmt.Sprintf("post|%s|%s", rule, date), Label: "Post to this channel", Style: Success}}}
	}
	return resp, nil
}

// postDigest is the "Post to this channel" button.
func (b *Bot) postDigest(ctx context.Context, req Request, rest string) (Response, error) {
	if b.d.Digests == nil {
		return Response{}, apperr.Errorf(apperr.Unavailable, "Digests are not configured on this bot.")
	}
	if !b.canPost(req) {
		return Response{}, apperr.Errorf(apperr.Forbidden, "Only members with Manage Server (or a digest manager role) can post digests.")
	}
	rule, date, _ := strings.Cut(rest, "|")
	rule, day, err := b.digestArgs(rule, date)
	if err != nil {
		return Response{}, err
	}
	n, err := b.d.Digests.Post(ctx, req.ChannelID, rule, day)
	if err != nil {
		return Response{}, err
	}
	if n == 0 {
		return Response{Content: "Nothing was posted: the digest is empty now.", Ephemeral: true, Update: true}, nil
	}
	return Response{Content: fmt.Sprintf("Posted the digest (%s).", plural(n, "message")), Ephemeral: true, Update: true}, nil
}

func (b *Bot) scheduleCommand(ctx context.Context, req Request) (Response, error) {
	if b.d.Digests == nil {
		return Response{Content: "No digests are scheduled.", Ephemeral: true}, nil
	}
	channel, where := req.ChannelID, "for this channel"
	if req.AllChannels {
		channel, where = "", "on this bot"
	}
	infos, err := b.d.Digests.Schedules(ctx, channel)
	if err != nil {
		return Response{}, err
	}
	if len(infos) == 0 {
		return Response{Content: "No digests are scheduled " + where + ".", Ephemeral: true}, nil
	}
	e := Embed{Title: "Digests scheduled " + where}
	// An embed holds at most 25 fields and 6,000 characters in all
	// (resources/message#embed-object-embed-limits); the footer says what
	// did not fit.
	const maxFields, maxEmbed, footerRoom = 25, 6000, 64
	used := Len(e.Title) + footerRoom
	for i, s := range infos {
		var next []string
		for _, t := range s.Next {
			next = append(next, fmt.Sprintf("<t:%d:F> (<t:%d:R>)", t.Unix(), t.Unix()))
		}
		if len(next) == 0 {
			next = []string{"no upcoming runs"}
		}
		name := fmt.Sprintf("%s — %s", s.Name, s.Select)
		if req.AllChannels && s.Channel != "" {
			name += " in <#" + s.Channel + ">"
		}
		value := fmt.Sprintf("`%s` (%s)\n", s.Spec, s.Zone)
		if s.Covers != "" {
			value += "Covers " + s.Covers + "\n"
		}
		f := Field{
			Name:  clipText(name, maxFieldName),
			Value: clipText(value+"Next: "+strings.Join(next, ", "), maxFieldValue),
		}
		if len(e.Fields) == maxFields || used+Len(f.Name)+Len(f.Value) > maxEmbed {
			e.Footer = fmt.Sprintf("%d more not shown.", len(infos)-i)
			break
		}
		used += Len(f.Name) + Len(f.Value)
		e.Fields = append(e.Fields, f)
	}
	return Response{Embeds: []Embed{e}, Ephemeral: true}, nil
}

// Summarizer gives an article's summary.
type Summarizer interface {
	Summary(ctx context.Context, a corpus.Article) (string, error)
}
