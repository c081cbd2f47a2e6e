package corpus

import (
	"strings"
	"testing"
)

func TestIsBoilerplate(t *testing.T) {
	yes := []string{
		"Share this article", "Share on Facebook", "Facebook Twitter LinkedIn Email", "Read more: Council budget",
		"Sign up for our newsletter", "Photo: Jane Doe/Reuters", "(Photo: Getty Images)", "All rights reserved.",
		"© 2024 Riverside Gazette", "You are receiving this email because you subscribed to our list.",
		"Click here to unsubscribe.", "Advertisement", "View this email in your browser",
		"The post Museum reopens appeared first on Riverside Gazette.", "We use cookies to improve your experience.",
	}
	no := []string{
		"The council will share the cost with the county.", "Readers can unsubscribe from the service, the company said in a statement about its plans.",
		"Photographs from the 1920s show the street.", "Advertisements for the fair went up on Monday.",
		strings.Repeat("Share this with the council members who voted. ", 10), "",
	}
	for _, s := range yes {
		if !IsBoilerplate(s) {
			t.Errorf("IsBoilerplate(%q) = false", s)
		}
	}
	for _, s := range no {
		if IsBoilerplate(s) {
			t.Errorf("IsBoilerplate(%q) = true", s)
		}
	}
}

func TestFileNameDate(t *testing.T) {
	cases := map[string]string{
		"2024-02-10-museum.md": "2024-02-10", "20240210_x.txt": "2024-02-10", "notes-2024_02_10.txt": "2024-02-10",
		"2024.02.10.html": "2024-02-10", "x-20231231.eml": "2023-12-31", "2024-02-30-bad.md": "",
		"123456789.txt": "", "000_3f43ee69d8cb5553.txt": "", "20241301.txt": "", "report-2024.txt": "",
		"v12024-02-10.txt": "", "v1-2024-02-10.txt": "2024-02-10", "2024-02-1.txt": "",
	}
	for name, want := range cases {
		d := fileNameDate(name)
		if d.String() != want || (want != "" && d.From != FromFileName) {
			t.Errorf("fileNameDate(%q) = %s from %s, want %s", name, d, d.From, want)
		}
	}
}

