package store

import (
	"os"
	"syscall"
)

// identify returns the device, inode and change time of the file of info.
func identify(info os.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino), ctime: st.Ctim.Nano()}, true
}
