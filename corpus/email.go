package corpus

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/htmlindex"
)

// Email.
//
// The title is the Subject, decoded (RFC 2047) and without "Re:", "Fwd:"
// and a leading "[list]" tag; the date is the Date header's calendar date
// as written. The URL is the Archived-At header or the newsletter's "view
// in browser" link, never List-Unsubscribe or List-Post. The body is the
// first text/plain part (quoted-printable and base64 decoded, any charset
// x/text knows), else the first text/html part through the HTML path.
// From the text go: the signature after a "-- " line, forwarded-message
// headers, quoted replies, lines that are only links, and the mailing-list
// footer ("You are receiving this…", "Unsubscribe") with what follows it.

// maxMIMEDepth bounds nested multiparts, maxMIMEParts the parts read.
const (
	maxMIMEDepth = 8
	maxMIMEParts = 64
)

// mailHeaderKeys are header names that mark the start of an email.
var mailHeaderKeys = map[string]bool{
	"from": true, "to": true, "cc": true, "subject": true, "date": true, "message-id": true,
	"mime-version": true, "received": true, "return-path": true, "delivered-to": true,
	"reply-to": true, "sender": true, "content-type": true, "list-unsubscribe": true,
}

// sniffEmail reports whether data starts with an RFC 5322 header block that
// names the sender and has a subject, date, message ID, MIME version or
// Received line.
func sniffEmail(data []byte) bool {
	head := data[:min(len(data), 16<<10)]
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	if bytes.HasPrefix(head, []byte("From ")) { // an mbox separator line
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			head = head[i+1:]
		}
	}
	from, other := false, false
	for n := 0; len(head) > 0 && n < 100; n++ {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n == 0 {
				return false
			}
			continue
		}
		key, _, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(key) == 0 || bytes.ContainsAny(key, " \t") {
			return false
		}
		k := strings.ToLower(string(key))
		if n == 0 && !mailHeaderKeys[k] && !strings.HasPrefix(k, "x-") {
			return false
		}
		switch k {
		case "from":
			from = true
		case "subject", "date", "message-id", "mime-version", "received":
			other = true
		}
	}
	return from && other
}

// parseEmail turns an email into an Article.
func parseEmail(name string, data []byte) (Article, error) {
	if bytes.IndexByte(data[:min(len(data), binaryProbe)], 0) >= 0 {
		return Article{}, &FileError{File: name, Err: ErrBinary}
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		// Not readable as mail after all: read it as plain text.
		text, derr := decodeText(data)
		if derr != nil {
			return Article{}, &FileError{File: name, Err: derr}
		}
		return parseText(name, text)
	}
	dec := mime.WordDecoder{CharsetReader: charsetReader}
	dr := draft{raw: normalizeNewlines(data)}
	if subj, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		dr.title = cleanSubject(subj)
	} else {
		dr.title = cleanSubject(msg.Header.Get("Subject"))
	}
	if dr.title != "" {
		dr.titleFrom = TitleSubject
	}
	if t, err := mail.ParseDate(msg.Header.Get("Date")); err == nil {
		dr.date, _ = DayDate(t.Year(), t.Month(), t.Day(), FromEmailHeader)
	}
	dr.url = CleanURL(strings.Trim(msg.Header.Get("Archived-At"), "<> "))
	body, isHTML := mailBody(textproto.MIMEHeader(msg.Header), msg.Body, 0, new(int))
	text, err := decodeText(body)
	if err != nil {
		return Article{}, &FileError{File: name, Err: err}
	}
	if isHTML {
		if dr.url == "" {
			dr.url = browserLink(string(text))
		}
		doc, err := html.Parse(bytes.NewReader(text))
		if err != nil { // a bytes.Reader does not fail
			return Article{}, &FileError{File: name, Err: err}
		}
		dr.body = htmlBody(doc, dr.url)
		dr.html = true
	} else {
		if dr.url == "" {
			dr.url = browserLinkText(string(text))
		}
		dr.body = mailText(string(text))
	}
	dr.body = cutMailFooter(dr.body)
	return dr.article(name)
}

// cleanSubject removes reply and forward prefixes and a leading list tag.
func cleanSubject(s string) string {
	s = collapse(s)
	for {
		t := s
		for _, p := range [...]string{"re:", "fwd:", "fw:", "aw:", "wg:", "tr:", "rv:"} {
			if len(t) >= len(p) && strings.EqualFold(t[:len(p)], p) {
				t = strings.TrimSpace(t[len(p):])
			}
		}
		if strings.HasPrefix(t, "[") {
			if i := strings.IndexByte(t, ']'); i > 0 && i < 60 && strings.TrimSpace(t[i+1:]) != "" {
				t = strings.TrimSpace(t[i+1:])
			}
		}
		if t == s {
			return s
		}
		s = t
	}
}

// charsetReader decodes a charset x/text knows (for RFC 2047 words).
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

