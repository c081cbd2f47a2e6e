package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// Articles is what digests read of the store (*store.DB implements it).
type Articles interface {
	Article(ctx context.Context, id string) (corpus.Article, error)
	Between(ctx context.Context, from, to time.Time) ([]corpus.Article, error)
	Changes(ctx context.Context, after uint64, fn func(store.Change) error) error
	LastSeq(ctx context.Context) (uint64, error)
	ChannelSeq(ctx context.Context, channel string) (uint64, bool, error)
}

// Cache is the derived data summaries keep in the store: the document
// frequencies IDF comes from and the summaries already made.
type Cache interface {
	TermCounts(ctx context.Context) (store.TermCounts, error)
	UpdateTermCounts(ctx context.Context, version string, terms func(corpus.Article) []string) (store.TermCounts, bool, error)
	Summaries(ctx context.Context, params string, hashes []string) (map[string][]byte, error)
	PutSummaries(ctx context.Context, params string, values map[string][]byte) error
	PruneSummaries(ctx context.Context) (int, error)
	// For summaries made ahead of use (ahead.go):
	Unsummarized(ctx context.Context, params string, ids []string) ([]string, error)
	SummaryMark(ctx context.Context, params string) (uint64, bool, error)
	SetSummaryMark(ctx context.Context, params string, seq uint64) error
}

// Store is the database the Service works on.
type Store interface {
	Articles
	Cache
}

// Service summarises stored articles and builds digests. It is safe for
// concurrent use.
type Service struct {
	db      Store
	analyze Analyzer
	stop    map[string]bool
	sum     *Summarizer
	version string   // analysis fingerprint, part of every cache key
	cover   Coverage // nil: "new" is the local change log since ChannelSeq

	mu    sync.Mutex
	stats termStats // the latest document frequencies
}

// New returns a Service over db that analyses text with an (search.Terms
// in digestbot). It loads the built-in sentence model but reads nothing
// from db until used.
func New(db Store, an Analyzer) (*Service, error) {
	sp, err := NewSplitter()
	if err != nil {
		return nil, err
	}
	return &Service{db: db, analyze: an, stop: stopSet(an), sum: NewSummarizer(an, sp), version: fingerprint(an)}, nil
}

// Summarizer returns the summarizer the service uses.
func (s *Service) Summarizer() *Summarizer { return s.sum }

// termStats is TermStats over a store.TermCounts table.
type termStats struct{ tc store.TermCounts }

func (t termStats) Docs() int               { return t.tc.Docs }
func (t termStats) DocFreq(term string) int { return t.tc.DF[term] }

// Stats brings the store's document-frequency table up to date (adding the
// articles stored since it was last brought up to date) and returns it.
func (s *Service) Stats(ctx context.Context) (TermStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tc, changed, err := s.db.UpdateTermCounts(ctx, "t1-"+s.version, s.articleTerms)
	if err != nil {
		return nil, err
	}
	switch {
	case changed:
		s.stats = termStats{tc}
	case s.stats.tc.DF == nil || s.stats.tc.Seq != tc.Seq || s.stats.tc.Version != tc.Version:
		// Up to date in the store but not here (first use, or another
		// process updated it).
		full, err := s.db.TermCounts(ctx)
		if err != nil {
			return nil, err
		}
		s.stats = termStats{full}
	}
	return s.stats, nil
}

// articleTerms are the distinct terms of an article counted for IDF.
func (s *Service) articleTerms(a corpus.Article) []string {
	set := termSet(s.analyze, s.stop, a.Title+"\n\n"+a.Body)
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	return out
}

// cacheParams keys summaries made with opts in the cache.
// They change with the analysis and with summaryVersion, so a new
// digestbot that summarises differently does not serve old summaries.
func (s *Service) cacheParams(opts Options) string {
	return fmt.Sprintf("%s/s%d/%s", opts.key(), summaryVersion, s.version)
}

// Summary returns the summary of a stored article, from the cache when it
// was made before with the same options and the article has not changed.
func (s *Service) Summary(ctx context.Context, a corpus.Article, opts Options) (Summary, error) {
	out, err := s.Summaries(ctx, []corpus.Article{a}, opts)
	if err != nil {
		return Summary{}, err
	}
	return out[0], nil
}

// Summaries returns the summaries of arts, in order: cached ones from one
// read, the others made in parallel and cached in one write. An article
// without a Body is read from the store when its summary is not cached.
func (s *Service) Summaries(ctx context.Context, arts []corpus.Article, opts Options) ([]Summary, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	arts = slices.Clone(arts) // bodies may be filled in below
	params := s.cacheParams(opts)
	hashes := make([]string, len(arts))
	for i, a := range arts {
		hashes[i] = a.Hash
	}
	cached, err := s.db.Summaries(ctx, params, hashes)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(arts))
	var missing []int
	for i, a := range arts {
		if v, ok := cached[a.Hash]; ok && json.Unmarshal(v, &out[i].Sentences) == nil {
			continue
		}
		missing = append(missing, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	stats, err := s.Stats(ctx)
	if err != nil {
		return nil, err
	}
	for _, i := range missing {
		if arts[i].Body == "" && arts[i].ID != "" {
			full, err := s.db.Article(ctx, arts[i].ID)
			if err != nil {
				return nil, fmt.Errorf("summarise %s: %w", arts[i].ID, err)
			}
			arts[i].Body = full.Body
		}
	}
	// Summaries are independent: spread them over the CPUs.
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(missing)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = s.sum.Summarize(arts[i], stats, opts)
			}
		}()
	}
	for _, i := range missing {
		work <- i
	}
	close(work)
	wg.Wait()

	put := make(map[string][]byte, len(missing))
	for _, i := range missing {
		if arts[i].Hash == "" {
			continue
		}
		v, err := json.Marshal(out[i].Sentences)
		if err != nil {
			return nil, err
		}
		put[arts[i].Hash] = v
	}
	if err := s.db.PutSummaries(ctx, params, put); err != nil {
		return nil, err
	}
	return out, nil
}

// PruneCache drops cached summaries of articles no longer stored (changed
// or deleted) and returns how many.
func (s *Service) PruneCache(ctx context.Context) (int, error) {
	return s.db.PruneSummaries(ctx)
}
