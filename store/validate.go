package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
)

// bbolt trusts the pages of its file: a file cut short or with damaged
// pages makes it index out of range, read past the end of its memory map
// (a fault that kills the process) or recurse forever. validateFile reads
// the file's structure as bbolt would use it, with every offset checked,
// before bbolt sees the file. The layout below is bbolt's file format
// (go.etcd.io/bbolt/internal/common), unchanged since boltdb.
const (
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	elementSize     = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeaderLen = 16 // root pgid u64, sequence u64

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	leafIsBucket = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)
	// metaLen is the meta's size up to and including its checksum.
	metaLen = 64
	// maxDepth bounds the nesting of pages and buckets: a damaged page
	// pointing back up the tree must not make anyone recurse forever.
	maxDepth = 128
)

// ErrDamaged marks a database file that cannot be used as it is.
var ErrDamaged = errors.New("database file is damaged")

// DamageError says what is wrong with a database file and what to do.
type DamageError struct {
	Path    string
	Problem string // what is wrong, e.g. "it is cut short: …"
	Advice  string // what to do
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("database %s is damaged: %s; %s", quoteName(e.Path), e.Problem, e.Advice)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

const (
	adviceRestore = "restore it from a backup (digestbot backup FILE makes one), or move it away to start a new database"
	adviceCheck   = "run digestbot check-db for the rest, and restore it from a backup (digestbot backup FILE makes one)"
)

// meta is one of the two header pages.
type meta struct {
	pageSize uint32
	root     uint64 // page of the root bucket
	freelist uint64
	hwm      uint64 // pages in use: the file must hold them all
	txid     uint64
}

// parseMeta decodes the meta in the page starting at buf, or says why it
// cannot be used. hasMagic tells a damaged header from a foreign file.
func parseMeta(buf []byte) (m meta, hasMagic bool, err error) {
	if len(buf) < pageHeaderSize+metaLen {
		return m, false, errors.New("too short")
	}
	b := buf[pageHeaderSize : pageHeaderSize+metaLen]
	le := binary.NativeEndian
	if le.Uint32(b[0:]) != boltMagic {
		return m, false, errors.New("no bbolt header")
	}
	if v := le.Uint32(b[4:]); v != boltVersion {
		return m, true, fmt.Errorf("bbolt format version %d", v)
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if h.Sum64() != le.Uint64(b[56:]) {
		return m, true, errors.New("checksum mismatch")
	}
	m = meta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]), freelist: le.Uint64(b[32:]), hwm: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < 1024 || m.pageSize > 1<<24 || bits.OnesCount32(m.pageSize) != 1 {
		return m, true, fmt.Errorf("page size %d", m.pageSize)
	}
	return m, true, nil
}

// validateFile checks the bbolt file f of size bytes, named path. It
// returns nil, a *DamageError, or ErrSchemaUnknown for a file that is not
// a bbolt file at all.
func validateFile(f io.ReaderAt, size int64, path string) error {
	m, err := checkHeader(f, size, path)
	if err != nil {
		return err
	}
	return walkFile(f, m, path)
}

// damaged is the *DamageError for a file whose structure is wrong.
func damaged(path, format string, args ...any) error {
	return &DamageError{Path: path, Problem: fmt.Sprintf(format, args...), Advice: adviceRestore}
}

// checkHeader makes the cheap checks of the bbolt file f of size bytes:
// its header pages, and that it holds every page they count. It returns
// the header bbolt would use.
func checkHeader(f io.ReaderAt, size int64, path string) (meta, error) {
	if size == 0 {
		return meta{}, &DamageError{Path: path, Problem: "it is empty (0 bytes)",
			Advice: "remove it to start a new database, or restore it from a backup"}
	}
	if size < pageHeaderSize+metaLen {
		return meta{}, damaged(path, "it is cut short: %d bytes, too few for a database", size)
	}
	m, foreign, err := chooseMeta(f, size)
	if foreign {
		return meta{}, fmt.Errorf("database %s: %w (it has no bbolt header)", quoteName(path), ErrSchemaUnknown)
	}
	if err != nil {
		return meta{}, damaged(path, "%v", err)
	}
	ps := int64(m.pageSize)
	if m.hwm < 4 || m.hwm > uint64(size)/uint64(ps) {
		if m.hwm >= 4 && m.hwm < 1<<40 {
			return meta{}, damaged(path, "it is cut short: %d bytes, but its pages reach %d", size, int64(m.hwm)*ps)
		}
		return meta{}, damaged(path, "its header counts %d pages", m.hwm)
	}
	return m, nil
}

