package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/util"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v17"
)

// How a rebuild merges its segment files. Each batch of articles becomes a
// segment file; whenever buildFanIn files of one size class are written,
// they are merged into one of the next (250 articles, then 4,000, then
// 64,000). No merge makes a segment of over buildSegmentDocs articles:
// the memory a merge takes grows with the segment it writes (the postings
// of its most frequent words), so a large index is several segments of at
// most that size rather than one, and loading 200,000 articles takes the
// memory of loading 64,000. A search then reads each segment; at 64,000
// articles a segment, that is one to four for the corpora digestbot is for.
const (
	buildFanIn       = 16
	buildSegmentDocs = 64_000
)

// releaseInterval is how often a merge gives back the pages of its input
// files it has read (see releaseMapped): a merge reads each input once, in
// order, so pages behind it are not needed again, yet they would stay
// resident, and the final merge of a large index reads all of it. Every
// 100 ms still let the merges of 200,000 articles hold 150 MB at a time.
const releaseInterval = 25 * time.Millisecond

// mergePolicy is how a rebuild merges its segment files.
type mergePolicy struct {
	fanIn   int // files of one size class merged at once
	maxDocs int // most articles in a segment a merge makes
}

var defaultMergePolicy = mergePolicy{fanIn: buildFanIn, maxDocs: buildSegmentDocs}

// builtSegment is a segment file a rebuild has written.
type builtSegment struct {
	path  string
	docs  int
	level int // size class: 0 for a batch, +1 per merge; final when -1
}

const finalLevel = -1

// segmentBuild writes the segment files of a new index in a scratch
// folder, merging them as it goes (see buildFanIn).
type segmentBuild struct {
	dir    string // scratch folder
	plugin *zap.ZapPlugin
	segs   []builtSegment
	next   atomic.Int64 // number of the last file
	policy mergePolicy
}

func newSegmentBuild(dir string, policy mergePolicy) (*segmentBuild, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &segmentBuild{dir: dir, plugin: &zap.ZapPlugin{}, policy: policy}, nil
}

func (b *segmentBuild) newPath() string {
	return filepath.Join(b.dir, fmt.Sprintf("%06d.zap", b.next.Add(1)))
}

// write writes docs (analysed, with their _id field) as a segment file.
// It may be called from several goroutines at once.
func (b *segmentBuild) write(docs []index.Document) (builtSegment, error) {
	seg, _, err := b.plugin.New(docs)
	if err != nil {
		return builtSegment{}, fmt.Errorf("build segment: %w", err)
	}
	path := b.newPath()
	up, ok := seg.(segment.UnpersistedSegment)
	if !ok {
		return builtSegment{}, fmt.Errorf("build segment: %T cannot be written", seg)
	}
	err = up.Persist(path)
	if cerr := seg.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return builtSegment{}, fmt.Errorf("write segment %s: %w", path, err)
	}
	return builtSegment{path: path, docs: len(docs)}, nil
}

// insert adds a segment file written by write, then merges what is due.
func (b *segmentBuild) insert(ctx context.Context, seg builtSegment) error {
	b.segs = append(b.segs, seg)
	for {
		group := b.policy.due(b.segs)
		if group == nil {
			return nil
		}
		if err := b.mergeGroup(ctx, group); err != nil {
			return err
		}
	}
}