func TestNewsDateline(t *testing.T) {
	cases := map[string]string{
		"LONDON, Feb. 10, 2024 — The museum reopened.":           "2024-02-10",
		"WASHINGTON (Reuters), March 3, 2024 - Lawmakers voted.": "2024-03-03",
		"February 10, 2024 – The city council met.":              "2024-02-10",
		"PARIS, Saturday, 10 February 2024: Crowds gathered.":    "2024-02-10",
		"The museum reopened on February 10, 2024 — finally.":    "",
		"LONDON — The museum reopened.":                          "",
		"March 2024 — A month of rain.":                          "",
	}
	for p, want := range cases {
		r, ok := newsDateline(p)
		got := ""
		if ok {
			d, _ := r.date(FromDateline)
			got = d.String()
		}
		if got != want {
			t.Errorf("newsDateline(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	html := []string{"<!DOCTYPE html><p>x", "\ufeff  <html><body>x", "<!-- saved --><HTML>", `<div class="story"><h1>T</h1></div>`, "<p>One</p>"}
	notHTML := []string{"Title: x\n\ny", "<3 you", "<div>never closed", " date 2023-07-03 x", "a <b>bold</b> claim"}
	for _, s := range html {
		if !sniffHTML([]byte(s)) {
			t.Errorf("sniffHTML(%q) = false", s)
		}
	}
	for _, s := range notHTML {
		if sniffHTML([]byte(s)) {
			t.Errorf("sniffHTML(%q) = true", s)
		}
	}
	mail := []string{"From: a@b\nSubject: x\n\nbody", "Return-Path: <a@b>\nReceived: by x\nFrom: a\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nb",
		"From someone@x Mon Jan 1 00:00:00 2024\nFrom: a\nSubject: s\n\nb", "X-Mailer: y\nFrom: a\nMessage-ID: <1@x>\n\nb"}
	notMail := []string{"Title: x\nDate: 2024-01-01\n\nb", "From: the archives\n\nText.", "Subject: x\nDate: y\n\nb",
		"From the mayor's office: a statement\nSubject: y", "Position: Home > x\n\nBody"}
	for _, s := range mail {
		if !sniffEmail([]byte(s)) {
			t.Errorf("sniffEmail(%q) = false", s)
		}
	}
	for _, s := range notMail {
		if sniffEmail([]byte(s)) {
			t.Errorf("sniffEmail(%q) = true", s)
		}
	}
}

func TestHeaderBlock(t *testing.T) {
	cases := []struct {
		in                      string
		ok                      bool
		title, date, url, first string
	}{
		{"Title: Bridge closes\nDate: 2024-03-01\nURL: https://x.example/a?utm_source=y\nAuthor: Ann\nTags: a, b\n\nThe bridge closed on Friday.\n\nMore text.",
			true, "Bridge closes", "2024-03-01", "https://x.example/a", "The bridge closed on Friday."},
		{"TITLE: Upper case keys\nSOURCE: https://x.example/b\n\nBody text here.", true, "Upper case keys", "", "https://x.example/b", "Body text here."},
		{"Source: Reuters\nDate: March 1, 2024\n\nHeadline without stop\n\nThe body.", true, "Headline without stop", "2024-03-01", "", "The body."},
		{"Link: https://x.example/c\nTitle: Folded\n  title line\n\nBody.", true, "Folded title line", "", "https://x.example/c", "Body."},
		{"Position: Home > Party building\n\nHe Jing: take measures\n\nBody.", false, "", "", "", ""},
		{"Tags: a\nAuthor: b\n\nBody.", false, "", "", "", ""},
		{"Title: No blank line after\nBody starts here.", false, "", "", "", ""},
	}
	for _, c := range cases {
		a, err := Parse("notes.txt", []byte(c.in))
		_, _, ok := readHeaderBlock([]byte(c.in))
		if ok != c.ok {
			t.Errorf("%q: header block %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if err != nil || a.Title != c.title || a.Date.String() != c.date || a.URL != c.url || a.Paragraphs()[0] != c.first {
			t.Errorf("%q: got %q %s %q %q (%v)", c.in, a.Title, a.Date, a.URL, a.Paragraphs(), err)
		}
		for _, p := range a.Paragraphs() {
			if strings.Contains(p, ": ") && strings.HasPrefix(p, "Tags") {
				t.Errorf("header line left in the body: %q", p)
			}
		}
	}
}

func TestMarkdownText(t *testing.T) {
	cases := []struct{ in, heading, want string }{
		{"# Title\n\nOne\ntwo.\n\nThree.", "Title", "One two.|Three."},
		{"Intro.\n\n# Not first\n\nText.", "", "Intro.|Not first|Text."},
		{"Title\n=====\n\nBody.", "Title", "Body."},
		{"Sub\n---\n\nBody.", "", "Sub|Body."},
		{"- one\n- two\n* three\n1. four\n2) five", "", "one|two|three|four|five"},
		{"> quoted *text*\n> more", "", "quoted text more"},
		{"A [link](https://x.example/a_(b)) and ![img](i.png) and <https://y.example>.", "", "A link and and https://y.example."},
		{"**bold** __also__ *em* _em2_ ~~gone~~ snake_case_name 2 * 3 * 4", "", "bold also em em2 gone snake_case_name 2 * 3 * 4"},
		{"```go\nx := 1\n\ny := 2\n```\nafter", "", "x := 1|y := 2|after"},
		{"Use `go test` now.", "", "Use go test now."},
		{"| a | b |\n|---|:-:|\n| c | d |", "", "a b|c d"},
		{"***\n\n---\n\ntext\n\n[ref]: https://x.example", "", "text"},
		{"## Heading ##\n\nText\\* with escape.", "", "Heading|Text* with escape."},
		{"Line one  \nline two", "", "Line one|line two"},
		{"A<br>b <em>c</em>", "", "A b c"},
	}
	for _, c := range cases {
		paras, heading := markdownText(c.in)
		if got := strings.Join(paras, "|"); got != c.want || heading != c.heading {
			t.Errorf("markdownText(%q) = %q, heading %q; want %q, %q", c.in, got, heading, c.want, c.heading)
		}
	}
}

func TestEmailVariants(t *testing.T) {
	cases := []struct {
		name, in, title, date, first string
	}{
		{"gbk base64", "From: a@b\nSubject: =?GBK?B?0MLOxQ==?=\nDate: Tue, 2 Jan 2024 10:00:00 +0800\nContent-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n\n1eLKx9K7uPay4srUoaM=\n",
			"新闻", "2024-01-02", "这是一个测试。"},
		{"late evening keeps its own date", "From: a@b\nSubject: Re: RE: Fwd: Night meeting\nDate: Sun, 31 Dec 2023 23:30:00 -0500\n\nThe council met late on Sunday night to agree the budget.\n\n-- \nAnn\n555-1234\n",
			"Night meeting", "2023-12-31", "The council met late on Sunday night to agree the budget."},
		{"quoted reply dropped", "From: a@b\nSubject: Flood update\nDate: Mon, 1 Jan 2024 08:00:00 +0000\n\nThe river peaked at 4.2 metres overnight.\n\nOn Sun, Dec 31, 2023 at 9:00 PM Bob <b@c> wrote:\n> Any news on the river?\n",
			"Flood update", "2024-01-01", "The river peaked at 4.2 metres overnight."},
		{"attachment skipped", "From: a@b\nSubject: Report\nDate: Mon, 1 Jan 2024 08:00:00 +0000\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=r.pdf\n\n%PDF-1.4\n--zz\nContent-Type: text/plain\n\nThe report is out today and says the river is cleaner.\n--zz--\n",
			"Report", "2024-01-01", "The report is out today and says the river is cleaner."},
		{"forwarded as an attachment", "From: a@b\nSubject: Fwd: Ferry strike called off\nDate: Tue, 2 Jan 2024 08:00:00 +0000\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\nFrom: news@x\nSubject: Ferry strike called off\nContent-Type: text/plain\n\nThe ferry strike planned for Friday has been called off after talks.\n--q--\n",
			"Ferry strike called off", "2024-01-02", "The ferry strike planned for Friday has been called off after talks."},
	}
	cases = append(cases, struct{ name, in, title, date, first string }{"inline links", "From: a@b\nSubject: Links\nDate: Tue, 2 Jan 2024 08:00:00 +0000\n\nThe council published its report (https://x.example/r.pdf) on Monday <https://x.example/news>.\n",
		"Links", "2024-01-02", "The council published its report on Monday."})
	for _, c := range cases {
		a, err := Parse("mail.eml", []byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if a.Title != c.title || a.Date.String() != c.date || a.Paragraphs()[0] != c.first || a.TitleFrom != TitleSubject {
			t.Errorf("%s: got %q %s %q", c.name, a.Title, a.Date, a.Paragraphs())
		}
		if strings.Contains(a.Body, "555-1234") || strings.Contains(a.Body, "wrote:") || strings.Contains(a.Body, "Any news") {
			t.Errorf("%s: signature or quote in body %q", c.name, a.Body)
		}
	}
}

func TestDeclaredCharset(t *testing.T) {
	cases := map[string]string{
		`<meta charset="gbk">`: "gbk", `<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">`: "ISO-8859-1",
		`<?xml version="1.0" encoding="windows-1252"?><html>`: "windows-1252", `<p>no charset</p>`: "",
		`<meta name="x" content="charset=koi8-r">`: "",
	}
	for in, want := range cases {
		if got := declaredCharset([]byte(in)); got != want {
			t.Errorf("declaredCharset(%q) = %q, want %q", in, got, want)
		}
	}
	a, err := ParseHTML("latin.html", []byte("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><title>Caf\xe9 opens</title></head><body><p>The caf\xe9 opened on the square this week with a garden.</p></body></html>"), "")
	if err != nil || a.Title != "Café opens" || !strings.Contains(a.Body, "café") {
		t.Errorf("Latin-1 page: %q %q %v", a.Title, a.Body, err)
	}
}

func TestDateLineAndByline(t *testing.T) {
	dates := map[string]string{
		"Published 5 March 2024, updated 6 March 2024": "2024-03-05",
		"Thursday 11 April 2024 · 3 min read":          "2024-04-11",
		"By Priya Nair · 13 May 2024":                  "2024-05-13",
		"Posted on: 2024-02-10 09:30":                  "2024-02-10",
		"Updated March 2024":                           "2024-03",
		"March 5, 2024 — The council voted on the new budget for the harbour and the schools after a long debate.": "",
		"Published in 2019 by the council.": "",
		"2024":                              "",
	}
	for p, want := range dates {
		r, ok := dateLine(p)
		got := ""
		if ok {
			d, _ := r.date(FromDateline)
			got = d.String()
		}
		if got != want {
			t.Errorf("dateLine(%q) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		"By Maria Lopez": true, "BY JANE DOE AND TOM REYES": true, "By the river the town grew.": false,
		"by the way": false, "By contrast": false, "Bypass opens": false,
	} {
		if got := isByline(p); got != want {
			t.Errorf("isByline(%q) = %v", p, got)
		}
	}
}

func TestURLDate(t *testing.T) {
	cases := map[string]string{
		"https://x.example/2024/02/10/museum-reopens/": "2024-02-10",
		"https://x.example/news/2024-02-10-museum":     "2024-02-10",
		"https://x.example/20240210/story":             "2024-02-10",
		"https://x.example/2024/02/museum":             "",
		"https://x.example/story?id=20240210":          "",
		"https://x.example/2024/13/40/x":               "",
	}
	for u, want := range cases {
		if d := urlDate(u); d.String() != want || (want != "" && d.From != FromURL) {
			t.Errorf("urlDate(%q) = %s from %s, want %s", u, d, d.From, want)
		}
	}
}
