package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
)

// Discord's message limits, counted in UTF-16 code units (what Discord's
// clients count; never fewer than characters, so a payload within these is
// within Discord's limits however it counts).
const (
	LimitTitle       = 256  // embed title
	LimitDescription = 4096 // embed description
	LimitFooter      = 2048 // embed footer text
	LimitContent     = 2000 // message content
	LimitEmbeds      = 10   // embeds per message
	LimitTotal       = 6000 // all embed text of one message
	// contentReserve is kept free in each message for its content line, so
	// the message's embeds and content together also stay within
	// LimitTotal (Discord counts only embeds; this is a margin).
	contentReserve = 400
	// embedColor is the side bar colour of digest embeds.
	embedColor = 0x2B6CB0
)

// Message is one Discord message payload (the JSON body of Create Message).
type Message struct {
	Content string  `json:"content,omitempty"`
	Embeds  []Embed `json:"embeds,omitempty"`
	// AllowedMentions with no Parse entries: article text never pings.
	AllowedMentions *AllowedMentions `json:"allowed_mentions,omitempty"`
	// Nonce with EnforceNonce makes Discord drop a repeat of the message
	// sent within a few minutes: a post retried after a lost reply is not
	// doubled. Set by the scheduler (SetNonces).
	Nonce        string `json:"nonce,omitempty"`
	EnforceNonce bool   `json:"enforce_nonce,omitempty"`
}

