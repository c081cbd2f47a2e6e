package corpus

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Markdown.
//
// YAML front matter between "---" lines at the top gives the title
// ("title"), the date ("date", else "published"/"pubDate") and the source
// URL ("url", "link", "source", "canonical_url", …); front matter that is
// not valid YAML is dropped without being read. Without a front-matter
// title, a leading "# Heading" (or a Setext heading underlined with "===")
// is the title. The body is plain text: consecutive lines join into one
// paragraph, list items and headings are paragraphs of their own, link and
// image syntax keeps only the link text, emphasis and code markers, heading
// hashes, list bullets, quote markers, rules and table rules are removed,
// fenced and indented code stays as text, and inline HTML is rendered as
// HTML.

// hasFrontMatter reports whether text opens with YAML front matter: a
// "---" line, then a closing "---" or "..." line.
func hasFrontMatter(text []byte) bool {
	_, _, ok := splitFrontMatter(text)
	return ok
}

// maxFrontMatterBytes bounds the front matter searched for its end.
const maxFrontMatterBytes = 64 << 10

// splitFrontMatter splits leading front matter from the rest of text.
func splitFrontMatter(text []byte) (yamlText, rest []byte, ok bool) {
	if !bytes.HasPrefix(text, []byte("---\n")) {
		return nil, text, false
	}
	body := text[4:]
	for pos := 0; pos < len(body) && pos < maxFrontMatterBytes; {
		end := bytes.IndexByte(body[pos:], '\n')
		line := body[pos:]
		if end >= 0 {
			line = body[pos : pos+end]
		}
		if t := bytes.TrimRight(line, " \t"); string(t) == "---" || string(t) == "..." {
			if end < 0 {
				return body[:pos], nil, true
			}
			return body[:pos], body[pos+end+1:], true
		}
		if end < 0 {
			break
		}
		pos += end + 1
	}
	return nil, text, false
}

// frontMatter holds the fields we read from front matter.
type frontMatter struct {
	title, url string
	date       Date
}

// urlKeys are the front-matter keys that may hold the source URL, best
// first.
var urlKeys = [...]string{"url", "link", "source", "source_url", "canonical_url", "canonical",
	"original_url", "originalurl", "permalink"}

// readFrontMatter reads the fields of YAML front matter. Invalid YAML
// gives an empty frontMatter.
func readFrontMatter(src []byte) frontMatter {
	var m map[string]any
	if err := yaml.Unmarshal(src, &m); err != nil {
		return frontMatter{}
	}
	lower := make(map[string]any, len(m))
	for k, v := range m {
		lower[strings.ToLower(k)] = v
	}
	var fm frontMatter
	if t, ok := lower["title"].(string); ok {
		fm.title = collapse(t)
	}
	for _, k := range urlKeys {
		if s, ok := lower[k].(string); ok {
			if fm.url = CleanURL(s); fm.url != "" {
				break
			}
		}
	}
	for _, k := range [...]string{"date", "published", "pubdate", "publishdate", "created"} {
		if d, ok := yamlDate(lower[k]); ok {
			fm.date = d
			break
		}
	}
	return fm
}

// yamlDate reads a front-matter date: a YAML timestamp (its calendar date
// as written) or a string dateValue understands.
func yamlDate(v any) (Date, bool) {
	switch x := v.(type) {
	case time.Time:
		return DayDate(x.Year(), x.Month(), x.Day(), FromFrontMatter)
	case string:
		return dateValue(x, FromFrontMatter)
	case int:
		return dateValue(fmt.Sprint(x), FromFrontMatter)
	}
	return Date{}, false
}

// parseMarkdown turns a decoded Markdown file into an Article.
func parseMarkdown(name string, text []byte) (Article, error) {
	yamlText, rest, ok := splitFrontMatter(text)
	var fm frontMatter
	if ok {
		fm = readFrontMatter(yamlText)
	}
	dr := draft{title: fm.title, date: fm.date, url: fm.url, raw: text}
	if dr.title != "" {
		dr.titleFrom = TitleFrontMatter
	}
	paras, heading := markdownText(string(rest))
	if dr.title == "" && heading != "" {
		dr.title, dr.titleFrom = heading, TitleHeading
	} else if heading != "" {
		paras = append([]string{heading}, paras...) // dropped if it repeats the title
	}
	dr.body = strings.Join(paras, "\n")
	return dr.article(name)
}

