package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/store"
)

// Consistency checks of the index against the store. The store is the
// system of record; the index must hold exactly the articles the store
// held at the change the index records as applied, and its statistics
// (document count, BM25 averages, term document frequencies) must equal a
// recount over those articles.

// Check verifies the open index against the store as it is now. Call it
// with the index caught up and nothing writing to the store: an index
// behind the store's change log is reported as a problem. It returns one
// line per problem found:
//
//   - the change the index applied is the store's latest (not behind, not
//     ahead), and what the Index holds in memory equals what it recorded;
//   - every stored article is in the index, and every index document is a
//     stored article; the store's articles agree with its change log;
//   - the index's document count and its own statistics (corpusStats)
//     count the stored articles, and the average title and body lengths
//     equal a recount when no article was ever deleted (a deletion leaves
//     the averages as they were, by design);
//   - for the 20 most frequent terms of a few articles, the number of
//     documents the index finds each in, per field, equals a brute-force
//     count over the stored articles analysed afresh.
//
// It holds off catch-ups and rebuilds while it runs; searches go on.
func (ix *Index) Check(ctx context.Context) ([]string, error) {
	ix.write.Lock()
	defer ix.write.Unlock()
	if ix.closed {
		return nil, errClosed
	}
	ix.mu.RLock()
	bi, seq, stats := ix.bi, ix.seq, ix.stats
	ix.mu.RUnlock()
	if bi == nil {
		return nil, errClosed
	}
	rep, meta, err := checkBleve(ctx, bi, ix.st, true)
	if err != nil {
		return nil, err
	}
	if meta.seq != seq || meta.stats != stats {
		rep.problem("search index: in memory it has applied change %d with statistics %+v, but it recorded change %d with %+v",
			seq, stats, meta.seq, meta.stats)
	}
	return rep.Problems, nil
}

// DirReport is what CheckDir found in an index folder.
type DirReport struct {
	// Exists is false when there is no index yet; the next Open builds it.
	Exists bool
	// Seq is the last change of the store's log the index has applied;
	// LastSeq is the store's latest. An index behind the store is
	// consistent as long as it matches the store as of Seq: the next Open
	// catches it up.
	Seq, LastSeq uint64
	// Docs is the number of documents in the index.
	Docs int
	// Rebuild says why the next Open will rebuild the index rather than
	// catch it up, "" when it will not. Nothing else is checked then.
	Rebuild string
	// Problems are the inconsistencies found, one line each.
	Problems []string
	// Notes say what could not be checked, and why.
	Notes []string
}

func (r *DirReport) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *DirReport) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// CheckDir checks the index in dir against st as the index is on disk,
// without opening it for writing or catching it up: what a crash left is
// what is checked. The index may be behind the store (Seq < LastSeq); it
// must then hold exactly the articles stored as of Seq, except that
// articles changed after Seq may already be as they are now (a catch-up of
// a long backlog writes documents before it records how far it got). The
// other checks are those of Index.Check.
//
// A folder that bleve cannot open is a problem; one the next Open would
// rebuild for a reason other than damage (another layout version, another
// database) is reported in Rebuild.
func CheckDir(ctx context.Context, dir string, st Store) (DirReport, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		last, err := st.LastSeq(ctx)
		if err != nil {
			return DirReport{}, fmt.Errorf("check search index: read the change log: %w", err)
		}
		return DirReport{LastSeq: last}, nil
	}
	bi, err := openBleveReadOnly(dir)
	if err != nil {
		last, lerr := st.LastSeq(ctx)
		if lerr != nil {
			return DirReport{}, fmt.Errorf("check search index: read the change log: %w", lerr)
		}
		rep := DirReport{Exists: true, LastSeq: last}
		rep.problem("search index %s cannot be opened (the next start rebuilds it): %v", dir, err)
		return rep, nil
	}
	defer closeBleve(bi)
	rep, _, err := checkBleve(ctx, bi, st, false)
	return rep, err
}

// openBleveReadOnly opens an index without writing to it: no persister, no
// merger, no removal of stray files, and its root.bolt opened read-only.
func openBleveReadOnly(dir string) (bi bleve.Index, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			bi, err = nil, fmt.Errorf("panic opening index: %v", r)
		}
	}()
	return bleve.OpenUsing(dir, map[string]any{"read_only": true, "bolt_timeout": "1s"})
}

// sampleArticles and sampleTerms size the document-frequency recount: the
// most frequent terms of a few articles spread over the ID range.
const (
	sampleArticles = 3
	sampleTerms    = 20
)

