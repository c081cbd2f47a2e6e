package corpus

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks Parse's invariants on arbitrary input: it never panics;
// it either fails with a *FileError naming the file or returns an article
// with a title, a clean non-empty body, words, a consistent ID and a valid
// date; and it is deterministic.
func FuzzParse(f *testing.F) {
	for _, data := range sampleFiles(f) {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		" \n\t\r\n",
		"\uFEFF",
		"\xFF\xFEa\x00b\x00",
		"\xFE\xFF\x00a\x00b",
		"\xFF\xFE\x00\xD8",
		" date 2023-02-30 Headline\n\nBody.",
		" date 2024-03-15T10:00:00+08:00 Headline\n\nBody.",
		"date 2024",
		"Date: 2023-13-01\nTime: 2024/06/01 10:30\nPublished: March 15, 2024\n",
		"2024年3月15日\n县委召开会议\n正文。",
		"\xcf\xd8\xce\xaf\xd5\xd9\xbf\xaa\xbb\xe1\xd2\xe9\xa1\xa3", // GBK
		"Position: Home > x\nTitle\nSource:Author:x Click: Time:2023-08-08\nDescription: y\nBody.\nAddress: a Copyright: b ICP No. 1",
		"htmlOn June 8, x.\nhtml\n△\n▲ html For\n",
		"Text.\nEditor: a\nProducer b\nProofread c\n编辑：张三",
		"— —\n…",
		"a\r\rb\r\n\r\nc",
		"Mr. Wu. Dr. Li... \"Why?\" 。！？”",
		strings.Repeat("word ", 100) + "\n\nIn 2017, x.",
		strings.Repeat("汉", 400),
		"e\u0301\u0301 \u200b\ufeff\u00a0x",
		"In 2017-02-30, (2017) by 1899 since 2101 March 2024",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := string(data) // Parse must not modify its input
		a, err := Parse("fuzz.txt", data)
		if string(data) != in {
			t.Fatal("Parse modified its input")
		}
		b, err2 := Parse("fuzz.txt", data)
		if a != b || (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("not deterministic: %+v, %v / %+v, %v", a, err, b, err2)
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != "fuzz.txt" {
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
		case a.Title == "":
			t.Fatal("empty title")
		case strings.ContainsAny(a.Title, "\n"):
			t.Fatalf("title has a line break: %q", a.Title)
		case utf8.RuneCountInString(a.Title) > maxHeadlineRunes:
			t.Fatalf("title too long: %q", a.Title)
		case a.Body == "":
			t.Fatal("empty body")
		case !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title):
			t.Fatal("invalid UTF-8")
		case strings.Contains(a.Body, "\n\n\n"):
			t.Fatalf("body has more than one blank line: %q", a.Body)
		case a.Words <= 0 || a.Words != countWords(a.Body):
			t.Fatalf("words = %d", a.Words)
		case len(a.Hash) != 64 || a.ID != a.Hash[:12]:
			t.Fatalf("hash %q id %q", a.Hash, a.ID)
		case a.Source != "fuzz.txt":
			t.Fatalf("source %q", a.Source)
		}
		for _, p := range a.Paragraphs() {
			if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, "\n") || strings.Contains(p, "  ") {
				t.Fatalf("paragraph not normalised: %q", p)
			}
		}
		checkDate(t, a.Date)
	})
}

// checkDate fails unless d is valid for its precision and source.
func checkDate(t *testing.T, d Date) {
	t.Helper()
	var ok bool
	var want Date
	switch d.Precision {
	case PrecisionUnknown:
		ok = d == Date{}
		want = d
	case PrecisionYear:
		want, ok = YearDate(d.Year, d.From)
	case PrecisionMonth:
		want, ok = MonthDate(d.Year, d.Month, d.From)
	case PrecisionDay:
		want, ok = DayDate(d.Year, d.Month, d.Day, d.From)
	}
	if !ok || want != d || (d.Known() && (d.From == FromNone || d.Year < minYear || d.Year > maxYear)) {
		t.Fatalf("invalid date %+v", d)
	}
}
