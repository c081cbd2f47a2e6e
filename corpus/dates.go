package corpus

import (
	"encoding/binary"
	"strings"
	"time"
)

// Date finding.
//
// Where a date comes from, best first:
//
//  1. FromHeader: a first line " date <date> <text>".
//  2. FromMetadata: within the first headLines paragraphs, a metadata line
//     ("Date:", "Time:", "Published:", "发布时间：", "日期：", "Source:…Time:…")
//     or a line that is nothing but a date ("2024年3月15日", "March 15, 2024",
//     "2024-03-15T10:00:00+08:00"). The first valid one wins.
//  3. FromBody: the article text (the title, then the body) is scanned for
//     dates that include a year, in its first bodyDateParagraphs paragraphs.
//     The most precise date wins (day over month over year); among equally
//     precise dates the earliest in the text wins.
//
// Spellings understood everywhere: 2024-03-15, 2024/03/15, 2024.03.15, with
// an optional RFC 3339 / clock time after it (the calendar date is taken as
// written, time zones are not converted); 2024年3月15日 (日 or 号), 2024年3月,
// 2024年; March 15, 2024, Mar. 15 2024, March 15th, 2024; 15 March 2024,
// 15th of March, 2024; March 2024, Sept. 2024. Header and metadata lines
// also accept 2024-03 and 2024/03 (month) and a bare 2024 (year), and month
// names in any case; in the body month names must be capitalised ("may"
// and "march" are verbs) and numeric dates must be full dates.
//
// A bare year in the body ("In 2017, …") counts only after "in", "since",
// "during", "until", "till" or "by", or inside parentheses "(2017)", and
// not when followed by "year(s)" ("more than 2004 years"). Years outside
// minYear..maxYear are ignored everywhere.
//
// A date without a year ("On June 8", "From July 12th to 15th") is never
// completed with a guessed year, and today's date is never used. A date
// that does not exist (2023-02-30, 2023-13-01) is discarded as a whole (no
// fallback to its month) and the search goes on at the next place.

// Year range accepted for any date.
const (
	minYear = 1900
	maxYear = 2100
)

// bodyDateParagraphs is how many paragraphs of article text are searched
// for a date.
const bodyDateParagraphs = 8

// rawDate is a date as written, not yet validated. Fields finer than prec
// are zero.
type rawDate struct {
	y, m, d int
	prec    Precision
}

// date validates r and returns it as a Date found in from. ok is false for
// dates that do not exist and for years outside minYear..maxYear.
func (r rawDate) date(from DateSource) (Date, bool) {
	if r.y < minYear || r.y > maxYear {
		return Date{}, false
	}
	switch r.prec {
	case PrecisionDay:
		return DayDate(r.y, time.Month(r.m), r.d, from)
	case PrecisionMonth:
		return MonthDate(r.y, time.Month(r.m), from)
	case PrecisionYear:
		return YearDate(r.y, from)
	}
	return Date{}, false
}

