package corpus

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTML to plain text.
//
// Every block element (p, div, li, h1–h6, blockquote, tr, …) and every <br>
// starts a new paragraph; inline elements run together with white space
// collapsed as a browser would. Entities are decoded by the HTML parser.
// Never text: scripts, styles, templates, forms, embedded media, hidden
// elements, and figure captions. From a whole page, furniture — nav, aside,
// footer, header outside an article, and elements whose class or id says
// they are sharing buttons, newsletter sign-ups, cookie banners, "related"
// or "read more" boxes, comments, bylines or captions — is removed first
// (see pruneFurniture).

// HTMLText turns an HTML fragment, such as a feed item's content, into plain
// text: paragraphs separated by one blank line, white space within each
// collapsed, scripts, styles and markup dropped, entities decoded. Text
// without any markup is taken as plain text: its blank lines separate
// paragraphs and its entities are decoded.
func HTMLText(fragment string) string {
	// The HTML tokenizer passes bytes that are not UTF-8 through, and feed
	// parsers can hand them over (found by FuzzItems).
	fragment = strings.ToValidUTF8(fragment, "\uFFFD")
	if !looksLikeHTML(fragment) {
		return plainParagraphs(html.UnescapeString(fragment))
	}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil { // only a failing reader can make it fail
		return ""
	}
	var w textWriter
	for _, n := range nodes {
		w.render(n)
	}
	return w.String()
}

// looksLikeHTML reports whether s holds a tag: "<" followed by a letter,
// "/" or "!".
func looksLikeHTML(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0 && i+1 < len(s); {
		c := s[i+1]
		if isASCIILetter(c) || c == '/' || c == '!' {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// plainParagraphs splits plain text at blank lines into paragraphs with
// white space collapsed, joined by blank lines.
func plainParagraphs(s string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p := strings.Join(strings.Fields(para), " "); p != "" {
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

// textWriter accumulates paragraphs of rendered text.
type textWriter struct {
	paras []string
	cur   strings.Builder
	space bool // white space seen since the last word
}

// word appends text, collapsing its white space.
func (w *textWriter) text(s string) {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && !isHTMLSpace(s[j]) {
			j++
		}
		if j > i {
			if w.space && w.cur.Len() > 0 {
				w.cur.WriteByte(' ')
			}
			w.cur.WriteString(s[i:j])
			w.space = false
		}
		if j < len(s) {
			w.space = true
			j++
		}
		i = j
	}
}

// preText appends preformatted text: each line its own paragraph.
func (w *textWriter) preText(s string) {
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			w.breakPara()
		}
		w.text(line)
	}
}

// breakPara ends the current paragraph, if any.
func (w *textWriter) breakPara() {
	if p := strings.Join(strings.Fields(w.cur.String()), " "); p != "" {
		w.paras = append(w.paras, p)
	}
	w.cur.Reset()
	w.space = false
}

// String returns the paragraphs joined by blank lines.
func (w *textWriter) String() string {
	w.breakPara()
	return strings.Join(w.paras, "\n\n")
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// render writes the text of n and its descendants.
func (w *textWriter) render(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.render(c)
		}
		return
	default:
		return
	}
	if n.DataAtom == 0 {
		// Elements made by readability have a tag name but no atom.
		n.DataAtom = atom.Lookup([]byte(n.Data))
	}
	if neverText(n) {
		return
	}
	switch n.DataAtom {
	case atom.Br, atom.Hr:
		w.breakPara()
		return
	case atom.Pre, atom.Textarea:
		w.breakPara()
		w.preText(textContent(n))
		w.breakPara()
		return
	case atom.Td, atom.Th:
		w.space = true
	}
	block := isBlock(n)
	if block {
		w.breakPara()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.render(c)
	}
	if block {
		w.breakPara()
	}
}

// textContent returns all the text inside n, as written.
func textContent(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// neverText reports whether element n holds nothing a reader sees as text.
func neverText(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Title,
		atom.Iframe, atom.Object, atom.Embed, atom.Canvas, atom.Svg, atom.Math, atom.Video,
		atom.Audio, atom.Picture, atom.Img, atom.Form, atom.Button, atom.Select, atom.Input,
		atom.Label, atom.Figcaption, atom.Dialog, atom.Map:
		return true
	}
	if n.Data == "svg" || n.Data == "amp-ad" || n.Data == "amp-analytics" || n.Data == "amp-sidebar" {
		return true
	}
	if _, ok := attr(n, "hidden"); ok {
		return true
	}
	if v, _ := attr(n, "aria-hidden"); v == "true" {
		return true
	}
	style, _ := attr(n, "style")
	style = strings.ToLower(strings.ReplaceAll(style, " ", ""))
	return strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden")
}

// isBlock reports whether element n starts a new paragraph.
func isBlock(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer,
		atom.Nav, atom.Aside, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Ul, atom.Ol, atom.Li, atom.Dl, atom.Dt, atom.Dd, atom.Blockquote, atom.Figure,
		atom.Table, atom.Tr, atom.Caption, atom.Address, atom.Center, atom.Details,
		atom.Summary, atom.Fieldset, atom.Body, atom.Html, atom.Hgroup, atom.Menu:
		return true
	}
	return false
}

