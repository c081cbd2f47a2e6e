package digest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/internal/testenv"
	"github.com/digestbot/digestbot/store"
)

// fakeDiscord is a Poster that behaves like Discord's Create Message with
// enforce_nonce: a nonce seen before returns the message already created.
// It can fail on demand, before creating the message (connection refused)
// or after (the reply lost).
type fakeDiscord struct {
	mu       sync.Mutex
	messages []postedMessage // messages created, in order
	calls    int             // Post calls
	nonces   map[string]string
	// failBefore fails the next n calls without creating anything;
	// loseReply creates the next n messages but returns an error.
	failBefore, loseReply int
	undeliverable         bool
}

type postedMessage struct {
	id, channel string
	msg         Message
}

func (f *fakeDiscord) Post(ctx context.Context, channel string, m Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.undeliverable {
		return "", fmt.Errorf("403 Missing Access: %w", ErrUndeliverable)
	}
	if f.failBefore > 0 {
		f.failBefore--
		return "", errors.New("dial tcp: connection refused")
	}
	if id, ok := f.nonces[m.Nonce]; ok && m.EnforceNonce {
		return id, nil
	}
	id := fmt.Sprintf("msg-%d", len(f.messages)+1)
	f.messages = append(f.messages, postedMessage{id, channel, m})
	if f.nonces == nil {
		f.nonces = map[string]string{}
	}
	f.nonces[m.Nonce] = id
	if f.loseReply > 0 {
		f.loseReply--
		return "", errors.New("read tcp: connection reset by peer")
	}
	return id, nil
}

// posted returns the messages created in channel.
func (f *fakeDiscord) posted(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, p := range f.messages {
		if p.channel == channel {
			out = append(out, p.msg)
		}
	}
	return out
}

// env is a database with the sample corpus, a digest service and a fake
// Discord; scheduler makes a new Scheduler over them, as after a restart.
type env struct {
	t       *testing.T
	db      *store.DB
	svc     *Service
	discord *fakeDiscord
	logs    *bytes.Buffer
}

