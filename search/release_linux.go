//go:build linux

package search

import "syscall"

// releaseMapped gives back the resident pages of data, a read-only shared
// map of a file: they stay in the kernel's page cache, and a later read
// maps them again without touching the disk. Reading a segment file
// through its map otherwise leaves every page read resident in the
// process for as long as the file is open, and the kernel maps whole
// large folios (up to 512 KB seen) around each page read.
func releaseMapped(data []byte) {
	if len(data) > 0 {
		_ = syscall.Madvise(data, syscall.MADV_DONTNEED) // only advice: nothing to do if refused
	}
}
