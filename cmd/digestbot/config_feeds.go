package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/digestbot/digestbot/feed"
)

// FeedConfig is one entry of corpus.feeds: an RSS, Atom or JSON Feed
// polled for articles. config.example.yaml documents the keys.
type FeedConfig struct {
	// Name identifies the feed and is its articles' source.
	Name string `yaml:"name"`
	// URL is the feed's http or https address.
	URL string `yaml:"url"`
	// Every is the poll interval: default 15m, at least 1m.
	Every time.Duration `yaml:"every"`
	// FullText fetches each item's page and keeps its main content.
	FullText bool `yaml:"full_text"`
	// AllowPrivateLinks lets full_text fetch pages on private addresses.
	AllowPrivateLinks bool `yaml:"allow_private_links"`
	// Include and Exclude are keyword lists, as digests have.
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
}

// maxFeedEvery bounds the poll interval: a feed polled less than daily is
// one the operator has forgotten.
const maxFeedEvery = 7 * 24 * time.Hour

// validateFeeds checks corpus.feeds: unique names, http(s) URLs, intervals.
func (c *Config) validateFeeds(bad func(key, format string, args ...any)) {
	names := map[string]int{}
	for i, f := range c.Corpus.Feeds {
		key := func(k string) string { return fmt.Sprintf("corpus.feeds[%d].%s", i, k) }
		item := fmt.Sprintf("corpus.feeds[%d]", i)
		if f.Name != "" {
			item = key("name")
		} else if f.URL != "" {
			item = key("url")
		}
		switch {
		case f.Name == "":
			bad(item, "this feed has no name: add name: (letters, digits, '.', '_', '-'); it is shown as its articles' source")
		case !digestNameRE().MatchString(f.Name):
			bad(key("name"), "%q: use up to 64 letters, digits, '.', '_' or '-'", f.Name)
		default:
			if j, dup := names[f.Name]; dup {
				bad(key("name"), "%q is also the name of corpus.feeds[%d]; names must be unique", f.Name, j)
			}
			names[f.Name] = i
		}
		if f.URL == "" {
			bad(item, "this feed has no url: add url: with the feed's http or https address")
		} else if err := (feed.Source{Name: "x", URL: f.URL}).Validate(); err != nil {
			bad(key("url"), "%s", strings.TrimPrefix(err.Error(), "url: "))
		}
		if f.Every != 0 && (f.Every < feed.MinEvery || f.Every > maxFeedEvery) {
			bad(key("every"), "must be between %s and %s, got %s", shortDuration(feed.MinEvery), shortDuration(maxFeedEvery), f.Every)
		}
		for _, list := range []struct {
			name  string
			words []string
		}{{"include", f.Include}, {"exclude", f.Exclude}} {
			for k, w := range list.words {
				if strings.TrimSpace(w) == "" {
					bad(fmt.Sprintf("%s[%d]", key(list.name), k), "empty keyword")
				}
			}
		}
	}
}

// FeedSources returns the configured feeds for the poller.
func (c *Config) FeedSources() []feed.Source {
	out := make([]feed.Source, len(c.Corpus.Feeds))
	for i, f := range c.Corpus.Feeds {
		out[i] = feed.Source{Name: f.Name, URL: f.URL, Every: f.Every, FullText: f.FullText,
			AllowPrivateLinks: f.AllowPrivateLinks, Include: f.Include, Exclude: f.Exclude}
	}
	return out
}

// shortDuration prints 1m0s as 1m and 168h0m0s as 168h.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// printFeedConfig prints the feeds for check-config.
func printFeedConfig(out io.Writer, c Config) {
	if len(c.Corpus.Feeds) == 0 {
		fmt.Fprintln(out, "  feeds           none")
	}
	for _, f := range c.FeedSources() {
		every := f.Every
		if every == 0 {
			every = feed.DefaultEvery
		}
		var opts []string
		if f.FullText {
			opts = append(opts, "full text")
		}
		if f.AllowPrivateLinks {
			opts = append(opts, "private links allowed")
		}
		if len(f.Include) > 0 {
			opts = append(opts, "include "+strings.Join(f.Include, ", "))
		}
		if len(f.Exclude) > 0 {
			opts = append(opts, "exclude "+strings.Join(f.Exclude, ", "))
		}
		line := fmt.Sprintf("  feed %-10s  %s every %s", f.Name, f.URL, shortDuration(every))
		if len(opts) > 0 {
			line += "; " + strings.Join(opts, "; ")
		}
		fmt.Fprintln(out, line)
	}
}