// mailBody returns the body to use from a message or part with header h:
// the first text/plain part, else the first text/html part, decoded to
// UTF-8. isHTML says it is HTML.
func mailBody(h textproto.MIMEHeader, r io.Reader, depth int, parts *int) (body []byte, isHTML bool) {
	*parts++
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt, params = "text/plain", nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxMIMEDepth || params["boundary"] == "" {
			return nil, false
		}
		mr := multipart.NewReader(r, params["boundary"])
		var html []byte
		for *parts < maxMIMEParts {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			disp, _, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); disp == "attachment" && ct != "message/rfc822" {
				continue
			}
			b, isH := mailBody(p.Header, p, depth+1, parts)
			switch {
			case len(b) > 0 && !isH:
				return b, false
			case len(b) > 0 && html == nil:
				html = b
			}
		}
		return html, html != nil
	}
	if mt == "message/rfc822" && depth < maxMIMEDepth { // a message forwarded as an attachment
		inner, err := mail.ReadMessage(bufio.NewReader(transferDecoder(h.Get("Content-Transfer-Encoding"), r)))
		if err != nil {
			return nil, false
		}
		return mailBody(textproto.MIMEHeader(inner.Header), inner.Body, depth+1, parts)
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(transferDecoder(h.Get("Content-Transfer-Encoding"), r), DefaultMaxBytes))
	if err != nil && len(raw) == 0 {
		return nil, false
	}
	return toUTF8(raw, params["charset"]), mt == "text/html"
}

// transferDecoder undoes a Content-Transfer-Encoding.
func transferDecoder(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	}
	return r
}

// base64Cleaner drops the line breaks and other bytes base64 does not use.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		n, err := c.r.Read(p)
		k := 0
		for _, b := range p[:n] {
			if (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '+' || b == '/' || b == '=' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil || n == 0 {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return k, err
		}
	}
}

// toUTF8 decodes b from charset; unknown charsets and UTF-8 are returned
// as they are (decodeText repairs what is not UTF-8).
func toUTF8(b []byte, charset string) []byte {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" {
		return b
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return b
	}
	if out, err := enc.NewDecoder().Bytes(b); err == nil {
		return out
	}
	return b
}

var (
	viewOnline    = lazyRegexp(`(?i)<a\s[^>]*href\s*=\s*["']([^"']+)["'][^>]*>([^<]{0,80}(?:view|read|open)[^<]{0,40}(?:browser|online|web)[^<]{0,40})</a>`)
	viewOnlineTxt = lazyRegexp(`(?i)(?:view|read|open)[^\n]{0,40}(?:browser|online|web)[^\n]{0,20}?[:(<\[]\s*(https?://[^\s)>\]]+)`)
	linkOnly      = lazyRegexp(`^(?:\[\d+\]\s*)?<?https?://\S+>?$`)
	forwardedMark = lazyRegexp(`(?i)^(?:-+\s*forwarded message\s*-+|begin forwarded message:?|-+\s*original message\s*-+)$`)
	quoteHeader   = lazyRegexp(`^On .{5,200} wrote:$`)
	// inlineURL is a link a plain-text newsletter spells out after its
	// text: "the report <https://…>", "(https://…)", "[https://…]".
	inlineURL = lazyRegexp(`\s*[<(\[]https?://[^\s>)\]]*[>)\]]`)
)

// browserLink returns the "view this email in your browser" address of an
// HTML newsletter, or "".
func browserLink(htmlText string) string {
	if m := viewOnline().FindStringSubmatch(htmlText); m != nil {
		return CleanURL(htmlUnescapeAttr(m[1]))
	}
	return ""
}

func htmlUnescapeAttr(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

// browserLinkText returns the "View in browser: https://…" address of a
// plain-text newsletter, or "".
func browserLinkText(text string) string {
	if m := viewOnlineTxt().FindStringSubmatch(text); m != nil {
		return CleanURL(m[1])
	}
	return ""
}

// mailText turns a text/plain body into one paragraph per line: lines
// wrapped within a paragraph are joined when the text separates its
// paragraphs with blank lines. The signature, a forwarding note and the
// forwarded message's headers, quoted replies and lines that are only links
// are removed.
func mailText(text string) string {
	lines := strings.Split(text, "\n")
	var kept []string
	inForwardHeader := false
	for _, line := range lines {
		t := strings.TrimRight(line, " \t")
		if t == "--" || t == "-- " || line == "-- " {
			break // the signature
		}
		trim := strings.TrimSpace(t)
		switch {
		case forwardedMark().MatchString(trim):
			// The forwarded message is the article; the note above it
			// ("Thought you'd like this") is not.
			inForwardHeader, kept = true, kept[:0]
			continue
		case inForwardHeader:
			if trim == "" {
				inForwardHeader = false
			}
			continue
		case strings.HasPrefix(trim, ">") || quoteHeader().MatchString(trim) || linkOnly().MatchString(trim):
			continue
		}
		kept = append(kept, strings.TrimSpace(inlineURL().ReplaceAllString(trim, "")))
	}
	joined := strings.Join(kept, "\n")
	if !strings.Contains(joined, "\n\n") {
		return joined
	}
	var paras []string
	for p := range strings.SplitSeq(joined, "\n\n") {
		if c := collapse(p); c != "" {
			paras = append(paras, c)
		}
	}
	return strings.Join(paras, "\n")
}

// cutMailFooter removes a mailing-list footer and everything after it: the
// first boilerplate paragraph in the last half of the text that is a
// subscription notice.
func cutMailFooter(body string) string {
	lines := strings.Split(body, "\n")
	for i := len(lines) / 2; i < len(lines); i++ {
		s := strings.ToLower(lines[i])
		if IsBoilerplate(lines[i]) && (strings.Contains(s, "receiving this") || strings.Contains(s, "subscri") ||
			strings.Contains(s, "received this") || strings.Contains(s, "this email was sent") ||
			strings.Contains(s, "preferences") || strings.Contains(s, "mailing list")) {
			return strings.Join(lines[:i], "\n")
		}
	}
	return body
}