// idLister lists the stored article IDs from the articles themselves
// (*store.DB implements it). Without it, the check trusts the change log
// for what is stored.
type idLister interface {
	IDs(ctx context.Context) ([]string, error)
}

// logState is what the store's change log says about each article.
type logState struct {
	// liveAt: the articles stored as of the index's sequence number.
	liveAt map[string]bool
	// liveNow: the articles stored as of the latest change.
	liveNow map[string]bool
	// later: articles with a change after the index's sequence number.
	later map[string]bool
	// deleted: some article was deleted by a change up to the index's
	// sequence number.
	deleted bool
	// origin identifies the database (see firstChange).
	origin string
}

func readLog(ctx context.Context, st Store, seq uint64) (logState, error) {
	ls := logState{liveAt: map[string]bool{}, liveNow: map[string]bool{}, later: map[string]bool{}}
	err := st.Changes(ctx, 0, func(c store.Change) error {
		if ls.origin == "" {
			ls.origin = fmt.Sprintf("%d:%s", c.Seq, c.ID)
		}
		if c.Seq <= seq {
			if c.Deleted {
				delete(ls.liveAt, c.ID)
				ls.deleted = true
			} else {
				ls.liveAt[c.ID] = true
			}
		} else {
			ls.later[c.ID] = true
		}
		if c.Deleted {
			delete(ls.liveNow, c.ID)
		} else {
			ls.liveNow[c.ID] = true
		}
		return nil
	})
	if err != nil {
		return ls, fmt.Errorf("check search index: read the change log: %w", err)
	}
	return ls, nil
}

// checkBleve checks bi against st. With strict, the index must have
// applied the store's latest change.
func checkBleve(ctx context.Context, bi bleve.Index, st Store, strict bool) (rep DirReport, meta indexMeta, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			rep.problem("search index: reading it panicked: %v", r)
			err = nil
		}
	}()
	rep.Exists = true
	if rep.LastSeq, err = st.LastSeq(ctx); err != nil {
		return rep, meta, fmt.Errorf("check search index: read the change log: %w", err)
	}
	meta, err = readMeta(bi)
	if err != nil {
		rep.problem("search index: its record of what it holds is unreadable: %v", err)
		return rep, meta, nil
	}
	rep.Seq = meta.seq
	ls, err := readLog(ctx, st, meta.seq)
	if err != nil {
		return rep, meta, err
	}
	if !checkPosition(&rep, meta, ls, strict) {
		return rep, meta, nil
	}
	if err := checkStoredIDs(ctx, &rep, st, ls); err != nil {
		return rep, meta, err
	}
	return rep, meta, checkDocuments(ctx, &rep, bi, st, meta, ls)
}

// checkPosition checks that the index belongs to this database, in this
// layout, and has not applied changes the database lacks. It reports
// whether the rest is worth checking.
func checkPosition(rep *DirReport, meta indexMeta, ls logState, strict bool) bool {
	switch {
	case meta.mapping != MappingVersion:
		rep.Rebuild = fmt.Sprintf("the search index has layout %d, this digestbot uses %d", meta.mapping, MappingVersion)
	case meta.origin != "" && meta.origin != ls.origin:
		rep.Rebuild = "the search index belongs to another database"
	}
	if rep.Rebuild != "" {
		if strict {
			rep.problem("search index: %s", rep.Rebuild)
		}
		return false
	}
	switch {
	case meta.seq > rep.LastSeq:
		rep.problem("search index has applied change %d, but the database's latest change is %d", meta.seq, rep.LastSeq)
		return false
	case strict && meta.seq < rep.LastSeq:
		rep.problem("search index has applied change %d of %d: it is behind the database", meta.seq, rep.LastSeq)
	}
	return true
}

// checkStoredIDs checks the store's articles against its change log, when
// the store can list them.
func checkStoredIDs(ctx context.Context, rep *DirReport, st Store, ls logState) error {
	l, ok := st.(idLister)
	if !ok {
		return nil
	}
	ids, err := l.IDs(ctx)
	if err != nil {
		return fmt.Errorf("check search index: %w", err)
	}
	stored := make(map[string]bool, len(ids))
	for _, id := range ids {
		stored[id] = true
		if !ls.liveNow[id] {
			rep.problem("article %s is stored, but the change log, which the search index follows, does not say so", id)
		}
	}
	for _, id := range sortedKeys(ls.liveNow) {
		if !stored[id] {
			rep.problem("the change log says article %s is stored, but it is not", id)
		}
	}
	return nil
}

