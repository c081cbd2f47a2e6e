package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// reportCmd prints the prototype beside FTS5 (same run) and digestbot
// (the bench/search.sh folder's results), from run.sh's files.
func reportCmd(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	work := fs.String("work", "", "run.sh's output folder")
	src := fs.String("src", "", "the bench/search.sh folder, for digestbot's numbers (optional)")
	fs.Parse(args)
	var b BuildResult
	var q QueryResult
	if err := readJSON(filepath.Join(*work, "build.json"), &b); err != nil {
		return err
	}
	if err := readJSON(filepath.Join(*work, "query.json"), &q); err != nil {
		return err
	}
	ftsLoad, err := readFields(filepath.Join(*work, "fts_load.time")) // wall user sys maxKB
	if err != nil || len(ftsLoad) < 4 {
		return fmt.Errorf("fts_load.time: %v", err)
	}
	ftsBytes, _ := readFields(filepath.Join(*work, "fts.bytes"))
	ftsQ, err := timerLines(filepath.Join(*work, "fts_q.out"))
	if err != nil {
		return err
	}
	d, dq, haveD := digestbotNumbers(*src)
	mb := func(n float64) string { return fmt.Sprintf("%.0f MB", n/1e6) }
	ms := func(s float64) string { return fmt.Sprintf("%.2f ms", s*1e3) }
	fmt.Printf("%d documents, %d terms (prototype: batch %d, %d builders)\n", b.Docs, b.Terms, b.Batch, b.Workers)
	fmt.Printf("%-22s%-34s %-20s %s\n", "", "prototype", "FTS5", "digestbot (bbolt + bleve, SRC)")
	row := func(name, proto, fts, db string) {
		if !haveD {
			db = "–"
		}
		fmt.Printf("%-22s%-34s %-20s %s\n", name, proto, fts, db)
	}
	row("load wall", fmt.Sprintf("%.2f s (%.2fx FTS5)", b.Seconds, b.Seconds/ftsLoad[0]), fmt.Sprintf("%.2f s", ftsLoad[0]),
		fmt.Sprintf("%.1f s (store %.1f + index %.1f)", d.Total, d.Store, d.Total-d.Store))
	row("load CPU", fmt.Sprintf("%.2f s", b.CPUSeconds), fmt.Sprintf("%.2f s", ftsLoad[1]+ftsLoad[2]), fmt.Sprintf("%.1f s (store %.1f)", d.CPU, d.StoreCP))
	row("load peak RSS", fmt.Sprintf("%s (anon %s)", mb(float64(b.PeakRSS)), mb(float64(b.PeakAnonRSS))), mb(ftsLoad[3]*1024), mb(float64(d.RSS)))
	fts := "–"
	if len(ftsBytes) > 0 {
		fts = mb(ftsBytes[0]) + " (text too)"
	}
	row("size", mb(float64(b.Bytes))+" index only", fts, fmt.Sprintf("%s + %s index", mb(float64(d.DB)), mb(float64(d.Index))))
	sort.Float64s(ftsQ)
	var ftsTotal float64
	for _, t := range ftsQ {
		ftsTotal += t
	}
	pct := func(l []float64, p float64) float64 {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(p*float64(len(l))))]
	}
	row("1,000 queries", fmt.Sprintf("%.3f s", q.Total), fmt.Sprintf("%.3f s", ftsTotal), fmt.Sprintf("%.3f s", dq.Total))
	row("  median / p99", ms(q.Median)+" / "+ms(q.P99), ms(pct(ftsQ, 0.5))+" / "+ms(pct(ftsQ, 0.99)), ms(dq.Median)+" / "+ms(dq.P99))
	row("query peak RSS", mb(float64(q.PeakRSS)), "", mb(float64(dq.PeakRSS)))
	var o Overlap
	if readJSON(filepath.Join(*work, "overlap.json"), &o) == nil {
		fmt.Printf("top-10 overlap with digestbot: %.2f%% of its hits; %d/%d queries in the same order, %d the same set, %d the same first\n",
			100*o.Mean, o.Same, o.Queries, o.SameSet, o.Top1)
	}
	return nil
}

// digestbotLoad is what searchbench load reports.
type digestbotLoad struct {
	Total   float64 `json:"total_seconds"`
	CPU     float64 `json:"cpu_seconds"`
	RSS     uint64  `json:"peak_rss_bytes"`
	DB      int64   `json:"db_bytes"`
	Index   int64   `json:"index_bytes"`
	Store   float64 `json:"store_seconds"`
	StoreCP float64 `json:"store_cpu_seconds"`
}

// digestbotNumbers reads searchbench's load and query results in a
// bench/search.sh folder.
func digestbotNumbers(src string) (d digestbotLoad, q QueryResult, ok bool) {
	ok = src != "" && readJSON(filepath.Join(src, "load.json"), &d) == nil &&
		readJSON(filepath.Join(src, "query.json"), &q) == nil
	return d, q, ok
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// readFields reads a file of space-separated numbers.
func readFields(path string) ([]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []float64
	for _, f := range strings.Fields(string(data)) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// timerLines returns the real times of the sqlite3 shell's .timer lines
// ("Run Time: real 0.001 user … sys …").
func timerLines(path string) ([]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []float64
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 4 && f[0] == "Run" && f[2] == "real" {
			if v, err := strconv.ParseFloat(f[3], 64); err == nil {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
