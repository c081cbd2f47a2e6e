package search

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// LogWriter returns the writer for the standard log package's output:
// bleve's index engine (scorch) reports there, in lines such as "unable to
// load snapshot, <error>, continuing" when it skips a damaged snapshot of
// the index. Each line becomes one structured record on logger, the known
// ones with a message saying what happened; others are kept as they are.
// Wire it once, in main: log.SetOutput(search.LogWriter(logger)).
func LogWriter(logger *slog.Logger) io.Writer {
	return &logWriter{logger: logger}
}

type logWriter struct {
	logger *slog.Logger
	mu     sync.Mutex
	buf    []byte // a line not yet ended
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if strings.TrimSpace(line) != "" {
			w.logLine(line)
		}
	}
	return len(p), nil
}

// bleveLines are the lines bleve's engine logs, by their start and end,
// and what they mean for digestbot.
var bleveLines = []struct {
	prefix, suffix, msg string
}{
	{"unable to load snapshot, ", ", continuing", "search index: a damaged snapshot was skipped; an older one is used and the index is caught up from the database"},
	{"unable to parse segment epoch ", ", continuing", "search index: a damaged snapshot key was skipped"},
	{"snapshot key, but bucket missing ", ", continuing", "search index: a snapshot without its data was skipped"},
	{"got err removing file: ", "", "search index: an obsolete segment file could not be removed"},
	{"RollbackPoints:", "", "search index: reading the rollback points failed"},
}

func (w *logWriter) logLine(line string) {
	for _, l := range bleveLines {
		if strings.HasPrefix(line, l.prefix) && strings.HasSuffix(line, l.suffix) {
			detail := strings.TrimSuffix(strings.TrimPrefix(line, l.prefix), l.suffix)
			w.logger.LogAttrs(context.Background(), slog.LevelWarn, l.msg, slog.String("detail", detail), slog.String("source", "bleve"))
			return
		}
	}
	w.logger.LogAttrs(context.Background(), slog.LevelWarn, "library log line", slog.String("line", line))
}
