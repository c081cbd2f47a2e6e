package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/apperr"
)

// Discord's limits, and ours.
const (
	pageSize        = 5    // results per page
	maxTitle        = 256  // embed title
	maxDescription  = 4096 // embed description
	maxFieldName    = 256
	maxFieldValue   = 1024
	maxCustomID     = 100
	maxSelectLabel  = 100
	maxChoices      = 25
	articlePageSize = 3300 // characters of body per article page: with a 700-character summary, page 1 stays under 4096
	minIDPrefix     = 4    // the shortest ID prefix the store looks up
)

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// isNotFound reports whether an Articles error means no such article.
func isNotFound(err error) bool { return apperr.Is(err, apperr.NotFound) }

// dateCommand lists the articles within WHEN, newest first, paged.
func (b *Bot) dateCommand(ctx context.Context, req Request) (Response, error) {
	return b.dateResults(ctx, strings.TrimSpace(req.Option("when")), 0, false)
}

func (b *Bot) datePage(ctx context.Context, _ Request, rest string) (Response, error) {
	pageText, when, ok := strings.Cut(rest, "|")
	page, err := strconv.Atoi(pageText)
	if !ok || err != nil || page < 0 {
		return Response{}, Errorf("This button is broken; run /date again.")
	}
	return b.dateResults(ctx, when, page, true)
}

func (b *Bot) dateResults(ctx context.Context, when string, page int, update bool) (Response, error) {
	r, err := corpus.ParseWhen(when, b.d.Now().In(b.d.Location))
	if err != nil {
		return Response{}, Errorf("%s", err)
	}
	arts, err := b.d.Articles.Between(ctx, r.From, r.To)
	if err != nil {
		return Response{}, err
	}
	title := "Articles dated " + r.Phrase()
	if len(arts) == 0 {
		return Response{Content: fmt.Sprintf("No articles dated %s.", r.Phrase()), Ephemeral: true, Update: update}, nil
	}
	hits := make([]listItem, len(arts))
	for i, a := range arts {
		hits[i] = listItem{ID: a.ID, Title: a.Title, URL: a.URL, Date: a.Date, Text: escapeMarkdown(firstWords(firstParagraph(a.Body), 160))}
	}
	return listResponse(title, hits, len(hits), page, func(p int) string {
		return fmt.Sprintf("d|%d|%s", p, when)
	}, update), nil
}

// listItem is one row of a result list.
type listItem struct {
	ID, Title string // Title as plain text
	URL       string // the original article, or ""
	Date      corpus.Date
	Text      string // snippet or opening words, as markdown
}

// maxLinkURL bounds a URL shown as a Markdown link in a result list; a
// longer one is left out (the article's own view still links it).
const maxLinkURL = 512

// originalLink returns " · [original](URL)" for a result list, or "" when
// there is no URL (or it is too long to show).
func originalLink(url string) string {
	if url == "" || len(url) > maxLinkURL {
		return ""
	}
	// Parentheses would end the Markdown link early.
	url = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(url)
	return " · [original](" + url + ")"
}

// listResponse renders one page of a result list as an ephemeral embed
// with a select menu to open an article and Previous/Next buttons. items
// holds either all results (total == len) or just this page's.
func listResponse(title string, items []listItem, total, page int, pageID func(int) string, update bool) Response {
	pages := (total + pageSize - 1) / pageSize
	if page >= pages {
		page = pages - 1
	}
	if len(items) == total && total > pageSize {
		items = items[page*pageSize : min((page+1)*pageSize, total)]
	}
	e := Embed{Title: clipText(title, maxTitle), Footer: fmt.Sprintf("%s · page %d of %d", plural(total, "result"), page+1, pages)}
	var opts []SelectOption
	for i, it := range items {
		n := page*pageSize + i + 1
		name := fmt.Sprintf("%d. %s", n, escapeMarkdown(it.Title))
		if d := it.Date.String(); d != "" {
			name += " (" + d + ")"
		}
		ref := "ID `" + it.ID + "`" + originalLink(it.URL)
		value := ref
		if it.Text != "" {
			value = clipText(it.Text, maxFieldValue-len([]rune(ref))-1) + "\n" + ref
		}
		e.Fields = append(e.Fields, Field{Name: clipText(name, maxFieldName), Value: clipText(value, maxFieldValue)})
		opts = append(opts, SelectOption{Label: clipText(fmt.Sprintf("%d. %s", n, it.Title), maxSelectLabel), Value: it.ID, Description: it.Date.String()})
	}
	rows := []Row{{{Kind: Select, CustomID: "open|" + strconv.Itoa(page), Placeholder: "Open an article…", Options: opts}}}
	if pages > 1 {
		rows = append(rows, Row{
			{Kind: Button, CustomID: pageID(page - 1), Label: "◀ Previous", Style: Secondary, Disabled: page == 0},
			{Kind: Button, CustomID: pageID(page + 1), Label: "Next ▶", Style: Secondary, Disabled: page >= pages-1},
		})
	}
	return Response{Embeds: []Embed{e}, Components: rows, Ephemeral: true, Update: update}
}

