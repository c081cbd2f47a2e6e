package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

// refCmd writes digestbot's own top 10 for each query, as file names, for
// overlap to compare with.
func refCmd(args []string) error {
	fs := flag.NewFlagSet("ref", flag.ExitOnError)
	dbPath := fs.String("db", "", "digestbot database (its index beside it); a copy: it is opened for writing")
	qpath := fs.String("queries", "", "queries file")
	hitsOut := fs.String("hits", "", "output: each query's top 10 file names, a line each")
	fs.Parse(args)
	if *dbPath == "" || *hitsOut == "" {
		return errors.New("ref needs -db and -hits")
	}
	qs, err := readLines(*qpath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(*dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ix, err := search.Open(ctx, *dbPath+".index", db, search.Options{Logger: quiet, ReadOnly: true})
	if err != nil {
		return err
	}
	defer ix.Close()
	lines := make([]string, len(qs))
	for i, q := range qs {
		res, err := ix.Search(ctx, q, search.Request{Limit: 10, NoSnippets: true})
		if err != nil {
			return fmt.Errorf("query %q: %w", q, err)
		}
		keys := make([]string, len(res.Hits))
		for j, h := range res.Hits {
			keys[j] = filepath.Base(h.Source)
		}
		lines[i] = strings.Join(keys, " ")
	}
	return os.WriteFile(*hitsOut, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// storeSource reads the articles of a digestbot database, in ID order:
// what search's Rebuild indexes.
type storeSource struct {
	ctx context.Context
	db  *store.DB
	ids []string
}

func (s storeSource) len() int { return len(s.ids) }

func (s storeSource) reader() func(int) (doc, error) {
	return func(id int) (doc, error) {
		a, err := s.db.Article(s.ctx, s.ids[id])
		if err != nil {
			return doc{}, err
		}
		return doc{key: filepath.Base(a.Source), title: []byte(a.Title), body: []byte(a.Body)}, nil
	}
}

// Overlap compares two runs' top 10s, query by query.
type Overlap struct {
	Queries int `json:"queries"`
	// Mean is the mean share of b's top 10 that a's top 10 also has.
	Mean float64 `json:"mean_overlap"`
	// Same is how many queries have the same top 10 in the same order.
	Same int `json:"same_order"`
	// SameSet is how many have the same ten, in any order.
	SameSet int `json:"same_set"`
	// Top1 is how many agree on the first result.
	Top1 int `json:"same_first"`
}

func overlapCmd(args []string) error {
	fs := flag.NewFlagSet("overlap", flag.ExitOnError)
	aPath := fs.String("a", "", "hits file")
	bPath := fs.String("b", "", "reference hits file")
	fs.Parse(args)
	a, err := os.ReadFile(*aPath)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(*bPath)
	if err != nil {
		return err
	}
	o, err := overlap(strings.Split(strings.TrimSuffix(string(a), "\n"), "\n"), strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	if err != nil {
		return err
	}
	return writeJSON("", o)
}

func overlap(a, b []string) (Overlap, error) {
	if len(a) != len(b) {
		return Overlap{}, fmt.Errorf("%d queries against %d", len(a), len(b))
	}
	o := Overlap{Queries: len(a)}
	var sum float64
	for i := range a {
		x, y := strings.Fields(a[i]), strings.Fields(b[i])
		if len(y) == 0 {
			if len(x) == 0 {
				sum++
				o.Same++
				o.SameSet++
			}
			continue
		}
		n := 0
		for _, k := range y {
			if slices.Contains(x, k) {
				n++
			}
		}
		sum += float64(n) / float64(len(y))
		if slices.Equal(x, y) {
			o.Same++
		}
		if n == len(y) && len(x) == len(y) {
			o.SameSet++
		}
		if len(x) > 0 && x[0] == y[0] {
			o.Top1++
		}
	}
	o.Mean = sum / float64(len(a))
	return o, nil
}

// Check is how the analyzer's terms compare with search.Terms.
type Check struct {
	Fields  int    `json:"fields"`
	Same    int    `json:"same"`
	Differ  int    `json:"differ"`
	Example string `json:"example,omitempty"`
}

// checkCmd compares the analyzer with search.Terms on a sample of the
// corpus's titles and bodies.
func checkCmd(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	dir := fs.String("dir", "", "corpus folder")
	n := fs.Int("n", 500, "documents to sample")
	fs.Parse(args)
	paths, err := corpusFiles(*dir)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(1))
	var c Check
	for range min(*n, len(paths)) {
		data, err := os.ReadFile(paths[rng.Intn(len(paths))])
		if err != nil {
			return err
		}
		t, b := splitArticle(data)
		for _, text := range []string{string(t), string(b)} {
			c.Fields++
			got, want := analyzeTerms(text), search.Terms(text)
			if slices.Equal(got, want) {
				c.Same++
			} else {
				c.Differ++
				c.Example = fmt.Sprintf("%.200q", text)
			}
		}
	}
	return writeJSON("", c)
}
