package search

import (
	"context"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// A process that searches for long (the bot) would otherwise end up with
// the whole index and much of the database resident: both are read
// through memory maps, every page read stays mapped, and the kernel maps
// whole large folios (up to 512 KB) around each read, so 1,000 queries of
// 50,000 articles left 446 MB resident (319 MB once the index held no term
// positions), almost all of it pages of the two files. Those pages are the kernel's page cache, which it may reclaim,
// but they count as the process's memory. A search that finds more than
// Options.MappedMemory of files resident gives them back: the next
// searches map again, from the page cache, what they read.

// releaseIfOver gives back the pages of the index's and the database's
// files when the process holds more than ix.opts.MappedMemory of files
// resident. It does so in the background (1–2 ms at 50,000 articles,
// mostly the database's), one release at a time, so that no search waits
// for it; but past twice the bound (a busy machine did not run the
// background release in time: 216 MB seen), the search waits for one.
func (ix *Index) releaseIfOver() {
	if ix.opts.MappedMemory < 0 {
		return
	}
	resident := residentFiles()
	switch {
	case resident <= ix.opts.MappedMemory:
	case resident > 2*ix.opts.MappedMemory:
		ix.release()
	case ix.releasing.CompareAndSwap(false, true):
		go func() {
			defer ix.releasing.Store(false)
			ix.release()
		}()
	}
}

// release gives back the resident pages of the index's segment files and
// of the database. The index's snapshot keeps its files open meanwhile,
// and holding ix.mu keeps Close from closing the index, and so its caller
// from closing the database, until it is done.
func (ix *Index) release() {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.bi == nil {
		return // closed
	}
	if r, ok := ix.st.(memoryReleaser); ok {
		if err := r.ReleaseMemory(context.Background()); err != nil {
			ix.opts.Logger.Debug("release the database's mapped memory", "error", err)
		}
	}
	adv, err := ix.bi.Advanced()
	if err != nil {
		return
	}
	r, err := adv.Reader()
	if err != nil {
		return
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return
	}
	for _, s := range snap.Segments() {
		if m, ok := s.Segment().(mappedData); ok {
			releaseMapped(m.Data())
		}
	}
}