// articleCommand shows one article by ID (or unique ID prefix).
func (b *Bot) articleCommand(ctx context.Context, req Request) (Response, error) {
	id := strings.TrimSpace(req.Option("id"))
	if id == "" {
		return Response{}, Errorf("Give an article ID; start typing a title to pick one.")
	}
	return b.showArticle(ctx, id, 0, false)
}

func (b *Bot) articlePage(ctx context.Context, _ Request, rest string) (Response, error) {
	id, pageText, ok := strings.Cut(rest, "|")
	page, err := strconv.Atoi(pageText)
	if !ok || err != nil || page < 0 {
		return Response{}, Errorf("This button is broken; run /article again.")
	}
	return b.showArticle(ctx, id, page, true)
}

// showArticle renders an article: title, date, source, summary, and one
// page of the full text, with buttons for the other pages and to share it.
// Text longer than one page is also attached as a file.
func (b *Bot) showArticle(ctx context.Context, id string, page int, update bool) (Response, error) {
	a, err := ArticleByID(ctx, b.d.Articles, id, IDHelp{
		Find:  "Use /search or /date to find one, or start typing a title in /article.",
		Short: ", or start typing a title and pick one.",
	})
	if err != nil {
		return Response{}, err
	}
	pages := pageText(a.Body, articlePageSize)
	if page >= len(pages) {
		page = len(pages) - 1
	}
	var desc strings.Builder
	if page == 0 && b.d.Summaries != nil {
		if s, err := b.d.Summaries.Summary(ctx, a); err != nil {
			b.d.Log.Warn("summary failed", "id", a.ID, "error", err)
		} else if s != "" {
			desc.WriteString("**Summary.** " + escapeMarkdown(s) + "\n\n")
		}
	}
	desc.WriteString(escapeMarkdown(pages[page]))
	e := Embed{Title: clipText(escapeMarkdown(a.Title), maxTitle), URL: a.URL, Description: clipText(desc.String(), maxDescription),
		Fields: []Field{{Name: "Date", Value: dateText(a.Date), Inline: true}, {Name: "Source", Value: clipText(a.Source, maxFieldValue), Inline: true}, {Name: "ID", Value: "`" + a.ID + "`", Inline: true}}}
	if len(pages) > 1 {
		e.Footer = fmt.Sprintf("Page %d of %d · %d words", page+1, len(pages), a.Words)
	} else {
		e.Footer = fmt.Sprintf("%d words", a.Words)
	}
	row := Row{{Kind: Button, CustomID: "share|" + a.ID, Label: "Share in channel", Style: Primary}}
	if len(pages) > 1 {
		row = append(Row{
			{Kind: Button, CustomID: fmt.Sprintf("a|%s|%d", a.ID, page-1), Label: "◀ Previous", Style: Secondary, Disabled: page == 0},
			{Kind: Button, CustomID: fmt.Sprintf("a|%s|%d", a.ID, page+1), Label: "Next ▶", Style: Secondary, Disabled: page >= len(pages)-1},
		}, row...)
	}
	resp := Response{Embeds: []Embed{e}, Components: []Row{row}, Ephemeral: true, Update: update}
	if len(pages) > 1 && !update {
		resp.Files = []File{{Name: a.ID + ".txt", ContentType: "text/plain; charset=utf-8", Data: []byte(a.Title + "\n\n" + a.Body + "\n")}}
	}
	return resp, nil
}

// IDHelp tells the user, in a front end's own words, how to find an
// article ID: Find ends the message for an unknown ID, Short the one for a
// prefix too short to look up.
type IDHelp struct{ Find, Short string }

// ArticleByID looks up an article by ID or unique ID prefix. An unknown,
// too short or ambiguous ID is a user-facing *Error (the same words in
// every front end, ending with help); other errors are returned as they
// are.
func ArticleByID(ctx context.Context, arts Articles, id string, help IDHelp) (corpus.Article, error) {
	a, err := arts.Article(ctx, id)
	switch apperr.CodeOf(err) {
	case "":
		return a, err
	case apperr.NotFound:
		return a, apperr.Errorf(apperr.NotFound, "No article has the ID %q. %s", clipText(id, 40), help.Find)
	case apperr.TooShort:
		return a, apperr.Errorf(apperr.TooShort, "%q is too short for an article ID: type at least %d characters%s", clipText(id, 40), minIDPrefix, help.Short)
	case apperr.Ambiguous:
		return a, apperr.Errorf(apperr.Ambiguous, "More than one article ID starts with %q; give more of it.", clipText(id, 40))
	}
	return a, err
}