// Embed is one article of a digest.
type Embed struct {
	Title string `json:"title,omitempty"`
	// URL links the title to the original article.
	URL         string       `json:"url,omitempty"`
	Description string       `json:"description,omitempty"`
	Color       int          `json:"color,omitempty"`
	Footer      *EmbedFooter `json:"footer,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text string `json:"text"`
}

// AllowedMentions says which mentions in a message may ping.
type AllowedMentions struct {
	Parse []string `json:"parse"`
}

// Len returns the length of s as Discord counts it (UTF-16 code units).
func Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// embedLen is an embed's share of LimitTotal.
func embedLen(e Embed) int {
	n := Len(e.Title) + Len(e.Description)
	if e.Footer != nil {
		n += Len(e.Footer.Text)
	}
	return n
}

// Render turns a digest into the messages to post: a header, one embed
// per story, split over as many messages as Discord's limits need, and an
// "N more" line at the end. It is a pure function of d. An empty digest
// renders as no messages, unless it is to be posted when empty.
func Render(d Digest) []Message {
	header := renderHeader(d)
	if d.Empty() {
		if !d.PostWhenEmpty && d.More == 0 {
			return nil
		}
		return []Message{newMessage(header + "\n" + emptyLine(d))}
	}
	var msgs []Message
	cur := newMessage("")
	used := contentReserve
	for _, it := range d.Items {
		e := renderEmbed(it)
		n := embedLen(e)
		if len(cur.Embeds) == LimitEmbeds || (len(cur.Embeds) > 0 && used+n > LimitTotal) {
			msgs = append(msgs, cur)
			cur, used = newMessage(""), contentReserve
		}
		cur.Embeds = append(cur.Embeds, e)
		used += n
	}
	msgs = append(msgs, cur)
	for i := range msgs {
		content := header
		if i > 0 {
			content = fmt.Sprintf("**%s** (continued, %d/%d)", escape(clipWords(d.Title, 100)), i+1, len(msgs))
		} else if len(msgs) > 1 {
			content += fmt.Sprintf(" (1/%d)", len(msgs))
		}
		if i == len(msgs)-1 && d.More > 0 {
			content += "\n" + moreLine(d)
		}
		msgs[i].Content = clipWords(content, LimitContent)
	}
	return msgs
}

func newMessage(content string) Message {
	return Message{Content: content, AllowedMentions: &AllowedMentions{Parse: []string{}}}
}

// renderHeader is the first line of a digest: its title, date and size.
func renderHeader(d Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · ", escape(clipWords(d.Title, 100)))
	switch d.Rule {
	case SelectDay:
		b.WriteString(timestamp(d.Day))
	default:
		b.WriteString(timestamp(d.At))
	}
	n := len(d.Items) + d.More
	if n > 0 {
		fmt.Fprintf(&b, " · %d %s", n, plural(n, "story", "stories"))
		if d.Rule == SelectOnThisDay {
			b.WriteString(" from earlier years")
		}
	}
	return b.String()
}

func emptyLine(d Digest) string {
	switch d.Rule {
	case SelectDay:
		return "No articles dated that day."
	case SelectOnThisDay:
		return "No articles from this day in earlier years."
	}
	if d.First != nil {
		return fmt.Sprintf("Nothing dated %s: a channel's first digest looks back only that far; later ones hold everything stored since.", d.First.Phrase())
	}
	return "Nothing new since the last digest."
}

// moreLine points to the stories left out.
func moreLine(d Digest) string {
	s := fmt.Sprintf("%d more %s — try ", d.More, plural(d.More, "story", "stories"))
	switch {
	case len(d.Include) > 0:
		return s + "/search query:" + escape(clipWords(strings.Join(d.Include, " "), 100))
	case d.Rule == SelectDay:
		day := d.Day.Format(time.DateOnly)
		return s + "/date when:" + day + " or /search with from:" + day + " to:" + day
	case d.Rule == SelectOnThisDay:
		return s + "/search, or /date when:YYYY-" + d.Day.Format("01-02") + " for one year"
	}
	return s + "/search to find them"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// timestamp renders a day as a Discord timestamp shown in each reader's
// locale. Noon UTC shows the same calendar day in every time zone from
// UTC−11 to UTC+11.
func timestamp(t time.Time) string {
	noon := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, time.UTC)
	return fmt.Sprintf("<t:%d:D>", noon.Unix())
}

// dateText renders an article's date to its precision.
func dateText(d corpus.Date) string {
	switch d.Precision {
	case corpus.PrecisionDay:
		return timestamp(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC))
	case corpus.PrecisionMonth:
		return fmt.Sprintf("%s %d", d.Month, d.Year)
	case corpus.PrecisionYear:
		return fmt.Sprint(d.Year)
	}
	return "undated"
}

// renderEmbed renders one story within the embed limits. What must give
// way goes in this order: the "also in" list (shortened to "and N more"),
// whole summary sentences from the end, then, only for an absurdly long
// single sentence, words from its end.
func renderEmbed(it Item) Embed {
	e := Embed{Title: clipWords(escape(it.Title), LimitTitle), URL: it.URL, Color: embedColor,
		Footer: &EmbedFooter{Text: "ID " + it.ID + " · /article id:" + it.ID}}
	if e.Title == "" {
		e.Title = it.ID
	}
	head := dateText(it.Date)
	if it.Source != "" {
		head += " · " + escape(it.Source)
	}
	summary := make([]string, len(it.Summary))
	for i, s := range it.Summary {
		summary[i] = escape(s)
	}
	refs := it.AlsoIn
	build := func() string {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString("\n\n")
		if len(summary) == 0 {
			b.WriteString(NoSummary)
		} else {
			b.WriteString(Summary{Sentences: summary}.Text())
		}
		if len(it.AlsoIn) > 0 {
			b.WriteString("\n\n*also in:* ")
			b.WriteString(escape(alsoIn(refs)))
			if left := len(it.AlsoIn) - len(refs); left > 0 {
				fmt.Fprintf(&b, "; and %d more", left)
			}
		}
		return b.String()
	}
	desc := build()
	for Len(desc) > LimitDescription && len(refs) > 0 {
		refs = refs[:len(refs)-1]
		desc = build()
	}
	for Len(desc) > LimitDescription && len(summary) > 1 {
		summary = summary[:len(summary)-1]
		desc = build()
	}
	e.Description = clipWords(desc, LimitDescription)
	return e
}

// escape makes article text show literally in Discord markdown.
func escape(s string) string {
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|':
			b.WriteByte('\\')
		case '>', '#', '-':
			if lineStart {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
		lineStart = r == '\n'
	}
	return b.String()
}

// clipWords shortens s to at most limit (as Len counts) at a word
// boundary, ending with "…"; never mid-word. A CJK character is a word.
func clipWords(s string, limit int) string {
	if Len(s) <= limit {
		return s
	}
	budget := limit - 1 // for "…"
	cut, n, fit := 0, 0, 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > budget {
			break
		}
		n += utf16.RuneLen(r)
		fit = i + utf8.RuneLen(r)
		if unicode.IsSpace(r) {
			cut = i
		} else if isCJK(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			cut = fit
		}
	}
	if r, _ := utf8.DecodeRuneInString(s[fit:]); unicode.IsSpace(r) {
		cut = fit // the last word that fits ends right there
	}
	out := strings.TrimRightFunc(s[:cut], func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':' })
	return out + "…"
}

// SetNonces gives each message a nonce derived from key (the run's digest
// name and slot) and its position, the same on every retry, and asks
// Discord to enforce it.
func SetNonces(msgs []Message, key string) {
	for i := range msgs {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d", key, i)))
		msgs[i].Nonce = hex.EncodeToString(sum[:])[:25]
		msgs[i].EnforceNonce = true
	}
}
