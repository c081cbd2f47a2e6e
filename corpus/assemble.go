package corpus

import (
	"encoding/hex"
	"strings"
)

// draft is what a format's parser (HTML, Markdown, header block, email)
// found before the cleaning every format shares.
type draft struct {
	title     string // "" when the format gave none
	titleFrom TitleSource
	date      Date   // unknown when the format gave none
	url       string // cleaned, or ""
	body      string // the text: one paragraph per line (blank lines ignored)
	// html marks text rendered from HTML: a line that is only a date is a
	// dateline, and a news dateline may open the first paragraph.
	html bool
	// raw is the file's decoded text, hashed for the article's Hash and ID
	// as plain text is: the same file content is the same article whatever
	// its name, and any change to it (a new URL or date) is a new one.
	raw []byte
}

// article cleans the draft's body as the plain-text path does (head
// metadata, footers, trailing credits), also drops boilerplate lines
// anywhere and a leading repeat of the title, then fills in what the
// format did not give: the title from the text, the date from a dateline,
// metadata line, the file name or the text.
func (dr draft) article(name string) (Article, error) {
	doc := splitParagraphs([]byte(dr.body), nil)
	if len(doc.paras) == 0 {
		return Article{}, &FileError{File: name, Err: ErrNoText}
	}
	meta, metaFound := doc.dropFurniture(0)
	for i := range doc.paras {
		if !doc.paras[i].drop && IsBoilerplate(doc.para(i)) {
			doc.paras[i].drop = true
		}
	}
	if dr.title != "" {
		dr.title = shortenTitle(collapse(dr.title))
		if dr.html {
			dr.title = doc.visibleHeadline(dr.title)
		}
		doc.dropTitleRepeat(dr.title)
	}
	date := dr.date
	if !date.Known() && metaFound {
		from := FromMetadata
		if dr.html {
			from = FromDateline // a byline or date line above the text
		}
		date, _ = meta.date(from)
	}
	if !date.Known() && dr.html {
		if i := doc.firstKept(); i >= 0 {
			if r, ok := newsDateline(doc.para(i)); ok {
				date, _ = r.date(FromDateline)
			}
		}
	}
	if !date.Known() {
		date = fileNameDate(name)
	}
	var a Article
	if dr.title != "" {
		body := doc.body()
		a = Article{Title: dr.title, TitleFrom: dr.titleFrom, Body: body, Words: countWords(body)}
		if a.Words == 0 {
			return Article{}, &FileError{File: name, Err: ErrNoText}
		}
		if !date.Known() {
			date = doc.bodyDate(a.Title, true)
		}
	} else {
		var titleOut bool
		var err error
		if a, titleOut, err = doc.titleAndBody(); err != nil {
			return Article{}, &FileError{File: name, Err: err}
		}
		if !date.Known() {
			date = doc.bodyDate(a.Title, titleOut)
		}
	}
	a.Date, a.URL, a.Source = date, dr.url, name
	sum := contentHash(dr.raw)
	a.Hash = hex.EncodeToString(sum[:])
	a.ID = a.Hash[:12]
	return a, nil
}

// firstKept returns the index of the first paragraph not dropped, or -1.
func (d *document) firstKept() int {
	for i := range d.paras {
		if !d.paras[i].drop {
			return i
		}
	}
	return -1
}

// dropTitleRepeat drops the first kept paragraph when it is the title
// again (an HTML h1, a Markdown heading, a subject line repeated in the
// text).
func (d *document) dropTitleRepeat(title string) {
	if i := d.firstKept(); i >= 0 && sameText(d.para(i), title) {
		d.paras[i].drop = true
	}
}

// visibleHeadline returns the page's first line of text instead of title
// when that line is a headline the title contains: the title then carries
// a site or section name the page's own headline does not ("Wire: Drought
// forces …" over "Drought forces …").
func (d *document) visibleHeadline(title string) string {
	i := d.firstKept()
	if i < 0 {
		return title
	}
	p := d.para(i)
	if len(strings.Fields(p)) >= 3 && isHeadline(p) && len(p) < len(title) &&
		strings.Contains(strings.ToLower(title), strings.ToLower(p)) {
		return p
	}
	return title
}

// sameText compares two lines ignoring case, white space and a trailing
// full stop or ellipsis.
func sameText(a, b string) bool {
	norm := func(s string) string {
		return strings.TrimRight(collapse(s), ".…")
	}
	return strings.EqualFold(norm(a), norm(b))
}
