package corpus

import (
	"encoding/json"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageMeta is what a page says about itself outside its article text.
type pageMeta struct {
	meta      map[string]string // <meta property|name|itemprop> (lower case) → content, first wins
	ld        ldArticle         // the best JSON-LD article object
	canonical string            // <link rel=canonical href>
	base      string            // <base href>
	savedFrom string            // <!-- saved from url=(NNNN)… --> of a browser's "Save as"
	title     string            // <title> text
	h1        []h1Candidate     // every <h1>, in order
	times     []timeCandidate   // every <time datetime>, in order
}

// h1Candidate is an <h1> and whether it sits in the article (inside
// <article> or <main>, or marked as a headline) rather than in the site's
// header.
type h1Candidate struct {
	text      string
	inArticle bool
	inHeader  bool
}

// timeCandidate is a <time> element's datetime (or text) and how sure it is
// to be the publication time: marked with pubdate, itemprop=datePublished or
// a "published" class, or inside the article.
type timeCandidate struct {
	value     string
	published bool
	inArticle bool
}

// ldArticle holds the fields we use from a JSON-LD object.
type ldArticle struct {
	headline, datePublished, url string
	rank                         int // 0 none, 1 WebPage, 2 any article type
}

// readPageMeta collects the page's metadata from the tree.
func readPageMeta(doc *html.Node) pageMeta {
	pm := pageMeta{meta: map[string]string{}}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.CommentNode && pm.savedFrom == "" {
			pm.savedFrom = savedFromURL(n.Data)
		}
		if n.Type == html.ElementNode {
			pm.element(n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return pm
}

// element records what element n contributes.
func (pm *pageMeta) element(n *html.Node) {
	switch n.DataAtom {
	case atom.Meta:
		content, ok := attr(n, "content")
		if !ok {
			return
		}
		for _, key := range [...]string{"property", "name", "itemprop"} {
			if k, _ := attr(n, key); k != "" {
				k = strings.ToLower(strings.TrimSpace(k))
				if _, seen := pm.meta[k]; !seen {
					pm.meta[k] = strings.TrimSpace(content)
				}
			}
		}
	case atom.Link:
		rel, _ := attr(n, "rel")
		if href, _ := attr(n, "href"); pm.canonical == "" && hasToken(rel, "canonical") {
			pm.canonical = strings.TrimSpace(href)
		}
	case atom.Base:
		if href, _ := attr(n, "href"); pm.base == "" {
			pm.base = strings.TrimSpace(href)
		}
	case atom.Title:
		if pm.title == "" && !hasAncestor(n, atom.Svg) {
			pm.title = collapse(textContent(n))
		}
	case atom.Script:
		if t, _ := attr(n, "type"); strings.EqualFold(strings.TrimSpace(t), "application/ld+json") {
			pm.jsonLD(textContent(n))
		}
	case atom.H1:
		if t := collapse(textContent(n)); t != "" {
			pm.h1 = append(pm.h1, h1Candidate{text: t, inArticle: inArticle(n), inHeader: inSiteHeader(n)})
		}
	case atom.Time:
		v, _ := attr(n, "datetime")
		if v = strings.TrimSpace(v); v == "" {
			v = collapse(textContent(n))
		}
		if v != "" {
			pm.times = append(pm.times, timeCandidate{value: v, published: publishedMark(n), inArticle: inArticle(n)})
		}
	}
}

// inArticle reports whether n is inside <article>, <main>, or an element
// marked as an article body or headline.
func inArticle(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p.DataAtom == atom.Article || p.DataAtom == atom.Main {
			return true
		}
		if ip, _ := attr(p, "itemprop"); ip == "headline" || ip == "articleBody" {
			return true
		}
		if role, _ := attr(p, "role"); role == "main" || role == "article" {
			return true
		}
	}
	return false
}

// inSiteHeader reports whether n is in the page's header or navigation.
func inSiteHeader(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		switch p.DataAtom {
		case atom.Article, atom.Main:
			return false
		case atom.Header, atom.Nav:
			return true
		}
		if role, _ := attr(p, "role"); role == "banner" {
			return true
		}
	}
	cls, _ := attr(n, "class")
	return strings.Contains(strings.ToLower(cls), "site-title") || strings.Contains(strings.ToLower(cls), "logo")
}

// publishedMark reports whether a <time> says it is the publication time.
func publishedMark(n *html.Node) bool {
	if _, ok := attr(n, "pubdate"); ok {
		return true
	}
	if ip, _ := attr(n, "itemprop"); strings.EqualFold(ip, "datePublished") {
		return true
	}
	for p := n; p != nil && p.DataAtom != atom.Body; p = p.Parent {
		cls, _ := attr(p, "class")
		cls = strings.ToLower(cls)
		if strings.Contains(cls, "updated") || strings.Contains(cls, "modified") {
			return false
		}
		if strings.Contains(cls, "publish") || strings.Contains(cls, "posted-on") || strings.Contains(cls, "entry-date") {
			return true
		}
	}
	return false
}

// jsonLD reads one JSON-LD script and keeps its best article object.
func (pm *pageMeta) jsonLD(src string) {
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(src)), &v); err != nil {
		return // a broken script is ignored like a browser would
	}
	var visit func(any, int)
	visit = func(v any, depth int) {
		if depth > 8 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e, depth+1)
			}
		case map[string]any:
			if g, ok := x["@graph"]; ok {
				visit(g, depth+1)
			}
			if c := ldCandidate(x); c.rank > pm.ld.rank {
				pm.ld = c
			}
		}
	}
	visit(v, 0)
}