// attr returns the value of n's attribute key (lower case) and whether it
// is present.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// furnitureWords are the parts of class and id names (split at "-", "_"
// and case changes are not considered) that mark page furniture.
var furnitureWords = map[string]bool{
	"share": true, "sharing": true, "sharebar": true, "social": true, "newsletter": true,
	"subscribe": true, "subscription": true, "signup": true, "cookie": true, "cookies": true,
	"consent": true, "gdpr": true, "related": true, "readmore": true, "promo": true,
	"advert": true, "advertisement": true, "ads": true, "ad": true, "sponsored": true,
	"caption": true, "credit": true, "comments": true, "comment": true, "breadcrumb": true,
	"breadcrumbs": true, "byline": true, "author": true, "tags": true,
	"recommended": true, "popular": true, "trending": true, "outbrain": true, "taboola": true,
	"paywall": true, "modal": true, "popup": true, "banner": true, "toolbar": true,
	"sidebar": true, "widget": true, "nav": true, "navigation": true, "menu": true,
	"footer": true, "masthead": true, "skip": true, "print": true,
}

// furnitureInfixes mark furniture anywhere in a class or id name, even
// run together with other words ("CybotCookiebotDialog", "inlinenewsletter").
var furnitureInfixes = [...]string{"cookie", "newsletter", "consent", "gdpr", "paywall", "taboola", "outbrain"}

// furniture reports whether element n is page furniture rather than
// article text, judging by its tag, role, class and id.
func furniture(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer:
		return true
	case atom.Header:
		return !hasAncestor(n, atom.Article)
	case atom.Html, atom.Body, atom.Main, atom.Article:
		return false
	}
	if role, _ := attr(n, "role"); role == "navigation" || role == "banner" || role == "contentinfo" ||
		role == "complementary" || role == "dialog" || role == "alertdialog" {
		return true
	}
	for _, key := range [...]string{"class", "id"} {
		v, _ := attr(n, key)
		for _, name := range strings.Fields(strings.ToLower(v)) {
			if furnitureName(name) {
				return true
			}
		}
	}
	return false
}

// furnitureName reports whether a class or id name (lower case) marks
// furniture: it contains one of furnitureInfixes, one of its "-"/"_"
// separated parts is a furniture word, or two adjacent parts are "read
// more", "sign up", "see also" and the like.
func furnitureName(name string) bool {
	for _, w := range furnitureInfixes {
		if strings.Contains(name, w) {
			return true
		}
	}
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		if furnitureWords[p] {
			return true
		}
		if i > 0 {
			switch parts[i-1] + " " + p {
			case "read more", "sign up", "see also", "more stories", "more from", "you may", "also read":
				return true
			}
		}
	}
	return false
}

// pruneFurniture removes from the tree under root the elements that never
// hold text and the furniture elements, except furniture that holds half
// or more of the text under root: a class name is no reason to lose the
// article itself.
func pruneFurniture(root *html.Node) {
	total := textLen(root)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode && (neverText(c) || (furniture(c) && 2*textLen(c) < total)) {
				n.RemoveChild(c)
			} else {
				walk(c)
			}
			c = next
		}
	}
	walk(root)
}

// textLen returns the number of non-space bytes of text under n.
func textLen(n *html.Node) int {
	if n.Type == html.TextNode {
		k := 0
		for i := 0; i < len(n.Data); i++ {
			if !isHTMLSpace(n.Data[i]) {
				k++
			}
		}
		return k
	}
	if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
		return 0
	}
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		k += textLen(c)
	}
	return k
}

func hasAncestor(n *html.Node, a atom.Atom) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == a {
			return true
		}
	}
	return false
}
