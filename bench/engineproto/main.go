// Command engineproto is a prototype search engine for issue 15: what a
// purpose-built segment builder reaches on bench/search.sh's corpus, beside
// SQLite FTS5 and digestbot's bleve index. Nothing in the product uses it.
//
//	engineproto build   -dir CORPUS|-db DB -index IX [-batch 2000 -workers 2 -first N -count M] -out load.json
//	engineproto query   -index IX[,IX2…] -queries Q.txt -hits hits.txt -out query.json
//	engineproto ref     -db DIGESTBOT.DB -queries Q.txt -hits ref.txt
//	engineproto overlap -a hits.txt -b ref.txt
//	engineproto check   -dir CORPUS -n 500
//	engineproto report  -work OUT [-src SEARCH_SH_WORK]
//
// run.sh runs them all beside FTS5.
//
// See README.md for the design and the numbers.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

	"github.com/digestbot/digestbot/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: engineproto build|query|ref|overlap|check|report [flags]")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "build":
		err = buildCmd(args)
	case "query":
		err = queryCmd(args)
	case "ref":
		err = refCmd(args)
	case "overlap":
		err = overlapCmd(args)
	case "check":
		err = checkCmd(args)
	case "report":
		err = reportCmd(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "engineproto:", err)
		os.Exit(1)
	}
}

