// Package corpus turns article files into Articles: a title, a date with its
// precision, the source file name and a clean body. It owns the Article type
// that the rest of digestbot stores, searches and summarises, and it imports
// nothing else of ours.
package corpus

import (
	"fmt"
	"strings"
	"time"
)

// Precision says how much of an article's date the text actually gives.
type Precision uint8

// The precisions, from knowing nothing to knowing the day.
const (
	PrecisionUnknown Precision = iota
	PrecisionYear
	PrecisionMonth
	PrecisionDay
)

var precisionNames = [...]string{"unknown", "year", "month", "day"}

// String returns "unknown", "year", "month" or "day".
func (p Precision) String() string {
	if int(p) < len(precisionNames) {
		return precisionNames[p]
	}
	return fmt.Sprintf("precision(%d)", uint8(p))
}

// DateSource says where in the file an article's date was found.
type DateSource uint8

// The places a date can come from.
const (
	FromNone        DateSource = iota // no date found
	FromHeader                        // a " date YYYY-MM-DD …" first line
	FromMetadata                      // a metadata line such as "Time:2023-08-08" or "Date: …"
	FromBody                          // a date mentioned in the article text
	FromFrontMatter                   // Markdown YAML front matter "date:"
	FromFileName                      // the file name (2024-02-10-museum.md)
	FromMetaTag                       // an HTML meta tag (article:published_time)
	FromJSONLD                        // HTML JSON-LD datePublished
	FromTimeElement                   // an HTML <time datetime> in the article
	FromDateline                      // a dateline ("PARIS, Feb. 10 (Reuters) —")
	FromEmailHeader                   // an email's Date: header
	FromFeed                          // a feed item's published or updated date
	FromFirstSeen                     // no date given: the day a feed item was first seen
	FromURL                           // the article's URL (/2024/02/10/museum)
)

var sourceNames = [...]string{"none", "header", "metadata", "body", "front-matter", "file-name",
	"meta-tag", "json-ld", "time-element", "dateline", "email-header", "feed", "first-seen", "url"}

// String returns "none", "header", "metadata", "body", "front-matter",
// "file-name", "meta-tag", "json-ld", "time-element", "dateline",
// "email-header", "feed", "first-seen" or "url".
func (s DateSource) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// TitleSource says which rule found an article's title.
type TitleSource uint8

// The rules that find a title.
const (
	TitleUnknown     TitleSource = iota // not recorded (articles stored by older builds)
	TitleSentence                       // the first sentence of the text
	TitleHeadline                       // a short first line without terminal punctuation
	TitleMetadata                       // a "Title:" header line
	TitleFrontMatter                    // Markdown front matter "title:"
	TitleHeading                        // a leading Markdown "# Heading"
	TitleOGTitle                        // HTML og:title (or twitter:title)
	TitleJSONLD                         // HTML JSON-LD headline
	TitleH1                             // the article's HTML <h1>
	TitleTitleTag                       // HTML <title>, site name removed
	TitleSubject                        // an email's Subject:
	TitleFeed                           // a feed item's title
)

var titleSourceNames = [...]string{"unknown", "sentence", "headline", "metadata", "front-matter",
	"heading", "og:title", "json-ld", "h1", "title-tag", "subject", "feed"}

// String returns the rule's name as ingest --json reports it: "sentence",
// "headline", "metadata", "front-matter", "heading", "og:title", "json-ld",
// "h1", "title-tag", "subject", "feed", or "unknown".
func (s TitleSource) String() string {
	if int(s) < len(titleSourceNames) {
		return titleSourceNames[s]
	}
	return fmt.Sprintf("title-source(%d)", uint8(s))
}

// Date is a calendar date known to a given precision. Fields finer than the
// precision are zero: a month-precision date has Day 0. The zero Date is
// unknown.
type Date struct {
	Year      int
	Month     time.Month
	Day       int
	Precision Precision
	From      DateSource
}

// DayDate returns the date y-m-d with day precision, or an unknown Date and
// false when that day does not exist (2023-02-30).
func DayDate(y int, m time.Month, d int, from DateSource) (Date, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return Date{}, false
	}
	return Date{Year: y, Month: m, Day: d, Precision: PrecisionDay, From: from}, true
}

// MonthDate returns the month y-m with month precision, or false when invalid.
func MonthDate(y int, m time.Month, from DateSource) (Date, bool) {
	if y < 1 || y > 9999 || m < 1 || m > 12 {
		return Date{}, false
	}
	return Date{Year: y, Month: m, Precision: PrecisionMonth, From: from}, true
}

// YearDate returns the year y with year precision, or false when invalid.
func YearDate(y int, from DateSource) (Date, bool) {
	if y < 1 || y > 9999 {
		return Date{}, false
	}
	return Date{Year: y, Precision: PrecisionYear, From: from}, true
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Known reports whether the date has at least a year.
func (d Date) Known() bool { return d.Precision != PrecisionUnknown }

// String formats the date to its precision: "2023-07-03", "2023-07", "2023",
// or "" when unknown.
func (d Date) String() string {
	switch d.Precision {
	case PrecisionDay:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	case PrecisionMonth:
		return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month))
	case PrecisionYear:
		return fmt.Sprintf("%04d", d.Year)
	}
	return ""
}

// Span returns the first and last day the date covers, as UTC midnights. A
// month-precision date spans the whole month. For an unknown date ok is false.
func (d Date) Span() (first, last time.Time, ok bool) {
	switch d.Precision {
	case PrecisionDay:
		t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		return t, t, true
	case PrecisionMonth:
		t := time.Date(d.Year, d.Month, 1, 0, 0, 0, 0, time.UTC)
		return t, t.AddDate(0, 1, -1), true
	case PrecisionYear:
		t := time.Date(d.Year, 1, 1, 0, 0, 0, 0, time.UTC)
		return t, t.AddDate(1, 0, -1), true
	}
	return time.Time{}, time.Time{}, false
}

// Article is one news article as digestbot stores it.
type Article struct {
	// ID is a short, stable identifier derived from the article's content:
	// the same content always gets the same ID.
	ID string
	// Title is the headline, or the first sentence when the file has none.
	Title string
	// TitleFrom is the rule that found Title.
	TitleFrom TitleSource
	// Date is when the article says it happened or was published.
	Date Date
	// Source is the base name of the file the article came from.
	Source string
	// URL is the address of the original article on the web, when the file
	// says where it came from (a canonical link, front matter, a Source:
	// line); empty otherwise.
	URL string
	// Body is the clean text: paragraphs separated by one blank line,
	// boilerplate and credit lines removed, whitespace normalised.
	Body string
	// Words is the number of words in Body.
	Words int
	// Hash is the hex SHA-256 of the normalised text; two files with the same
	// Hash hold the same article.
	Hash string
}

// Paragraphs returns the body split into its paragraphs.
func (a Article) Paragraphs() []string {
	if a.Body == "" {
		return nil
	}
	return strings.Split(a.Body, "\n\n")
}