// walkVersion names what walkFile checks. Raise it when the walk learns
// to find more damage: fingerprints recorded after an older walk then no
// longer match, and every file is walked again once.
const walkVersion = 1

// walkFile reads every page in use of the file f, whose header m passed
// checkHeader, from the root bucket and the free page list down.
func walkFile(f io.ReaderAt, m meta, path string) error {
	w := &walker{f: f, pageSize: int64(m.pageSize), hwm: m.hwm, seen: make([]uint64, (m.hwm+63)/64)}
	w.mark(0, 0)
	w.mark(1, 0)
	if err := w.freelist(m.freelist); err != nil {
		return damaged(path, "%v", err)
	}
	if m.root == 0 {
		return damaged(path, "its root bucket is missing")
	}
	if err := w.tree(m.root, 0, nil, nil, false); err != nil {
		return damaged(path, "%v", err)
	}
	for _, id := range w.free {
		if w.isSeen(id) {
			return damaged(path, "page %d is both free and in use", id)
		}
	}
	return nil
}

// chooseMeta reads both header pages and picks the one bbolt would use:
// the newer, or the other when the newer is damaged. foreign is true when
// neither page looks like a bbolt header at all.
func chooseMeta(f io.ReaderAt, size int64) (m meta, foreign bool, err error) {
	buf := make([]byte, pageHeaderSize+metaLen)
	read := func(off int64) (meta, bool, error) {
		if off+int64(len(buf)) > size {
			return meta{}, false, errors.New("beyond the end")
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			return meta{}, false, err
		}
		return parseMeta(buf)
	}
	m0, magic0, err0 := read(0)
	// The second header is one page in; the first, when sound, says how
	// long a page is. Otherwise try every page size bbolt may use.
	sizes := []int64{int64(m0.pageSize)}
	if err0 != nil {
		sizes = sizes[:0]
		for s := int64(1024); s <= 1<<24; s *= 2 {
			sizes = append(sizes, s)
		}
	}
	var m1 meta
	var magic1 bool
	err1 := errors.New("missing")
	for _, s := range sizes {
		var mg bool
		m1, mg, err1 = read(s)
		magic1 = magic1 || mg
		if err1 == nil && int64(m1.pageSize) != s {
			err1 = fmt.Errorf("the header %d bytes in says pages are %d bytes", s, m1.pageSize)
			continue
		}
		if err1 == nil && (err0 != nil || m1.pageSize == m0.pageSize) {
			break
		}
		if err1 == nil {
			err1 = fmt.Errorf("page size %d differs from the first header's %d", m1.pageSize, m0.pageSize)
		}
	}
	switch {
	case err0 != nil && err1 != nil:
		if !magic0 && !magic1 {
			return m, true, nil
		}
		return m, false, fmt.Errorf("both of its header pages are damaged (%v; %v)", err0, err1)
	case err0 != nil:
		return m1, false, nil
	case err1 != nil:
		return m0, false, nil
	case m1.txid > m0.txid:
		return m1, false, nil
	}
	return m0, false, nil
}

// walker visits the pages in use, each at most once.
type walker struct {
	f        io.ReaderAt
	pageSize int64
	hwm      uint64
	seen     []uint64 // a bit per page
	free     []uint64
}

func (w *walker) isSeen(id uint64) bool { return w.seen[id/64]&(1<<(id%64)) != 0 }

