package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addFormatSeeds adds the testdata/formats files with one of exts as seeds.
func addFormatSeeds(f *testing.F, exts ...string) {
	for _, ext := range exts {
		paths, _ := filepath.Glob(filepath.Join("testdata", "formats", "*"+ext))
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
}

// checkParsed fails unless a, err is a valid outcome of parsing the file
// name: a *FileError naming it with one of the content errors, or an
// article with a one-line title, a clean non-empty body, its words, a
// consistent ID, a valid date and an empty or clean URL.
func checkParsed(t *testing.T, name string, a Article, err error) {
	t.Helper()
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != name {
			t.Fatalf("error %v is not a *FileError for the file", err)
		}
		if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrBinary) && !errors.Is(err, ErrNoText) {
			t.Fatalf("unexpected error %v", err)
		}
		if a != (Article{}) {
			t.Fatalf("article %+v returned with error", a)
		}
		return
	}
	switch {
	case a.Title == "" || strings.ContainsAny(a.Title, "\n") || a.Title != strings.TrimSpace(a.Title):
		t.Fatalf("bad title %q", a.Title)
	case utf8.RuneCountInString(a.Title) > maxHeadlineRunes:
		t.Fatalf("title too long: %q", a.Title)
	case a.TitleFrom == TitleUnknown:
		t.Fatal("title source not recorded")
	case a.Body == "" || !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title):
		t.Fatalf("empty body or invalid UTF-8: %q", a.Body)
	case a.Words <= 0 || a.Words != countWords(a.Body):
		t.Fatalf("words = %d", a.Words)
	case len(a.Hash) != 64 || a.ID != a.Hash[:12]:
		t.Fatalf("hash %q id %q", a.Hash, a.ID)
	case a.Source != name:
		t.Fatalf("source %q", a.Source)
	case a.URL != "" && CleanURL(a.URL) != a.URL:
		t.Fatalf("URL %q is not clean (%q)", a.URL, CleanURL(a.URL))
	}
	for _, p := range a.Paragraphs() {
		if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, "\n") || strings.Contains(p, "  ") {
			t.Fatalf("paragraph not normalised: %q", p)
		}
	}
	checkDate(t, a.Date)
}

// FuzzParseHTML checks ParseHTML's invariants on arbitrary pages: no panic,
// a valid outcome (see checkParsed), the same result twice, input unchanged.
func FuzzParseHTML(f *testing.F) {
	addFormatSeeds(f, ".html", ".htm")
	for _, s := range []string{
		"", "<", "<html>", "<p>x</p>", "<meta charset=gbk><p>\xc4\xe3\xba\xc3</p>",
		"<?xml version='1.0' encoding='iso-8859-1'?><p>caf\xe9</p>",
		`<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","headline":"H","datePublished":"2024-02-30"}]}</script><p>Body text.</p>`,
		`<link rel=canonical href="//x"><meta property="og:url" content="javascript:1"><h1>T</h1><p>B.</p>`,
		`<time datetime="9999-99-99">x</time><article><p>Body.</p></article>`,
		"<!-- saved from url=(0022)https://example.com/a --><title>a | b</title><p>c</p>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := string(data)
		a, err := ParseHTML("fuzz.html", data, "https://example.com/page?utm_source=x")
		if string(data) != in {
			t.Fatal("ParseHTML modified its input")
		}
		b, err2 := ParseHTML("fuzz.html", data, "https://example.com/page?utm_source=x")
		if a != b || (err == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %+v, %v / %+v, %v", a, err, b, err2)
		}
		checkParsed(t, "fuzz.html", a, err)
	})
}

// FuzzHTMLText checks that HTMLText never panics and returns normalised
// paragraphs: valid UTF-8 for valid input, no blank paragraph, no leading,
// trailing or doubled white space, no script text.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{
		"", "<p>a</p><p>b</p>", "a\n\nb", "<script>x</script>y", "<pre>a\n\n\nb</pre>", "&amp;&bogus; &#0;",
		"<table><tr><td>a<td>b</table>", "<br><br><br>", "<b>a</b> <i>b</i>", "<p>\u00a0</p>", "x &\x80mp;amp; y]]>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if out == "" {
			return
		}
		for _, p := range strings.Split(out, "\n\n") {
			if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, "\n") || strings.Contains(p, "  ") {
				t.Fatalf("paragraph not normalised: %q in %q", p, out)
			}
		}
	})
}

// fuzzParseAs fuzzes Parse on files named name: valid outcome, the same
// result twice, input unchanged.
func fuzzParseAs(f *testing.F, name string) {
	f.Fuzz(func(t *testing.T, data []byte) {
		in := string(data)
		a, err := Parse(name, data)
		if string(data) != in {
			t.Fatal("Parse modified its input")
		}
		b, err2 := Parse(name, data)
		if a != b || (err == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %+v, %v / %+v, %v", a, err, b, err2)
		}
		checkParsed(t, name, a, err)
	})
}

// FuzzParseMarkdown fuzzes the Markdown reader (front matter included).
func FuzzParseMarkdown(f *testing.F) {
	addFormatSeeds(f, ".md")
	for _, s := range []string{
		"---\n---\n", "---\ntitle: [a\n---\nx", "---\ndate: 2024-02-30\ntitle: 5\nurl: ftp://x\n---\n# T\n\nBody.",
		"# \n\n##\n", "Title\n===\n\nBody *a **b** c*.", "```\ncode\n", "- [ ] a\n1) b\n> c\n\n| a | b |\n|---|---|\n",
		"[x](y(z)) ![i](j) <https://a.b> [^1] \\*not\\*", "---\ndate: 1700000000\n...\nText.",
	} {
		f.Add([]byte(s))
	}
	fuzzParseAs(f, "fuzz.md")
}

// FuzzParseEmail fuzzes the email reader: headers, MIME parts, transfer
// encodings and charsets.
func FuzzParseEmail(f *testing.F) {
	addFormatSeeds(f, ".eml")
	for _, s := range []string{
		"From: a\nSubject: s\n\nbody", "Subject: =?x-unknown?Q?a?=\n\nb",
		"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/alternative; boundary=y\n\n--y\n\nt\n--y--\n--x--",
		"Content-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n\nxNO6ww==",
		"Content-Transfer-Encoding: quoted-printable\n\n=E9=\n=ZZ", "From x\nnot a header",
		"Date: Mon, 30 Feb 2024 10:00:00 +0000\nSubject: Re: Fwd: [x] y\n\nText.\n-- \nsig",
	} {
		f.Add([]byte(s))
	}
	fuzzParseAs(f, "fuzz.eml")
}

// FuzzHeaderBlock fuzzes text files that may open with a Key: value block.
func FuzzHeaderBlock(f *testing.F) {
	addFormatSeeds(f, ".txt")
	for _, s := range []string{
		"Title: T\n\nBody.", "Date: 2024-02-30\nURL: javascript:x\n\nBody.", "Title:\nTags: a\n  b\n\n",
		"Source: Reuters\nAuthor: x\n\nText.", "title: a\ndate: 1 Jan 2024\nlink: //x\n\n\n\nBody",
	} {
		f.Add([]byte(s))
	}
	fuzzParseAs(f, "fuzz.txt")
}
