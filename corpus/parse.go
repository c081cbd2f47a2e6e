package corpus

import (
	"encoding/hex"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors about a file's content. Parse returns them wrapped in a *FileError.
var (
	// ErrEmpty: the file is empty or holds only white space.
	ErrEmpty = errors.New("empty file")
	// ErrBinary: the file is not text (NUL bytes in the first 8 KB, or more
	// than 10% control or undecodable characters after decoding).
	ErrBinary = errors.New("binary content, not text")
	// ErrNoText: the file is text but nothing is left once breadcrumbs,
	// metadata, footers and credit lines are removed.
	ErrNoText = errors.New("no article text after removing boilerplate")
	// ErrTooLarge: the file is larger than the loader accepts. Parse does
	// not return it; the file loader does.
	ErrTooLarge = errors.New("file too large")
)

// FileError names the file a problem was found in.
type FileError struct {
	File string // the file's base name
	Err  error
}

// Error returns "<file>: <err>".
func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }

// Unwrap returns the underlying error, so errors.Is(err, ErrEmpty) works.
func (e *FileError) Unwrap() error { return e.Err }

// Title limits.
const (
	// maxHeadlineRunes: a first paragraph this short that is one sentence
	// without terminal punctuation is a headline.
	maxHeadlineRunes = 250
	// maxTitleRunes: a title taken from a sentence is cut to this length.
	maxTitleRunes = 200
)

// parseText turns a plain-text file into an Article (see Parse for the
// other formats).
//
// The title is a headline when the file has one: the text of a " date …"
// header line, or the first paragraph, when it is a single sentence of at
// most 250 characters without terminal punctuation (. ! ? 。 ！ ？ ” " …);
// a headline is not part of the body (unless it is the only paragraph).
// Otherwise the title is the first sentence of the first paragraph, cut at a
// word boundary to 200 characters with "…", and that paragraph stays in
// the body. See dates.go for how the date is found and clean.go for what is
// removed as boilerplate. A date in the file name (see fileNameDate) comes
// after the header and metadata lines and before dates in the text.
func parseText(name string, text []byte) (Article, error) {
	var backing [64]span
	doc := splitParagraphs(text, backing[:0])
	a, err := doc.article(name)
	if err != nil {
		return Article{}, &FileError{File: name, Err: err}
	}
	sum := contentHash(text)
	var hexSum [2 * len(sum)]byte
	hex.Encode(hexSum[:], sum[:])
	a.Hash = string(hexSum[:])
	a.ID = a.Hash[:12]
	a.Source = name
	return a, nil
}

// article picks the title, date and body out of the document's paragraphs.
// name is the file's name, which may hold a date.
func (d *document) article(name string) (Article, error) {
	if len(d.paras) == 0 {
		return Article{}, ErrNoText
	}
	var date Date
	header := false
	if r, text, ok := parseHeader(d.para(0)); ok {
		header = true
		date, _ = r.date(FromHeader)
		if text == "" {
			d.paras[0].drop = true
		} else {
			d.paras[0].start = d.paras[0].end - len(text)
		}
	}
	skip := 0
	if header {
		skip = 1
	}
	if r, found := d.dropFurniture(skip); found && !date.Known() {
		date, _ = r.date(FromMetadata)
	}
	a, titleOut, err := d.titleAndBody()
	if err != nil {
		return Article{}, err
	}
	if !date.Known() {
		date = fileNameDate(name)
	}
	if !date.Known() {
		date = d.bodyDate(a.Title, titleOut)
	}
	a.Date = date
	return a, nil
}

// dropFurniture marks as dropped the breadcrumbs, descriptions and
// metadata lines among the first headLines paragraphs (from paragraph
// skip on), footers anywhere and the trailing run of credit and footer
// lines. It returns the first valid-looking date of a metadata line.
func (d *document) dropFurniture(skip int) (date rawDate, found bool) {
	for i := skip; i < min(headLines, len(d.paras)); i++ {
		if d.paras[i].drop {
			continue
		}
		p := d.para(i)
		kind := classifyHead(p)
		r, ok := rawDate{}, false
		switch kind {
		case headMetadata:
			r, ok = metadataDate(p)
		case headText:
			if r, ok = datelineDate(p); ok {
				kind = headMetadata
			}
		}
		if kind == headText {
			continue
		}
		d.paras[i].drop = true
		if ok && !found {
			if _, valid := r.date(FromMetadata); valid {
				date, found = r, true
			}
		}
	}
	for i := range d.paras {
		if !d.paras[i].drop && isFooter(d.para(i)) {
			d.paras[i].drop = true
		}
	}
	for i := len(d.paras) - 1; i >= 0; i-- {
		if d.paras[i].drop {
			continue
		}
		if p := d.para(i); !isCredit(p) && !isTrailingFooter(p) {
			break
		}
		d.paras[i].drop = true
	}
	return date, found
}

// titleAndBody takes the title from the first kept paragraph — the whole
// paragraph when it is a headline (and other paragraphs follow), which then
// leaves the body, else its first sentence — and joins the kept paragraphs
// into the body. titleOut says the title left the body.
func (d *document) titleAndBody() (a Article, titleOut bool, err error) {
	first, kept := -1, 0
	for i := range d.paras {
		if !d.paras[i].drop {
			if first < 0 {
				first = i
			}
			kept++
		}
	}
	if first < 0 {
		return Article{}, false, ErrNoText
	}
	if p := d.para(first); kept > 1 && isHeadline(p) {
		a.Title, a.TitleFrom = p, TitleHeadline
		d.paras[first].drop = true
		titleOut = true
	} else {
		a.Title, a.TitleFrom = shortenTitle(firstSentence(p)), TitleSentence
	}
	a.Body = d.body()
	if a.Words = countWords(a.Body); a.Words == 0 {
		return Article{}, false, ErrNoText
	}
	return a, titleOut, nil
}

