package search

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/util"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/memlimit"
)

// A rebuild writes a new index offline, segment file by segment file,
// rather than through a live index: articles are analysed on every core,
// each Options.BatchSize of them becomes one segment file, and the files
// are merged as they accumulate (see buildFanIn), into segments of at most
// buildSegmentDocs articles. A live index keeps every batch in memory
// until its background writer catches up, and merges the same documents
// again and again as segments grow; loading 50,000 articles that way took
// over a gigabyte. The rebuild holds one batch's documents and one merge
// at a time, and gives back the pages of the files a merge has read, so
// its memory depends on the batch and segment sizes, not on the number of
// articles.

// build writes a new index in dir (which must not exist) holding the
// stored articles ids, and records that it stands at change seq of the
// database origin. It returns the corpus statistics of what it indexed.
func (ix *Index) build(ctx context.Context, dir string, ids []string, seq uint64, origin string, progress func(done int)) (corpusStats, error) {
	defer memlimit.Soft(ix.opts.BuildMemory)()
	// An empty index, so that the folder is what bleve expects to open;
	// its segment store is then replaced by the segments built here.
	bi, err := bleve.NewUsing(dir, ix.im, scorch.Name, scorch.Name, runtimeConfig())
	if err != nil {
		ix.opts.Logger.Error("create search index", "dir", dir, "error", err)
		return corpusStats{}, fmt.Errorf("search index: create %s: %w", dir, errIndexFailed)
	}
	if err := closeBleve(bi); err != nil {
		return corpusStats{}, fmt.Errorf("search index: create %s: %w", dir, err)
	}
	storeDir := filepath.Join(dir, "store")
	if err := os.RemoveAll(storeDir); err != nil {
		return corpusStats{}, fmt.Errorf("search index: create %s: %w", dir, err)
	}
	mappingJSON, err := util.MarshalJSON(ix.im)
	if err != nil {
		return corpusStats{}, fmt.Errorf("search index mapping: %w", err)
	}
	policy := ix.opts.mergePolicy
	if policy == (mergePolicy{}) {
		policy = defaultMergePolicy
	}
	sb, err := newSegmentBuild(filepath.Join(dir, "build"), policy)
	if err != nil {
		return corpusStats{}, fmt.Errorf("search index: create %s: %w", dir, err)
	}
	failed := func(what string, err error) error {
		ix.opts.Logger.Error("search index rebuild: "+what, "dir", dir, "error", err)
		return fmt.Errorf("search index: build: %w", errIndexFailed)
	}

	var stats corpusStats
	done := 0
	pipe := sb.start(ctx)
	defer pipe.stop()
	batch := make([]index.Document, 0, ix.opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := pipe.add(batch)
		batch = make([]index.Document, 0, ix.opts.BatchSize)
		if err != nil && ctx.Err() == nil {
			return failed("write segments", err)
		}
		return err
	}
	err = ix.analyseAll(ctx, ids, &stats, func(doc *document.Document) error {
		if batch = append(batch, doc); len(batch) == ix.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
		if done++; progress != nil && done%ix.opts.BatchSize == 0 {
			progress(done)
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return stats, err
	}
	if done == 0 {
		// Every article went away meanwhile: write an empty index the
		// ordinary way.
		return stats, ix.buildEmpty(dir, seq, origin, stats)
	}
	segs, err := pipe.finish(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return stats, ctx.Err()
		}
		return stats, failed("merge segments", err)
	}
	internal := map[string][]byte{
		string(util.MappingInternalKey): mappingJSON,
		string(keyMapping):              []byte(strconv.Itoa(MappingVersion)),
		string(keySeq):                  []byte(strconv.FormatUint(seq, 10)),
		string(keyOrigin):               []byte(origin),
		string(keyStats):                statsJSON(stats),
	}
	if err := sb.install(storeDir, segs, internal); err != nil {
		return stats, failed("install segments", err)
	}
	if progress != nil {
		progress(done)
	}
	return stats, nil
}

// buildEmpty writes an index with no documents in dir, replacing what is
// there.
func (ix *Index) buildEmpty(dir string, seq uint64, origin string, stats corpusStats) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("search index: create %s: %w", dir, err)
	}
	bi, err := bleve.NewUsing(dir, ix.im, scorch.Name, scorch.Name, runtimeConfig())
	if err != nil {
		ix.opts.Logger.Error("create search index", "dir", dir, "error", err)
		return fmt.Errorf("search index: create %s: %w", dir, errIndexFailed)
	}
	b := bi.NewBatch()
	setMeta(b, seq, origin, stats)
	err = ix.commit(bi, b, true)
	if cerr := closeBleve(bi); err == nil && cerr != nil {
		ix.opts.Logger.Error("close new search index", "dir", dir, "error", cerr)
		err = fmt.Errorf("search index: close %s: %w", dir, errIndexFailed)
	}
	return err
}