func newEnv(t *testing.T, withSamples bool) *env {
	e := &env{t: t, db: testenv.OpenDB(t), discord: &fakeDiscord{}, logs: &bytes.Buffer{}}
	if withSamples {
		testenv.PutArticles(t, e.db, testenv.SampleArticles(t)...)
	}
	var err error
	if e.svc, err = New(e.db, testAnalyze); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) scheduler(jobs ...Job) *Scheduler {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewScheduler(jobs, e.svc, e.db, e.discord, nil, log)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) tick(s *Scheduler, at string) error {
	e.t.Helper()
	now, err := time.Parse(time.RFC3339, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Tick(context.Background(), now)
}

func (e *env) mustTick(s *Scheduler, at string) {
	e.t.Helper()
	if err := e.tick(s, at); err != nil {
		e.t.Fatalf("tick at %s: %v", at, err)
	}
}

func (e *env) run(name, slot string) store.DigestRun {
	e.t.Helper()
	r, ok, err := e.db.Run(context.Background(), name, slot)
	if err != nil || !ok {
		e.t.Fatalf("run %s %s: %v %v", name, slot, ok, err)
	}
	return r
}

// archiveLookBack reaches back over every test article.
const archiveLookBack = 100 * 365 * 24 * time.Hour

func job(t testing.TB, name, channel, spec, zone string, rule Rule) Job {
	s, err := ParseSchedule(spec, mustZone(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	// The test archive is years old: a channel's first digest looks back
	// far enough to hold it (TestFirstNewDigestLooksBack tests the default).
	return Job{Spec: Spec{Name: name, Channel: channel, Rule: rule, Zone: s.Zone(), LookBack: archiveLookBack}, Schedule: s}
}

// storyIDs lists the article IDs in the footers of messages.
func storyIDs(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		for _, e := range m.Embeds {
			id, _, _ := strings.Cut(strings.TrimPrefix(e.Footer.Text, "ID "), " ")
			out = append(out, id)
		}
	}
	return out
}

// synthArticles returns n distinct synthetic articles (internal/synth).
func synthArticles(t testing.TB, n int) []corpus.Article {
	g := synth.New(7, 5000)
	out := make([]corpus.Article, n)
	for i := range out {
		a, err := corpus.Parse(fmt.Sprintf("synth%05d.txt", i), []byte(g.Article(i)))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = a
	}
	return out
}

func newArticle(id, title string, date corpus.Date) corpus.Article {
	h := strings.Repeat(id, 64/len(id)+1)[:64]
	return corpus.Article{ID: h[:12], Hash: h, Title: title, Date: date, Source: id + ".txt",
		Body: title + " The port of Dalian reopened to cargo ships on Friday after a week of repairs. Harbor master Li Wen said twelve vessels would berth by Sunday."}
}

func TestSchedulerNormalRun(t *testing.T) {
	e := newEnv(t, true)
	s := e.scheduler(job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew))
	e.mustTick(s, "2024-07-03T07:00:00Z") // first sight: armed, nothing posted
	if n := len(e.discord.posted("100")); n != 0 {
		t.Fatalf("armed schedule posted %d messages", n)
	}
	e.mustTick(s, "2024-07-03T08:00:00Z")
	first := e.discord.posted("100")
	if len(first) != 1 || len(storyIDs(first)) != 5 || !strings.Contains(first[0].Content, "New articles") {
		t.Fatalf("first run posted %d messages, stories %v", len(first), storyIDs(first))
	}
	if m := first[0]; m.Nonce == "" || !m.EnforceNonce || m.AllowedMentions == nil {
		t.Errorf("message without nonce or mention guard: %+v", m)
	}
	r := e.run("morning", "2024-07-03T08:00")
	if r.State != store.RunDone || len(r.Sent) != 1 || r.Sent[0] != "msg-1" || r.Seq == 0 {
		t.Errorf("run record: %+v", r)
	}
	e.mustTick(s, "2024-07-03T08:01:00Z")
	e.mustTick(s, "2024-07-03T12:00:00Z")
	if n := len(e.discord.posted("100")); n != 1 {
		t.Fatalf("ticks after the run posted again: %d messages", n)
	}
	// A new article is the only story of the next day's digest.
	fresh := newArticle("a", "Harbor reopens after storm repairs.", corpus.Date{})
	testenv.PutArticles(t, e.db, fresh)
	e.mustTick(s, "2024-07-04T08:00:10Z")
	if ids := storyIDs(e.discord.posted("100")[1:]); len(ids) != 1 || ids[0] != fresh.ID {
		t.Fatalf("second run stories %v, want [%s]", ids, fresh.ID)
	}
	// Nothing new: nothing posted (post_when_empty is off), run recorded.
	e.mustTick(s, "2024-07-05T08:00:00Z")
	if n := len(e.discord.posted("100")); n != 2 {
		t.Fatalf("empty digest posted: %d messages", n)
	}
	if r := e.run("morning", "2024-07-05T08:00"); r.State != store.RunDone || !strings.Contains(r.Note, "empty") {
		t.Errorf("empty run: %+v", r)
	}
}

// TestSchedulerRestartBetweenIntentAndRecord: a crash after the intent is
// recorded, before or after a post, resumes the same messages on restart;
// the channel gets each message exactly once.
func TestSchedulerRestartBetweenIntentAndRecord(t *testing.T) {
	for _, c := range []struct {
		name                  string
		failBefore, loseReply int
	}{
		{"crash before the post", 1, 0},
		{"crash after the post, before its record", 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, true)
			j := job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew)
			e.mustTick(e.scheduler(j), "2024-07-03T07:00:00Z")
			e.discord.failBefore, e.discord.loseReply = c.failBefore, c.loseReply
			if err := e.tick(e.scheduler(j), "2024-07-03T08:00:00Z"); err == nil {
				t.Fatal("failed post not reported")
			}
			r := e.run("morning", "2024-07-03T08:00")
			if r.State != store.RunPending || len(r.Sent) != 0 || len(r.Messages) != 1 {
				t.Fatalf("after the crash: %+v", r)
			}
			// Meanwhile an article arrives: the resumed run must still post
			// what it recorded, not a new digest.
			testenv.PutArticles(t, e.db, newArticle("b", "Harbor reopens after storm repairs.", corpus.Date{}))
			e.mustTick(e.scheduler(j), "2024-07-03T08:00:30Z") // restart
			got := e.discord.posted("100")
			if len(got) != 1 || len(storyIDs(got)) != 5 {
				t.Fatalf("channel has %d messages with %d stories, want 1 with 5", len(got), len(storyIDs(got)))
			}
			if r := e.run("morning", "2024-07-03T08:00"); r.State != store.RunDone || len(r.Sent) != 1 {
				t.Fatalf("after resuming: %+v", r)
			}
			if !strings.Contains(e.logs.String(), "resuming a digest run") {
				t.Errorf("resume not logged:\n%s", e.logs)
			}
			// The article that came meanwhile is in the next digest.
			e.mustTick(e.scheduler(j), "2024-07-04T08:00:00Z")
			if ids := storyIDs(e.discord.posted("100")[1:]); len(ids) != 1 {
				t.Errorf("next digest stories %v", ids)
			}
		})
	}
}

