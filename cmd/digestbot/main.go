// Command digestbot runs the digest bot: on Discord when a token is set,
// else as a console in the terminal, with the digest schedules and corpus
// rescans; and the operator's commands to load articles, search and list
// them, preview digests and schedules, check the configuration and the
// database, back it up and reload the running bot. This package holds the
// flags, the configuration and the output; the work is done by the
// library packages. Run `digestbot help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"github.com/digestbot/digestbot/corpus"
	"github.com/digestbot/digestbot/digest"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now,
		SetGCPercent: debug.SetGCPercent}
	if v := os.Getenv("DIGESTBOT_TEST_CLOCK"); v != "" {
		c, err := parseTestClock(v)
		if err != nil {
			os.Exit(exitCode(m.Stderr, err))
		}
		m.Now, m.clock = c.Now, c
	}
	err := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(exitCode(m.Stderr, err))
}

// exitCode prints err (if any) and returns the process exit status: 0 for
// success, 2 for a usage error, 1 otherwise.
func exitCode(stderr io.Writer, err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "digestbot: %v\n", err)
		return 2
	case errors.Is(err, errRejected):
		fmt.Fprintf(stderr, "digestbot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "digestbot: %v\n", err)
	return 1
}

// Main is the program: its inputs and outputs, so tests can run it whole.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	clock          digest.Clock // the schedules' clock; default m.Now and real waits
	// SetGCPercent is debug.SetGCPercent in the program (nil in tests):
	// quick commands collect garbage less often.
	SetGCPercent func(int) int

	// Set by the global flags.
	configPath string
	dbPath     string

	config Config
	level  slog.LevelVar // the configured log level; a reload changes it
	logger *slog.Logger
	db     *store.DB
	// analyze is the text analysis of summaries and feed items (terms).
	analyze     func(string) []string
	analyzeOnce sync.Once
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

var errRejected = errors.New("not every file could be loaded")

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(m *Main, ctx context.Context, fs *flag.FlagSet, args []string) error
	flags               func(fs *flag.FlagSet)
	// dashWords takes an argument that looks like a flag but names none,
	// such as the exclusion in `search fortress -urumqi`, as an argument.
	dashWords bool
	// quick marks a command that reads a little and exits, in a few
	// milliseconds (search, show): it runs with a garbage collection
	// target of quickGCPercent.
	quick bool
}

// quickGCPercent is the GOGC of quick commands. They allocate a few MB
// (a search of 50,000 articles: 5 MB, 1 MB of it live) and exit: at the
// default of 100 the collector starts once the heap reaches 4 MB, which
// costs a search a collection of 1 to 2 ms of CPU for memory the exit
// frees anyway. At 400 it starts at 16 MB.
const quickGCPercent = 400

func (m *Main) commands() []command {
	return []command{
		runCommand(), ingestCommand(), listCommand(), showCommand(), dateCommand(), checkConfigCommand(), checkDBCommand(), backupCommand(), reloadCommand(), summarizeCommand(), digestCommand(), scheduleCommand(),
		searchCommand(), reindexCommand(), fetchCommand(), feedsCommand(), statsCommand(), clusterCommand(),
	}
}

