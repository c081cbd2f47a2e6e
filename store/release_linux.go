//go:build linux

package store

import (
	"context"
	"fmt"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// ReleaseMemory gives back the pages of the database file that reading has
// mapped into the process: bbolt reads through a memory map, and every page
// read stays resident in the process until the map is dropped, so reading
// all articles (rebuilding the search index) would otherwise grow the
// process by the size of the file. The pages stay in the kernel's page
// cache; a later read maps them again without touching the disk.
//
// It runs inside a read transaction, which keeps bbolt from moving the map
// meanwhile (it remaps only when no transaction is open).
func (db *DB) ReleaseMemory(ctx context.Context) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		size := uintptr(tx.Size())
		if size == 0 {
			return nil
		}
		// The map is read-only and shared: MADV_DONTNEED only drops this
		// process's page table entries.
		_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, db.bolt.Info().Data, size, syscall.MADV_DONTNEED)
		if errno != 0 {
			return fmt.Errorf("release the database's mapped pages: %w", errno)
		}
		return nil
	})
}