// mark records pages id … id+overflow as used, or says which one already
// was.
func (w *walker) mark(id uint64, overflow uint32) error {
	for p := id; p <= id+uint64(overflow); p++ {
		if w.isSeen(p) {
			return fmt.Errorf("page %d is used twice", p)
		}
		w.seen[p/64] |= 1 << (p % 64)
	}
	return nil
}

// page reads page id with its overflow pages, checking it lies within the
// pages in use and names itself.
func (w *walker) page(id uint64, what string) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("%s points at page %d, outside the %d pages in use", what, id, w.hwm)
	}
	buf := make([]byte, w.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id)*w.pageSize); err != nil {
		return nil, fmt.Errorf("read page %d: %v", id, err)
	}
	le := binary.NativeEndian
	if got := le.Uint64(buf[0:]); got != id {
		return nil, fmt.Errorf("page %d calls itself page %d", id, got)
	}
	overflow := le.Uint32(buf[12:])
	if uint64(overflow) >= w.hwm-id {
		return nil, fmt.Errorf("page %d runs past the %d pages in use", id, w.hwm)
	}
	if err := w.mark(id, overflow); err != nil {
		return nil, err
	}
	if overflow > 0 {
		buf = append(buf, make([]byte, int64(overflow)*w.pageSize)...)
		if _, err := w.f.ReadAt(buf[w.pageSize:], (int64(id)+1)*w.pageSize); err != nil {
			return nil, fmt.Errorf("read page %d: %v", id, err)
		}
	}
	return buf, nil
}

