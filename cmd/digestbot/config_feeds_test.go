package main

import (
	"testing"
	"time"
)

func TestFeedConfig(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(`corpus:
  feeds:
    - name: coastal
      url: https://coastal.example/feed/
      every: 30m
      full_text: true
      include: [ferry]
      exclude: [advertisement]
    - name: river.notes
      url: http://127.0.0.1:8080/feed.json
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	src := c.FeedSources()
	if len(src) != 2 || src[0].Name != "coastal" || src[0].Every != 30*time.Minute || !src[0].FullText ||
		src[0].Include[0] != "ferry" || src[0].Exclude[0] != "advertisement" || src[1].Every != 0 || src[1].AllowPrivateLinks {
		t.Errorf("sources %+v", src)
	}
}

func TestFeedConfigErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"no name", "corpus:\n  feeds:\n    - url: https://a.example/rss\n", []string{"c.yaml:3", "corpus.feeds[0].url", "no name"}},
		{"no url", "corpus:\n  feeds:\n    - name: a\n", []string{"c.yaml:3", "corpus.feeds[0].name", "no url"}},
		{"bad name", "corpus:\n  feeds:\n    - name: a b\n      url: https://a.example/\n", []string{"corpus.feeds[0].name", `"a b"`}},
		{"duplicate", "corpus:\n  feeds:\n    - name: a\n      url: https://a.example/\n    - name: a\n      url: https://b.example/\n", []string{"c.yaml:5", "corpus.feeds[1].name", "unique"}},
		{"scheme", "corpus:\n  feeds:\n    - name: a\n      url: ftp://a.example/rss\n", []string{"c.yaml:4", "corpus.feeds[0].url", "not an http or https address"}},
		{"no host", "corpus:\n  feeds:\n    - name: a\n      url: https:///rss\n", []string{"corpus.feeds[0].url", "no host"}},
		{"too often", "corpus:\n  feeds:\n    - name: a\n      url: https://a.example/\n      every: 30s\n", []string{"c.yaml:5", "corpus.feeds[0].every", "between 1m and 168h"}},
		{"not a duration", "corpus:\n  feeds:\n    - name: a\n      url: https://a.example/\n      every: hourly\n", []string{"c.yaml:5", "corpus.feeds[0].every"}},
		{"empty keyword", "corpus:\n  feeds:\n    - name: a\n      url: https://a.example/\n      include: [ferry, '']\n", []string{"corpus.feeds[0].include[1]", "empty keyword"}},
		{"unknown key", "corpus:\n  feeds:\n    - name: a\n      url: https://a.example/\n      fulltext: true\n", []string{"c.yaml:5", "fulltext"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantConfigError(t, c.yaml, c.want)
		})
	}
}