// TestSchedulerResumesMidDigest: of a two-message digest, the first went
// out before the crash; the restart sends only the second.
func TestSchedulerResumesMidDigest(t *testing.T) {
	e := newEnv(t, true)
	testenv.PutArticles(t, e.db, synthArticles(t, 8)...)
	j := job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew)
	j.Spec.MaxArticles = 13
	e.mustTick(e.scheduler(j), "2024-07-03T07:00:00Z")
	s := e.scheduler(j)
	s.poster = &failSecond{fakeDiscord: e.discord}
	if err := s.Tick(context.Background(), time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("failure not reported")
	}
	r := e.run("morning", "2024-07-03T08:00")
	if r.State != store.RunPending || len(r.Messages) != 2 || len(r.Sent) != 1 {
		t.Fatalf("after the crash: state %s, %d messages, %d sent", r.State, len(r.Messages), len(r.Sent))
	}
	e.mustTick(e.scheduler(j), "2024-07-03T08:02:00Z")
	got := e.discord.posted("100")
	// 12 of the 13 articles: a channel's first digest leaves out the
	// undated one, which no look-back can place.
	if len(got) != 2 || len(storyIDs(got)) != 12 || e.discord.calls != 3 {
		t.Fatalf("channel has %d messages, %d stories, %d calls; want 2, 12, 3", len(got), len(storyIDs(got)), e.discord.calls)
	}
}

// failSecond fails the second post, before creating it.
type failSecond struct {
	*fakeDiscord
	n int
}

func (f *failSecond) Post(ctx context.Context, channel string, m Message) (string, error) {
	f.n++
	if f.n == 2 {
		f.fakeDiscord.mu.Lock()
		f.fakeDiscord.calls++
		f.fakeDiscord.mu.Unlock()
		return "", errors.New("connection refused")
	}
	return f.fakeDiscord.Post(ctx, channel, m)
}

