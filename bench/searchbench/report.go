package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// FTSResult is what bench/search.sh measured of SQLite FTS5 (seconds,
// bytes).
type FTSResult struct {
	LoadSeconds      float64 `json:"load_seconds"`
	LoadCPU          float64 `json:"load_cpu_seconds"`
	LoadPeakRSS      uint64  `json:"load_peak_rss_bytes"`
	Bytes            int64   `json:"bytes"`
	Queries          int     `json:"queries"`
	QueryTotal       float64 `json:"query_total_seconds"`
	QueryMedian      float64 `json:"query_median_seconds"`
	QueryP99         float64 `json:"query_p99_seconds"`
	SnippetTotal     float64 `json:"snippet_total_seconds"`
	SnippetMedian    float64 `json:"snippet_median_seconds"`
	SnippetP99       float64 `json:"snippet_p99_seconds"`
	QueryPeakRSS     uint64  `json:"query_peak_rss_bytes"`
	StartupSeconds   float64 `json:"startup_seconds"`
	FirstQuerySecond float64 `json:"first_query_seconds"`
	Version          string  `json:"version"`
}

// OneShotResult is what bench/search.sh measured of one-shot commands
// (seconds).
type OneShotResult struct {
	Queries int     `json:"queries"`
	Search  float64 `json:"search_median_seconds"`
	SQLite  float64 `json:"sqlite_median_seconds"`
	Help    float64 `json:"help_seconds"`
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func report(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	work := fs.String("work", "", "the benchmark's work folder")
	runs := fs.Int("runs", 1, "how many runs each number is the best of")
	fs.Parse(args)
	if *work == "" {
		return errors.New("report needs -work")
	}
	var (
		load      LoadResult
		q0, q1    QueryResult
		open      OpenResult
		fts       FTSResult
		nArticles = 0
	)
	for name, v := range map[string]any{"load.json": &load, "query.json": &q0, "query_snippets.json": &q1, "open.json": &open, "fts.json": &fts} {
		if err := readJSON(filepath.Join(*work, name), v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	nArticles = load.Articles

	sec := func(s float64) string { return fmt.Sprintf("%.2f s", s) }
	ms := func(s float64) string { return fmt.Sprintf("%.2f ms", s*1000) }
	mb := func(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }
	ratio := func(a, b float64) string {
		if b <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", a/b)
	}
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}

	fmt.Printf("\ndigestbot search vs SQLite FTS5 (%s): %d synthetic articles, 300-1,200 words, Zipf vocabulary, seed %d;\n",
		fts.Version, nArticles, corpusSeed)
	fmt.Printf("%d queries of 1-3 mid-frequency words (vocabulary ranks %d-%d), top 10 by BM25, each engine in its own process.\n\n",
		q0.Queries, midLo, midHi)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tdigestbot\tFTS5\tratio\ttarget\t")
	fmt.Fprintf(tw, "load, wall\t%s\t%s\t%s\t<= 1.5x: %s\t\n", sec(load.TotalSeconds), sec(fts.LoadSeconds),
		ratio(load.TotalSeconds, fts.LoadSeconds), check(load.TotalSeconds <= 1.5*fts.LoadSeconds))
	fmt.Fprintf(tw, "  store (bbolt: read, parse, store)\t%s\t\t\t\t\n", sec(load.StoreSeconds))
	fmt.Fprintf(tw, "  index (bleve)\t%s\t\t\t\t\n", sec(load.IndexSeconds))
	fmt.Fprintf(tw, "load, CPU (user+sys)\t%s\t%s\t%s\t\t\n", sec(load.CPUSeconds), sec(fts.LoadCPU), ratio(load.CPUSeconds, fts.LoadCPU))
	fmt.Fprintf(tw, "  store (CPU)\t%s\t\t\t\t\n", sec(load.StoreCPU))
	fmt.Fprintf(tw, "load, peak RSS\t%s\t%s\t\t<= 400 MB: %s\t\n", mb(load.PeakRSS), mb(fts.LoadPeakRSS), check(load.PeakRSS <= 400e6))
	fmt.Fprintf(tw, "  of it anonymous (heap, stacks; the rest is mapped files' pages)\t%s\t\t\t\t\n", mb(load.PeakAnonRSS))
	fmt.Fprintf(tw, "  peak by the end of the store step\t%s\t\t\t\t\n", mb(load.StorePeakRSS))
	fmt.Fprintf(tw, "load, peak Go heap (in use)\t%s\t\t\t\t\n", mb(load.PeakHeap))
	size := float64(load.DBBytes + load.IndexBytes)
	fmt.Fprintf(tw, "size on disk\t%s + %s index\t%s\t%s\t<= 1.5x: %s\t\n", mb(uint64(load.DBBytes)), mb(uint64(load.IndexBytes)),
		mb(uint64(fts.Bytes)), ratio(size, float64(fts.Bytes)), check(size <= 1.5*float64(fts.Bytes)))
	fmt.Fprintf(tw, "%d queries (ids, titles), total\t%s\t%s\t%s\t<= 1x: %s\t\n", q0.Queries, sec(q0.Total), sec(fts.QueryTotal),
		ratio(q0.Total, fts.QueryTotal), check(q0.Total <= fts.QueryTotal))
	fmt.Fprintf(tw, "  median\t%s\t%s\t\t<= 1 ms: %s\t\n", ms(q0.Median), ms(fts.QueryMedian), check(q0.Median <= 0.001))
	fmt.Fprintf(tw, "  p90 / max\t%s / %s\t\t\t\t\n", ms(q0.P90), ms(q0.Max))
	fmt.Fprintf(tw, "  p99\t%s\t%s\t\t<= 5 ms: %s\t\n", ms(q0.P99), ms(fts.QueryP99), check(q0.P99 <= 0.005))
	fmt.Fprintf(tw, "%d queries with snippets, total\t%s\t%s\t%s\t\t\n", q1.Queries, sec(q1.Total), sec(fts.SnippetTotal), ratio(q1.Total, fts.SnippetTotal))
	fmt.Fprintf(tw, "  median / p99\t%s / %s\t%s / %s\t\t\t\n", ms(q1.Median), ms(q1.P99), ms(fts.SnippetMedian), ms(fts.SnippetP99))
	fmt.Fprintf(tw, "queries: results per query (mean), none, any-word fallback\t%.0f, %d, %d\t\t\t\t\n", q0.MeanTotal, q0.Empty, q0.AnyWords)
	fmt.Fprintf(tw, "queries: peak RSS after %d, Go heap in use\t%s, %s\t%s\t\t<= 150 MB: %s\t\n", q1.Queries,
		mb(q1.PeakRSS), mb(q1.HeapInuse), mb(fts.QueryPeakRSS), check(q1.PeakRSS <= 150e6))
	fmt.Fprintf(tw, "open store+index, first query (new process)\t%s + %s = %s\t%s + %s\t\t< 500 ms: %s\t\n",
		ms(open.OpenSeconds), ms(open.FirstQuerySeconds), ms(open.TotalSeconds), ms(fts.StartupSeconds), ms(fts.FirstQuerySecond),
		check(open.TotalSeconds < 0.5))
	fmt.Fprintf(tw, "  (digestbot timed in its process; FTS5: a sqlite3 process with no query, then the extra for one)\t\t\t\t\t\n")
	fmt.Fprintf(tw, "open: peak RSS\t%s\t\t\t\t\n", mb(open.PeakRSS))
	var cold OpenResult
	if readJSON(filepath.Join(*work, "open_cold.json"), &cold) == nil {
		fmt.Fprintf(tw, "open + first query, empty page cache\t%s + %s = %s\t\t\t< 500 ms: %s\t\n",
			ms(cold.OpenSeconds), ms(cold.FirstQuerySeconds), ms(cold.TotalSeconds), check(cold.TotalSeconds < 0.5))
	}
	var one OneShotResult
	if readJSON(filepath.Join(*work, "oneshot.json"), &one) == nil {
		fmt.Fprintf(tw, "one-shot search, new process per query (median of %d)\t%s\t%s\t%s\t<= 2x: %s\t\n", one.Queries,
			ms(one.Search), ms(one.SQLite), ratio(one.Search, one.SQLite), check(one.Search <= 2*one.SQLite))
		fmt.Fprintf(tw, "digestbot --help (best of 20)\t%s\t\t\t<= 10 ms: %s\t\n", ms(one.Help), check(one.Help <= 0.010))
	}
	tw.Flush()
	if *runs > 1 {
		fmt.Printf("\nEach load and each set of queries ran %d times, FTS5 and digestbot in turn; the fastest run is shown.\n", *runs)
	}
	fmt.Println("FTS5 per-query times come from the sqlite3 shell's .timer (millisecond resolution);")
	fmt.Println("its totals are the shell's wall time for all queries minus its start-up with no query.")
	return nil
}