// freelist checks the list of free pages and keeps it for the final
// check that none of them is in use.
func (w *walker) freelist(id uint64) error {
	if id == noFreelist {
		return nil
	}
	buf, err := w.page(id, "the free page list")
	if err != nil {
		return err
	}
	le := binary.NativeEndian
	if flags := le.Uint16(buf[8:]); flags != flagFreelist {
		return fmt.Errorf("the free page list (page %d) has page type %#x", id, flags)
	}
	start, count := uint64(pageHeaderSize), uint64(le.Uint16(buf[10:]))
	if count == 0xFFFF {
		if len(buf) < pageHeaderSize+8 {
			return fmt.Errorf("the free page list (page %d) is cut short", id)
		}
		count, start = le.Uint64(buf[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(buf))-start)/8 {
		return fmt.Errorf("the free page list (page %d) claims %d entries", id, count)
	}
	seen := make(map[uint64]bool, count)
	for i := range count {
		p := le.Uint64(buf[start+8*i:])
		switch {
		case p < 2 || p >= w.hwm:
			return fmt.Errorf("the free page list names page %d, outside the %d pages in use", p, w.hwm)
		case seen[p]:
			return fmt.Errorf("the free page list names page %d twice", p)
		}
		seen[p] = true
		w.free = append(w.free, p)
	}
	return nil
}

// tree checks the pages of one bucket from its root page down, and the
// buckets within it. Every key of the page must lie in [lo, hi) (nil:
// open), and the first must be lo itself when first is set: bbolt finds a
// page's entry in its parent by that key, and a page its parent names by
// another key would be kept and freed at once by the next write, which
// then spreads the damage.
func (w *walker) tree(id uint64, depth int, lo, hi []byte, first bool) error {
	if depth > maxDepth {
		return fmt.Errorf("page %d is nested %d deep: the pages form a loop", id, depth)
	}
	buf, err := w.page(id, "a bucket")
	if err != nil {
		return err
	}
	flags := binary.NativeEndian.Uint16(buf[8:])
	if flags != flagBranch && flags != flagLeaf {
		return fmt.Errorf("page %d has page type %#x where a bucket's page belongs", id, flags)
	}
	name := fmt.Sprintf("page %d", id)
	els, err := elements(buf, name, flags == flagBranch)
	if err != nil {
		return err
	}
	if first && len(els) == 0 {
		return fmt.Errorf("page %d is empty, yet its parent names it by a key", id)
	}
	if err := ordered(els, name, lo, hi, first); err != nil {
		return err
	}
	if flags == flagLeaf {
		return w.buckets(els, name, depth)
	}
	if len(els) == 0 {
		return fmt.Errorf("page %d is an empty branch", id)
	}
	for i, e := range els {
		next := hi
		if i+1 < len(els) {
			next = els[i+1].key
		}
		if err := w.tree(e.child, depth+1, e.key, next, true); err != nil {
			return err
		}
	}
	return nil
}

// element is one entry of a page.
type element struct {
	key, value []byte
	child      uint64 // branch: the page below
	bucket     bool   // leaf: the value is a bucket
}

// elements decodes the entries of a branch or leaf page (or an inline
// bucket's page), checking each lies within it.
func elements(buf []byte, name string, branch bool) ([]element, error) {
	le := binary.NativeEndian
	count := int(le.Uint16(buf[10:]))
	if pageHeaderSize+count*elementSize > len(buf) {
		return nil, fmt.Errorf("%s claims %d entries, more than fit", name, count)
	}
	els := make([]element, count)
	for i := range els {
		at := pageHeaderSize + i*elementSize
		var pos, ksize, vsize uint32
		if branch {
			pos, ksize = le.Uint32(buf[at:]), le.Uint32(buf[at+4:])
			els[i].child = le.Uint64(buf[at+8:])
		} else {
			els[i].bucket = le.Uint32(buf[at:])&leafIsBucket != 0
			pos, ksize, vsize = le.Uint32(buf[at+4:]), le.Uint32(buf[at+8:]), le.Uint32(buf[at+12:])
		}
		kstart := uint64(at) + uint64(pos)
		end := kstart + uint64(ksize) + uint64(vsize)
		if end > uint64(len(buf)) {
			return nil, fmt.Errorf("%s: entry %d lies outside the page", name, i)
		}
		els[i].key = buf[kstart : kstart+uint64(ksize)]
		els[i].value = buf[kstart+uint64(ksize) : end]
	}
	return els, nil
}

// ordered checks that the keys of a page ascend within [lo, hi), the
// first being lo when first is set.
func ordered(els []element, name string, lo, hi []byte, first bool) error {
	for i, e := range els {
		switch {
		case len(e.key) == 0:
			return fmt.Errorf("%s: entry %d has an empty key", name, i)
		case i == 0 && first && !bytes.Equal(e.key, lo):
			return fmt.Errorf("%s does not start with the key its parent gives it", name)
		case i > 0 && bytes.Compare(els[i-1].key, e.key) >= 0:
			return fmt.Errorf("%s: keys out of order at entry %d", name, i)
		case lo != nil && bytes.Compare(e.key, lo) < 0, hi != nil && bytes.Compare(e.key, hi) >= 0:
			return fmt.Errorf("%s: entry %d lies outside its parent's key range", name, i)
		}
	}
	return nil
}

// buckets checks the buckets held in a leaf page's entries: their own
// pages, or their page stored inline in the value.
func (w *walker) buckets(els []element, name string, depth int) error {
	for i, e := range els {
		if !e.bucket {
			continue
		}
		if len(e.value) < bucketHeaderLen {
			return fmt.Errorf("%s: bucket entry %d is cut short", name, i)
		}
		if root := binary.NativeEndian.Uint64(e.value); root != 0 {
			if err := w.tree(root, depth+1, nil, nil, false); err != nil {
				return err
			}
			continue
		}
		inline := e.value[bucketHeaderLen:]
		iname := fmt.Sprintf("%s, inline bucket %d", name, i)
		if len(inline) < pageHeaderSize {
			return fmt.Errorf("%s is cut short", iname)
		}
		if f := binary.NativeEndian.Uint16(inline[8:]); f != flagLeaf {
			return fmt.Errorf("%s has page type %#x", iname, f)
		}
		if depth+1 > maxDepth {
			return fmt.Errorf("%s: buckets nested %d deep", iname, depth+1)
		}
		els, err := elements(inline, iname, false)
		if err == nil {
			err = ordered(els, iname, nil, nil, false)
		}
		if err == nil {
			err = w.buckets(els, iname, depth+1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