// analyseAll reads the articles ids from the store, makes and analyses
// their documents on every core, and passes each to add, one at a time in
// no particular order. Articles no longer stored are skipped; stats counts
// the others in.
func (ix *Index) analyseAll(ctx context.Context, ids []string, stats *corpusStats, add func(*document.Document) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := rebuildWorkers()
	articles := make(chan corpus.Article, 4*workers)
	docs := make(chan *document.Document, 4*workers)
	var readErr error
	release, _ := ix.st.(memoryReleaser)
	go func() {
		defer close(articles)
		for i, id := range ids {
			if release != nil && i > 0 && ix.releaseDue(i) {
				if err := release.ReleaseMemory(ctx); err != nil {
					ix.opts.Logger.Debug("release the database's mapped memory", "error", err)
				}
			}
			a, ok, err := ix.article(ctx, id)
			if err != nil {
				readErr = err
				return
			}
			if !ok {
				continue
			}
			stats.add(a)
			select {
			case articles <- a:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range articles {
				select {
				case docs <- preAnalysed(withID(ix.docs.document(a))):
				case <-ctx.Done():
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(docs)
	}()
	var err error
	for doc := range docs {
		if err == nil {
			if err = add(doc); err != nil {
				cancel()
			}
		}
	}
	// docs is closed: the reader and the workers are done.
	if err == nil {
		err = readErr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// releaseDue reports whether reading the i-th article of a rebuild should
// first give back the database's mapped pages: every 16th article, when
// the process holds more than Options.MappedMemory of files resident (each
// article read maps up to 512 KB of the file around it: 250 of them held
// 98 MB at 50,000 articles), or every batch without that bound.
func (ix *Index) releaseDue(i int) bool {
	if ix.opts.MappedMemory < 0 {
		return i%ix.opts.BatchSize == 0
	}
	return i%16 == 0 && residentFiles() > ix.opts.MappedMemory
}

// memoryReleaser is a Store that can give back the memory reading it has
// taken (*store.DB maps its file): reading every article would otherwise
// grow the process by the size of the database.
type memoryReleaser interface {
	ReleaseMemory(ctx context.Context) error
}

// preAnalysed analyses doc's fields now, on the caller's goroutine, and
// makes their Analyze a no-op, so that a segment builder analysing
// documents one at a time does not do it again.
func preAnalysed(doc *document.Document) *document.Document {
	for i, f := range doc.Fields {
		f.Analyze()
		doc.Fields[i] = analysedField{f}
	}
	return doc
}

// withID adds doc's _id field, which the segment holds as its ID.
func withID(doc *document.Document) *document.Document {
	doc.AddIDField()
	return doc
}

// analysedField is a document field analysed already.
type analysedField struct{ document.Field }

func (analysedField) Analyze() {}

func statsJSON(s corpusStats) []byte {
	js, _ := json.Marshal(s) // plain numbers: cannot fail
	return js
}
