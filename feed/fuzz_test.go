package feed

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzItems: any feed document's items become well-formed entries (or a
// clear error), deterministically.
func FuzzItems(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`<rss version="2.0"><channel><item><title><![CDATA[<b>x</b> &amp;amp; y]]></title><link>../a b?c=d#e</link></item></channel></rss>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":1,"content_text":"a\n\nb"},{"url":"javascript:alert(1)","content_html":"<script>x</script>"}]}`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/x/"><entry><title type="xhtml"><div><p>a</p><p>b</p></div></title><link href="y"/></entry></feed>`))
	seen := time.Date(2023, 7, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		contentType := "application/rss+xml"
		if len(data)%2 == 1 {
			contentType = "text/xml; charset=windows-1252"
		}
		items, base, err := Parse(data, "https://feed.example/rss", contentType)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, it := range items {
			e, err := ItemEntry("fz", it, base, time.UTC, seen)
			again, err2 := ItemEntry("fz", it, base, time.UTC, seen)
			if !reflect.DeepEqual(e, again) || (err == nil) != (err2 == nil) {
				t.Fatalf("not deterministic: %+v vs %+v", e, again)
			}
			if e.Key == "" || len(e.Key) > maxKeyBytes || !utf8.ValidString(e.Key) || len(e.RawHash) != 64 {
				t.Fatalf("bad identity %q / %q", e.Key, e.RawHash)
			}
			if err != nil {
				continue
			}
			a := e.Article
			if a.Title == "" && (a.Body != "" || e.Link == "") {
				t.Fatalf("no title for %+v", e)
			}
			if strings.ContainsAny(a.Title, "\n\r") || utf8.RuneCountInString(a.Title) > maxTitleRunes || !utf8.ValidString(a.Title) {
				t.Fatalf("bad title %q", a.Title)
			}
			if !utf8.ValidString(a.Body) || strings.Contains(a.Body, "\n\n\n") || a.Body != strings.TrimSpace(a.Body) {
				t.Fatalf("bad body %q", a.Body)
			}
			if len(a.Hash) != 64 || a.ID != a.Hash[:12] || a.Source != "fz" || a.Words != len(strings.Fields(a.Body)) {
				t.Fatalf("bad article %+v", a)
			}
			if !a.Date.Known() || a.Date.String() == "" {
				t.Fatalf("no date: %+v", a.Date)
			}
			if a.URL != e.Link {
				t.Fatalf("URL %q, link %q", a.URL, e.Link)
			}
			if e.Link != "" {
				u, err := url.Parse(e.Link)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					t.Fatalf("bad link %q", e.Link)
				}
			}
		}
	})
}
