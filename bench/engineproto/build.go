package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// corpusFiles lists the corpus's .txt files in lexical order: their index
// is their doc id.
func corpusFiles(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".txt") {
			paths = append(paths, p)
		}
		return nil
	})
	return paths, err
}

// splitArticle splits a corpus file into title (the first line, without a
// " date YYYY-MM-DD" header, as digestbot reads it) and body.
func splitArticle(data []byte) (titleText, bodyText []byte) {
	titleText, bodyText, _ = bytes.Cut(data, []byte{'\n'})
	if t, ok := bytes.CutPrefix(titleText, []byte(" date ")); ok && len(t) >= 11 && t[4] == '-' && t[7] == '-' && t[10] == ' ' {
		titleText = t[11:]
	}
	return titleText, bodyText
}

// buildOptions tune build.
type buildOptions struct {
	workers int
	batch   int
	// positions keeps term positions in the postings.
	positions bool
	// maxWords bounds each builder's word cache (0: the default).
	maxWords int
	// segmentsDone, if set, is called when every segment is written,
	// before the merge.
	segmentsDone func()
}

// source is what build indexes: documents numbered from 0.
type source interface {
	len() int
	// reader returns a function that reads document id; each builder
	// has its own.
	reader() func(id int) (doc, error)
}

// fileSource reads corpus files: the first line is the title.
type fileSource struct {
	root  string
	paths []string
}

func (s fileSource) len() int { return len(s.paths) }

func (s fileSource) reader() func(int) (doc, error) {
	var buf []byte
	return func(id int) (doc, error) {
		var err error
		if buf, err = readInto(buf, s.paths[id]); err != nil {
			return doc{}, err
		}
		key, _ := filepath.Rel(s.root, s.paths[id])
		t, b := splitArticle(buf)
		return doc{key: key, title: t, body: b}, nil
	}
}

// build indexes the documents into the index file out, through segment
// files in tmpDir: workers build batches of opts.batch documents in
// parallel, then one pass merges them.
func build(ctx context.Context, src source, out, tmpDir string, opts buildOptions) error {
	nb := (src.len() + opts.batch - 1) / opts.batch
	segPaths := make([]string, nb)
	for i := range segPaths {
		segPaths[i] = filepath.Join(tmpDir, fmt.Sprintf("seg-%06d", i))
	}
	next := make(chan int)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(next)
		for i := range nb {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, opts.workers)
	for w := range opts.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[w] = buildBatches(next, src, segPaths, opts); errs[w] != nil {
				cancel()
				for range next {
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.segmentsDone != nil {
		opts.segmentsDone()
	}
	defer func() {
		for _, p := range segPaths {
			os.Remove(p)
		}
	}()
	return merge(segPaths, out, tmpDir, opts.positions)
}

// buildBatches builds the batches it receives from next into segments.
func buildBatches(next <-chan int, src source, segPaths []string, opts buildOptions) error {
	if opts.maxWords <= 0 {
		opts.maxWords = maxWords
	}
	b := newSegBuilder(opts.maxWords, opts.positions)
	read := src.reader()
	for i := range next {
		lo, hi := i*opts.batch, min((i+1)*opts.batch, src.len())
		b.base = uint32(lo)
		for id := lo; id < hi; id++ {
			d, err := read(id)
			if err != nil {
				return err
			}
			b.add(uint32(id), d)
		}
		if err := b.write(segPaths[i]); err != nil {
			return err
		}
	}
	return nil
}

// readInto reads a file into buf's storage.
func readInto(buf []byte, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
