package feed

import (
	"strings"

	"golang.org/x/net/html"

	"github.com/digestbot/digestbot/corpus"
)

// TEMPORARY: htmlText and parsePage stand in for corpus.HTMLText and
// corpus.ParseHTML until they land; this file is deleted then.

func htmlText(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var paras []string
	var cur strings.Builder
	flush := func() {
		if t := strings.Join(strings.Fields(cur.String()), " "); t != "" {
			paras = append(paras, t)
		}
		cur.Reset()
	}
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			flush()
			return strings.Join(paras, "\n\n")
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt := z.Token().Type; tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case "p", "div", "br", "h1", "h2", "h3", "h4", "li", "blockquote", "article", "section":
				flush()
			default:
				cur.WriteByte(' ')
			}
		}
	}
}

func parsePage(name string, data []byte, pageURL string) (corpus.Article, error) {
	a, err := corpus.Parse(name, []byte(htmlText(string(data))))
	return a, err
}