func TestSchedulerCatchUp(t *testing.T) {
	daily := func(t *testing.T, policy CatchUp, window time.Duration) (*env, Job) {
		e := newEnv(t, true)
		j := job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew)
		j.CatchUp, j.Window = policy, window
		e.mustTick(e.scheduler(j), "2024-07-01T07:00:00Z")
		return e, j
	}
	t.Run("once, within the window", func(t *testing.T) {
		e, j := daily(t, "", 0)
		// Down from 07:00 to 11:00 on the 3rd: 08:00 on the 1st, 2nd and
		// 3rd were missed; only the latest is posted, once.
		e.mustTick(e.scheduler(j), "2024-07-03T11:00:00Z")
		e.mustTick(e.scheduler(j), "2024-07-03T11:05:00Z")
		if n := len(e.discord.posted("100")); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
		r := e.run("morning", "2024-07-03T08:00")
		if r.State != store.RunDone || !strings.Contains(r.Note, "catch-up: 3h0m0s late") {
			t.Errorf("run: %+v", r)
		}
		if !strings.Contains(e.logs.String(), "catching up a digest run missed while down") || !strings.Contains(e.logs.String(), "missed=3") {
			t.Errorf("log:\n%s", e.logs)
		}
		e.mustTick(e.scheduler(j), "2024-07-04T08:00:00Z") // back on schedule
		if r := e.run("morning", "2024-07-04T08:00"); r.State != store.RunDone {
			t.Errorf("next run: %+v", r)
		}
	})
	t.Run("once, outside the window", func(t *testing.T) {
		e, j := daily(t, CatchUpOnce, 0)
		e.mustTick(e.scheduler(j), "2024-07-01T14:30:00Z") // 6h30m late
		if n := len(e.discord.posted("100")); n != 0 {
			t.Fatalf("%d messages posted, want none", n)
		}
		if r := e.run("morning", "2024-07-01T08:00"); r.State != store.RunSkipped || !strings.Contains(r.Note, "catch-up window") {
			t.Errorf("run: %+v", r)
		}
		if !strings.Contains(e.logs.String(), "skipping digest runs missed while down") {
			t.Errorf("log:\n%s", e.logs)
		}
		e.mustTick(e.scheduler(j), "2024-07-02T08:00:00Z")
		if n := len(e.discord.posted("100")); n != 1 {
			t.Fatalf("next day: %d messages, want 1", n)
		}
	})
	t.Run("skip", func(t *testing.T) {
		e, j := daily(t, CatchUpSkip, 0)
		e.mustTick(e.scheduler(j), "2024-07-01T08:10:00Z") // ten minutes late
		if n := len(e.discord.posted("100")); n != 0 {
			t.Fatalf("%d messages posted, want none", n)
		}
		if r := e.run("morning", "2024-07-01T08:00"); r.State != store.RunSkipped || !strings.Contains(r.Note, "catch_up is skip") {
			t.Errorf("run: %+v", r)
		}
		e.mustTick(e.scheduler(j), "2024-07-01T08:01:30Z") // a tick within the on-time margin of an earlier slot changes nothing
		e.mustTick(e.scheduler(j), "2024-07-02T08:01:30Z") // on time
		if n := len(e.discord.posted("100")); n != 1 {
			t.Fatalf("next day: %d messages, want 1", n)
		}
	})
	t.Run("intent recorded before a long outage", func(t *testing.T) {
		e, j := daily(t, CatchUpOnce, 2*time.Hour)
		e.discord.failBefore = 1
		if err := e.tick(e.scheduler(j), "2024-07-01T08:00:00Z"); err == nil {
			t.Fatal("failure not reported")
		}
		e.mustTick(e.scheduler(j), "2024-07-01T13:00:00Z") // 5h later: too late
		if n := len(e.discord.posted("100")); n != 0 {
			t.Fatalf("stale digest posted")
		}
		if r := e.run("morning", "2024-07-01T08:00"); r.State != store.RunSkipped {
			t.Errorf("run: %+v", r)
		}
	})
}

func TestSchedulerUndeliverable(t *testing.T) {
	e := newEnv(t, true)
	j := job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew)
	e.mustTick(e.scheduler(j), "2024-07-03T07:00:00Z")
	e.discord.undeliverable = true
	e.mustTick(e.scheduler(j), "2024-07-03T08:00:00Z")
	if r := e.run("morning", "2024-07-03T08:00"); r.State != store.RunFailed || !strings.Contains(r.Note, "Missing Access") {
		t.Fatalf("run: %+v", r)
	}
	e.mustTick(e.scheduler(j), "2024-07-03T08:05:00Z")
	if e.discord.calls != 1 {
		t.Errorf("undeliverable run retried: %d calls", e.discord.calls)
	}
}

