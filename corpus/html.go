package corpus

import (
	"bytes"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding/htmlindex"
)

// HTML pages.
//
// The title is, first found: og:title (or twitter:title), the JSON-LD
// article's headline, the article's <h1> (one inside <article>/<main>, else
// the first outside the site header), <title>; the site's name is cut from
// og:title and <title> (" | Site", " - Site", "Site: …").
//
// The date is, first found: a published-time meta tag
// (article:published_time, datePublished, pubdate, …), the JSON-LD
// datePublished, a <time datetime> marked as the publication time or inside
// the article, a dateline or date line above the text; then, like every
// format, a date in the file name, then one in the text.
//
// The URL is <link rel=canonical>, og:url or the JSON-LD url, resolved
// against <base href> and the page's own address, with tracking parameters
// dropped; else the page's own address (pageURL, or the "saved from url="
// comment a browser's "Save as" leaves).
//
// The body is the main article text found by go-readability after page
// furniture is pruned (see pruneFurniture), rendered with paragraphs kept
// (see HTMLText); when readability finds nothing the whole pruned body is
// used. Then the cleaning every format shares (see draft.article).

// ParseHTML turns a whole HTML page, or a fragment of one (a saved <div>
// with an <h1> and a dateline), into an Article. name is the file's base
// name, stored as Article.Source and named in errors; pageURL is the page's
// address when known (from a feed, say), used to resolve relative links and
// as the URL when the page names none. The charset comes from a byte order
// mark, else <meta charset> or <meta http-equiv=Content-Type>, else UTF-8
// with the same GB18030 fallback as plain text. Errors are *FileError
// wrapping ErrEmpty, ErrBinary or ErrNoText.
func ParseHTML(name string, data []byte, pageURL string) (Article, error) {
	text, err := decodeHTML(data)
	if err != nil {
		return Article{}, &FileError{File: name, Err: err}
	}
	doc, err := html.Parse(bytes.NewReader(text))
	if err != nil { // a bytes.Reader does not fail
		return Article{}, &FileError{File: name, Err: err}
	}
	pm := readPageMeta(doc)
	raw := text
	if pageURL != "" {
		raw = append(append(raw[:len(raw):len(raw)], '\n'), pageURL...)
	}
	dr := draft{html: true, raw: raw}
	dr.url = pm.sourceURL(pageURL)
	dr.title, dr.titleFrom = pm.pageTitle()
	dr.date = pm.pageDate()
	dr.body = htmlBody(doc, dr.url)
	return dr.article(name)
}

// htmlBody returns the article text of the page, one paragraph per line.
func htmlBody(doc *html.Node, pageURL string) string {
	pruneFurniture(doc)
	var u *url.URL
	if pageURL != "" {
		u, _ = url.Parse(pageURL)
	}
	parser := readability.NewParser()
	art, err := parser.ParseDocument(doc, u)
	var main string
	if err == nil && art.Node != nil {
		var w textWriter
		w.render(art.Node)
		main = w.String()
	}
	var all textWriter
	all.render(doc)
	whole := all.String()
	// Readability may pass over a short page or fragment whose text is all
	// article, keeping a part of it or nothing.
	if mw, ww := countWords(main), countWords(whole); mw == 0 || (ww < 400 && mw*2 < ww) {
		main = whole
	}
	return strings.ReplaceAll(main, "\n\n", "\n")
}

// decodeHTML decodes a page to clean UTF-8 text as decodeText does, using
// the charset the page declares when it has no byte order mark.
func decodeHTML(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) &&
		!bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		if enc, err := htmlindex.Get(declaredCharset(data)); err == nil {
			if name, _ := htmlindex.Name(enc); name != "utf-8" && !strings.HasPrefix(name, "utf-16") {
				if out, err := enc.NewDecoder().Bytes(data); err == nil {
					data = out
				}
			}
		}
	}
	return decodeText(data)
}

// charsetProbe is how much of a page is searched for its declared charset.
const charsetProbe = 4096

// declaredCharset returns the charset named by the first <meta charset>,
// <meta http-equiv="Content-Type" content="…; charset=…"> or XML
// declaration in the first 4 KB of the page, or "".
func declaredCharset(data []byte) string {
	head := data[:min(len(data), charsetProbe)]
	if bytes.HasPrefix(head, []byte("<?xml")) {
		if end := bytes.Index(head, []byte("?>")); end > 0 {
			if cs := attrInDecl(string(head[:end]), "encoding"); cs != "" {
				return cs
			}
		}
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tag, hasAttr := z.TagName()
			if atom.Lookup(tag) != atom.Meta || !hasAttr {
				continue
			}
			var httpEquiv, content string
			for {
				k, v, more := z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "charset":
					return strings.TrimSpace(string(v))
				case "http-equiv":
					httpEquiv = strings.ToLower(strings.TrimSpace(string(v)))
				case "content":
					content = string(v)
				}
				if !more {
					break
				}
			}
			if httpEquiv == "content-type" {
				if i := strings.Index(strings.ToLower(content), "charset="); i >= 0 {
					cs := content[i+len("charset="):]
					if j := strings.IndexAny(cs, "; "); j >= 0 {
						cs = cs[:j]
					}
					return strings.Trim(cs, `"' `)
				}
			}
		}
	}
}

// attrInDecl returns the value of key="…" in an XML declaration.
func attrInDecl(decl, key string) string {
	i := strings.Index(decl, key+"=")
	if i < 0 || i+len(key)+2 > len(decl) {
		return ""
	}
	rest := decl[i+len(key)+1:]
	q := rest[0]
	if q != '"' && q != '\'' {
		return ""
	}
	if j := strings.IndexByte(rest[1:], q); j >= 0 {
		return rest[1 : 1+j]
	}
	return ""
}