// Run runs the command line args (without the program name).
func (m *Main) Run(ctx context.Context, args []string) (err error) {
	defer func() {
		if cerr := m.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	cl, err := m.parse(args)
	if err != nil || cl.cmd == nil {
		return err
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	if cl.cmd.quick && m.SetGCPercent != nil && m.Getenv("GOGC") == "" {
		m.SetGCPercent(quickGCPercent)
	}
	return cl.cmd.run(m, ctx, cl.fs, cl.args)
}

// commandLine is a parsed command line: the command, its flags and the
// arguments left after them.
type commandLine struct {
	cmd  *command
	fs   *flag.FlagSet
	args []string
}

// parse resolves args to a command and parses its flags, running nothing;
// the README's and the help texts' examples are checked with it. Asking for
// help prints it and returns a commandLine without a command (or
// flag.ErrHelp for a command's own --help).
func (m *Main) parse(args []string) (commandLine, error) {
	// Global flags may also come before the command: digestbot --db F list.
	global := flag.NewFlagSet("digestbot", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	global.StringVar(&m.configPath, "config", m.Getenv("DIGESTBOT_CONFIG"), "")
	global.StringVar(&m.dbPath, "db", "", "")
	if err := global.Parse(args); err != nil && !errors.Is(err, flag.ErrHelp) {
		return commandLine{}, usageError{fmt.Sprintf("%v (see digestbot help)", err)}
	} else if err != nil {
		m.usage(m.Stdout)
		return commandLine{}, nil
	}
	args = global.Args()
	if len(args) == 0 {
		args = []string{"run"}
	}
	name := args[0]
	if name == "help" {
		if len(args) == 1 {
			m.usage(m.Stdout)
			return commandLine{}, nil
		}
		name, args = args[1], []string{args[1], "--help"}
	}
	for _, c := range m.commands() {
		if c.name != name {
			continue
		}
		fs := m.flagSet(&c)
		rest, err := parseInterspersed(fs, args[1:], c.dashWords)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(m.Stdout)
				fs.Usage()
				return commandLine{}, flag.ErrHelp
			}
			return commandLine{}, usageError{fmt.Sprintf("%s: %v (see digestbot %s --help)", c.name, err, c.name)}
		}
		return commandLine{cmd: &c, fs: fs, args: rest}, nil
	}
	m.usage(m.Stderr)
	return commandLine{}, usageError{fmt.Sprintf("unknown command %q", name)}
}

// flagSet returns c's flags, with the global ones and its usage text.
func (m *Main) flagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("digestbot "+c.name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&m.configPath, "config", m.configPath, "configuration `FILE` (YAML; default $DIGESTBOT_CONFIG)")
	fs.StringVar(&m.dbPath, "db", m.dbPath, "database `FILE` (default: from the config, else $XDG_DATA_HOME/digestbot/digestbot.db)")
	if c.flags != nil {
		c.flags(fs)
	}
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: digestbot %s [flags] %s\n\n%s\n\nflags:\n", c.name, c.args, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "digestbot: article digests for Discord. Usage: digestbot COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range m.commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, wrapText(firstSentence(c.summary), 64, strings.Repeat(" ", 16)))
	}
	fmt.Fprintln(w, "\nRun `digestbot COMMAND --help` for a command's flags. With no command, digestbot runs the bot (the console without a Discord token).")
}

// firstSentence is the first sentence of a summary's first paragraph, its
// lines joined: what the command list shows, never cut mid-sentence.
func firstSentence(s string) string {
	para, _, _ := strings.Cut(s, "\n\n")
	para = strings.Join(strings.Fields(para), " ")
	for i := 0; i+1 < len(para); i++ {
		if para[i] == '.' && para[i+1] == ' ' {
			return para[:i+1]
		}
	}
	return para
}

