package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// residentByFile sums the resident memory (Rss in /proc/self/smaps) of the
// process's mappings by what they map: each file by its name (segment
// files under their folder's name), and "[anon]" for the rest (heap,
// stacks). It shows what a peak RSS is made of.
func residentByFile() map[string]uint64 {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[string]uint64{}
	name := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if strings.HasSuffix(fields[0], ":") {
			if fields[0] == "Rss:" && len(fields) >= 2 {
				kb, _ := strconv.ParseUint(fields[1], 10, 64)
				out[name] += kb << 10
			}
			continue
		}
		// A mapping's header: address perms offset dev inode [path].
		name = "[anon]"
		if len(fields) >= 6 {
			name = mappedName(fields[5])
		}
	}
	return out
}

// mappedName shortens a mapped file's path: a segment file becomes
// "DIR/*.zap", so that an index's segments add up to one line.
func mappedName(path string) string {
	if !strings.HasPrefix(path, "/") {
		return path
	}
	if filepath.Ext(path) == ".zap" {
		return filepath.Base(filepath.Dir(filepath.Dir(path))) + "/" + filepath.Base(filepath.Dir(path)) + "/*.zap"
	}
	return filepath.Base(path)
}

// printResident writes residentByFile to w, largest first, those of at
// least 1 MB.
func printResident(w io.Writer, when string) { printSizes(w, "resident "+when, residentByFile()) }

// printSizes writes sizes by name, largest first, those of at least 1 MB.
func printSizes(w io.Writer, what string, m map[string]uint64) {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]] > m[names[j]] })
	fmt.Fprintf(w, "%s:", what)
	for _, n := range names {
		if m[n] >= 1<<20 {
			fmt.Fprintf(w, " %s %.0f MB;", n, float64(m[n])/1e6)
		}
	}
	fmt.Fprintln(w)
}