// due returns the indexes in segs of the segments to merge next, or nil.
// At each size class from the smallest, the first files whose articles
// fit in p.maxDocs are merged when they are p.fanIn files, or fewer when
// the next file would not fit; a file that fits with no other is final
// (due marks it so).
func (p mergePolicy) due(segs []builtSegment) []int {
	for level := 0; ; level++ {
		var at []int
		for i, s := range segs {
			if s.level == level {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			if slices.ContainsFunc(segs, func(s builtSegment) bool { return s.level > level }) {
				continue
			}
			return nil
		}
		n, docs := 0, 0
		for _, i := range at {
			if docs+segs[i].docs > p.maxDocs {
				break
			}
			n, docs = n+1, docs+segs[i].docs
		}
		switch {
		case n >= p.fanIn:
			return at[:p.fanIn]
		case n == len(at):
			// Room for more files of this class yet.
		case n >= 2:
			return at[:n]
		default:
			segs[at[0]].level = finalLevel
			return p.due(segs)
		}
	}
}

// mergeGroup merges the segments b.segs[group...] into one of the next
// size class, in place of the first.
func (b *segmentBuild) mergeGroup(ctx context.Context, group []int) error {
	in := make([]builtSegment, len(group))
	for k, i := range group {
		in[k] = b.segs[i]
	}
	out, err := b.merge(ctx, in)
	if err != nil {
		return err
	}
	out.level = in[0].level + 1
	b.segs[group[0]] = out
	for k := len(group) - 1; k >= 1; k-- {
		b.segs = slices.Delete(b.segs, group[k], group[k]+1)
	}
	return nil
}

// finish merges what is left of the smaller segments, as few merges as
// keep each segment within the policy's maxDocs, and returns the index's
// segments.
func (b *segmentBuild) finish(ctx context.Context) ([]builtSegment, error) {
	var final []builtSegment
	for _, group := range b.policy.finalGroups(b.segs) {
		if len(group) == 1 {
			final = append(final, group[0])
			continue
		}
		out, err := b.merge(ctx, group)
		if err != nil {
			return nil, err
		}
		final = append(final, out)
	}
	b.segs = final
	return final, nil
}

// finalGroups groups segs into the index's final segments: each final one
// alone, and the others, smallest first, as few groups as keep each
// within p.maxDocs.
func (p mergePolicy) finalGroups(segs []builtSegment) [][]builtSegment {
	var groups [][]builtSegment
	var rest []builtSegment
	for _, s := range segs {
		if s.level == finalLevel {
			groups = append(groups, []builtSegment{s})
		} else {
			rest = append(rest, s)
		}
	}
	slices.SortStableFunc(rest, func(x, y builtSegment) int { return x.docs - y.docs })
	for len(rest) > 0 {
		n, docs := 1, rest[0].docs
		for n < len(rest) && docs+rest[n].docs <= p.maxDocs {
			n, docs = n+1, docs+rest[n].docs
		}
		groups = append(groups, rest[:n:n])
		rest = rest[n:]
	}
	return groups
}

// merge merges the segment files in into a new one and removes them.
func (b *segmentBuild) merge(ctx context.Context, in []builtSegment) (builtSegment, error) {
	out := builtSegment{path: b.newPath()}
	segs := make([]segment.Segment, 0, len(in))
	defer func() {
		for _, s := range segs {
			_ = s.Close()
		}
	}()
	for _, s := range in {
		seg, err := b.plugin.Open(s.path)
		if err != nil {
			return out, fmt.Errorf("open segment %s: %w", s.path, err)
		}
		segs = append(segs, seg)
		out.docs += s.docs
	}
	stop := releaseWhileMerging(segs)
	cancelled := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			close(cancelled)
		case <-finished:
		}
	}()
	_, _, err := b.plugin.Merge(segs, make([]*roaring.Bitmap, len(segs)), out.path, cancelled, nil)
	close(finished)
	stop()
	if err != nil {
		if errors.Is(err, segment.ErrClosed) && ctx.Err() != nil {
			return out, ctx.Err()
		}
		return out, fmt.Errorf("merge %d segments into %s: %w", len(segs), out.path, err)
	}
	for _, s := range segs {
		_ = s.Close()
	}
	segs = nil
	for _, s := range in {
		if err := os.Remove(s.path); err != nil {
			return out, fmt.Errorf("remove merged segment: %w", err)
		}
	}
	return out, nil
}

// mappedData is a segment read through a memory map (*zap.Segment).
type mappedData interface{ Data() []byte }

