package corpus

import (
	"net/url"
	"strings"
	"time"
	"unicode"
)

// maxBoilerplateRunes bounds a line that IsBoilerplate may judge as
// furniture by its opening words; longer lines are article text.
const maxBoilerplateRunes = 240

// boilerplateStarts open lines that are page or newsletter furniture, not
// article text: sharing prompts, sign-ups, "read more" links, captions and
// credits, rights notices, mailing-list footers. Compared in lower case.
var boilerplateStarts = [...]string{
	"share this", "share on ", "share:", "share via", "tweet this", "follow us", "follow @",
	"like us on", "sign up for", "sign up to", "sign up now", "subscribe to", "subscribe now",
	"subscribe for", "subscribe here", "get our newsletter", "join our newsletter",
	"our newsletter", "read more", "read also", "also read", "see also", "related:",
	"related articles", "related stories", "related coverage", "more from", "more stories",
	"recommended for you", "you may also like", "you might also like", "advertisement",
	"sponsored content", "click here", "tap here", "photo:", "photos:", "photo by ", "photograph:",
	"image:", "images:", "picture:", "pictures:", "illustration:", "credit:", "photo credit",
	"image credit", "(photo", "[photo", "(image", "file photo", "all rights reserved",
	"copyright ©", "© ", "you are receiving this", "you received this", "you're receiving this",
	"to unsubscribe", "unsubscribe", "update your preferences", "manage your preferences",
	"manage your subscription", "view this email in your browser", "view in browser",
	"view it in your browser", "forward to a friend", "was this forwarded to you",
	"this email was sent to", "this message was sent to", "we use cookies", "this site uses cookies",
	"this website uses cookies", "accept cookies", "accept all cookies", "leave a comment",
	"leave a reply", "comments are closed", "listen to this article", "print this article",
	"email this article", "reporting by ", "editing by ", "additional reporting by ",
	"this article was originally published", "originally published", "skip to content",
	"skip to main content", "back to top", "continue reading", "download our app",
}

// boilerplateLines are whole lines that are furniture (lower case, without
// trailing punctuation).
var boilerplateLines = map[string]bool{
	"share": true, "tweet": true, "email": true, "print": true, "facebook": true, "twitter": true,
	"linkedin": true, "whatsapp": true, "reddit": true, "pinterest": true, "copy link": true,
	"comments": true, "advertisement": true, "ad": true, "sponsored": true, "subscribe": true,
	"newsletter": true, "menu": true, "search": true, "home": true, "top stories": true,
	"related": true, "more": true, "share this article": true, "share this story": true,
}

// IsBoilerplate reports whether a line or sentence of text is furniture
// rather than article text: a sharing prompt ("Share this article"), a
// sign-up or "read more" link, a caption or photo credit ("Photo: …"), a
// rights notice ("All rights reserved"), a mailing-list footer ("You are
// receiving this because you subscribed", "Unsubscribe"). Such lines are
// dropped from bodies of HTML, Markdown and email files and never chosen as
// summary sentences.
func IsBoilerplate(line string) bool {
	if collapsedLonger(line, maxBoilerplateRunes) {
		return false // article text; no need to fold a long paragraph
	}
	s := strings.ToLower(collapse(line)) // as long as collapse(line): not too long
	if s == "" {
		return false
	}
	// s is collapsed: its words are separated by single spaces.
	nwords := strings.Count(s, " ") + 1
	if boilerplateLines[strings.TrimRight(s, " .:!|·•-–—")] {
		return true
	}
	for _, b := range boilerplateStarts {
		// A start ending in a letter must end a word: "advertisement",
		// not "advertisements for the fair".
		if strings.HasPrefix(s, b) && (len(s) == len(b) || !isASCIILetter(b[len(b)-1]) || !isASCIILetter(s[len(b)])) {
			return true
		}
	}
	if strings.Contains(s, "all rights reserved") || strings.Contains(s, "you are receiving this") ||
		strings.Contains(s, "subscribed to our") || strings.Contains(s, "because you subscribed") ||
		(strings.HasPrefix(s, "the post ") && strings.Contains(s, " appeared first on ")) ||
		(strings.HasSuffix(s, " min read") && nwords <= 6) {
		return true
	}
	if strings.Contains(s, "unsubscribe") {
		for _, w := range [...]string{"click", "here", "link", "email", "e-mail", "list", "preferences", "at any time"} {
			if strings.Contains(s, w) {
				return true
			}
		}
	}
	// A share bar flattened to one line: "Facebook Twitter LinkedIn Email".
	if nwords >= 2 && nwords <= 8 {
		words := strings.Fields(s)
		social := 0
		for _, w := range words {
			if boilerplateLines[strings.Trim(w, ".,:|·•")] {
				social++
			}
		}
		if social == len(words) {
			return true
		}
	}
	return false
}

