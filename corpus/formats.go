package corpus

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Parse turns one file's bytes into an Article, in whichever of the formats
// digestbot reads the file is:
//
//   - an HTML page or fragment (.html, .htm, .xhtml, or text that starts
//     with a doctype, <html> or a block element): see ParseHTML;
//   - an email (.eml, or text that starts with RFC 5322 headers such as
//     From: and Subject:): see parseEmail;
//   - Markdown (.md, .markdown, or text that opens with "---" YAML front
//     matter): see parseMarkdown;
//   - plain text that opens with a block of "Key: value" lines (Title,
//     Date, Source/URL/Link, Author, Tags) ended by a blank line: see
//     parseHeaderBlock;
//   - any other plain text: see parseText.
//
// name is the file's base name, stored as Article.Source, named in errors
// and searched for a date (2024-02-10-museum.md, 20240210_x.txt) when the
// file gives none. Errors are *FileError wrapping ErrEmpty, ErrBinary or
// ErrNoText.
func Parse(name string, data []byte) (Article, error) {
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case ext == ".html" || ext == ".htm" || ext == ".xhtml" || sniffHTML(data):
		return ParseHTML(name, data, "")
	case ext == ".eml" || sniffEmail(data):
		return parseEmail(name, data)
	}
	text, err := decodeText(data)
	if err != nil {
		return Article{}, &FileError{File: name, Err: err}
	}
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case hasFrontMatter(text):
		return parseMarkdown(name, text)
	case ext == ".md" || ext == ".markdown":
		if _, _, ok := parseHeader(firstLine(text)); !ok { // not the " date …" text format
			return parseMarkdown(name, text)
		}
	}
	if hb, rest, ok := readHeaderBlock(text); ok {
		return hb.article(name, text, rest)
	}
	return parseText(name, text)
}

// sniffHTML reports whether data, whatever its name, is HTML: after a byte
// order mark and white space it starts with a doctype, <html>, <head>,
// <body>, a block element that is closed later, or a comment followed by
// one of these.
func sniffHTML(data []byte) bool {
	s := bytes.TrimLeft(bytes.TrimPrefix(data[:min(len(data), 1024)], []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	for bytes.HasPrefix(s, []byte("<!--")) {
		end := bytes.Index(s, []byte("-->"))
		if end < 0 {
			return false
		}
		s = bytes.TrimLeft(s[end+3:], " \t\r\n")
	}
	if len(s) == 0 || s[0] != '<' {
		return false
	}
	lower := bytes.ToLower(s[:min(len(s), 16)])
	for _, p := range [...]string{"<!doctype html", "<html", "<head", "<body", "<?xml"} {
		if bytes.HasPrefix(lower, []byte(p)) {
			return p != "<?xml" || bytes.Contains(bytes.ToLower(s), []byte("<html"))
		}
	}
	for _, tag := range [...]string{"div", "article", "section", "main", "p", "h1", "h2", "header", "table"} {
		if bytes.HasPrefix(lower, []byte("<"+tag)) && len(lower) > len(tag)+1 &&
			strings.IndexByte(" >\t\r\n", lower[len(tag)+1]) >= 0 {
			return bytes.Contains(bytes.ToLower(data), []byte("</"+tag+">"))
		}
	}
	return false
}

// firstLine returns text up to its first line break, without the leading
// space the " date …" header starts with.
func firstLine(text []byte) string {
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	return strings.TrimLeft(string(text), " ")
}

// headerBlock is what a leading block of "Key: value" lines said.
type headerBlock struct {
	title, date, url string
}

// headerKeys maps the keys of a header block (lower case) to the field
// they set; "" marks a key that is recognised and dropped.
var headerKeys = map[string]string{
	"title": "title", "headline": "title", "date": "date", "published": "date", "posted": "date",
	"pubdate": "date", "source": "url", "url": "url", "link": "url", "canonical": "url",
	"author": "", "authors": "", "by": "", "byline": "", "tags": "", "keywords": "",
	"category": "", "categories": "", "section": "", "publisher": "", "publication": "",
	"updated": "", "modified": "", "summary": "", "description": "", "lang": "", "language": "",
}

// maxHeaderLines bounds a header block.
const maxHeaderLines = 20

// readHeaderBlock reads a leading block of "Key: value" lines ended by a
// blank line: every line a key and value (a line starting with a space
// continues the one before), at least one key a title, date or URL key,
// and every key one of headerKeys. rest is the text after the block.
func readHeaderBlock(text []byte) (hb headerBlock, rest []byte, ok bool) {
	end := bytes.Index(text, []byte("\n\n"))
	if end < 0 {
		return headerBlock{}, nil, false
	}
	block := string(text[:end])
	var lines []string
	for line := range strings.SplitSeq(block, "\n") {
		if strings.TrimSpace(line) == "" {
			return headerBlock{}, nil, false
		}
		if (line[0] == ' ' || line[0] == '\t') && len(lines) > 0 {
			lines[len(lines)-1] += " " + strings.TrimSpace(line)
			continue
		}
		lines = append(lines, line)
	}
	if len(lines) > maxHeaderLines {
		return headerBlock{}, nil, false
	}
	known := false
	for _, line := range lines {
		key, value, found := strings.Cut(line, ":")
		if !found {
			return headerBlock{}, nil, false
		}
		field, listed := headerKeys[strings.ToLower(strings.TrimSpace(key))]
		if !listed {
			return headerBlock{}, nil, false
		}
		value = collapse(value)
		switch field {
		case "title":
			if hb.title == "" {
				hb.title = value
			}
		case "date":
			if hb.date == "" {
				hb.date = value
			}
		case "url":
			if u := CleanURL(value); u != "" && hb.url == "" {
				hb.url = u
			}
		}
		known = known || field != ""
	}
	if !known {
		return headerBlock{}, nil, false
	}
	return hb, text[end+2:], true
}

// article builds the article of a text file whose header block was hb and
// whose text after it is rest; raw is all its text.
func (hb headerBlock) article(name string, raw, rest []byte) (Article, error) {
	dr := draft{title: hb.title, url: hb.url, body: string(rest), raw: raw}
	if hb.title != "" {
		dr.titleFrom = TitleMetadata
	}
	dr.date, _ = dateValue(hb.date, FromMetadata)
	return dr.article(name)
}
