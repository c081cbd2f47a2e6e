// Package ingest loads article files into the store: it reads them, skips
// the ones whose bytes have not changed since the last run, parses the rest
// and stores them in batches, reporting one Result per file.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/memlimit"
	"github.com/digestbot/digestbot/store"
)

// Store is what ingest needs of the database.
type Store interface {
	Files(ctx context.Context, paths []string) (map[string]store.FileInfo, error)
	Put(ctx context.Context, files []store.File) ([]store.Outcome, error)
}

// memoryReleaser is a Store that can give back the memory its own reads
// have mapped into the process (*store.DB): storing articles under random
// IDs touches every page of the file sooner or later, so a big ingest would
// otherwise grow the process by the size of the database.
type memoryReleaser interface {
	ReleaseMemory(ctx context.Context) error
}

// Rejected is the Status of a file that could not be loaded.
const Rejected store.Status = "rejected"

// Result is what happened to one file.
type Result struct {
	File   corpus.File
	Status store.Status
	// Article is the file's article (without Body) unless Rejected.
	Article corpus.Article
	// Reason says why a file was rejected, or which file a duplicate
	// repeats.
	Reason string
	Err    error
}

// Summary counts the results of a run by status.
type Summary map[store.Status]int

// Options tune Run. Zero values take the defaults.
type Options struct {
	// MaxBytes rejects larger files; default corpus.DefaultMaxBytes.
	MaxBytes int64
	// BatchSize is the number of files stored per transaction; default
	// DefaultBatchSize.
	BatchSize int
	// Workers read and parse files in parallel; default GOMAXPROCS.
	Workers int
	// Memory is a soft limit on the Go heap while the run lasts, unless
	// the process has one of its own: default DefaultMemory, negative for
	// none. Without it a large import's heap grows to twice what is live
	// and holds on to it.
	Memory int64
}

// DefaultBatchSize is Options.BatchSize's default. A transaction's writes
// land all over a large database file, and every page they touch stays
// mapped into the process (with the pages the kernel maps around it) until
// the batch is stored and ReleaseMemory gives them back: at 200,000
// articles, 1,000 files a transaction left 200 MB of the file resident at
// once, 500 leave 130 MB (searchbench load -storeonly -storebatch N).
const DefaultBatchSize = 500

// DefaultMemory is Options.Memory's default: a large import's live heap
// is well under it (about 90 MB at 200,000 articles).
const DefaultMemory = 192 << 20