// bodyDate scans the title (when it is not part of the body) and the first
// kept paragraphs for a date.
func (d *document) bodyDate(title string, titleOut bool) Date {
	var scan [bodyDateParagraphs]string
	n := 0
	if titleOut {
		scan[n] = title
		n++
	}
	for i := range d.paras {
		if n == len(scan) {
			break
		}
		if !d.paras[i].drop {
			scan[n] = d.para(i)
			n++
		}
	}
	return bodyDate(scan[:n])
}

// body joins the kept paragraphs with blank lines. Consecutive kept
// paragraphs are already joined that way in d.text, so the common case, a
// run with boilerplate only before and after it, costs no copy.
func (d *document) body() string {
	start, end, prev := -1, 0, -1
	contiguous := true
	for i, s := range d.paras {
		if s.drop {
			continue
		}
		if start < 0 {
			start = s.start
		} else if prev != i-1 {
			contiguous = false
		}
		end, prev = s.end, i
	}
	if start < 0 {
		return ""
	}
	if contiguous {
		return d.text[start:end]
	}
	var b strings.Builder
	b.Grow(end - start)
	for i, s := range d.paras {
		if s.drop {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(d.para(i))
	}
	return b.String()
}

// parseHeader recognises a " date <date> <text>" first line (the leading
// space is already gone). ok reports a header line; its date may still be
// invalid. text is what follows the date and an optional clock time.
func parseHeader(p string) (r rawDate, text string, ok bool) {
	if len(p) < 6 || !equalFoldASCII(p[:4], "date") || p[4] != ' ' {
		return rawDate{}, "", false
	}
	rest := p[5:]
	r, n := scanDate(rest, true)
	if n == 0 {
		return rawDate{}, "", false
	}
	rest = rest[n:]
	rest = rest[skipTime(rest):]
	return r, strings.TrimLeft(rest, " "), true
}

// isHeadline reports whether p is one short sentence without terminal
// punctuation.
func isHeadline(p string) bool {
	return !endsSentence(p) && !moreRunes(p, maxHeadlineRunes) && firstSentence(p) == p
}

// firstSentence returns the first sentence of paragraph p: up to a . ! ? or
// … followed by a space and a capital, digit, quote or CJK character (not
// after an abbreviation such as "Mr." or "U.S."), or up to 。！？. Closing
// quotes and brackets after the punctuation belong to the sentence.
func firstSentence(p string) string {
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		end := i + size
		switch r {
		case '。', '！', '？':
			if end = skipClosers(p, end); end < len(p) {
				return p[:end]
			}
			return p
		case '.', '!', '?', '…':
			for end < len(p) && (p[end] == '.' || p[end] == '!' || p[end] == '?') {
				end++
			}
			end = skipClosers(p, end)
			if end >= len(p) {
				return p
			}
			if p[end] == ' ' && (r != '.' || end-i > 1 || !abbreviation(p[:i])) && startsSentence(p[end+1:]) {
				return p[:end]
			}
		}
		i = end
	}
	return p
}

// skipClosers skips closing quotes and brackets at p[i:].
func skipClosers(p string, i int) int {
	for i < len(p) {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch r {
		case '"', '\'', ')', ']', '”', '’', '」', '』', '）', '】', '》':
			i += size
		default:
			return i
		}
	}
	return i
}

// startsSentence reports whether s starts like a new sentence.
func startsSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '"', '\'', '(', '“', '‘', '（', '《', '「', '【':
		return true
	}
	return unicode.IsUpper(r) || unicode.IsDigit(r) || isCJK(r)
}

// abbreviations end with a dot that does not end a sentence.
var abbreviations = [...]string{
	"Mr", "Mrs", "Ms", "Dr", "Prof", "St", "No", "Nos", "Jan", "Feb", "Mar", "Apr",
	"Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Gen", "Col", "Lt",
	"Sgt", "Capt", "Gov", "Sen", "Rep", "Rev", "Jr", "Sr", "Inc", "Ltd", "Co",
	"Corp", "vs", "etc", "Fig", "Vol", "pp", "approx", "Dept", "Univ", "Ave", "Mt", "Ft",
}

// abbreviation reports whether before, the text up to a dot, ends with an
// abbreviation: a listed word, a single capital (an initial) or a dotted
// word such as "U.S".
func abbreviation(before string) bool {
	w := before[strings.LastIndexByte(before, ' ')+1:]
	if w == "" {
		return false
	}
	if strings.IndexByte(w, '.') >= 0 || (len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z') {
		return true
	}
	for _, a := range abbreviations {
		if w == a {
			return true
		}
	}
	return false
}

// shortenTitle cuts s to at most maxTitleRunes characters, ending with "…",
// at a word boundary when there is one in the second half.
func shortenTitle(s string) string {
	if utf8.RuneCountInString(s) <= maxTitleRunes {
		return s
	}
	cut, n := 0, 0
	for cut < len(s) && n < maxTitleRunes-1 {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		n++
	}
	if s[cut] != ' ' {
		if sp := strings.LastIndexByte(s[:cut], ' '); sp > cut/2 {
			cut = sp
		}
	}
	return strings.TrimRight(s[:cut], " ,;:–—-") + "…"
}