// wrapText breaks s into lines of at most width bytes at spaces, each line
// after the first starting with indent.
func wrapText(s string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteString("\n" + indent)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, as in `digestbot show ID --json`. A bare "--"
// ends the flags. With dashWords, "-word" naming no flag is an argument
// (kept after the others).
func parseInterspersed(fs *flag.FlagSet, args []string, dashWords bool) ([]string, error) {
	// The caller reports errors; the flag package would print usage on each
	// failed attempt.
	out, usage := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer func() { fs.SetOutput(out); fs.Usage = usage }()
	var rest, words []string
	for {
		if err := fs.Parse(args); err != nil {
			if w := undefinedFlag(fs, args); dashWords && w >= 0 {
				words = append(words, args[w])
				args = append(args[:w:w], args[w+1:]...)
				continue
			}
			return nil, err
		}
		remaining := fs.Args()
		if used := len(args) - len(remaining); used > 0 && args[used-1] == "--" {
			return append(append(rest, remaining...), words...), nil
		}
		if len(remaining) == 0 {
			return append(rest, words...), nil
		}
		rest = append(rest, remaining[0])
		args = remaining[1:]
	}
}

// undefinedFlag returns the index of the first argument that looks like a
// flag but names none of fs's, or -1.
func undefinedFlag(fs *flag.FlagSet, args []string) int {
	for i, a := range args {
		if a == "--" {
			return -1
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "" && name != "h" && name != "help" && fs.Lookup(name) == nil {
			return i
		}
	}
	return -1
}

// loadConfig reads the configuration file, if any, and sets up logging.
func (m *Main) loadConfig() error {
	m.config = DefaultConfig()
	if m.configPath != "" {
		c, err := LoadConfig(m.configPath, m.Getenv)
		if err != nil {
			return err
		}
		m.config = c
	}
	m.level.Set(m.config.LogLevel())
	opts := &slog.HandlerOptions{Level: &m.level}
	if m.config.Log.Format == "json" {
		m.logger = slog.New(slog.NewJSONHandler(m.Stderr, opts))
	} else {
		m.logger = slog.New(slog.NewTextHandler(m.Stderr, opts))
	}
	// bleve's index engine logs raw lines through the standard logger.
	log.SetFlags(0)
	log.SetOutput(search.LogWriter(m.logger))
	return nil
}

// databasePath is --db, else the config's database, else the default in
// the user's data folder.
func (m *Main) databasePath() (string, error) {
	if m.dbPath != "" {
		return m.dbPath, nil
	}
	if m.config.Database != "" {
		return m.config.Database, nil
	}
	dir := m.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home := m.Getenv("HOME")
		if home == "" {
			return "", errors.New("no database: pass --db FILE, set database in the config, or set HOME")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "digestbot", "digestbot.db"), nil
}

// openDB opens the database. A read command (seed true) on a database with
// no articles loads the configured corpus folders, or the embedded sample
// corpus when none are configured, so a new user sees articles at once.
func (m *Main) openDB(ctx context.Context, seed bool) (*store.DB, error) {
	return m.openDBWith(ctx, seed, store.Options{})
}

// openDBReadOnly is openDB(ctx, true) for a command that only reads: the
// database is opened for reading only (a shared lock; bbolt skips its
// free page list), unless the sample corpus must be loaded into it.
func (m *Main) openDBReadOnly(ctx context.Context) (*store.DB, error) {
	return m.openDBWith(ctx, true, store.Options{ReadOnly: true})
}

// openDBWith is openDB with the store's options. Their clock stays the
// real one: it is compared with the times the filesystem gives the file.
func (m *Main) openDBWith(ctx context.Context, seed bool, opts store.Options) (*store.DB, error) {
	path, err := m.databasePath()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	m.db = db
	if !seed {
		return db, nil
	}
	empty, err := db.Empty(ctx)
	if err != nil {
		return nil, err
	}
	// A bot fed only by feeds starts empty rather than with the sample.
	if empty && (len(m.config.Corpus.Folders) > 0 || len(m.config.Corpus.Feeds) == 0) {
		if db.ReadOnly() { // loading needs it open for writing
			m.db = nil
			if err := db.Close(); err != nil {
				return nil, err
			}
			opts.ReadOnly = false
			return m.openDBWith(ctx, seed, opts)
		}
		files, label := m.defaultFiles()
		m.logger.Info("empty database: loading articles", "database", path, "from", label)
		if _, err := m.ingest(ctx, files, nil, io.Discard, false); err != nil && !errors.Is(err, errRejected) {
			return nil, err
		}
	}
	return db, nil
}

// defaultFiles are the configured corpus folders' files, or the embedded
// sample corpus.
func (m *Main) defaultFiles() ([]corpus.File, string) {
	if len(m.config.Corpus.Folders) == 0 {
		return corpus.Sample(), "the embedded sample corpus"
	}
	files, errs := corpus.Collect(m.config.Corpus.Folders)
	for _, err := range errs {
		m.logger.Warn("corpus folder", "error", err)
	}
	return files, fmt.Sprintf("%v", m.config.Corpus.Folders)
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.db != nil {
		err := m.db.Close()
		m.db = nil
		return err
	}
	return nil
}