// collapsedLonger reports whether collapse(s) is longer than limit runes,
// without building it and reading no further than it must: the collapsed
// line is the runes that are not spaces plus one space between each two
// runs of them.
func collapsedLonger(s string, limit int) bool {
	n, inWord := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			inWord = false
			continue
		}
		if !inWord && n > 0 {
			n++ // the space before this word
		}
		inWord = true
		if n++; n > limit {
			return true
		}
	}
	return false
}

// newsDateline reads a news dateline opening paragraph p: an optional
// place in capitals with an optional agency ("WASHINGTON (Reuters)",
// "PARIS, France"), then a date, then a dash or colon before the text:
// "LONDON, Feb. 10, 2024 — The museum …", "February 10, 2024 - …".
func newsDateline(p string) (rawDate, bool) {
	s := p
	// The place: words without lower-case letters, then a comma.
	if i := strings.IndexAny(s, ",("); i > 0 && i < 60 && strings.ToUpper(s[:i]) == s[:i] && hasLetter(s[:i]) {
		s = strings.TrimLeft(s[i:], " ,")
		if strings.HasPrefix(s, "(") {
			if j := strings.IndexByte(s, ')'); j > 0 && j < 40 {
				s = strings.TrimLeft(s[j+1:], " ,")
			}
		}
	}
	for _, w := range weekdays {
		if len(s) > len(w)+1 && equalFoldASCII(s[:len(w)], w) && (s[len(w)] == ',' || s[len(w)] == ' ') {
			s = strings.TrimLeft(s[len(w):], " ,")
			break
		}
	}
	r, n := scanDate(s, false)
	if n == 0 || r.prec != PrecisionDay {
		return rawDate{}, false
	}
	s = s[n:]
	s = s[skipTime(s):]
	if i := strings.IndexByte(s, ')'); i >= 0 && i < 30 && strings.HasPrefix(strings.TrimLeft(s, " "), "(") {
		s = s[i+1:] // "(Reuters)" after the date
	}
	s = strings.TrimLeft(s, " ")
	for _, sep := range [...]string{"—", "–", "-", ":", "/", "|"} {
		if strings.HasPrefix(s, sep) {
			return r, true
		}
	}
	return rawDate{}, false
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isASCIILetter(s[i]) {
			return true
		}
	}
	return false
}

// fileNameDate finds a full date in a file name: 2024-02-10, 2024_02_10,
// 2024.02.10 or 20240210, not inside a longer run of digits
// ("2024-02-10-museum.md", "20240210_x.txt", "notes-2024-02-10.txt").
func fileNameDate(name string) Date { return nameDate(name, "-_.", FromFileName) }

// urlDate finds a full date in the path of an article's URL:
// /2024/02/10/museum, /news/2024-02-10-museum, /20240210/x.
func urlDate(rawURL string) Date {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Date{}
	}
	return nameDate(u.Path, "-_./", FromURL)
}

// nameDate finds a full date in name, its parts separated by one of seps.
func nameDate(name, seps string, from DateSource) Date {
	for i := 0; i+8 <= len(name); i++ {
		if !isDigit(name[i]) || (i > 0 && isDigit(name[i-1])) {
			continue
		}
		run := 0
		for i+run < len(name) && isDigit(name[i+run]) {
			run++
		}
		var y, m, d, end int
		switch {
		case run == 8:
			y, m, d, end = atoi(name[i:i+4]), atoi(name[i+4:i+6]), atoi(name[i+6:i+8]), i+8
		case run == 4 && i+10 <= len(name) && strings.IndexByte(seps, name[i+4]) >= 0 &&
			name[i+7] == name[i+4] && digitRun(name[i+5:]) == 2 && digitRun(name[i+8:]) >= 2:
			y, m, d, end = atoi(name[i:i+4]), atoi(name[i+5:i+7]), atoi(name[i+8:i+10]), i+10
		default:
			i += run - 1
			continue
		}
		if end < len(name) && isDigit(name[end]) {
			continue
		}
		if y >= minYear && y <= maxYear {
			if date, ok := DayDate(y, time.Month(m), d, from); ok {
				return date
			}
		}
	}
	return Date{}
}