// BuildResult is what build measures.
type BuildResult struct {
	Docs        int     `json:"docs"`
	Terms       int     `json:"terms"`
	Seconds     float64 `json:"seconds"`
	SegSeconds  float64 `json:"segment_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
	PeakRSS     uint64  `json:"peak_rss_bytes"`
	PeakAnonRSS uint64  `json:"peak_anon_rss_bytes"`
	Bytes       int64   `json:"index_bytes"`
	Batch       int     `json:"batch"`
	Workers     int     `json:"workers"`
}

func buildCmd(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	dir := fs.String("dir", "", "corpus folder")
	dbPath := fs.String("db", "", "or a digestbot database to read the articles from (a copy: it is opened for writing)")
	out := fs.String("index", "", "index file to write")
	res := fs.String("out", "", "JSON result file")
	batch := fs.Int("batch", 2000, "documents per segment")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "segment builders in parallel")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	memprofile := fs.String("memprofile", "", "write a heap profile here when the segments are built")
	positions := fs.Bool("positions", false, "keep term positions (what phrases would need), to measure their cost")
	first := fs.Int("first", 0, "index the corpus's files from this one (in name order)")
	count := fs.Int("count", 0, "index this many files (0: all from -first)")
	fs.Parse(args)
	if (*dir == "") == (*dbPath == "") || *out == "" || *batch < 1 || *workers < 1 {
		return errors.New("build needs -dir or -db, -index, a positive -batch and -workers")
	}
	stop, err := startProfile(*cpuprofile)
	if err != nil {
		return err
	}
	anon := watchAnon()
	start := time.Now()
	src, closeSrc, err := openSource(*dir, *dbPath, *first, *count)
	if err != nil {
		return err
	}
	defer closeSrc()
	tmp, err := os.MkdirTemp(filepath.Dir(*out), "engineproto-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var segTime time.Duration
	err = build(context.Background(), src, *out, tmp, buildOptions{workers: *workers, batch: *batch, positions: *positions, segmentsDone: func() {
		segTime = time.Since(start)
		if *memprofile != "" {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}})
	if err != nil {
		return err
	}
	wall := time.Since(start)
	stop()
	ix, err := openIndex(*out)
	if err != nil {
		return err
	}
	defer ix.Close()
	st, _ := os.Stat(*out)
	return writeJSON(*res, BuildResult{
		Docs: ix.docs, Terms: ix.terms, Seconds: wall.Seconds(), SegSeconds: segTime.Seconds(),
		CPUSeconds: cpuSeconds(), PeakRSS: procStatus("VmHWM:"), PeakAnonRSS: anon(),
		Bytes: st.Size(), Batch: *batch, Workers: *workers,
	})
}

// openSource returns the documents of the corpus folder dir or of the
// database dbPath, from the first, count of them (0: all).
func openSource(dir, dbPath string, first, count int) (source, func() error, error) {
	var src source
	done := func() error { return nil }
	if dir != "" {
		paths, err := corpusFiles(dir)
		if err != nil {
			return nil, nil, err
		}
		first, count = bounds(first, count, len(paths))
		src = fileSource{root: dir, paths: paths[first : first+count]}
	} else {
		ctx := context.Background()
		db, err := store.Open(dbPath, store.Options{})
		if err != nil {
			return nil, nil, err
		}
		ids, err := db.IDs(ctx)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		first, count = bounds(first, count, len(ids))
		src, done = storeSource{ctx: ctx, db: db, ids: ids[first : first+count]}, db.Close
	}
	return src, done, nil
}

// bounds clamps a range of n documents.
func bounds(first, count, n int) (int, int) {
	first = min(max(first, 0), n)
	if count <= 0 || first+count > n {
		count = n - first
	}
	return first, count
}

// QueryResult is what query measures, in seconds.
type QueryResult struct {
	Queries  int     `json:"queries"`
	Scoring  string  `json:"scoring"`
	Open     float64 `json:"open_seconds"`
	Total    float64 `json:"total_seconds"`
	CPU      float64 `json:"cpu_seconds"` // the least of the runs
	Median   float64 `json:"median_seconds"`
	P99      float64 `json:"p99_seconds"`
	Max      float64 `json:"max_seconds"`
	Empty    int     `json:"empty"`
	AnyWords int     `json:"any_words"`
	PeakRSS  uint64  `json:"peak_rss_bytes"`
}

func queryCmd(args []string) error {
	fs := flag.NewFlagSet("query", flag.ExitOnError)
	path := fs.String("index", "", "index file, or the files of its parts in doc order, comma-separated")
	qpath := fs.String("queries", "", "queries file, one a line")
	hitsOut := fs.String("hits", "", "write each query's top 10 keys here, a line each")
	res := fs.String("out", "", "JSON result file")
	mode := fs.String("scoring", "bleve", "bleve (as digestbot scores) or plain (textbook BM25)")
	runs := fs.Int("runs", 1, "answer all the queries this many times, report the fastest")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	fs.Parse(args)
	qs, err := readLines(*qpath)
	if err != nil {
		return err
	}
	if len(qs) == 0 {
		return fmt.Errorf("%s: no queries", *qpath)
	}
	start := time.Now()
	var sc scoring
	switch *mode {
	case "bleve":
	case "plain":
		sc = plainBM25
	default:
		return fmt.Errorf("unknown scoring %q", *mode)
	}
	var parts []*index
	for _, p := range strings.Split(*path, ",") {
		ix, err := openIndex(p)
		if err != nil {
			return err
		}
		defer ix.Close()
		parts = append(parts, ix)
	}
	s := newSearcher(sc, parts...)
	r := QueryResult{Queries: len(qs), Scoring: *mode, Open: time.Since(start).Seconds()}
	stop, err := startProfile(*cpuprofile)
	if err != nil {
		return err
	}
	var lines []string
	for run := range max(*runs, 1) {
		cpu := cpuSeconds()
		one, l := runQueries(s, qs)
		if cpu = cpuSeconds() - cpu; run == 0 || cpu < r.CPU {
			r.CPU = cpu
		}
		if run == 0 || one.Total < r.Total {
			r.Total, r.Median, r.P99, r.Max, r.Empty, r.AnyWords = one.Total, one.Median, one.P99, one.Max, one.Empty, one.AnyWords
			lines = l
		}
	}
	stop()
	r.PeakRSS = procStatus("VmHWM:")
	if *hitsOut != "" {
		if err := os.WriteFile(*hitsOut, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	return writeJSON(*res, r)
}

// runQueries answers qs once, timing each, and returns the timings and
// each query's top 10 file names.
func runQueries(s *searcher, qs []string) (QueryResult, []string) {
	var r QueryResult
	lat := make([]float64, len(qs))
	lines := make([]string, len(qs))
	t0 := time.Now()
	for i, q := range qs {
		t := time.Now()
		top, total, anyWords := s.search(q, 10)
		lat[i] = time.Since(t).Seconds()
		if total == 0 {
			r.Empty++
		}
		if anyWords {
			r.AnyWords++
		}
		keys := make([]string, len(top))
		for j, h := range top {
			keys[j] = filepath.Base(s.key(h.doc))
		}
		lines[i] = strings.Join(keys, " ")
	}
	r.Total = time.Since(t0).Seconds()
	sort.Float64s(lat)
	r.Median, r.P99, r.Max = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	return r, lines
}

func readLines(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// watchAnon samples the anonymous resident memory (RssAnon) every 20 ms;
// the function it returns stops and gives the peak.
func watchAnon() func() uint64 {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, procStatus("RssAnon:"))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// procStatus returns a kB value of /proc/self/status in bytes.
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

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func writeJSON(path string, v any) error {
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