// Run loads files into db in batches, calling report for each file in
// order. A bad file is reported as Rejected and the run goes on; a store
// error stops the run (what earlier batches stored stays stored).
func Run(ctx context.Context, db Store, files []corpus.File, opts Options, report func(Result)) (Summary, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = corpus.DefaultMaxBytes
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Memory == 0 {
		opts.Memory = DefaultMemory
	}
	defer memlimit.Soft(opts.Memory)()
	// Batches are prepared (looked up, read, parsed and encoded, on every
	// core) one ahead of the batch being stored, in one transaction at a
	// time: the cores parse while the writer writes, and two batches at
	// most are in memory. The store is used by one of them at a time: a
	// read transaction open while a write transaction begins keeps it from
	// reusing the pages the last one freed, and the file grows.
	// Run waits for the preparing goroutine to end before it returns.
	pctx, cancel := context.WithCancel(ctx)
	var preparing sync.WaitGroup
	defer preparing.Wait()
	defer cancel()
	var turn sync.Mutex
	next := make(chan preparedBatch)
	preparing.Add(1)
	go func() {
		defer preparing.Done()
		defer close(next)
		for start := 0; start < len(files); start += opts.BatchSize {
			items, err := prepareBatch(pctx, db, &turn, files[start:min(start+opts.BatchSize, len(files))], opts)
			select {
			case next <- preparedBatch{items, err}:
			case <-pctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	sum, done := Summary{}, 0
	for b := range next {
		if b.err != nil {
			return sum, b.err
		}
		turn.Lock()
		results, err := storeBatch(ctx, db, b.items)
		turn.Unlock()
		if err != nil {
			return sum, err
		}
		for _, r := range results {
			sum[r.Status]++
			report(r)
		}
		done += len(results)
	}
	if done < len(files) {
		// Preparing stopped early: ctx is done.
		return sum, fmt.Errorf("ingest: %w", context.Cause(pctx))
	}
	return sum, nil
}

// item is one file on its way through a batch.
type item struct {
	data    []byte
	rawHash string
	result  Result
	// put is what to store, when the file parsed as an article.
	put    store.File
	parsed bool
}

// preparedBatch is a batch of items ready to store, or why it is not.
type preparedBatch struct {
	items []item
	err   error
}

// prepareBatch does all the work of storing batch but writing it: it looks
// its files up in the store, holding turn, and reads, parses and encodes
// the new or changed ones.
func prepareBatch(ctx context.Context, db Store, turn *sync.Mutex, batch []corpus.File, opts Options) ([]item, error) {
	items := make([]item, len(batch))
	paths := make([]string, len(batch))
	for i, f := range batch {
		items[i].result.File = f
		paths[i] = f.Path
	}
	// What the store knows of these files: one whose size and modification
	// time are as recorded is unchanged without being read; one whose raw
	// bytes hash as recorded is unchanged without being parsed.
	turn.Lock()
	known, err := db.Files(ctx, paths)
	turn.Unlock()
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	toRead := unchangedByStat(items, known)
	readAll(ctx, items, toRead, opts)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	parseAll(ctx, items, unchangedByHash(items, toRead, known), opts)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// storeBatch stores the parsed items of a prepared batch in one
// transaction and returns every item's result.
func storeBatch(ctx context.Context, db Store, items []item) ([]Result, error) {
	if err := putParsed(ctx, db, items); err != nil {
		return nil, err
	}
	results := make([]Result, len(items))
	for i := range items {
		items[i].result.Article.Body = ""
		results[i] = items[i].result
	}
	return results, nil
}

// unchangedByStat marks the items whose size and modification time are as
// recorded unchanged, and returns the indexes of the others, to be read.
func unchangedByStat(items []item, known map[string]store.FileInfo) []int {
	var toRead []int
	for i := range items {
		it := &items[i]
		f := it.result.File
		if k, ok := known[f.Path]; ok && k.Article.ID != "" && !f.ModTime.IsZero() && f.ModTime.Equal(k.ModTime) && f.Size == k.Size {
			it.result.Status = store.Unchanged
			it.result.Article = k.Article
			continue
		}
		toRead = append(toRead, i)
	}
	return toRead
}

// readAll reads the files of items[idx] and hashes their bytes, rejecting
// those that cannot be read.
func readAll(ctx context.Context, items []item, idx []int, opts Options) {
	parallel(ctx, len(idx), opts.Workers, func(j int) {
		it := &items[idx[j]]
		data, err := it.result.File.Read(opts.MaxBytes)
		if err != nil {
			it.reject(err)
			return
		}
		sum := sha256.Sum256(data)
		it.data, it.rawHash = data, hex.EncodeToString(sum[:])
	})
}

// unchangedByHash marks the read items whose bytes hash as recorded
// unchanged, and returns the indexes of the others, to be parsed.
func unchangedByHash(items []item, read []int, known map[string]store.FileInfo) []int {
	var todo []int
	for _, i := range read {
		it := &items[i]
		if it.result.Status == Rejected {
			continue
		}
		if k, ok := known[it.result.File.Path]; ok && k.RawHash == it.rawHash && k.Article.ID != "" {
			it.result.Status = store.Unchanged
			it.result.Article = k.Article
			continue
		}
		todo = append(todo, i)
	}
	return todo
}

// parseAll parses the files of items[idx], rejecting those that are not
// articles.
func parseAll(ctx context.Context, items []item, idx []int, opts Options) {
	parallel(ctx, len(idx), opts.Workers, func(j int) {
		it := &items[idx[j]]
		a, err := corpus.Parse(it.result.File.Name, it.data)
		if err != nil {
			it.reject(err)
			return
		}
		it.result.Article = a
		it.parsed = true
		f := it.result.File
		it.put = store.File{Path: f.Path, RawHash: it.rawHash, Size: int64(len(it.data)), Article: a}
		if f.Size == it.put.Size {
			it.put.ModTime = f.ModTime // as listed; a file rewritten since then is re-read next time
		}
		it.put.Prepare()
		it.data = nil // only the encoded article is needed now
	})
}

// putParsed stores the parsed items in one transaction and records each
// one's outcome.
func putParsed(ctx context.Context, db Store, items []item) error {
	var puts []store.File
	var putIdx []int
	for i := range items {
		it := &items[i]
		if !it.parsed {
			continue
		}
		puts = append(puts, it.put)
		putIdx = append(putIdx, i)
	}
	if len(puts) == 0 {
		return nil
	}
	outcomes, err := db.Put(ctx, puts)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if r, ok := db.(memoryReleaser); ok {
		// Only memory is at stake: a failure changes nothing stored.
		_ = r.ReleaseMemory(ctx)
	}
	for j, o := range outcomes {
		r := &items[putIdx[j]].result
		r.Status = o.Status
		r.Article.ID = o.ID
		if o.Status == store.Duplicate {
			r.Reason = "same content as " + o.Original
		}
	}
	return nil
}

func (it *item) reject(err error) {
	it.result.Status = Rejected
	it.result.Err = err
	// The reason is the error without the file name the report prints anyway.
	var fe *corpus.FileError
	if errors.As(err, &fe) {
		it.result.Reason = fe.Err.Error()
	} else {
		it.result.Reason = err.Error()
	}
}

// parallel calls fn(0..n-1) on up to workers goroutines and waits. Once
// ctx is done, it makes no more calls.
func parallel(ctx context.Context, n, workers int, fn func(int)) {
	if n == 0 {
		return
	}
	workers = min(workers, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}
