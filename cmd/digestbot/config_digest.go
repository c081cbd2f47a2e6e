package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/digestbot/digestbot/digest"
)

// DigestConfig is one entry of the digests: list: a digest posted to a
// channel on a schedule. config.example.yaml documents the keys.
type DigestConfig struct {
	// Name identifies the digest; its runs are recorded under it, so
	// renaming a digest starts its schedule afresh.
	Name string `yaml:"name"`
	// Channel is the Discord channel ID to post to.
	Channel string `yaml:"channel"`
	// Title heads each post; default by selection.
	Title string `yaml:"title"`
	// Schedule is a cron spec: minute hour day-of-month month day-of-week,
	// or @daily, @weekly, @monthly, @yearly, @hourly.
	Schedule string `yaml:"schedule"`
	// Timezone is the IANA zone of the schedule and of "day" and
	// "on-this-day"; default: the top-level timezone.
	Timezone string `yaml:"timezone"`
	// Select is new (default), day or on-this-day.
	Select string `yaml:"select"`
	// MaxArticles, Sentences and MaxChars: stories per digest, sentences
	// and characters per summary. Zero means the default.
	MaxArticles int `yaml:"max_articles"`
	Sentences   int `yaml:"sentences"`
	MaxChars    int `yaml:"max_chars"`
	// Covers is the day a "day" digest covers: yesterday (default) or
	// today.
	Covers string `yaml:"covers"`
	// LookBack bounds a channel's first "new" digest (default 24h): only
	// articles dated within it, not the whole archive.
	LookBack time.Duration `yaml:"look_back"`
	// PostWhenEmpty posts "nothing new" instead of nothing.
	PostWhenEmpty bool `yaml:"post_when_empty"`
	// Include and Exclude are keyword lists (words, not patterns).
	Include []string `yaml:"include"`
	Exclude []string `yaml:"exclude"`
	// CatchUp is once (default) or skip; CatchUpWindow bounds how late a
	// missed run may still be posted (default 6h).
	CatchUp       string        `yaml:"catch_up"`
	CatchUpWindow time.Duration `yaml:"catch_up_window"`

	// Set by validation.
	job digest.Job
}

// Job returns the digest's schedule job (valid after Validate).
func (d DigestConfig) Job() digest.Job { return d.job }

var digestNameRE = lazyRegexp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// validateDigests checks the digests: list and resolves each entry's job.
func (c *Config) validateDigests(bad func(key, format string, args ...any)) {
	names := map[string]int{}
	for i := range c.Digests {
		c.validateDigest(i, names, bad)
	}
}

// digestKeys names the keys of digests[i] in messages.
type digestKeys struct {
	i int
	// item is where to report a missing key: a key the entry has, for
	// its line.
	item string
}

func (k digestKeys) key(name string) string { return fmt.Sprintf("digests[%d].%s", k.i, name) }

// validateDigest checks digests[i] and resolves its job; names maps the
// names seen so far to their index.
func (c *Config) validateDigest(i int, names map[string]int, bad func(key, format string, args ...any)) {
	d := &c.Digests[i]
	k := digestKeys{i: i, item: fmt.Sprintf("digests[%d]", i)}
	for _, f := range []struct{ name, value string }{{"name", d.Name}, {"channel", d.Channel}, {"schedule", d.Schedule}, {"select", d.Select}, {"title", d.Title}} {
		if f.value != "" {
			k.item = k.key(f.name)
			break
		}
	}
	d.checkIdentity(k, names, bad)
	sched, zone := d.schedule(k, c.Location(), bad)
	rule, covers := d.selection(k, bad)
	catchUp := d.catchUp(k, bad)
	d.checkLimits(k, bad)
	d.job = digest.Job{
		Spec: digest.Spec{
			Name: d.Name, Title: d.Title, Channel: d.Channel, Rule: rule, Zone: zone,
			MaxArticles: d.MaxArticles, PostWhenEmpty: d.PostWhenEmpty, Include: d.Include, Exclude: d.Exclude,
			Covers: covers, LookBack: d.LookBack,
			Summary: digest.Options{Sentences: d.Sentences, MaxChars: d.MaxChars},
		},
		Schedule: sched,
		CatchUp:  catchUp,
		Window:   d.CatchUpWindow,
	}
}

// checkIdentity checks the name (present, well-formed, unique) and the
// channel.
func (d *DigestConfig) checkIdentity(k digestKeys, names map[string]int, bad func(key, format string, args ...any)) {
	switch {
	case d.Name == "":
		bad(k.item, "this digest has no name: add name: (letters, digits, '.', '_', '-'); its runs are recorded under it")
	case !digestNameRE().MatchString(d.Name):
		bad(k.key("name"), "%q: use up to 64 letters, digits, '.', '_' or '-'", d.Name)
	default:
		if j, dup := names[d.Name]; dup {
			bad(k.key("name"), "%q is also the name of digests[%d]; names must be unique", d.Name, j)
		}
		names[d.Name] = k.i
	}
	if d.Channel == "" {
		bad(k.item, "this digest has no channel: add channel: with the Discord channel ID to post to")
	} else if p := snowflakeProblem(d.Channel, "channel ID"); p != "" {
		bad(k.key("channel"), "%s", p)
	}
}

