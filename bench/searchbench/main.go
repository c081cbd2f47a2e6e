// Command searchbench measures digestbot's search against SQLite FTS5 on a
// synthetic corpus. bench/search.sh runs it; the steps are:
//
//	searchbench gen    -dir CORPUS -n 50000 -queries Q.txt   write the corpus and the queries
//	searchbench load   -dir CORPUS -db DB -out load.json     ingest into the store, build the index
//	searchbench open   -db DB -queries Q.txt -out open.json  open store and index, answer one query
//	searchbench query  -db DB -queries Q.txt -out q.json     answer every query, report latencies
//	searchbench phrases -dir CORPUS -out P.txt -common C.txt phrase queries for query
//	searchbench report -work WORK                            print the side-by-side table
//
// Each step is a fresh process, so its peak RSS is its own.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/internal/ingest"
	"github.com/digestbot/digestbot/internal/synth"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: searchbench gen|load|open|query|report|phrases [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "open":
		err = openFirst(os.Args[2:])
	case "query":
		err = queries(os.Args[2:])
	case "report":
		err = report(os.Args[2:])
	case "phrases":
		err = phrases(os.Args[2:])
	default:
		err = fmt.Errorf("unknown step %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

// Seeds and sizes of the corpus: fixed, so every run measures the same
// articles and queries.
const (
	corpusSeed = 1
	querySeed  = 2
	vocab      = 30000
	// Mid-frequency words: vocabulary ranks 200–3,000 are in roughly 30%
	// down to 2% of the articles.
	midLo, midHi = 200, 3000
)

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dir := fs.String("dir", "", "folder to write the corpus to")
	n := fs.Int("n", 50000, "number of articles")
	nq := fs.Int("nq", 1000, "number of queries")
	qpath := fs.String("queries", "", "file to write the queries to, one a line")
	fs.Parse(args)
	if *dir == "" || *qpath == "" {
		return errors.New("gen needs -dir and -queries")
	}
	g := synth.New(corpusSeed, vocab)
	start := time.Now()
	if _, err := g.WriteFiles(*dir, *n); err != nil {
		return err
	}
	qs := g.Queries(querySeed, *nq, midLo, midHi)
	if err := os.WriteFile(*qpath, []byte(strings.Join(qs, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d articles to %s and %d queries in %s\n", *n, *dir, len(qs), time.Since(start).Round(time.Millisecond))
	return nil
}

// memWatch samples the Go heap until stopped and reports its peak. With
// a profile path, it writes a heap profile each time the peak grows by a
// tenth, so the last one shows what the heap held at its largest.
type memWatch struct {
	stop    chan struct{}
	done    sync.WaitGroup
	peak    uint64
	anon    uint64 // peak anonymous resident memory (RssAnon), bytes
	profile string

	mu sync.Mutex
	// rss is the largest resident set sampled, and anonAt and fileAt
	// what it was made of (RssAnon, RssFile).
	rss, anonAt, fileAt uint64
	// what it was made of, by mapped file (residentByFile)
	byFile map[string]uint64
}

// sampleRSS records the process's resident set when it is the largest
// sampled yet.
func (w *memWatch) sampleRSS() {
	rss, anon, file := procStatus("VmRSS:"), procStatus("RssAnon:"), procStatus("RssFile:")
	w.mu.Lock()
	defer w.mu.Unlock()
	w.anon = max(w.anon, anon)
	if rss > w.rss {
		w.rss, w.anonAt, w.fileAt = rss, anon, file
		if rss > 64<<20 { // smaps costs a few ms: only for peaks that matter
			w.byFile = residentByFile()
		}
	}
}

// largest returns the largest resident set sampled and its anonymous and
// file-backed parts, prints what it was made of to stderr, and starts over.
func (w *memWatch) largest(step string) (rss, anon, file uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rss, anon, file = w.rss, w.anonAt, w.fileAt
	if w.byFile != nil {
		printSizes(os.Stderr, "largest resident set of the "+step+" step", w.byFile)
	}
	w.rss, w.anonAt, w.fileAt, w.byFile = 0, 0, 0, nil
	return rss, anon, file
}

func watchMem(profile string) *memWatch {
	w := &memWatch{stop: make(chan struct{}), profile: profile}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if w.profile != "" && ms.HeapInuse > w.peak+w.peak/10 {
				writeHeapProfile(w.profile)
			}
			w.peak = max(w.peak, ms.HeapInuse)
			w.sampleRSS()
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	pprof.Lookup("heap").WriteTo(f, 0)
}

func (w *memWatch) Stop() uint64 {
	close(w.stop)
	w.done.Wait()
	return w.peak
}

// peakRSS is the process's peak resident set (VmHWM) in bytes: its own
// memory and the pages of files it maps (bbolt's database, bleve's
// segments) that it has touched.
func peakRSS() uint64 { return procStatus("VmHWM:") }

// procStatus returns a value in kB of /proc/self/status, in bytes.
func procStatus(key string) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func dirSize(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// LoadResult is what load measures.
type LoadResult struct {
	Articles     int     `json:"articles"`
	StoreSeconds float64 `json:"store_seconds"`
	IndexSeconds float64 `json:"index_seconds"`
	StoreCPU     float64 `json:"store_cpu_seconds"`
	TotalSeconds float64 `json:"total_seconds"`
	DBBytes      int64   `json:"db_bytes"`
	IndexBytes   int64   `json:"index_bytes"`
	PeakHeap     uint64  `json:"peak_heap_bytes"`
	PeakRSS      uint64  `json:"peak_rss_bytes"`
	PeakAnonRSS  uint64  `json:"peak_anon_rss_bytes"`
	StorePeakRSS uint64  `json:"store_peak_rss_bytes"` // peak RSS by the end of the store step
	// The largest resident set sampled (every 50 ms) in each step, and
	// its anonymous and file-backed parts.
	StoreSampled [3]uint64 `json:"store_sampled_rss_anon_file_bytes"`
	IndexSampled [3]uint64 `json:"index_sampled_rss_anon_file_bytes"`
	CPUSeconds   float64   `json:"cpu_seconds"`
}

// cpuSeconds is the user and system CPU time the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	dir := fs.String("dir", "", "corpus folder")
	dbPath := fs.String("db", "", "database file to create")
	out := fs.String("out", "", "JSON result file")
	batch := fs.Int("batch", 0, "index batch size (0: the default)")
	buildMem := fs.Int64("buildmem", 0, "search.Options.BuildMemory in bytes (0: the default, negative: none)")
	storeBatch := fs.Int("storebatch", 0, "ingest.Options.BatchSize, files per transaction (0: the default)")
	storeMem := fs.Int64("storemem", 0, "ingest.Options.Memory in bytes (0: the default, negative: none)")
	storeOnly := fs.Bool("storeonly", false, "stop after the store step")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the indexing to this file")
	memprofile := fs.String("memprofile", "", "write heap profiles of the load's peak to this file")
	allocprofile := fs.String("allocprofile", "", "write an allocation profile of the load to this file")
	fs.Parse(args)
	if *dir == "" || *dbPath == "" {
		return errors.New("load needs -dir and -db")
	}
	ctx := context.Background()
	files, errs := corpus.Collect([]string{*dir})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	mem := watchMem(*memprofile)
	start := time.Now()
	db, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	sum, err := ingest.Run(ctx, db, files, ingest.Options{BatchSize: *storeBatch, Memory: *storeMem}, func(ingest.Result) {})
	if err != nil {
		return err
	}
	stored := time.Since(start)
	storeCPU := cpuSeconds()
	storePeak := peakRSS()
	var storeSampled [3]uint64
	storeSampled[0], storeSampled[1], storeSampled[2] = mem.largest("store")
	if *storeOnly {
		fmt.Fprintf(os.Stderr, "store step: %.1f s wall, %.1f s CPU, peak RSS %d MB\n", stored.Seconds(), storeCPU, storePeak>>20)
		return nil
	}
	progress := func(p search.Progress) {
		if p.Finished || p.Done%10000 == 0 {
			fmt.Fprintf(os.Stderr, "  indexing: %d/%d articles, %s\n", p.Done, p.Total, p.Elapsed.Round(time.Millisecond))
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ix, err := search.Open(ctx, *dbPath+".index", db, search.Options{Logger: logger(), Progress: progress, BatchSize: *batch, BuildMemory: *buildMem})
	if err != nil {
		return err
	}
	if err := ix.Close(); err != nil {
		return err
	}
	total := time.Since(start)
	peakHeap := mem.Stop()
	var indexSampled [3]uint64
	indexSampled[0], indexSampled[1], indexSampled[2] = mem.largest("index")
	r := LoadResult{
		Articles:     sum[store.Added],
		StoreSeconds: stored.Seconds(),
		StoreCPU:     storeCPU,
		IndexSeconds: (total - stored).Seconds(),
		TotalSeconds: total.Seconds(),
		PeakHeap:     peakHeap,
		PeakAnonRSS:  mem.anon,
		PeakRSS:      peakRSS(),
		StorePeakRSS: storePeak,
		StoreSampled: storeSampled,
		IndexSampled: indexSampled,
		CPUSeconds:   cpuSeconds(),
	}
	if err := db.Close(); err != nil {
		return err
	}
	if *allocprofile != "" {
		f, err := os.Create(*allocprofile)
		if err != nil {
			return err
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	r.DBBytes = dirSize(*dbPath)
	r.IndexBytes = dirSize(*dbPath + ".index")
	return writeResult(*out, r)
}

func readQueries(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if q := strings.TrimSpace(sc.Text()); q != "" {
			qs = append(qs, q)
		}
	}
	return qs, sc.Err()
}

// OpenResult is what open measures: a cold start.
type OpenResult struct {
	OpenSeconds       float64 `json:"open_seconds"`
	FirstQuerySeconds float64 `json:"first_query_seconds"`
	TotalSeconds      float64 `json:"total_seconds"`
	Hits              int     `json:"hits"`
	PeakRSS           uint64  `json:"peak_rss_bytes"`
}

func openFirst(args []string) error {
	fs := flag.NewFlagSet("open", flag.ExitOnError)
	dbPath := fs.String("db", "", "database file")
	qpath := fs.String("queries", "", "queries file (the first is asked)")
	out := fs.String("out", "", "JSON result file")
	fs.Parse(args)
	qs, err := readQueries(*qpath)
	if err != nil || len(qs) == 0 {
		return fmt.Errorf("queries: %v", err)
	}
	ctx := context.Background()
	start := time.Now()
	db, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	ix, err := search.Open(ctx, *dbPath+".index", db, search.Options{Logger: logger(), ReadOnly: true, Progress: func(p search.Progress) {
		fmt.Fprintf(os.Stderr, "unexpected rebuild: %s\n", p.Reason)
	}})
	if err != nil {
		return err
	}
	defer ix.Close()
	opened := time.Since(start)
	res, err := ix.Search(ctx, qs[0], search.Request{})
	if err != nil {
		return err
	}
	total := time.Since(start)
	return writeResult(*out, OpenResult{
		OpenSeconds: opened.Seconds(), FirstQuerySeconds: (total - opened).Seconds(),
		TotalSeconds: total.Seconds(), Hits: len(res.Hits), PeakRSS: peakRSS(),
	})
}

// QueryResult is what query measures, in seconds.
type QueryResult struct {
	Queries    int     `json:"queries"`
	Snippets   bool    `json:"snippets"`
	Total      float64 `json:"total_seconds"`
	Median     float64 `json:"median_seconds"`
	P90        float64 `json:"p90_seconds"`
	P99        float64 `json:"p99_seconds"`
	Max        float64 `json:"max_seconds"`
	Empty      int     `json:"empty"`
	AnyWords   int     `json:"any_words"`
	MeanTotal  float64 `json:"mean_total_hits"`
	HeapInuse  uint64  `json:"heap_inuse_bytes"`
	PeakRSS    uint64  `json:"peak_rss_bytes"`
	SearchOpts string  `json:"options"`
}

func queries(args []string) error {
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	dbPath := fs.String("db", "", "database file")
	qpath := fs.String("queries", "", "queries file")
	out := fs.String("out", "", "JSON result file")
	snippets := fs.Bool("snippets", true, "make snippets (read each hit's body from the store)")
	runs := fs.Int("runs", 1, "ask all the queries this many times and report the fastest run")
	mapped := fs.Int64("mapped", 0, "search.Options.MappedMemory in bytes (0: the default, negative: no bound)")
	smaps := fs.Bool("smaps", false, "print what is resident, by mapped file, after opening and after the queries")
	fs.Parse(args)
	qs, err := readQueries(*qpath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	ix, err := search.Open(ctx, *dbPath+".index", db, search.Options{Logger: logger(), ReadOnly: true, MappedMemory: *mapped})
	if err != nil {
		return err
	}
	defer ix.Close()
	if *smaps {
		printResident(os.Stderr, "after opening")
	}
	opts := search.Request{Limit: 10, NoSnippets: !*snippets}
	var best QueryResult
	for run := 0; run < max(*runs, 1); run++ {
		lat := make([]float64, len(qs))
		r := QueryResult{Queries: len(qs), Snippets: *snippets, SearchOpts: fmt.Sprintf("%+v", opts)}
		start := time.Now()
		var hits int
		for i, q := range qs {
			t := time.Now()
			res, err := ix.Search(ctx, q, opts)
			lat[i] = time.Since(t).Seconds()
			if err != nil {
				return fmt.Errorf("query %q: %w", q, err)
			}
			if res.Total == 0 {
				r.Empty++
			}
			if res.AnyWords {
				r.AnyWords++
			}
			hits += res.Total
		}
		r.Total = time.Since(start).Seconds()
		sort.Float64s(lat)
		pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		r.Median, r.P90, r.P99, r.Max = pct(0.5), pct(0.9), pct(0.99), lat[len(lat)-1]
		r.MeanTotal = float64(hits) / float64(len(qs))
		if run == 0 || r.Total < best.Total {
			best = r
		}
	}
	r := best
	if *smaps {
		printResident(os.Stderr, "after the queries")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapInuse = ms.HeapInuse
	r.PeakRSS = peakRSS()
	return writeResult(*out, r)
}

func writeResult(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if path == "" {
		_, err = fmt.Printf("%s\n", js)
		return err
	}
	return os.WriteFile(path, append(js, '\n'), 0o644)
}