// checkDocuments checks the index's documents against the articles stored
// as of meta.seq (articles changed since may already be as they are now),
// then its statistics.
func checkDocuments(ctx context.Context, rep *DirReport, bi bleve.Index, st Store, meta indexMeta, ls logState) error {
	r, err := readerOf(bi)
	if err != nil {
		rep.problem("search index: cannot read it: %v", err)
		return nil
	}
	defer func() {
		if err := r.Close(); err != nil {
			rep.problem("search index: closing its reader: %v", err)
		}
	}()
	docs, err := indexDocs(ctx, r)
	if err != nil {
		rep.problem("search index: cannot list its documents: %v", err)
		return nil
	}
	rep.Docs = len(docs)
	if n, err := r.DocCount(); err != nil || n != uint64(len(docs)) {
		rep.problem("search index: counts %d documents (%v) but lists %d", n, err, len(docs))
	}
	for _, id := range sortedKeys(docs) {
		if !ls.liveAt[id] && !ls.later[id] {
			rep.problem("search index has a document for %s, which is not a stored article", id)
		}
	}
	for _, id := range sortedKeys(ls.liveAt) {
		if !docs[id] && !ls.later[id] {
			rep.problem("article %s is not in the search index", id)
		}
	}
	if len(ls.later) > 0 {
		rep.note("%d articles changed after the index's change %d; the next start brings them up to date", len(ls.later), meta.seq)
	}
	return checkStatistics(ctx, rep, r, st, meta, ls, docs)
}

// checkStatistics checks the index's own statistics, which describe the
// articles as of meta.seq, against a recount: the article count, the
// average field lengths and the document frequencies of sampled terms.
func checkStatistics(ctx context.Context, rep *DirReport, r index.IndexReader, st Store, meta indexMeta, ls logState, docs map[string]bool) error {
	if meta.stats.Docs != int64(len(ls.liveAt)) {
		rep.problem("search index statistics count %d articles, but %d were stored as of change %d", meta.stats.Docs, len(ls.liveAt), meta.seq)
	}
	sample, err := sampleTermsOf(ctx, st, sortedKeys(docs))
	if err != nil {
		return err
	}
	rc, err := recountAll(ctx, st, ls.liveAt, docs, sample)
	if err != nil {
		return err
	}
	switch {
	case ls.deleted:
		rep.note("average field lengths not recounted: articles were deleted, and a deletion leaves the averages as they were")
	case rc.goneLive != "":
		rep.note("average field lengths not recounted: article %s has been deleted since", rc.goneLive)
	default:
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
		n := float64(max(len(ls.liveAt), 1))
		title, body := rc.titleTokens/n, rc.bodyTokens/n
		if !near(meta.stats.TitleAvg, title) || !near(meta.stats.BodyAvg, body) {
			rep.problem("search index statistics: average title and body lengths %.6f and %.6f, but a recount gives %.6f and %.6f",
				meta.stats.TitleAvg, meta.stats.BodyAvg, title, body)
		}
	}
	if rc.goneDoc != "" {
		rep.note("term frequencies not recounted: indexed article %s has been deleted since", rc.goneDoc)
		return nil
	}
	for _, t := range sortedKeys(sample) {
		for _, f := range []string{fieldTitle, fieldBody} {
			got, err := docFreq(ctx, r, t, f)
			if err != nil {
				rep.problem("search index: cannot read term %q of field %s: %v", t, f, err)
				continue
			}
			if want := rc.df[f][t]; got != want {
				rep.problem("search index: term %q is in %d %s fields, but a recount finds it in %d", t, got, f, want)
			}
		}
	}
	return nil
}

