package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/digestbot/digestbot/bot"
	"github.com/digestbot/digestbot/cluster"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/feed"
	"github.com/digestbot/digestbot/internal/app"
	"github.com/digestbot/digestbot/store"
)

// clusterOptions are the cluster: section as the cluster package takes it.
func (m *Main) clusterOptions() cluster.Options {
	cl := m.config.Cluster
	o := cluster.Options{Name: cl.Name, Endpoints: cl.Etcd.Endpoints, Prefix: cl.Etcd.Prefix,
		CA: cl.Etcd.CA, Cert: cl.Etcd.Cert, Key: cl.Etcd.Key, Lease: cl.Lease, Log: m.logger}
	if cl.Etcd.Username != "" {
		o.Username, o.Password = cl.Etcd.Username, m.Getenv(cl.Etcd.PasswordEnv)
	}
	return o
}

// joinCluster makes s one replica of the configured cluster: runs are
// recorded and claimed in etcd, posts are fenced on the replica's lease,
// "new" digests read what the cluster covered, and only the elected
// leader runs the schedules. Without a cluster: section it does nothing.
func (m *Main) joinCluster(s *services) (leave func(), err error) {
	if m.config.Cluster == nil {
		return func() {}, nil
	}
	opts := m.clusterOptions()
	if opts.Username != "" && opts.Password == "" {
		return nil, fmt.Errorf("cluster.etcd.password_env: the environment variable %s is empty", m.config.Cluster.Etcd.PasswordEnv)
	}
	node, err := cluster.Join(opts)
	if err != nil {
		return nil, err
	}
	runs := node.RunLog()
	s.node, s.runs, s.history = node, runs, runs
	s.poster = node.Fenced(s.poster)
	s.svc.UseCoverage(node.Coverage(s.db))
	m.logger.Info("joined the cluster", "replica", opts.Name, "etcd", strings.Join(opts.Endpoints, ","), "lease", opts.Lease)
	return func() {
		if err := node.Close(); err != nil {
			m.logger.Warn("leaving the cluster", "error", err)
		}
	}, nil
}

// recordsReadable reports whether the runs can be read now: always alone,
// and while the replica holds its lease in a cluster (etcd answers).
func (s *services) recordsReadable() bool {
	return s.node == nil || s.node.Status().Up
}

// sharedStateTTL is how long a button's stored state lives in etcd (the
// bot honours 30 days).
const sharedStateTTL = 30 * 24 * time.Hour

// botState is where the bot keeps button state its custom IDs cannot
// hold: the store alone, or in a cluster the store and etcd, so a press
// answered by another replica finds it.
func (s *services) botState(log *slog.Logger) bot.StateStore {
	if s.node == nil {
		return s.db
	}
	return app.SharedState{Local: s.db, Shared: s.node.State(sharedStateTTL), Log: log}
}

// feedShare is this replica's share of the feeds: all of them alone; in
// a cluster those it claims, the others' polls arriving through etcd.
type feedShare struct{ claims *cluster.FeedClaims }

// shareFeeds sets feed polling up for a cluster: polls are published to
// the other replicas, theirs are stored here, and the feeds are claimed
// per feed.
func (s *services) shareFeeds(ctx context.Context, m *Main, p *feed.Poller) feedShare {
	if s.node == nil {
		return feedShare{}
	}
	p.Store = s.node.PublishingFeedStore(s.db)
	names := func(srcs []feed.Source) []string {
		out := make([]string, len(srcs))
		for i, src := range srcs {
			out[i] = src.Name
		}
		return out
	}
	claims := s.node.FeedClaims(names(s.feeds.Sources()))
	go claims.Run(ctx)
	go s.node.FollowFeeds(ctx, func(ctx context.Context, name string, files []store.File, state []byte) error {
		out, err := s.db.PutFeedItems(ctx, name, files, func([]store.Outcome) ([]byte, error) { return state, nil })
		if err != nil {
			return err
		}
		rep := feed.Report{Feed: name}
		for i, o := range out {
			rep.Items = append(rep.Items, feed.ItemResult{Status: string(o.Status), ID: files[i].Article.ID})
		}
		if rep.Count(feed.Added)+rep.Count(feed.Updated) > 0 {
			if err := s.stored(ctx); err != nil && ctx.Err() == nil {
				m.logger.Warn("search index catch-up after a feed poll shared by another replica", "error", err)
			}
			m.logger.Info("stored a feed poll shared by another replica", "feed", name,
				"added", rep.Count(feed.Added), "updated", rep.Count(feed.Updated))
		}
		return nil
	})
	return feedShare{claims: claims}
}

// own returns the sources this replica polls now, and a channel closed
// when that changes (nil: never).
func (f feedShare) own(all []feed.Source) ([]feed.Source, <-chan struct{}) {
	if f.claims == nil {
		return all, nil
	}
	names := make([]string, len(all))
	for i, src := range all {
		names[i] = src.Name
	}
	f.claims.SetFeeds(names)
	held, changed := f.claims.Held()
	var out []feed.Source
	for _, src := range all {
		if held[src.Name] {
			out = append(out, src)
		}
	}
	return out, changed
}

