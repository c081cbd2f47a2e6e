package corpus

import (
	"strings"
	"testing"
)

func TestHTMLText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"paragraphs", "<p>One  two\nthree.</p><p>Four.</p>", "One two three.\n\nFour."},
		{"entities", "<p>Fish &amp; chips &mdash; &pound;5 &#8220;hot&#8221;</p>", "Fish & chips — £5 “hot”"},
		{"script and style dropped", "<p>Text.</p><script>alert('x')</script><style>p{}</style><p>More.</p>", "Text.\n\nMore."},
		{"inline runs together", "<p>A <b>bold</b><i>word</i> and <a href='x'>link</a>.</p>", "A boldword and link."},
		{"br breaks", "Line one<br>Line two<br/><br/>Line three", "Line one\n\nLine two\n\nLine three"},
		{"list items", "<ul><li>First</li><li>Second</li></ul>", "First\n\nSecond"},
		{"div blocks", "<div>Top<div>Inner</div>After</div>", "Top\n\nInner\n\nAfter"},
		{"hidden", `<p hidden>No</p><p style="display: none">No</p><p aria-hidden="true">No</p><p>Yes</p>`, "Yes"},
		{"caption dropped", "<figure><img src=x><figcaption>Photo: A dog.</figcaption></figure><p>Body.</p>", "Body."},
		{"pre lines", "<pre>a = 1\n  b = 2</pre>", "a = 1\n\nb = 2"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\n\nc"},
		{"plain text", "First para\nstill first.\n\nSecond &amp; last.", "First para still first.\n\nSecond & last."},
		{"less-than in text", "3 < 4 and 5 > 2", "3 < 4 and 5 > 2"},
		{"empty", "", ""},
		{"unclosed", "<p>Open <b>bold", "Open bold"},
		{"comment", "<!-- hi --><p>Text</p>", "Text"},
		{"invalid UTF-8 in markup", "<b>\x80</b> y", "\uFFFD y"},
		{"invalid UTF-8 in a broken entity", "x &\x80mp;amp; y", "x &\uFFFDmp;amp; y"},
	}
	for _, c := range cases {
		if got := HTMLText(c.in); got != c.want {
			t.Errorf("%s: HTMLText(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestCleanURL(t *testing.T) {
	cases := []struct{ in, base, want string }{
		{"https://Example.COM/a/b?utm_source=x&id=7&fbclid=y#top", "", "https://example.com/a/b?id=7"},
		{"http://example.com:80", "", "http://example.com/"},
		{"https://example.com:8443/x", "", "https://example.com:8443/x"},
		{"/2024/story?utm_medium=rss", "https://news.example/section/", "https://news.example/2024/story"},
		{"story.html", "https://news.example/section/", "https://news.example/section/story.html"},
		{"//cdn.example/x", "https://news.example/", "https://cdn.example/x"},
		{"mailto:a@example.com", "", ""},
		{"javascript:alert(1)", "https://news.example/", ""},
		{"/relative", "", ""},
		{"https://user:pw@example.com/", "", ""},
		{"https://example.com/?a=1;utm_campaign=z;b=2", "", "https://example.com/?a=1&b=2"},
		{"https://example.com/?Q=%20x&UTM_SOURCE=y", "", "https://example.com/?Q=%20x"},
		{"https://example.com/" + strings.Repeat("a", 3000), "", ""},
	}
	for _, c := range cases {
		if got := resolveURL(c.in, c.base); got != c.want {
			t.Errorf("resolveURL(%q, %q) = %q, want %q", c.in, c.base, got, c.want)
		}
	}
}

func TestStripSiteName(t *testing.T) {
	cases := []struct{ in, site, want string }{
		{"Museum reopens | Riverside Gazette", "Riverside Gazette", "Museum reopens"},
		{"Riverside Gazette: Museum reopens", "", "Riverside Gazette: Museum reopens"},
		{"Riverside Gazette - Museum reopens", "Riverside Gazette", "Museum reopens"},
		{"Museum reopens after renovation | The Gazette", "", "Museum reopens after renovation"},
		{"Museum reopens after the long renovation - BBC News", "", "Museum reopens after the long renovation"},
		{"Museum reopens - with a twist", "", "Museum reopens - with a twist"},
		{"Council votes - and residents react", "", "Council votes - and residents react"},
		{"Headline only", "Site", "Headline only"},
	}
	for _, c := range cases {
		if got := stripSiteName(c.in, c.site); got != c.want {
			t.Errorf("stripSiteName(%q, %q) = %q, want %q", c.in, c.site, got, c.want)
		}
	}
}

func TestParseHTMLPageURL(t *testing.T) {
	page := `<html><head><title>Local fair draws record crowd</title></head><body><article>
<p>The county fair drew a record crowd of 40,000 people over the weekend, organisers said on Monday.</p>
<p>Rides, livestock shows and a pie contest filled the grounds.</p></article></body></html>`
	a, err := ParseHTML("fair.html", []byte(page), "https://news.example/fair?utm_source=feed#c")
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != "https://news.example/fair" || a.Title != "Local fair draws record crowd" || a.TitleFrom != TitleTitleTag {
		t.Fatalf("got URL %q title %q from %s", a.URL, a.Title, a.TitleFrom)
	}
	if !strings.HasPrefix(a.Body, "The county fair drew") || strings.Contains(a.Body, "<") {
		t.Fatalf("body %q", a.Body)
	}
	for _, bad := range []string{"", "   ", "<html><body><script>x()</script></body></html>"} {
		if _, err := ParseHTML("bad.html", []byte(bad), ""); err == nil {
			t.Errorf("ParseHTML(%q) gave no error", bad)
		}
	}
}

func TestPageTitleNotSiteName(t *testing.T) {
	page := `<html><head><meta property="og:site_name" content="Valley Courier"><meta property="og:title" content="Valley Courier">
<title>Valley Courier</title></head><body><article><h1>Bus routes change on Monday</h1>
<p>Three bus routes will change on Monday to serve the new hospital, the council said.</p></article></body></html>`
	a, err := ParseHTML("bus.html", []byte(page), "")
	if err != nil || a.Title != "Bus routes change on Monday" || a.TitleFrom != TitleH1 {
		t.Fatalf("title %q from %s, %v", a.Title, a.TitleFrom, err)
	}
}

func TestFurnitureName(t *testing.T) {
	for name, want := range map[string]bool{
		"sharedaddy": false, "sd-sharing-enabled": true, "share-buttons": true, "cybotcookiebotdialog": true,
		"entry-content": false, "post-42": false, "read-more-box": true, "c-related": true, "unrelated-thing": false,
		"wp-caption-text": true, "onetrust-banner-sdk": true, "article-body": false, "story": false,
	} {
		if got := furnitureName(name); got != want {
			t.Errorf("furnitureName(%q) = %v, want %v", name, got, want)
		}
	}
}
