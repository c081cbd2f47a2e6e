package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cleaning: splitting decoded text into paragraphs and recognising the lines
// that are not article text.
//
// Every non-empty line is a paragraph, whether or not the file separates
// paragraphs with blank lines. Within a paragraph every run of white space
// (spaces, tabs, NBSP, ideographic space, …) becomes one space, control and
// zero-width characters are dropped, and stray markers at the start are
// removed: a glued "html" token ("htmlOn June 8", "html For more") and the
// photo-caption triangles "△"/"▲" (the caption text stays).
//
// Lines dropped as boilerplate:
//   - in the first headLines paragraphs: breadcrumbs ("Position: Home > …",
//     "当前位置：…"), "Description:"/"Keywords:" lines, metadata lines
//     ("Source:…", "Author:…", "Date:…", "Time:…", "Published:…",
//     "发布时间：…", "By X | Updated: …", at most maxMetaRunes long) and
//     lines that are only a date;
//   - anywhere: site footers naming an ICP licence ("ICP No.", "ICP备") or
//     both a copyright and an address;
//   - at the end: the trailing run of credit lines ("Editor: …", "Producer
//     Xing Lai", "Proofread Cheng Yu", "责任编辑：…", at most maxCreditRunes
//     long) and footer lines ("Address: …", "Copyright …", "版权所有"),
//     skipping nothing else. A paragraph that merely starts like a credit
//     ("Reporters learned that …") is kept when it is long, ends a sentence
//     without a colon after the label, or is followed by article text.
//
// A source or credit note inside the last paragraph ("… branch venues.
// (Source: Heilongjiang Daily reporter …)") is part of a sentence paragraph
// and is kept; only whole credit lines are removed.

const (
	// headLines is how many leading paragraphs may hold page metadata.
	headLines = 10
	// maxMetaRunes bounds the length of a metadata line.
	maxMetaRunes = 200
	// maxCreditRunes bounds the length of a trailing credit line.
	maxCreditRunes = 80
)

// span is one paragraph of a document: text[start:end].
type span struct {
	start, end int
	drop       bool // not part of the body
}

// document is decoded text split into cleaned paragraphs. text holds the
// paragraphs in order, separated by "\n\n", so a run of consecutive kept
// paragraphs is a substring of text.
type document struct {
	text  string
	paras []span
}

func (d *document) para(i int) string { return d.text[d.paras[i].start:d.paras[i].end] }

// splitParagraphs cleans every line of text into a paragraph. paras is
// reused as the backing array for the paragraph list.
func splitParagraphs(text []byte, paras []span) document {
	buf := make([]byte, 0, len(text)+len(text)/8+8)
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		mark := len(buf)
		if mark > 0 {
			buf = append(buf, '\n', '\n')
		}
		start := len(buf)
		buf = appendCollapsed(buf, line)
		buf = stripMarkers(buf, start)
		if len(buf) == start {
			buf = buf[:mark]
			continue
		}
		paras = append(paras, span{start: start, end: len(buf)})
	}
	return document{text: string(buf), paras: paras}
}

// appendCollapsed appends line to buf with white space collapsed to single
// spaces, no leading or trailing space, and control and zero-width
// characters removed.
func appendCollapsed(buf []byte, line []byte) []byte {
	start := len(buf)
	space := false
	for i := 0; i < len(line); {
		c := line[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || (c >= '\t' && c <= '\r'):
				space = true
				continue
			case c < 0x20 || c == 0x7F:
				continue
			}
			if space && len(buf) > start {
				buf = append(buf, ' ')
			}
			space = false
			// Copy a run of plain text (printable ASCII, single spaces) at once.
			if n := plainRun(line[i-1:]); n > 0 {
				if line[i-1+n-1] == ' ' {
					n--
					space = true
				}
				buf = append(buf, line[i-1:i-1+n]...)
				i += n - 1
				continue
			}
			buf = append(buf, c)
			continue
		}
		r, size := utf8.DecodeRune(line[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r < 0xA0 || isZeroWidth(r):
			continue
		}
		if space && len(buf) > start {
			buf = append(buf, ' ')
		}
		space = false
		buf = append(buf, line[i-size:i]...)
	}
	return buf
}