// share posts an article's title, date and summary publicly in the channel.
func (b *Bot) share(ctx context.Context, req Request, id string) (Response, error) {
	a, err := b.d.Articles.Article(ctx, id)
	if isNotFound(err) {
		return Response{}, Errorf("That article is no longer in the archive.")
	}
	if err != nil {
		return Response{}, err
	}
	text := firstWords(a.Body, 600)
	if b.d.Summaries != nil {
		if s, err := b.d.Summaries.Summary(ctx, a); err == nil && s != "" {
			text = s
		}
	}
	who := req.UserName
	if req.UserID != "" {
		who = "<@" + req.UserID + ">"
	}
	msg := &Message{
		Content: fmt.Sprintf("%s shared an article:", who),
		Embeds: []Embed{{Title: clipText(escapeMarkdown(a.Title), maxTitle), URL: a.URL, Description: clipText(escapeMarkdown(text), maxDescription),
			Fields: []Field{{Name: "Date", Value: dateText(a.Date), Inline: true}, {Name: "ID", Value: "`" + a.ID + "`", Inline: true}}}},
	}
	return Response{Content: "Shared in this channel.", Ephemeral: true, Public: msg}, nil
}

// titleCache keeps the article titles for autocomplete, reloaded when the
// store's change log moves.
type titleCache struct {
	mu    sync.Mutex
	seq   uint64
	ready bool
	items []corpus.Article
}

func (b *Bot) autocompleteArticle(ctx context.Context, req Request) (Response, error) {
	items, err := b.titles.get(ctx, b.d.Articles)
	if err != nil {
		return Response{}, err
	}
	q := strings.ToLower(strings.TrimSpace(req.Option("id")))
	var prefix, contains []Choice
	for _, a := range items {
		if len(prefix) >= maxChoices {
			break
		}
		t := strings.ToLower(a.Title)
		c := Choice{Name: clipText(choiceName(a), 100), Value: a.ID}
		switch {
		case q == "" || strings.HasPrefix(t, q) || strings.HasPrefix(strings.ToLower(a.ID), q):
			prefix = append(prefix, c)
		case len(contains) < maxChoices && strings.Contains(t, q):
			contains = append(contains, c)
		}
	}
	choices := append(prefix, contains...)
	if len(choices) > maxChoices {
		choices = choices[:maxChoices]
	}
	return Response{Choices: choices}, nil
}

func choiceName(a corpus.Article) string {
	if d := a.Date.String(); d != "" {
		return d + " · " + a.Title
	}
	return a.Title
}

func (c *titleCache) get(ctx context.Context, arts Articles) ([]corpus.Article, error) {
	seq, err := arts.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready && c.seq == seq {
		return c.items, nil
	}
	items, err := arts.Headers(ctx)
	if err != nil {
		return nil, err
	}
	c.items, c.seq, c.ready = items, seq, true
	return items, nil
}

// dateText renders a date for a reader; a day as a Discord timestamp so
// each reader sees it in their own locale.
func dateText(d corpus.Date) string {
	first, _, ok := d.Span()
	switch {
	case !ok:
		return "undated"
	case d.Precision == corpus.PrecisionDay:
		return fmt.Sprintf("<t:%d:D>", first.Unix())
	case d.Precision == corpus.PrecisionMonth:
		return first.Format("January 2006")
	}
	return d.String()
}

// pageText splits text into pages of at most n characters (as Len
// counts) at paragraph or word boundaries.
func pageText(text string, n int) []string {
	var pages []string
	text = strings.TrimSpace(text)
	for Len(text) > n {
		cut := byteIndexOfUnits(text, n)
		head := text[:cut]
		if i := strings.LastIndex(head, "\n\n"); i > cut/2 {
			cut = i
		} else if i := strings.LastIndexAny(head, " \n"); i > cut/2 {
			cut = i
		}
		pages = append(pages, strings.TrimSpace(text[:cut]))
		text = strings.TrimSpace(text[cut:])
	}
	return append(pages, text)
}

// clipText trims s and shortens it to at most n characters (as Len
// counts) at a word boundary, marking the cut with "…".
func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if Len(s) <= n {
		return s
	}
	cut := s[:byteIndexOfUnits(s, n-1)]
	if i := strings.LastIndexAny(cut, " \n"); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " \n,;:") + "…"
}

// firstWords returns about n characters of text, cut at a word.
func firstWords(text string, n int) string {
	return clipText(strings.Join(strings.Fields(text), " "), n)
}

// plural returns "1 result", "2 results".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func firstParagraph(body string) string {
	p, _, _ := strings.Cut(body, "\n\n")
	return p
}