// pageDateKeys are the meta names and properties (lower case) that give a
// page's publication time, best first.
var pageDateKeys = [...]string{
	"article:published_time", "og:article:published_time", "article:published", "datepublished",
	"published_time", "publishdate", "publish-date", "publish_date", "pubdate", "sailthru.date",
	"parsely-pub-date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
	"article.published", "date", "citation_publication_date", "og:published_time",
}

// pageDate returns the publication date the page's metadata gives.
func (pm pageMeta) pageDate() Date {
	for _, k := range pageDateKeys {
		if d, ok := dateValue(pm.meta[k], FromMetaTag); ok {
			return d
		}
	}
	if d, ok := dateValue(pm.ld.datePublished, FromJSONLD); ok {
		return d
	}
	for _, pass := range [...]func(timeCandidate) bool{
		func(t timeCandidate) bool { return t.published },
		func(t timeCandidate) bool { return t.inArticle },
	} {
		for _, t := range pm.times {
			if pass(t) {
				if d, ok := dateValue(t.value, FromTimeElement); ok {
					return d
				}
			}
		}
	}
	return Date{}
}

// dateValue reads a date written as a metadata value: ISO 8601 / RFC 3339
// ("2024-02-10T09:30:00+01:00", the calendar date taken as written), RFC
// 1123 ("Sat, 10 Feb 2024 09:30:00 GMT") or a written date ("February 10,
// 2024").
func dateValue(v string, from DateSource) (Date, bool) {
	v = collapse(v)
	if v == "" {
		return Date{}, false
	}
	r, ok := datelineDate(v)
	if !ok {
		var n int
		if r, n = scanDate(v, true); n == 0 {
			return Date{}, false
		}
	}
	return r.date(from)
}

// pageTitle returns the page's title and the rule that found it.
func (pm pageMeta) pageTitle() (string, TitleSource) {
	site := pm.meta["og:site_name"]
	if site == "" {
		site = pm.meta["application-name"]
	}
	// A "title" that is only the site's name says nothing about the article.
	usable := func(t string) bool { return t != "" && !strings.EqualFold(t, collapse(site)) }
	if t := stripSiteName(pm.meta["og:title"], site); usable(t) {
		return t, TitleOGTitle
	}
	if t := stripSiteName(pm.meta["twitter:title"], site); usable(t) {
		return t, TitleOGTitle
	}
	if usable(pm.ld.headline) {
		return pm.ld.headline, TitleJSONLD
	}
	if t := pm.articleH1(site); usable(t) {
		return t, TitleH1
	}
	if t := stripSiteName(pm.title, site); usable(t) {
		return t, TitleTitleTag
	}
	return "", TitleUnknown
}

// articleH1 returns the article's <h1>: the first inside the article, else
// the first outside the site header that is not the site's name.
func (pm pageMeta) articleH1(site string) string {
	for _, h := range pm.h1 {
		if h.inArticle {
			return h.text
		}
	}
	for _, h := range pm.h1 {
		if !h.inHeader && !strings.EqualFold(h.text, site) {
			return h.text
		}
	}
	return ""
}

// titleSeparators divide a headline from the site's name in <title>.
var titleSeparators = [...]string{" | ", " - ", " – ", " — ", " :: ", " · ", " » ", " : ", " / "}

// stripSiteName cuts the site's name from a page title: "Headline | Site",
// "Site - Headline". Without a known site name, a last part after " | " of
// at most four words is taken as the name, and after a dash one of at most
// three capitalised words or a domain, when the rest is longer.
func stripSiteName(t, site string) string {
	t = collapse(t)
	if t == "" {
		return ""
	}
	if site = collapse(site); site != "" {
		for _, sep := range titleSeparators {
			if i := strings.LastIndex(t, sep); i > 0 && strings.EqualFold(t[i+len(sep):], site) {
				return strings.TrimSpace(t[:i])
			}
			if i := strings.Index(t, sep); i > 0 && strings.EqualFold(t[:i], site) {
				return strings.TrimSpace(t[i+len(sep):])
			}
		}
	}
	for _, sep := range titleSeparators {
		i := strings.LastIndex(t, sep)
		if i <= 0 {
			continue
		}
		head, tail := t[:i], t[i+len(sep):]
		hw, tw := len(strings.Fields(head)), len(strings.Fields(tail))
		if sep == " | " && tw <= 4 && hw > tw {
			return head
		}
		if (sep == " - " || sep == " – " || sep == " — ") && hw >= 4 && tw <= 3 && siteLike(tail) {
			return head
		}
	}
	return t
}

// siteLike reports whether s looks like a site's name: a domain, or words
// that all start with a capital letter or digit.
func siteLike(s string) bool {
	if strings.Contains(s, ".") && !strings.Contains(s, " ") {
		return true
	}
	for _, w := range strings.Fields(s) {
		if c := w[0]; !(c >= 'A' && c <= 'Z') && !isDigit(c) {
			return false
		}
	}
	return true
}

// sourceURL returns the page's own address, cleaned.
func (pm pageMeta) sourceURL(pageURL string) string {
	base := CleanURL(pageURL)
	if base == "" {
		base = CleanURL(pm.savedFrom)
	}
	if pm.base != "" {
		if b := resolveURL(pm.base, base); b != "" {
			base = b
		}
	}
	var cands []string
	for _, c := range [...]string{pm.canonical, pm.meta["og:url"], pm.ld.url} {
		if u := resolveURL(c, base); u != "" {
			cands = append(cands, u)
		}
	}
	if base != "" {
		cands = append(cands, base)
	}
	// A canonical link to the home page on every page is a common mistake:
	// prefer an address with a path.
	for _, c := range cands {
		if u, err := url.Parse(c); err == nil && u.Path != "/" {
			return c
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return ""
}