// stripMarkers removes stray "html" tokens and caption triangles from the
// start of the paragraph buf[start:].
func stripMarkers(buf []byte, start int) []byte {
	for {
		p := buf[start:]
		n := 0
		switch {
		case bytes.HasPrefix(p, []byte("△")), bytes.HasPrefix(p, []byte("▲")):
			n = len("△")
		case bytes.HasPrefix(p, []byte("html")) && gluedHTML(p[4:]):
			n = 4
		}
		if n == 0 {
			return buf
		}
		if n < len(p) && p[n] == ' ' {
			n++
		}
		buf = buf[:start+copy(p, p[n:])]
	}
}

// gluedHTML reports whether rest, what follows "html" at the start of a
// paragraph, shows the token to be debris: nothing, an upper-case letter or
// other non-word character ("htmlOn", "html“"), or a space before anything
// but a lower-case word ("html For"; not "html is").
func gluedHTML(rest []byte) bool {
	if len(rest) == 0 {
		return true
	}
	c := rest[0]
	if c == ' ' {
		return len(rest) == 1 || !(rest[1] >= 'a' && rest[1] <= 'z')
	}
	return !(c >= 'a' && c <= 'z') && !isDigit(c) && c != '_' && c != '-' && c != '.'
}

// headKind classifies a paragraph near the top of a file.
type headKind uint8

const (
	headText        headKind = iota // article text
	headBreadcrumb                  // "Position: Home > …"
	headMetadata                    // "Source:…", "Date:…", "Time:…"
	headDescription                 // "Description:…", "Keywords:…"
)

var (
	breadcrumbKeys = [...]string{
		"position", "current position", "your position", "location",
		"current location", "your location", "you are here",
		"当前位置", "您的位置", "您现在的位置", "所在位置", "位置",
	}
	breadcrumbHomes = [...]string{"home", "首页"}
	descriptionKeys = [...]string{"description", "keywords", "tags", "描述", "关键词", "关键字", "标签"}
	metadataKeys    = [...]string{
		"date", "time", "published", "publish date", "publish time", "published on",
		"posted", "posted on", "updated", "last updated", "release time", "release date",
		"source", "author", "authors", "click", "clicks", "views", "hits", "editor", "reporter", "reporters",
		"发布时间", "发布日期", "发表时间", "更新时间", "日期", "时间", "来源", "作者", "点击", "浏览", "阅读", "编辑",
	}
)

// classifyHead says whether p, one of the first headLines paragraphs, is
// page furniture rather than article text.
func classifyHead(p string) headKind {
	if labelled(p, breadcrumbKeys[:]) {
		return headBreadcrumb
	}
	for _, h := range breadcrumbHomes {
		if len(p) > len(h) && equalFoldASCII(p[:len(h)], h) {
			if r := strings.TrimLeft(p[len(h):], " "); strings.HasPrefix(r, ">") ||
				strings.HasPrefix(r, "»") || strings.HasPrefix(r, "＞") || strings.HasPrefix(r, "/") {
				return headBreadcrumb
			}
		}
	}
	if labelled(p, descriptionKeys[:]) {
		return headDescription
	}
	return headKindOf(p)
}

// headKindOf reports headMetadata when p is a short metadata line: it
// starts with a metadata label, or one of its "|"-separated fields does
// ("By Zhang Yi | China Daily | Updated: 2024-03-15").
func headKindOf(p string) headKind {
	if moreRunes(p, maxMetaRunes) {
		return headText
	}
	if labelled(p, metadataKeys[:]) {
		return headMetadata
	}
	if strings.IndexByte(p, '|') >= 0 {
		for f := range strings.SplitSeq(p, "|") {
			if labelled(strings.TrimSpace(f), metadataKeys[:]) {
				return headMetadata
			}
		}
	}
	return headText
}