// TestSchedulerDST runs daily schedules through daylight-saving change days,
// ticking every five minutes: exactly one post per day, at the slot or, when
// the clocks skip it, at the change.
func TestSchedulerDST(t *testing.T) {
	cases := []struct {
		zone, spec, from string
		days             int
		want             []string // post times, local
	}{
		{"America/New_York", "30 2 * * *", "2024-03-09T00:00:00-05:00", 3,
			[]string{"2024-03-09T02:30:00-05:00", "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"}},
		{"America/New_York", "30 1 * * *", "2024-11-02T00:00:00-04:00", 3,
			[]string{"2024-11-02T01:30:00-04:00", "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"}},
		{"America/New_York", "30 2 * * *", "2024-11-02T00:00:00-04:00", 3,
			[]string{"2024-11-02T02:30:00-04:00", "2024-11-03T02:30:00-05:00", "2024-11-04T02:30:00-05:00"}},
		{"Europe/Berlin", "30 2 * * *", "2024-03-30T00:00:00+01:00", 3,
			[]string{"2024-03-30T02:30:00+01:00", "2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"}},
		{"Europe/Berlin", "30 2 * * *", "2024-10-26T00:00:00+02:00", 3,
			[]string{"2024-10-26T02:30:00+02:00", "2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"}},
	}
	for _, c := range cases {
		t.Run(c.zone+" "+c.spec+" "+c.from[:10], func(t *testing.T) {
			e := newEnv(t, false)
			j := job(t, "nightly", "100", c.spec, c.zone, SelectDay)
			j.Spec.PostWhenEmpty = true
			s := e.scheduler(j)
			from, _ := time.Parse(time.RFC3339, c.from)
			start := from.Add(-time.Minute)
			if err := s.Tick(context.Background(), start); err != nil {
				t.Fatal(err)
			}
			var postedAt []string
			for now := from; now.Before(from.Add(time.Duration(c.days) * 24 * time.Hour)); now = now.Add(5 * time.Minute) {
				before := len(e.discord.posted("100"))
				if err := s.Tick(context.Background(), now); err != nil {
					t.Fatal(err)
				}
				for range len(e.discord.posted("100")) - before {
					postedAt = append(postedAt, now.In(s.jobs[0].Schedule.Zone()).Format(time.RFC3339))
				}
			}
			if strings.Join(postedAt, " ") != strings.Join(c.want, " ") {
				t.Errorf("posts at\n %v\nwant\n %v", postedAt, c.want)
			}
		})
	}
}

// TestSchedulerTwoSchedulesOneChannel: a morning and an evening "new"
// digest and an on-this-day digest share a channel. Each "new" digest shows
// what came since the channel's previous one; the on-this-day digest does
// not use up the new articles.
func TestSchedulerTwoSchedulesOneChannel(t *testing.T) {
	e := newEnv(t, true)
	morning := job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew)
	evening := job(t, "evening", "100", "0 20 * * *", "UTC", SelectNew)
	history := job(t, "history", "100", "0 8 * * *", "UTC", SelectOnThisDay)
	other := job(t, "other", "200", "0 8 * * *", "UTC", SelectNew)
	jobs := []Job{history, morning, evening, other}
	e.mustTick(e.scheduler(jobs...), "2024-07-03T07:00:00Z")
	e.mustTick(e.scheduler(jobs...), "2024-07-03T08:00:00Z")
	got := e.discord.posted("100")
	if len(got) != 2 {
		t.Fatalf("08:00: %d messages, want 2", len(got))
	}
	if !strings.Contains(got[0].Content, "On this day") || len(storyIDs(got[:1])) != 1 || !strings.HasPrefix(got[0].Embeds[0].Title, "Mohe City") {
		t.Errorf("on-this-day digest: %q %v", got[0].Content, storyIDs(got[:1]))
	}
	if len(storyIDs(got[1:])) != 5 {
		t.Errorf("morning digest stories %v", storyIDs(got[1:]))
	}
	if n := len(e.discord.posted("200")); n != 1 {
		t.Errorf("other channel: %d messages", n)
	}
	fresh := newArticle("c", "Harbor reopens after storm repairs.", corpus.Date{})
	testenv.PutArticles(t, e.db, fresh)
	e.mustTick(e.scheduler(jobs...), "2024-07-03T20:00:00Z")
	got = e.discord.posted("100")
	if ids := storyIDs(got[2:]); len(got) != 3 || len(ids) != 1 || ids[0] != fresh.ID {
		t.Fatalf("evening: %d messages, stories %v", len(got), ids)
	}
	e.mustTick(e.scheduler(jobs...), "2024-07-04T08:00:00Z")
	got = e.discord.posted("100")
	if len(got) != 3 { // nothing new in the morning; nothing on 07-04 in earlier years
		t.Errorf("next morning: %d messages, want 3", len(got))
	}
	// The other channel never saw the evening digest: its next one has it.
	if ids := storyIDs(e.discord.posted("200")[1:]); len(ids) != 1 || ids[0] != fresh.ID {
		t.Errorf("other channel next day: %v", ids)
	}
}

