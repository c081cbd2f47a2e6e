//go:build linux

package search

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

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

// residentFiles returns how much of the files the process maps is
// resident (the shared pages of /proc/self/statm: its binary's, its
// libraries', the database's and the index's), or -1 when unknown.
func residentFiles() int64 {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return -1
	}
	defer f.Close()
	var buf [128]byte
	n, _ := f.Read(buf[:])
	// size resident shared text lib data dt, in pages
	fields := strings.Fields(string(buf[:n]))
	if len(fields) < 3 {
		return -1
	}
	pages, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}