// moreRunes reports whether s has more than n characters, counting them
// only when its length in bytes does not tell (a character is 1 to 4 bytes):
// paragraphs are tested against short limits, and most are long.
func moreRunes(s string, n int) bool {
	switch {
	case len(s) <= n:
		return false
	case len(s) > n*utf8.UTFMax:
		return true
	}
	return utf8.RuneCountInString(s) > n
}

// labelled reports whether p starts with one of keys as a label.
func labelled(p string, keys []string) bool {
	for _, k := range keys {
		if hasLabel(p, k) {
			return true
		}
	}
	return false
}

// hasLabel reports whether p starts with key (ASCII case ignored) followed
// by optional spaces and a colon, ASCII or full-width.
func hasLabel(p, key string) bool {
	if len(p) <= len(key) || !equalFoldASCII(p[:len(key)], key) {
		return false
	}
	j := skipSpaces(p, len(key))
	return hasPrefixAt(p, j, ":") || hasPrefixAt(p, j, "：")
}

// trimSeparators trims spaces and list separators ("|", "/", "·", "-") from
// both ends of s.
func trimSeparators(s string) string {
	return strings.Trim(s, " |/·-–—,，")
}

// isFooter reports whether p is a site footer wherever it appears: it names
// an ICP licence, or carries both a copyright notice and an address.
func isFooter(p string) bool {
	if i := strings.Index(p, "ICP"); i >= 0 {
		rest := strings.TrimLeft(p[i+3:], " ")
		if strings.HasPrefix(rest, "No") || strings.HasPrefix(rest, "备") || strings.HasPrefix(rest, "证") ||
			strings.HasPrefix(rest, "licen") || strings.HasPrefix(rest, "Licen") {
			return true
		}
	}
	if strings.Contains(p, "公网安备") {
		return true
	}
	return (strings.Contains(p, "Copyright") || strings.Contains(p, "版权所有")) &&
		(strings.Contains(p, "Address") || strings.Contains(p, "地址"))
}

// footerStarts are labels that open a footer line at the end of a page.
var footerStarts = [...]string{
	"address:", "address：", "copyright", "©", "(c) ", "all rights reserved", "版权所有", "地址：",
	"tel:", "tel：", "电话：", "e-mail:", "email:", "contact us", "联系我们",
}

// isTrailingFooter reports whether p, at the end of the file, is footer text.
func isTrailingFooter(p string) bool {
	for _, f := range footerStarts {
		if len(p) >= len(f) && equalFoldASCII(p[:len(f)], f) {
			return true
		}
	}
	return isFooter(p)
}

// Credit labels. The first list may be followed by names directly
// ("Producer Xing Lai"); the second needs a colon ("Source: Xinhua").
// Longer labels come before their prefixes.
var (
	creditLabels = [...]string{
		"editor-in-chief", "editor in chief", "editors in charge", "editor in charge",
		"chief editor", "executive editor", "responsible editor", "editors", "editor",
		"edited by", "chief producer", "executive producer", "producers", "producer",
		"reporters", "reporter", "reported by", "correspondents", "correspondent",
		"proofreading", "proofreader", "proofread", "visual sense", "photographer",
		"photographers", "photography", "photographed by", "photo by", "photos by",
		"translator", "translated by", "written by", "compiled by",
		"责任编辑", "编辑", "记者", "校对", "监制", "摄影", "主编", "通讯员", "制片人", "出品人",
	}
	creditColonLabels = [...]string{
		"source", "author", "authors", "photo", "photos", "text", "video", "planning",
		"planner", "design", "designer", "review", "reviewer", "coordinator", "camera",
		"writer", "来源", "作者", "策划", "统筹", "审核", "制作", "翻译", "出品", "图片",
		"文字", "视频", "终审", "初审", "二审", "三审",
	}
)