// fakeClock is a Clock whose time moves only when the test says.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waiting chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.waiting <- struct{}{}
	return ch
}

// advance moves the clock to t and fires the timers due.
func (c *fakeClock) advance(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// TestSchedulerRunLoop drives Run with a fake clock: it sleeps until the
// next slot, posts, and stops when the context ends.
func TestSchedulerRunLoop(t *testing.T) {
	e := newEnv(t, true)
	clock := &fakeClock{now: time.Date(2024, 7, 3, 7, 0, 0, 0, time.UTC), waiting: make(chan struct{}, 10)}
	s := e.scheduler(job(t, "morning", "100", "0 8 * * *", "UTC", SelectNew))
	s.clock = clock
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-clock.waiting // armed, sleeping until 08:00
	clock.mu.Lock()
	if w := clock.waiters[0].at; !w.Equal(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("sleeps until %s, want 08:00", w)
	}
	clock.mu.Unlock()
	if n := len(e.discord.posted("100")); n != 0 {
		t.Fatalf("posted before the slot")
	}
	clock.advance(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	<-clock.waiting // ran, sleeping until tomorrow
	if n := len(e.discord.posted("100")); n != 1 {
		t.Fatalf("%d messages after 08:00, want 1", n)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestNewSchedulerRejects(t *testing.T) {
	s, _ := ParseSchedule("0 8 * * *", time.UTC)
	for _, jobs := range [][]Job{
		{{Spec: Spec{Channel: "1"}, Schedule: s}},
		{{Spec: Spec{Name: "a"}, Schedule: s}},
		{{Spec: Spec{Name: "a", Channel: "1"}}},
		{{Spec: Spec{Name: "a", Channel: "1"}, Schedule: s}, {Spec: Spec{Name: "a", Channel: "2"}, Schedule: s}},
	} {
		if _, err := NewScheduler(jobs, nil, nil, nil, nil, nil); err == nil {
			t.Errorf("accepted %+v", jobs)
		}
	}
}

// TestPostNow: the manual trigger posts at once, and a second request in
// the same minute posts nothing more.
func TestPostNow(t *testing.T) {
	e := newEnv(t, true)
	s := e.scheduler()
	at := time.Date(2024, 7, 3, 12, 30, 15, 0, time.UTC)
	spec := Spec{Channel: "100", Rule: SelectOnThisDay}
	run, err := s.PostNow(context.Background(), spec, at)
	if err != nil || run.State != store.RunDone || len(run.Sent) != 1 || run.Digest != "manual-100" || run.Slot != "2024-07-03T12:30" {
		t.Fatalf("post now: %+v %v", run, err)
	}
	if _, err := s.PostNow(context.Background(), spec, at.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.discord.posted("100")); n != 1 {
		t.Errorf("%d messages after two requests in one minute, want 1", n)
	}
	if _, err := s.PostNow(context.Background(), spec, at.Add(time.Minute)); err != nil || len(e.discord.posted("100")) != 2 {
		t.Errorf("a request a minute later: %v, %d messages", err, len(e.discord.posted("100")))
	}
}

// panicBuilder panics while building.
type panicBuilder struct{}

func (panicBuilder) Build(context.Context, Spec, time.Time) (Digest, error) { panic("boom") }

func TestSchedulerRecoversPanics(t *testing.T) {
	e := newEnv(t, true)
	bad := job(t, "bad", "100", "0 8 * * *", "UTC", SelectNew)
	s := e.scheduler(bad)
	e.mustTick(s, "2024-07-03T07:00:00Z")
	s.build = panicBuilder{}
	if err := e.tick(s, "2024-07-03T08:00:00Z"); err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("tick: %v", err)
	}
	if !strings.Contains(e.logs.String(), "digest run panicked") {
		t.Errorf("panic not logged")
	}
}
