package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Open reads every page of the file in use before bbolt is given it
// (validateFile): a quarter of a second for a 230 MB file. A file that has
// not changed since it last passed that walk need not be walked again.
// After a walk finds the file sound, Open records the file's fingerprint
// in a small file beside it (FILE.checked); the next Open skips the walk
// when the file still has that fingerprint. The cheap checks (the header
// pages, the file's size against the pages in use) run every time.
//
// Why a matching fingerprint proves the file unchanged: any write to a
// file, by any process, sets its change time (ctime) to the current time,
// and no program can set it back. The fingerprint is only recorded when
// the file's last change is settleTime in the past, more than the
// filesystem's timestamp granularity and the lag of the kernel's coarse
// clock, so a later write cannot share the recorded change time. The
// fingerprint is taken before the walk reads anything, so a write during
// the walk changes it too. Copying, restoring or renaming another file
// into place changes the device and inode numbers; truncating or growing
// it changes the size; bbolt's own commits change the header pages as
// well. The fingerprint file carries a checksum and is replaced by a
// rename while the database is locked, so a torn, stale or foreign one
// only costs a walk.
//
// What it does not see: damage below the filesystem (a disk returning
// other bytes than were written), and writes through a shared memory map
// to pages already dirty. `digestbot check-db` (Options.FullCheck) always
// walks.

// settleTime is how long ago a file must last have changed for its
// fingerprint to be recorded.
const settleTime = 3 * time.Second

// checkedSuffix names the fingerprint file beside the database.
const checkedSuffix = ".checked"

// fingerprint is what identifies the content of a database file without
// reading it all.
type fingerprint struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64  // nanoseconds since 1970
	pageSize     uint32 // of the header chosen, 0 when unknown
	metas        uint64 // FNV-1a of both header pages as they are on disk
}

// fingerprintMagic starts a fingerprint file; its last byte is the format
// version.
var fingerprintMagic = [8]byte{'d', 'b', 'c', 'h', 'e', 'c', 'k', 1}

// fingerprintLen is the size of a fingerprint file: the magic, seven
// numbers and a checksum.
const fingerprintLen = 8 + 7*8 + 8

// encode returns the fingerprint file's content.
func (fp fingerprint) encode() []byte {
	b := make([]byte, 0, fingerprintLen)
	b = append(b, fingerprintMagic[:]...)
	for _, v := range []uint64{fp.dev, fp.ino, uint64(fp.size), uint64(fp.mtime), uint64(fp.ctime), uint64(fp.pageSize), fp.metas} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	h := fnv.New64a()
	h.Write(b)
	return binary.LittleEndian.AppendUint64(b, h.Sum64())
}

var errBadFingerprint = errors.New("not a fingerprint file")

// parseFingerprint decodes a fingerprint file's content.
func parseFingerprint(b []byte) (fingerprint, error) {
	if len(b) != fingerprintLen || !bytes.Equal(b[:8], fingerprintMagic[:]) {
		return fingerprint{}, errBadFingerprint
	}
	h := fnv.New64a()
	h.Write(b[:fingerprintLen-8])
	if h.Sum64() != binary.LittleEndian.Uint64(b[fingerprintLen-8:]) {
		return fingerprint{}, errBadFingerprint
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8+8*i:]) }
	if u(5) > 1<<24 {
		return fingerprint{}, errBadFingerprint
	}
	return fingerprint{dev: u(0), ino: u(1), size: int64(u(2)), mtime: int64(u(3)), ctime: int64(u(4)),
		pageSize: uint32(u(5)), metas: u(6)}, nil
}

// takeFingerprint fingerprints the file f of the given stat info and
// page size. ok is false where the system does not tell a file's
// identity and change time: there, every Open walks.
func takeFingerprint(f io.ReaderAt, info os.FileInfo, pageSize uint32) (fp fingerprint, ok bool) {
	id, ok := identify(info)
	if !ok || pageSize == 0 {
		return fp, false
	}
	fp = fingerprint{dev: id.dev, ino: id.ino, size: info.Size(), mtime: info.ModTime().UnixNano(),
		ctime: id.ctime, pageSize: pageSize}
	h := fnv.New64a()
	buf := make([]byte, pageHeaderSize+metaLen)
	for _, off := range []int64{0, int64(pageSize)} {
		if _, err := f.ReadAt(buf, off); err != nil {
			return fp, false
		}
		h.Write(buf)
	}
	fp.metas = h.Sum64()
	return fp, true
}

// fileID is what the system tells of a file beyond os.FileInfo.
type fileID struct {
	dev, ino uint64
	ctime    int64 // nanoseconds since 1970
}

// settled says whether the file fingerprinted last changed long enough
// before now that no later write can leave its fingerprint as it is.
func (fp fingerprint) settled(now time.Time) bool {
	return fp.ctime <= now.Add(-settleTime).UnixNano()
}

// checkedPath is the fingerprint file of the database at path.
func checkedPath(path string) string { return path + checkedSuffix }

// loadFingerprint reads the fingerprint recorded for the database at
// path; ok is false when there is none that can be read.
func loadFingerprint(path string) (fp fingerprint, ok bool) {
	f, err := os.Open(checkedPath(path))
	if err != nil {
		return fp, false
	}
	defer f.Close()
	buf := make([]byte, fingerprintLen+1)
	n, err := io.ReadFull(f, buf)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		return fp, false // empty, unreadable or too long
	}
	fp, err = parseFingerprint(buf[:n])
	return fp, err == nil
}

// saveFingerprint records fp for the database at path, which the caller
// holds locked: written to a new temporary file (readers holding the
// shared lock may record the same fingerprint at once), then renamed over
// the last. It is a cache: failing to write it (a read-only folder) only
// means the next Open walks again, so errors are returned for tests, not
// reported.
func saveFingerprint(path string, fp fingerprint) error {
	final := checkedPath(path)
	f, err := os.CreateTemp(filepath.Dir(final), filepath.Base(final)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(fp.encode())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), final)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