// isCredit reports whether p is a credit line: short, optionally bracketed,
// starting with a credit label. Without a colon after the label it must not
// end like a sentence (names do not end with a full stop).
func isCredit(p string) bool {
	if moreRunes(p, maxCreditRunes) {
		return false
	}
	p = strings.TrimLeft(p, "([【（〔 ")
	if labelled(p, creditColonLabels[:]) {
		return true
	}
	for _, l := range creditLabels {
		if len(p) < len(l) || !equalFoldASCII(p[:len(l)], l) {
			continue
		}
		rest := p[len(l):]
		if rest == "" {
			return true
		}
		if r := strings.TrimLeft(rest, " "); strings.HasPrefix(r, ":") || strings.HasPrefix(r, "：") {
			return true
		}
		if l[0] < utf8.RuneSelf && rest[0] != ' ' && strings.IndexByte("|/,)]", rest[0]) < 0 {
			continue // "Editorial" is no label; "Photographers" has its own
		}
		return !endsSentence(p)
	}
	return false
}

// endsSentence reports whether p ends with terminal punctuation.
func endsSentence(p string) bool {
	r, _ := utf8.DecodeLastRuneInString(p)
	switch r {
	case '.', '!', '?', '。', '！', '？', '”', '"', '…':
		return true
	}
	return false
}

// countWords counts the words of s: runs of characters between white space
// that contain a letter or digit, except that every CJK character (Han,
// Hiragana, Katakana, Hangul) is a word of its own. Punctuation alone ("—")
// is not a word.
func countWords(s string) int {
	n := 0
	inWord := false
	for i := 0; i < len(s); {
		// Eight bytes of letters, digits and spaces: a word starts at every
		// letter or digit that follows a space.
		if len(s)-i >= 8 {
			x := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
			if printable8(x) {
				sp, an := spaces8(x), alnum8(x)
				if sp|an == highs {
					prev := an << 8 // alnum before each byte
					if inWord {
						prev |= 0x80
					}
					n += bits.OnesCount64(an &^ prev)
					inWord = an>>63 != 0
					i += 8
					continue
				}
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case isASCIIAlnum(c):
				if !inWord {
					n++
					inWord = true
				}
			case c == ' ' || c == '\n':
				inWord = false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isCJK(r):
			n++
			inWord = false
		case unicode.IsSpace(r):
			inWord = false
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if !inWord {
				n++
				inWord = true
			}
		}
	}
	return n
}

// contentHash returns the SHA-256 of text normalised for comparison:
// trailing white space removed from every line and leading and trailing
// blank lines dropped. text is already decoded, NFC and LF-only, so the same
// article saved with CRLF, a BOM or as GBK hashes the same. Text that needs
// no per-line trimming is hashed in place.
func contentHash(text []byte) [sha256.Size]byte {
	start, end := -1, 0 // from the first non-blank line to the end of the last
	dirty, pending := false, false
	for pos := 0; pos < len(text); {
		e := len(text)
		if i := bytes.IndexByte(text[pos:], '\n'); i >= 0 {
			e = pos + i
		}
		line := text[pos:e]
		t := len(bytes.TrimRightFunc(line, unicode.IsSpace))
		if t > 0 {
			if start < 0 {
				start = pos
			}
			end = pos + t
			dirty = dirty || pending // an earlier line inside the range needs trimming
		}
		if t < len(line) && start >= 0 {
			pending = true
		}
		pos = e + 1
	}
	if start < 0 {
		return sha256.Sum256(nil)
	}
	if !dirty {
		return sha256.Sum256(text[start:end])
	}
	out := make([]byte, 0, end-start)
	rest := text[start:end]
	for {
		line := rest
		i := bytes.IndexByte(rest, '\n')
		if i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		}
		out = append(out, bytes.TrimRightFunc(line, unicode.IsSpace)...)
		if i < 0 {
			return sha256.Sum256(out)
		}
		out = append(out, '\n')
	}
}