var (
	mdImage     = lazyRegexp(`!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]`)
	mdLink      = lazyRegexp(`\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)|\[([^\]]+)\]\[[^\]]*\]`)
	mdAutolink  = lazyRegexp(`<((?:https?|mailto):[^>\s]+)>`)
	mdFootnote  = lazyRegexp(`\[\^[^\]]+\]`)
	mdRefDef    = lazyRegexp(`^ {0,3}\[[^\]]+\]:\s*\S+`)
	mdOrdered   = lazyRegexp(`^\d{1,9}[.)]\s+`)
	mdRule      = lazyRegexp(`^ {0,3}(?:(?:- *){3,}|(?:\* *){3,}|(?:_ *){3,})$`)
	mdTableRule = lazyRegexp(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
	mdEmphasis  = lazyRegexp(`\*\*(\S(?:.*?\S)?)\*\*|__(\S(?:.*?\S)?)__|~~(\S(?:.*?\S)?)~~`)
	mdStar      = lazyRegexp(`(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*`)
	mdUnder     = lazyRegexp(`(^|[^\w])_(\S(?:[^_]*?\S)?)_([^\w]|$)`)
	mdCode      = lazyRegexp("`+([^`]+)`+")
	mdTag       = lazyRegexp(`</?[a-zA-Z][^>]*>`)
	mdLinkLine  = lazyRegexp(`^\[[^\]]*\]\([^)]*\)$`)
)

// mdText collects the paragraphs of Markdown text.
type mdText struct {
	paras   []string
	cur     []string // lines of the paragraph being read
	heading string   // a leading level-1 heading
}

func (m *mdText) flush() {
	if p := collapse(strings.Join(m.cur, " ")); p != "" {
		m.paras = append(m.paras, p)
	}
	m.cur = m.cur[:0]
}

// addHeading records a heading: the title when it is the first thing in
// the text and of level 1, else a paragraph.
func (m *mdText) addHeading(h string, level int) {
	m.flush()
	if level == 1 && m.heading == "" && len(m.paras) == 0 {
		m.heading = h
	} else if h != "" {
		m.paras = append(m.paras, h)
	}
}

// headingAt reads an ATX ("## Text") or, when setext, a Setext
// (underlined) heading at lines[i]; n is how many lines it takes.
func headingAt(lines []string, i int, setext bool) (h string, level, n int, ok bool) {
	trim := strings.TrimSpace(lines[i])
	if setext && i+1 < len(lines) && trim != "" && isSetextUnderline(lines[i+1]) {
		level = 2
		if strings.HasPrefix(strings.TrimSpace(lines[i+1]), "=") {
			level = 1
		}
		return inlineMarkdown(trim), level, 2, true
	}
	level = len(trim) - len(strings.TrimLeft(trim, "#"))
	if level == 0 || level > 6 || (len(trim) > level && trim[level] != ' ') {
		return "", 0, 0, false
	}
	return inlineMarkdown(strings.TrimRight(strings.TrimSpace(trim[level:]), "# ")), level, 1, true
}

// markdownText returns the paragraphs of Markdown text as plain text, and a
// leading level-1 heading separately (it is not among the paragraphs).
func markdownText(src string) (paras []string, heading string) {
	lines := strings.Split(src, "\n")
	var m mdText
	fence := ""
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		trim := strings.TrimLeft(line, " ")
		switch {
		case fence != "": // inside fenced code: every line is text
			if strings.HasPrefix(trim, fence) {
				fence = ""
			} else if t := strings.TrimSpace(line); t != "" {
				m.paras = append(m.paras, collapse(t))
			}
			continue
		case strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~"):
			m.flush()
			fence = trim[:3]
			continue
		case trim == "" || mdRule().MatchString(line) || mdTableRule().MatchString(trim) || mdRefDef().MatchString(line):
			m.flush()
			continue
		case len(m.cur) == 0 && mdLinkLine().MatchString(trim) && (i+1 == len(lines) || strings.TrimSpace(lines[i+1]) == ""):
			continue // a paragraph that is only a link ("Full results")
		}
		if h, level, n, ok := headingAt(lines, i, len(m.cur) == 0); ok {
			m.addHeading(h, level)
			i += n - 1
			continue
		}
		text, item := blockPrefix(trim)
		if item {
			m.flush()
		}
		if strings.HasPrefix(line, "    ") && len(m.cur) == 0 && !item { // indented code
			m.paras = append(m.paras, collapse(line))
			continue
		}
		if strings.HasPrefix(text, "|") { // a table row: its cells
			text = strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == '|' }), " ")
		}
		m.cur = append(m.cur, inlineMarkdown(text))
		if strings.HasSuffix(lines[i], "  ") || strings.HasSuffix(line, "\\") { // hard line break
			m.flush()
		}
	}
	m.flush()
	return m.paras, m.heading
}

// isSetextUnderline reports whether line underlines a heading: only "=" or
// only "-" (at least three of them).
func isSetextUnderline(line string) bool {
	t := strings.TrimSpace(line)
	return len(t) >= 3 && (strings.Trim(t, "=") == "" || strings.Trim(t, "-") == "")
}

// blockPrefix removes quote markers and a list bullet or number from the
// start of a line; item says it starts a list item.
func blockPrefix(s string) (text string, item bool) {
	for strings.HasPrefix(s, ">") {
		s = strings.TrimLeft(s[1:], " ")
	}
	if len(s) >= 2 && (s[0] == '-' || s[0] == '*' || s[0] == '+') && s[1] == ' ' {
		s, item = strings.TrimLeft(s[2:], " "), true
		if strings.HasPrefix(s, "[ ] ") || strings.HasPrefix(s, "[x] ") || strings.HasPrefix(s, "[X] ") {
			s = s[4:]
		}
	} else if m := mdOrdered().FindString(s); m != "" {
		s, item = s[len(m):], true
	}
	return s, item
}

// inlineMarkdown removes inline Markdown from one line of text.
func inlineMarkdown(s string) string {
	if !strings.ContainsAny(s, "*_~`[]<\\!") {
		return s // nothing to remove: most lines of prose
	}
	s = mdAutolink().ReplaceAllString(s, "$1")
	if strings.ContainsAny(s, "<") && looksLikeHTML(s) {
		s = strings.ReplaceAll(HTMLText(s), "\n\n", " ")
	}
	s = mdImage().ReplaceAllString(s, "")
	s = mdLink().ReplaceAllString(s, "$1$2")
	s = mdFootnote().ReplaceAllString(s, "")
	s = mdCode().ReplaceAllString(s, "$1")
	for range 3 { // nested emphasis: ***a** b*
		s = mdEmphasis().ReplaceAllString(s, "$1$2$3")
		s = mdStar().ReplaceAllString(s, "$1$2")
		s = mdUnder().ReplaceAllString(s, "$1$2$3")
	}
	s = mdTag().ReplaceAllString(s, "")
	return unescapeMarkdown(s)
}

// unescapeMarkdown turns backslash escapes (\*, \_, \#) into the character.
func unescapeMarkdown(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\`*_{}[]()#+-.!|<>~", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