// runSchedules runs sched: at once alone, or while elected in a cluster.
func (s *services) runSchedules(ctx context.Context, sched *digest.Scheduler) error {
	if s.node == nil {
		return sched.Run(ctx)
	}
	return s.node.Lead(ctx, sched.Run)
}

// observeCluster adds the cluster's health check and metrics.
func (s *services) observeCluster() {
	if s.node == nil {
		return
	}
	n := s.node
	s.health.Add("cluster", func(context.Context) error {
		st := n.Status()
		if !st.Up {
			return fmt.Errorf("not posting: %s (since %s)", st.Why, st.Since.UTC().Format(time.RFC3339))
		}
		return nil
	})
	up := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	s.metrics.GaugeFunc("digestbot_cluster_up", "1 while this replica holds its etcd lease and may post; 0 while etcd is unreachable (nothing is posted).",
		func() float64 { return up(n.Status().Up) })
	s.metrics.GaugeFunc("digestbot_cluster_leader", "1 while this replica is the elected leader running the schedules.",
		func() float64 { return up(n.Status().Leading) })
	s.metrics.GaugeFunc("digestbot_cluster_etcd_requests", "etcd requests this replica made since it started.",
		func() float64 { return float64(n.RoundTrips()) })
}

// runHistory is where the runs are recorded: etcd in a cluster, else the
// store.
func (s *services) runHistory() app.RunHistory {
	if s.history != nil {
		return s.history
	}
	return s.db
}

func clusterCommand() command {
	var asJSON bool
	return command{
		name: "cluster", args: "",
		summary: "Show the cluster this configuration's replicas form: the live members with\n" +
			"their lease time left, the elected leader (which runs the schedules), the\n" +
			"gateway shard owners and the digest runs being posted (claims). Needs a\n" +
			"cluster: section.",
		flags: func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") },
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"cluster takes no arguments"}
			}
			if m.config.Cluster == nil {
				return errors.New("no cluster: section in the configuration (see digestbot help run)")
			}
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			rep, err := cluster.Inspect(ctx, m.clusterOptions())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, rep)
			}
			printCluster(m.Stdout, rep)
			return nil
		},
	}
}

func printCluster(w io.Writer, rep cluster.Report) {
	leader := rep.Leader
	if leader == "" {
		leader = "(none: no schedules run)"
	}
	fmt.Fprintf(w, "leader: %s\n\nmembers:\n", leader)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tPID\tSTARTED\tLEASE\tEXPIRES IN")
	for _, mb := range rep.Members {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\n", mb.Name, mb.PID, mb.Started.UTC().Format(time.RFC3339), mb.Lease, mb.LeaseTTL)
	}
	tw.Flush()
	if len(rep.Members) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	fmt.Fprintln(w, "\ngateway shards:")
	if len(rep.Shards) == 0 {
		fmt.Fprintln(w, "  (none claimed)")
	}
	for _, sh := range rep.Shards {
		fmt.Fprintf(w, "  shard %d of %d: %s\n", sh.ID, sh.Count, sh.Replica)
	}
	fmt.Fprintln(w, "\nclaims (digest runs being posted):")
	if len(rep.Claims) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  DIGEST\tSLOT\tREPLICA\tLEASE\tSINCE")
	for _, c := range rep.Claims {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Digest, c.Slot, c.Replica, c.Lease, c.Since.UTC().Format(time.RFC3339))
	}
	tw.Flush()
}

// testClock is the clock of DIGESTBOT_TEST_CLOCK="ANCHOR,RATE": time runs
// RATE times faster from the Unix time ANCHOR (seconds) on, so end-to-end
// tests can run schedules due every minute in seconds. Processes given the
// same anchor agree on the time. Leases, timeouts and HTTP stay in real
// time. Not for production.
type testClock struct {
	anchor time.Time
	rate   float64
}

func parseTestClock(v string) (testClock, error) {
	a, r, ok := strings.Cut(v, ",")
	sec, err1 := strconv.ParseInt(a, 10, 64)
	rate, err2 := strconv.ParseFloat(r, 64)
	if !ok || err1 != nil || err2 != nil || rate < 1 || rate > 1000 {
		return testClock{}, fmt.Errorf("DIGESTBOT_TEST_CLOCK %q: want ANCHOR,RATE (Unix seconds, and a rate from 1 to 1000)", v)
	}
	return testClock{anchor: time.Unix(sec, 0), rate: rate}, nil
}

func (c testClock) Now() time.Time {
	return c.anchor.Add(time.Duration(float64(time.Since(c.anchor)) * c.rate))
}

func (c testClock) After(d time.Duration) <-chan time.Time {
	return time.After(time.Duration(float64(d) / c.rate))
}