// releaseWhileMerging gives back the pages of segs' files every
// releaseInterval until the returned stop is called. segs must stay open
// until then.
func releaseWhileMerging(segs []segment.Segment) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(releaseInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, s := range segs {
					if m, ok := s.(mappedData); ok {
						releaseMapped(m.Data())
					}
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// install moves segs into storeDir as an index's segment files, numbered
// from 1, and writes the root.bolt that makes them scorch's index, with
// the internal values: what scorch's offline builder writes for its one
// segment, for several.
func (b *segmentBuild) install(storeDir string, segs []builtSegment, internal map[string][]byte) error {
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return err
	}
	names := make([]string, len(segs))
	for i, s := range segs {
		// scorch's file name for segment i+1: its next segments are
		// numbered after the highest on disk.
		names[i] = fmt.Sprintf("%012x.zap", i+1)
		if err := os.Rename(s.path, filepath.Join(storeDir, names[i])); err != nil {
			return fmt.Errorf("move segment into place: %w", err)
		}
	}
	if err := syncDir(storeDir); err != nil {
		return err
	}
	if err := os.RemoveAll(b.dir); err != nil {
		return fmt.Errorf("remove %s: %w", b.dir, err)
	}
	return writeRoot(storeDir, names, b.plugin, internal)
}

// writeRoot writes storeDir/root.bolt: one snapshot (epoch len(names)+1)
// of the segment files names, numbered from 1, with the internal values,
// laid out as scorch's persister lays out its snapshots.
func writeRoot(storeDir string, names []string, plugin segmentPlugin, internal map[string][]byte) error {
	rootPath := filepath.Join(storeDir, "root.bolt")
	root, err := util.OpenBolt(rootPath, 0o600, nil)
	if err != nil {
		return fmt.Errorf("create %s: %w", rootPath, err)
	}
	writer, err := util.NewFileWriter([]byte(rootPath))
	if err != nil {
		_ = root.Close()
		return err
	}
	err = root.Update(func(tx *util.BoltTxImpl) error {
		snapshots, err := tx.CreateBucketIfNotExists(util.BoltSnapshotsBucket)
		if err != nil {
			return err
		}
		snap, err := snapshots.CreateBucketIfNotExists(ascendingUvarint(uint64(len(names) + 1)))
		if err != nil {
			return err
		}
		meta, err := snap.CreateBucketIfNotExists(util.BoltMetaDataKey)
		if err != nil {
			return err
		}
		version := []byte{0, 0, 0, 0}
		putUint32(version, plugin.Version())
		stamp, _ := time.Now().MarshalText() // a time: cannot fail
		for _, kv := range [][2][]byte{
			{util.BoltMetaDataSegmentTypeKey, []byte(plugin.Type())},
			{util.BoltMetaDataSegmentVersionKey, version},
			{util.BoltMetaDataFileWriterIDKey, []byte(writer.Id())},
			{util.BoltMetaDataTimeStamp, stamp},
		} {
			if err := meta.Put(kv[0], kv[1], writer); err != nil {
				return err
			}
		}
		in, err := snap.CreateBucketIfNotExists(util.BoltInternalKey)
		if err != nil {
			return err
		}
		for k, v := range internal {
			if err := in.Put([]byte(k), v, writer); err != nil {
				return err
			}
		}
		for i, name := range names {
			sb, err := snap.CreateBucketIfNotExists(ascendingUvarint(uint64(i + 1)))
			if err != nil {
				return err
			}
			if err := sb.Put(util.BoltPathKey, []byte(name), writer); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := root.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", rootPath, err)
	}
	return nil
}

// segmentPlugin names a segment format (zap and its version).
type segmentPlugin interface {
	Type() string
	Version() uint32
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// ascendingUvarint encodes v as scorch numbers its snapshots and segments
// in root.bolt (an order-preserving varint: a length tag, then big-endian
// bytes).
func ascendingUvarint(v uint64) []byte {
	const zero, small = 136, 109 // the tag of 0; the largest value in the tag alone
	if v <= small {
		return []byte{zero + byte(v)}
	}
	var be []byte
	for x := v; x > 0; x >>= 8 {
		be = append([]byte{byte(x)}, be...)
	}
	return append([]byte{byte(zero + small + len(be))}, be...)
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