// schedule resolves the time zone (zone when none is given) and the cron
// spec.
func (d *DigestConfig) schedule(k digestKeys, zone *time.Location, bad func(key, format string, args ...any)) (*digest.Schedule, *time.Location) {
	if d.Timezone != "" {
		z, err := time.LoadLocation(d.Timezone)
		if err != nil || strings.EqualFold(d.Timezone, "local") {
			bad(k.key("timezone"), "unknown time zone %q: use an IANA name such as America/New_York", d.Timezone)
		} else {
			zone = z
		}
	}
	sched, err := digest.ParseSchedule(d.Schedule, zone)
	if err != nil {
		key := k.key("schedule")
		if d.Schedule == "" {
			key = k.item
			err = fmt.Errorf("this digest has no schedule: add schedule: with a cron spec such as \"0 8 * * *\" (08:00 every day)")
		}
		bad(key, "%v", err)
	}
	return sched, zone
}

// selection resolves select:, covers: and checks look_back:.
func (d *DigestConfig) selection(k digestKeys, bad func(key, format string, args ...any)) (digest.Rule, digest.Covers) {
	rule := digest.SelectNew
	if d.Select != "" {
		var err error
		if rule, err = digest.ParseRule(d.Select); err != nil {
			bad(k.key("select"), "%v", err)
		}
	}
	covers, err := digest.ParseCovers(d.Covers)
	if err != nil {
		bad(k.key("covers"), "%v", err)
	} else if d.Covers != "" && rule != digest.SelectDay {
		bad(k.key("covers"), "only a select: day digest covers one day; remove covers: or use select: day")
	}
	if d.LookBack < 0 || (d.LookBack > 0 && d.LookBack < time.Hour) || d.LookBack > 366*24*time.Hour {
		bad(k.key("look_back"), "must be between 1h and 8784h (366 days), got %s", d.LookBack)
	}
	return rule, covers
}

// catchUp resolves catch_up: and checks catch_up_window:.
func (d *DigestConfig) catchUp(k digestKeys, bad func(key, format string, args ...any)) digest.CatchUp {
	catchUp := digest.CatchUpOnce
	switch strings.ToLower(d.CatchUp) {
	case "", "once":
	case "skip":
		catchUp = digest.CatchUpSkip
	default:
		bad(k.key("catch_up"), "must be once or skip, got %q", d.CatchUp)
	}
	if d.CatchUpWindow < 0 || (d.CatchUpWindow > 0 && d.CatchUpWindow < time.Minute) || d.CatchUpWindow > 7*24*time.Hour {
		bad(k.key("catch_up_window"), "must be between 1m and 168h, got %s", d.CatchUpWindow)
	}
	return catchUp
}

// checkLimits checks the sizes: stories, sentences, characters, the title
// and the keywords.
func (d *DigestConfig) checkLimits(k digestKeys, bad func(key, format string, args ...any)) {
	if d.MaxArticles < 0 || d.MaxArticles > digest.MaxArticles {
		bad(k.key("max_articles"), "must be 1 to %d, got %d", digest.MaxArticles, d.MaxArticles)
	}
	if d.Sentences < 0 || d.Sentences > digest.MaxSentences {
		bad(k.key("sentences"), "must be 1 to %d, got %d", digest.MaxSentences, d.Sentences)
	}
	if d.MaxChars < 0 || (d.MaxChars > 0 && d.MaxChars < 100) || d.MaxChars > digest.MaxSummaryChars {
		bad(k.key("max_chars"), "must be 100 to %d characters, got %d", digest.MaxSummaryChars, d.MaxChars)
	}
	if n := len([]rune(d.Title)); n > 100 {
		bad(k.key("title"), "at most 100 characters, got %d", n)
	}
	for _, list := range []struct {
		name  string
		words []string
	}{{"include", d.Include}, {"exclude", d.Exclude}} {
		for j, w := range list.words {
			if strings.TrimSpace(w) == "" {
				bad(fmt.Sprintf("digests[%d].%s[%d]", k.i, list.name, j), "empty keyword")
			}
		}
	}
}

// DigestJobs returns the configured digests as schedule jobs.
func (c *Config) DigestJobs() []digest.Job {
	out := make([]digest.Job, len(c.Digests))
	for i, d := range c.Digests {
		out[i] = d.job
	}
	return out
}
