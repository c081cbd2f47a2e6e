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
// metadata, footers, trailing credits), also drops bylines, boilerplate
// lines anywhere and a leading repeat of the title, then fills in what the
// format did not give: the title from the text, the date from a dateline,
// metadata line, the file name or the text.
func (dr draft) article(name string) (Article, error) {
	doc := splitParagraphs([]byte(dr.body), nil)
	if len(doc.paras) == 0 {
		return Article{}, &FileError{File: name, Err: ErrNoText}
	}
	date := dr.clean(&doc)
	if !date.Known() {
		date = fileNameDate(name)
	}
	if !date.Known() && dr.url != "" {
		date = urlDate(dr.url)
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

// clean marks what is not article text in doc, settles dr.title and
// returns the date: the format's own, else one from a metadata, byline or
// date line, else (HTML) a news dateline opening the text.
func (dr *draft) clean(doc *document) Date {
	meta, metaFound := doc.dropFurniture(0)
	if r, ok := doc.dropBylines(); ok && !metaFound {
		meta, metaFound = r, true
	}
	for i := range doc.paras {
		if !doc.paras[i].drop && IsBoilerplate(doc.para(i)) {
			doc.paras[i].drop = true
		}
	}
	if dr.title = cleanLine(dr.title); dr.title != "" {
		dr.title = shortenTitle(dr.title)
		if dr.html {
			dr.title = doc.visibleHeadline(dr.title)
		}
		doc.dropTitleRepeat(dr.title)
		if dr.html {
			doc.dropKickers()
		}
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
	return date
}

// cleanLine returns s as one clean line: valid UTF-8, white space
// collapsed, control and zero-width characters removed.
func cleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return string(appendCollapsed(nil, []byte(s)))
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

// maxKickerWords bounds a section label above a headline ("Education",
// "Local news").
const maxKickerWords = 5

// dropTitleRepeat drops the title where the text repeats it (an HTML h1, a
// Markdown heading, a subject line) among the first three kept paragraphs,
// with the short section labels above it.
func (d *document) dropTitleRepeat(title string) {
	var above []int
	for i := range d.paras {
		if d.paras[i].drop {
			continue
		}
		p := d.para(i)
		if sameText(p, title) {
			d.paras[i].drop = true
			for _, k := range above {
				d.paras[k].drop = true
			}
			return
		}
		if len(above) == 2 || len(strings.Fields(p)) > maxKickerWords || endsSentence(p) {
			return
		}
		above = append(above, i)
	}
}

// maxKickerOnly bounds a section label left at the top of a page whose
// headline is already known ("Education", "Local news").
const maxKickerOnly = 3

// dropKickers drops up to two very short lines (section labels) opening
// the text of a page whose title is known.
func (d *document) dropKickers() {
	for n := 0; n < 2; n++ {
		i := d.firstKept()
		if i < 0 || i == len(d.paras)-1 {
			return
		}
		p := d.para(i)
		if len(strings.Fields(p)) > maxKickerOnly || endsSentence(p) || strings.ContainsAny(p, ":：") {
			return
		}
		d.paras[i].drop = true
	}
}

// dropBylines drops the byline and date lines among the first headLines
// kept paragraphs ("By Maria Lopez", "Published 5 March 2024, updated 6
// March 2024", "Thursday 11 April 2024 · 3 min read") and returns the
// first date such a line gives.
func (d *document) dropBylines() (date rawDate, found bool) {
	for i, seen := 0, 0; i < len(d.paras) && seen < headLines; i++ {
		if d.paras[i].drop {
			continue
		}
		seen++
		p := d.para(i)
		if r, ok := dateLine(p); ok {
			d.paras[i].drop = true
			if _, valid := r.date(FromDateline); valid && !found {
				date, found = r, true
			}
			continue
		}
		if isByline(p) {
			d.paras[i].drop = true
		}
	}
	return date, found
}

// dateLabels may open a date line.
var dateLabels = [...]string{"first published", "published on", "published", "last updated", "updated on",
	"updated", "posted on", "posted", "date", "on"}

// maxDateLineRest bounds the words after the date on a date line.
const maxDateLineRest = 8

// dateLine reads a short line that gives the article's date: an optional
// "By …" part and label, an optional weekday, the date, and a few more
// words ("· 3 min read", ", updated 6 March 2024").
func dateLine(p string) (rawDate, bool) {
	if len(strings.Fields(p)) > maxDateLineRest+6 {
		return rawDate{}, false
	}
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '|' || r == '·' || r == '•' }) {
		s := strings.TrimSpace(part)
		for _, l := range dateLabels {
			if len(s) > len(l) && equalFoldASCII(s[:len(l)], l) && !isASCIILetter(s[len(l)]) {
				s = strings.TrimLeft(s[len(l):], " :")
				break
			}
		}
		for _, w := range weekdays {
			if len(s) > len(w) && equalFoldASCII(s[:len(w)], w) && !isASCIILetter(s[len(w)]) {
				s = strings.TrimLeft(s[len(w):], " .,")
				break
			}
		}
		r, n := scanDate(s, true)
		if n == 0 || r.prec == PrecisionYear {
			continue
		}
		if rest := s[n:]; len(strings.Fields(rest)) <= maxDateLineRest && !endsSentence(strings.TrimSpace(p)) {
			return r, true
		}
	}
	return rawDate{}, false
}

// isByline reports whether p is a byline: "By Maria Lopez", "BY JANE DOE
// AND TOM REYES", short and not a sentence.
func isByline(p string) bool {
	if !(strings.HasPrefix(p, "By ") || strings.HasPrefix(p, "BY ")) || endsSentence(p) {
		return false
	}
	words := strings.Fields(p)
	if len(words) > 10 {
		return false
	}
	r := words[min(1, len(words)-1)][0]
	return r >= 'A' && r <= 'Z'
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