// monthNames maps lower-case month names and abbreviations to months.
var monthNames = [...]struct {
	name  string
	month int
}{
	{"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5},
	{"june", 6}, {"july", 7}, {"august", 8}, {"september", 9}, {"october", 10},
	{"november", 11}, {"december", 12},
	{"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7},
	{"aug", 8}, {"sept", 9}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
}

// scanMonth reads a month name at the start of s, with a dot after an
// abbreviation. In the body (lenient false) the name must be capitalised.
func scanMonth(s string, lenient bool) (month, n int) {
	if s == "" || (!lenient && (s[0] < 'A' || s[0] > 'Z')) {
		return 0, 0
	}
	first := s[0] | 0x20
	if strings.IndexByte("jfmasond", first) < 0 {
		return 0, 0
	}
	for _, mn := range monthNames {
		l := len(mn.name)
		if mn.name[0] != first || len(s) < l || !equalFoldASCII(s[:l], mn.name) || (l < len(s) && isASCIILetter(s[l])) {
			continue
		}
		if l < len(s) && s[l] == '.' && l <= 4 {
			l++
		}
		return mn.month, l
	}
	return 0, 0
}

// scanDate reads a date at the start of s and returns it with the number of
// bytes it spans; n is 0 when s does not start with a date. The date is not
// validated: 2023-02-30 is returned as written. lenient enables the forms
// only accepted in header and metadata lines.
func scanDate(s string, lenient bool) (r rawDate, n int) {
	if s == "" {
		return rawDate{}, 0
	}
	switch c := s[0]; {
	case isDigit(c):
		switch digitRun(s) {
		case 4:
			return scanYearFirst(s, lenient)
		case 1, 2:
			return scanDayFirst(s, lenient)
		}
	case isASCIILetter(c):
		return scanMonthFirst(s, lenient)
	}
	return rawDate{}, 0
}

// scanYearFirst reads 2024-03-15, 2024/03/15, 2024.03.15, 2024年3月15日 and,
// when lenient, 2024-03 and 2024.
func scanYearFirst(s string, lenient bool) (rawDate, int) {
	y := atoi(s[:4])
	i := 4
	if i < len(s) && (s[i] == '-' || s[i] == '/' || s[i] == '.') {
		sep := s[i]
		if m, k := oneOrTwoDigits(s[i+1:]); k > 0 {
			j := i + 1 + k
			if j < len(s) && s[j] == sep {
				if d, k2 := oneOrTwoDigits(s[j+1:]); k2 > 0 {
					return rawDate{y, m, d, PrecisionDay}, j + 1 + k2
				}
			}
			if lenient && sep != '.' && (j == len(s) || !isDigit(s[j])) {
				return rawDate{y, m, 0, PrecisionMonth}, j
			}
		}
		if lenient && sep != '.' {
			return rawDate{y, 0, 0, PrecisionYear}, 4
		}
		return rawDate{}, 0
	}
	if hasPrefixAt(s, i, "年") {
		i += len("年")
		j := skipSpaces(s, i)
		if m, k := oneOrTwoDigits(s[j:]); k > 0 && hasPrefixAt(s, j+k, "月") {
			j += k + len("月")
			end := j
			j = skipSpaces(s, j)
			if d, k := oneOrTwoDigits(s[j:]); k > 0 {
				if hasPrefixAt(s, j+k, "日") || hasPrefixAt(s, j+k, "号") {
					return rawDate{y, m, d, PrecisionDay}, j + k + len("日")
				}
			}
			return rawDate{y, m, 0, PrecisionMonth}, end
		}
		return rawDate{y, 0, 0, PrecisionYear}, i
	}
	if lenient && (i == len(s) || !isASCIILetter(s[i])) {
		return rawDate{y, 0, 0, PrecisionYear}, 4
	}
	return rawDate{}, 0
}

// scanDayFirst reads 15 March 2024, 15th March, 2024 and 15th of March 2024.
func scanDayFirst(s string, lenient bool) (rawDate, int) {
	d, i := oneOrTwoDigits(s)
	i = skipOrdinal(s, i)
	j := skipSpaces(s, i)
	if j == i {
		return rawDate{}, 0
	}
	if len(s)-j > 3 && equalFoldASCII(s[j:j+3], "of ") {
		j = skipSpaces(s, j+3)
	}
	m, k := scanMonth(s[j:], lenient)
	if k == 0 {
		return rawDate{}, 0
	}
	if y, n := scanYearAfter(s, j+k); n > 0 {
		return rawDate{y, m, d, PrecisionDay}, n
	}
	return rawDate{}, 0
}

// scanMonthFirst reads March 15, 2024, Mar. 15th 2024 and March 2024.
func scanMonthFirst(s string, lenient bool) (rawDate, int) {
	m, i := scanMonth(s, lenient)
	if i == 0 {
		return rawDate{}, 0
	}
	if j := skipSpaces(s, i); j > i {
		if d, k := oneOrTwoDigits(s[j:]); k > 0 {
			if y, n := scanYearAfter(s, skipOrdinal(s, j+k)); n > 0 {
				return rawDate{y, m, d, PrecisionDay}, n
			}
		}
	}
	if y, n := scanYearAfter(s, i); n > 0 {
		return rawDate{y, m, 0, PrecisionMonth}, n
	}
	return rawDate{}, 0
}

// scanYearAfter reads an optional comma, at least one space and a four-digit
// year starting at s[i]; n is the end of the year or 0.
func scanYearAfter(s string, i int) (year, n int) {
	if i < len(s) && s[i] == ',' {
		i++
	}
	j := skipSpaces(s, i)
	if j == i || digitRun(s[j:]) != 4 {
		return 0, 0
	}
	return atoi(s[j : j+4]), j + 4
}

// skipTime returns the length of a clock time right after a date: "T10:00:00Z",
// " 10:30", " 10:00:00.5+08:00"; 0 when there is none.
func skipTime(s string) int {
	if s == "" || (s[0] != 'T' && s[0] != ' ') {
		return 0
	}
	_, k := oneOrTwoDigits(s[1:])
	i := 1 + k
	if k == 0 || i >= len(s) || s[i] != ':' || digitRun(s[i+1:]) != 2 {
		return 0
	}
	i += 3
	if i < len(s) && s[i] == ':' && digitRun(s[i+1:]) == 2 {
		i += 3
		if i < len(s) && s[i] == '.' && digitRun(s[i+1:]) > 0 {
			i += 1 + digitRun(s[i+1:])
		}
	}
	switch {
	case i < len(s) && s[i] == 'Z':
		i++
	case i < len(s) && (s[i] == '+' || s[i] == '-') && digitRun(s[i+1:]) >= 2:
		i += 1 + digitRun(s[i+1:])
		if i < len(s) && s[i] == ':' && digitRun(s[i+1:]) == 2 {
			i += 3
		}
	}
	return i
}

// metaDateKeys are the labels after which a metadata line carries its date.
var metaDateKeys = [...]string{
	"date", "time", "published", "posted", "updated", "release",
	"发布时间", "发布日期", "发表时间", "更新时间", "日期", "时间",
}

// metadataDate finds the date in a metadata line: first a date right after
// a label such as "Time:" anywhere in the line ("Source:Author:x Click:
// Time:2023-08-08"), then any date in the line. ok reports whether a date
// shape was found; the date itself may still be invalid.
func metadataDate(line string) (r rawDate, ok bool) {
	for i := 0; i < len(line); i++ {
		if i > 0 && isASCIILetter(line[i-1]) {
			continue
		}
		for _, key := range metaDateKeys {
			if len(line)-i < len(key) || !equalFoldASCII(line[i:i+len(key)], key) {
				continue
			}
			j := i + len(key)
			for j < len(line) && isASCIILetter(line[j]) { // "Published", "Release date"
				j++
			}
			j = skipSpaces(line, j)
			switch {
			case hasPrefixAt(line, j, ":"):
				j++
			case hasPrefixAt(line, j, "："):
				j += len("：")
			default:
				continue
			}
			if r, n := scanDate(line[skipSpaces(line, j):], true); n > 0 {
				return r, true
			}
		}
	}
	for i := 0; i < len(line); i++ {
		if i == 0 || !isASCIIAlnum(line[i-1]) {
			if r, n := scanDate(line[i:], false); n > 0 {
				return r, true
			}
		}
	}
	return rawDate{}, false
}

// weekdays are skipped before a date on a line of its own.
var weekdays = [...]string{
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun",
}

// datelineDate reports whether line is nothing but a date (with an optional
// weekday before and clock time after it) or a date followed by metadata
// ("2024-03-15 10:30 Source: Xinhua").
func datelineDate(line string) (rawDate, bool) {
	s := line
	for _, w := range weekdays {
		if len(s) > len(w) && equalFoldASCII(s[:len(w)], w) && !isASCIILetter(s[len(w)]) {
			s = s[len(w):]
			if s[0] == '.' {
				s = s[1:]
			}
			if s != "" && s[0] == ',' {
				s = s[1:]
			}
			s = s[skipSpaces(s, 0):]
			break
		}
	}
	r, n := scanDate(s, true)
	if n == 0 {
		return rawDate{}, false
	}
	s = s[n:]
	s = s[skipTime(s):]
	s = trimSeparators(s)
	if s == "" || headKindOf(s) == headMetadata {
		return r, true
	}
	return rawDate{}, false
}

// bodyDate scans the article text for the best date as described at the top
// of this file. paras are the title (when it is not part of the body) and the
// body paragraphs, in order.
func bodyDate(paras []string) Date {
	var best Date
	for pi, p := range paras {
		if pi >= bodyDateParagraphs {
			break
		}
		for i := 0; i < len(p); i++ {
			if len(p)-i >= 8 { // skip eight bytes without digits or capitals at once
				x := binary.LittleEndian.Uint64([]byte(p[i : i+8]))
				if printable8(x) && inRange8(x, '0', '9')|inRange8(x, 'A', 'Z') == 0 {
					i += 7
					continue
				}
			}
			c := p[i]
			if !isDigit(c) && (c < 'A' || c > 'Z') {
				continue
			}
			if i > 0 && isASCIIAlnum(p[i-1]) {
				continue
			}
			r, n := scanDate(p[i:], false)
			if n == 0 {
				if y, ok := bareYear(p, i); ok {
					r, n = rawDate{y: y, prec: PrecisionYear}, 4
				}
			}
			if n == 0 {
				continue
			}
			if d, ok := r.date(FromBody); ok && d.Precision > best.Precision {
				if best = d; best.Precision == PrecisionDay {
					return best
				}
			}
			i += n - 1
		}
	}
	return best
}

// yearWords are the words after which a bare four-digit number is a year.
var yearWords = [...]string{"in", "since", "during", "until", "till", "by"}

// bareYear reports whether the four digits at p[i:] are a year by their
// context: "in 2017", "In 2017,", "(2017)"; never "2004 years".
func bareYear(p string, i int) (int, bool) {
	if digitRun(p[i:]) != 4 {
		return 0, false
	}
	y := atoi(p[i : i+4])
	after := p[i+4:]
	if after != "" && (after[0] == '.' || after[0] == ',') && len(after) > 1 && isDigit(after[1]) {
		return 0, false // 2017.5, 2,0170
	}
	if a := after[skipSpaces(after, 0):]; len(a) >= 4 && equalFoldASCII(a[:4], "year") {
		return 0, false
	}
	if i > 0 && p[i-1] == '(' && after != "" && after[0] == ')' {
		return y, true
	}
	j := i
	for j > 0 && p[j-1] == ' ' {
		j--
	}
	if j == i {
		return 0, false
	}
	k := j
	for k > 0 && isASCIILetter(p[k-1]) {
		k--
	}
	if k > 0 && isASCIIAlnum(p[k-1]) {
		return 0, false
	}
	for _, w := range yearWords {
		if equalFoldASCII(p[k:j], w) {
			return y, true
		}
	}
	return 0, false
}

// Small byte helpers shared by the parser.

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isASCIIAlnum(c byte) bool  { return isDigit(c) || isASCIILetter(c) }

// digitRun returns how many ASCII digits s starts with, capped at 5.
func digitRun(s string) int {
	n := 0
	for n < len(s) && n < 5 && isDigit(s[n]) {
		n++
	}
	return n
}

// oneOrTwoDigits reads a one- or two-digit number not followed by another
// digit.
func oneOrTwoDigits(s string) (v, n int) {
	n = digitRun(s)
	if n == 0 || n > 2 {
		return 0, 0
	}
	return atoi(s[:n]), n
}

// atoi converts a short run of ASCII digits.
func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// skipOrdinal skips "st", "nd", "rd" or "th" at s[i] when it ends a word.
func skipOrdinal(s string, i int) int {
	if len(s)-i >= 2 {
		switch suf := s[i : i+2]; {
		case equalFoldASCII(suf, "st"), equalFoldASCII(suf, "nd"),
			equalFoldASCII(suf, "rd"), equalFoldASCII(suf, "th"):
			if i+2 == len(s) || !isASCIILetter(s[i+2]) {
				return i + 2
			}
		}
	}
	return i
}

// skipSpaces returns the index of the first non-space byte at or after i.
func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// hasPrefixAt reports whether s[i:] starts with prefix.
func hasPrefixAt(s string, i int, prefix string) bool {
	return i <= len(s) && len(s)-i >= len(prefix) && s[i:i+len(prefix)] == prefix
}

// equalFoldASCII compares s with the lower-case ASCII t, ignoring ASCII case.
func equalFoldASCII(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}