// readerOf returns a reader of bi's current snapshot.
func readerOf(bi bleve.Index) (index.IndexReader, error) {
	adv, err := bi.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// indexDocs returns the IDs of the documents in r.
func indexDocs(ctx context.Context, r index.IndexReader) (_ map[string]bool, err error) {
	dr, err := r.DocIDReaderAll()
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := dr.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	docs := map[string]bool{}
	for {
		iid, err := dr.Next()
		if err != nil {
			return nil, err
		}
		if iid == nil {
			return docs, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id, err := r.ExternalID(iid)
		if err != nil {
			return nil, err
		}
		docs[id] = true
	}
}

// storedArticle returns the stored article id; ok is false when it is not
// stored (any more).
func storedArticle(ctx context.Context, st Store, id string) (a corpus.Article, ok bool, err error) {
	a, err = st.Article(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous):
		return a, false, nil
	case err != nil:
		return a, false, fmt.Errorf("check search index: read article %s: %w", id, err)
	}
	return a, a.ID == id, nil
}

// sampleTermsOf returns the terms whose document frequencies are checked:
// the most frequent terms of a few of ids (sorted), spread over them.
func sampleTermsOf(ctx context.Context, st Store, ids []string) (map[string]bool, error) {
	sample := map[string]bool{}
	if len(ids) == 0 {
		return sample, nil
	}
	var picks []string
	for i := range sampleArticles {
		id := ids[i*(len(ids)-1)/max(sampleArticles-1, 1)]
		if !slices.Contains(picks, id) {
			picks = append(picks, id)
		}
	}
	for _, id := range picks {
		a, ok, err := storedArticle(ctx, st, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // deleted since: recountAll notes it
		}
		for _, t := range topTerms(append(Terms(a.Title), Terms(a.Body)...), sampleTerms) {
			sample[t] = true
		}
	}
	return sample, nil
}

// recount is what recountAll found.
type recount struct {
	// titleTokens and bodyTokens are the lengths of the live articles'
	// titles and bodies summed, as corpusStats estimates them.
	titleTokens, bodyTokens float64
	// df counts, per field, the indexed articles holding each sample term.
	df map[string]map[string]uint64
	// goneLive and goneDoc name an article (live at the index's change, or
	// indexed) that is no longer stored, so cannot be recounted.
	goneLive, goneDoc string
}

// recountAll reads each article of live and docs once, on all cores, and
// recounts the field lengths of the live ones and the sample terms' document
// frequencies over the indexed ones. The text is analysed afresh, by the
// search analysis with a stem cache of its own, not the index's.
func recountAll(ctx context.Context, st Store, live, docs map[string]bool, sample map[string]bool) (recount, error) {
	an, err := getAnalyzers()
	if err != nil {
		return recount{}, err
	}
	an = an.withStemCache()
	all := map[string]bool{}
	for id := range live {
		all[id] = true
	}
	for id := range docs {
		all[id] = true
	}
	ids := sortedKeys(all)
	workers := min(max(runtime.GOMAXPROCS(0), 1), 8)
	parts := make([]recount, workers)
	errs := make([]error, workers)
	next := make(chan string)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := &parts[w]
			rc.df = map[string]map[string]uint64{fieldTitle: {}, fieldBody: {}}
			for id := range next {
				if errs[w] != nil {
					continue // drain
				}
				a, ok, err := storedArticle(ctx, st, id)
				if err != nil {
					errs[w] = err
					continue
				}
				switch {
				case !ok:
					if live[id] {
						rc.goneLive = id
					}
					if docs[id] {
						rc.goneDoc = id
					}
				default:
					if live[id] {
						rc.titleTokens += float64(approxTokens(a.Title))
						rc.bodyTokens += float64(approxTokens(a.Body))
					}
					if docs[id] {
						countTerms(an, a.Title, sample, rc.df[fieldTitle])
						countTerms(an, a.Body, sample, rc.df[fieldBody])
					}
				}
			}
		}()
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	out := recount{df: map[string]map[string]uint64{fieldTitle: {}, fieldBody: {}}}
	for w, p := range parts {
		if errs[w] != nil {
			return out, errs[w]
		}
		out.titleTokens += p.titleTokens
		out.bodyTokens += p.bodyTokens
		out.goneLive = cmp.Or(out.goneLive, p.goneLive)
		out.goneDoc = cmp.Or(out.goneDoc, p.goneDoc)
		for f, m := range p.df {
			for t, n := range m {
				out.df[f][t] += n
			}
		}
	}
	return out, ctx.Err()
}

// countTerms adds one to counts[t] for each sample term t in text.
func countTerms(an analyzers, text string, sample map[string]bool, counts map[string]uint64) {
	seen := map[string]bool{}
	for _, tok := range an.full.Analyze([]byte(text)) {
		if t := string(tok.Term); sample[t] && !seen[t] {
			seen[t] = true
			counts[t]++
		}
	}
}

// docFreq is the number of live documents whose field holds term: the
// document frequency BM25 scores with.
func docFreq(ctx context.Context, r index.IndexReader, term, field string) (uint64, error) {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, err
	}
	n := tfr.Count()
	return n, tfr.Close()
}

// topTerms returns the n most frequent of terms, ties by term.
func topTerms(terms []string, n int) []string {
	counts := map[string]int{}
	for _, t := range terms {
		counts[t]++
	}
	out := sortedKeys(counts)
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(counts[b], counts[a]) })
	return out[:min(n, len(out))]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
