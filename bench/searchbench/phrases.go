package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/digestbot/digestbot/internal/synth"
)

// phraseSeed fixes the phrase queries drawn from a corpus.
const phraseSeed = 3

// phrases writes two sets of phrase queries for `searchbench query`: runs
// of 2–3 words drawn from the corpus's bodies (they match, with words of
// every frequency), and phrases of 2–3 of the corpus's most common words
// in random order, the worst case: nearly every article has the words,
// few have them in a row, and each of those must be checked on its text.
func phrases(args []string) error {
	fs := flag.NewFlagSet("phrases", flag.ExitOnError)
	dir := fs.String("dir", "", "corpus folder (from gen)")
	out := fs.String("out", "", "file to write the phrases drawn from the text to")
	common := fs.String("common", "", "file to write the common-word phrases to")
	n := fs.Int("n", 1000, "number of queries in each file")
	fs.Parse(args)
	if *dir == "" || *out == "" || *common == "" {
		return errors.New("phrases needs -dir, -out and -common")
	}
	files, err := corpusFiles(*dir)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(phraseSeed))
	var qs []string
	for tries := 0; len(qs) < *n && tries < 100**n; tries++ {
		data, err := os.ReadFile(files[rng.Intn(len(files))])
		if err != nil {
			return err
		}
		_, body, _ := strings.Cut(string(data), "\n\n")
		sentences := strings.Split(body, ".")
		words := strings.Fields(sentences[rng.Intn(len(sentences))])
		k := 2 + rng.Intn(2)
		if len(words) < k {
			continue
		}
		at := rng.Intn(len(words) - k + 1)
		qs = append(qs, `"`+strings.ToLower(strings.Join(words[at:at+k], " "))+`"`)
	}
	if err := writeLines(*out, qs); err != nil {
		return err
	}
	// The vocabulary's commonest words are in nearly every article.
	top := synth.New(corpusSeed, vocab).Vocab()[:20]
	qs = qs[:0]
	for len(qs) < *n {
		k := 2 + rng.Intn(2)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = top[rng.Intn(len(top))]
		}
		qs = append(qs, `"`+strings.Join(ws, " ")+`"`)
	}
	return writeLines(*common, qs)
}

func corpusFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".txt") {
			files = append(files, p)
		}
		return err
	})
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no .txt files in %s", dir)
	}
	sort.Strings(files)
	return files, err
}

func writeLines(path string, lines []string) error {
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