// ldCandidate reads an object's headline, datePublished and url, ranked by
// its @type.
func ldCandidate(x map[string]any) ldArticle {
	rank := 0
	for _, t := range ldStrings(x["@type"]) {
		switch {
		case strings.HasSuffix(t, "Article") || t == "BlogPosting" || t == "Report" || t == "LiveBlogPosting" || t == "NewsArticle":
			rank = 2
		case t == "WebPage" && rank < 1:
			rank = 1
		}
	}
	if rank == 0 {
		return ldArticle{}
	}
	c := ldArticle{rank: rank}
	if h := ldStrings(x["headline"]); len(h) > 0 {
		c.headline = collapse(html.UnescapeString(h[0]))
	} else if h := ldStrings(x["name"]); len(h) > 0 && rank == 2 {
		c.headline = collapse(html.UnescapeString(h[0]))
	}
	if d := ldStrings(x["datePublished"]); len(d) > 0 {
		c.datePublished = d[0]
	} else if d := ldStrings(x["dateCreated"]); len(d) > 0 {
		c.datePublished = d[0]
	}
	if u := ldStrings(x["url"]); len(u) > 0 {
		c.url = u[0]
	} else if m, ok := x["mainEntityOfPage"].(map[string]any); ok {
		if id := ldStrings(m["@id"]); len(id) > 0 {
			c.url = id[0]
		}
	} else if u := ldStrings(x["mainEntityOfPage"]); len(u) > 0 {
		c.url = u[0]
	}
	return c
}

// ldStrings returns a JSON-LD value as strings: a string, the strings of an
// array, or an object's "@value".
func ldStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{strings.TrimSpace(x)}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, ldStrings(e)...)
		}
		return out
	case map[string]any:
		return ldStrings(x["@value"])
	}
	return nil
}

// savedFromURL returns the address in a browser's "saved from url=(0055)…"
// comment, or "".
func savedFromURL(comment string) string {
	c := strings.TrimSpace(comment)
	const key = "saved from url="
	if !strings.HasPrefix(strings.ToLower(c), key) {
		return ""
	}
	c = c[len(key):]
	if strings.HasPrefix(c, "(") {
		if i := strings.IndexByte(c, ')'); i >= 0 {
			c = c[i+1:]
		}
	}
	if f := strings.Fields(c); len(f) > 0 {
		return f[0]
	}
	return ""
}

// hasToken reports whether the space-separated list s holds tok, ignoring
// case.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// collapse trims s and turns every run of white space into one space.
func collapse(s string) string {
	if isCollapsed(s) {
		return s // the common case: no copy
	}
	return strings.Join(strings.Fields(s), " ")
}

// isCollapsed reports whether collapse(s) is s: no white space but single
// spaces between words.
func isCollapsed(s string) bool {
	space := true // a space here would lead
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
		case unicode.IsSpace(r):
			return false
		default:
			space = false
		}
	}
	return !space || s == ""
}
