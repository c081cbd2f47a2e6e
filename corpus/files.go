package corpus

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

//go:embed sample/*.txt
var sampleFS embed.FS

// DefaultMaxBytes is the file size limit used when none is configured.
const DefaultMaxBytes = 4 << 20

// File is one article file to load: on disk, or embedded in the binary.
type File struct {
	// Path identifies the file across runs: an absolute path, or
	// "sample:NAME" for the embedded sample corpus.
	Path string
	// Name is the base name, recorded as the article's Source.
	Name string
	// Size and ModTime are as the file system gave them when the file was
	// listed (zero for embedded files).
	Size    int64
	ModTime time.Time

	fsys   fs.FS  // nil for files on disk
	fsPath string // path within fsys
}

// Read returns the file's bytes. A file larger than max bytes (when max > 0)
// is not read and gives an error wrapping ErrTooLarge.
func (f File) Read(max int64) ([]byte, error) {
	var r io.ReadCloser
	var err error
	if f.fsys != nil {
		r, err = f.fsys.Open(f.fsPath)
	} else {
		r, err = os.Open(f.Path)
	}
	if err != nil {
		return nil, &FileError{File: f.Path, Err: fmt.Errorf("unreadable: %w", err)}
	}
	defer r.Close() // read only: closing cannot lose data
	size := int64(512)
	if st, err := r.(fs.File).Stat(); err == nil {
		if st.IsDir() {
			return nil, &FileError{File: f.Path, Err: errors.New("is a directory")}
		}
		if max > 0 && st.Size() > max {
			return nil, &FileError{File: f.Path, Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, st.Size(), max)}
		}
		size = st.Size() + 1 // one more byte, so the read that sees EOF needs no new buffer
	}
	// Read like os.ReadFile, into a buffer of the right size, but stop past
	// max: the file may have grown since Stat.
	data := make([]byte, 0, size)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if max > 0 && int64(len(data)) > max {
			return nil, &FileError{File: f.Path, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)}
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, &FileError{File: f.Path, Err: fmt.Errorf("unreadable: %w", err)}
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

// Sample returns the files of the sample corpus embedded in the binary.
func Sample() []File {
	entries, _ := fs.ReadDir(sampleFS, "sample") // embedded: cannot fail
	files := make([]File, 0, len(entries))
	for _, e := range entries {
		files = append(files, File{
			Path:   "sample:" + e.Name(),
			Name:   e.Name(),
			fsys:   sampleFS,
			fsPath: path.Join("sample", e.Name()),
		})
	}
	return files
}

// Collect expands paths into the article files they name: a file is taken
// as it is, a folder is walked recursively for files with one of
// articleExtension (hidden files and folders skipped). Paths that cannot be read
// are returned as errors naming them; the rest are still collected. Files
// are sorted by path, each listed once.
func Collect(paths []string) ([]File, []error) {
	var files []File
	var errs []error
	seen := map[string]bool{}
	add := func(p string, info fs.FileInfo) {
		if !seen[p] {
			seen[p] = true
			f := File{Path: p, Name: filepath.Base(p)}
			if info != nil {
				f.Size, f.ModTime = info.Size(), info.ModTime()
			}
			files = append(files, f)
		}
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			errs = append(errs, &FileError{File: p, Err: err})
			continue
		}
		st, err := os.Stat(abs)
		if err != nil {
			errs = append(errs, &FileError{File: p, Err: fmt.Errorf("unreadable: %w", err)})
			continue
		}
		if !st.IsDir() {
			add(abs, st)
			continue
		}
		err = filepath.WalkDir(abs, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &FileError{File: q, Err: fmt.Errorf("unreadable: %w", err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			hidden := q != abs && strings.HasPrefix(d.Name(), ".")
			switch {
			case d.IsDir() && hidden:
				return fs.SkipDir
			case d.IsDir() || hidden:
				return nil
			case articleExtension(d.Name()):
				info, _ := d.Info() // nil when it vanished: the read will say so
				add(q, info)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &FileError{File: p, Err: err})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, errs
}

// articleExtension reports whether a file found in a folder is taken as an
// article: .txt, .text, .md, .markdown, .html, .htm, .xhtml or .eml. Files
// named explicitly are read whatever their extension.
func articleExtension(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".eml":
		return true
	}
	return false
}
