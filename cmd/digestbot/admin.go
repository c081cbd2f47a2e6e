package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/digestbot/digestbot/internal/termsafe"
	"github.com/digestbot/digestbot/search"
	"github.com/digestbot/digestbot/store"
)

func checkDBCommand() command {
	var catchUp bool
	return command{
		name: "check-db", args: "",
		summary: "Check the database's consistency: every article in the date and hash indexes,\n" +
			"every index entry and file record pointing at an article, reference counts equal\n" +
			"to a recount. Then the search index as it is on disk (what a crash left), without\n" +
			"changing it: it must hold exactly the articles stored as of the last change it\n" +
			"applied (an index behind the database is caught up at the next start), and its\n" +
			"document count, average lengths and the document frequencies of sampled terms\n" +
			"must equal a recount. Prints each problem; exits 1 when there is any.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&catchUp, "catch-up", false, "then bring the search index up to date (or build it) as the next start would, and check it again")
		},
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) > 0 {
				return usageError{"check-db takes no arguments"}
			}
			// Checking must not create the database it was asked about.
			path, err := m.databasePath()
			if err != nil {
				return err
			}
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("check database %s: it does not exist (digestbot ingest creates it)", termsafe.Name(path))
			}
			// Every page is read, even of a file unchanged since the last check.
			db, err := m.openDBWith(ctx, false, store.Options{FullCheck: true})
			if err != nil {
				return err
			}
			problems, err := db.Check(ctx)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(m.Stdout, p)
			}
			n, err := db.Count(ctx)
			if err != nil {
				return err
			}
			if len(problems) == 0 {
				fmt.Fprintf(m.Stdout, "%s: ok, %s\n", termsafe.Name(db.Path()), countNoun(n, "article"))
			}
			indexProblems, err := m.checkIndex(ctx, db, catchUp)
			if err != nil {
				return err
			}
			if all := len(problems) + indexProblems; all > 0 {
				return fmt.Errorf("database %s: %s", termsafe.Name(db.Path()), countNoun(all, "problem"))
			}
			return nil
		},
	}
}

// checkIndex checks the search index of db on disk and, with catchUp,
// once more after bringing it up to date. It prints what it finds and
// returns the number of problems.
func (m *Main) checkIndex(ctx context.Context, db *store.DB, catchUp bool) (int, error) {
	rep, err := search.CheckDir(ctx, indexDir(db.Path()), db)
	if err != nil {
		return 0, err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(m.Stdout, p)
	}
	dir := termsafe.Name(indexDir(db.Path()))
	for _, n := range rep.Notes {
		fmt.Fprintf(m.Stdout, "search index: note: %s\n", n)
	}
	switch {
	case len(rep.Problems) > 0:
		return len(rep.Problems), nil
	case !rep.Exists:
		fmt.Fprintf(m.Stdout, "%s: none yet; the next start builds it\n", dir)
	case rep.Rebuild != "":
		fmt.Fprintf(m.Stdout, "%s: %s; the next start rebuilds it\n", dir, rep.Rebuild)
	case rep.Seq < rep.LastSeq:
		fmt.Fprintf(m.Stdout, "%s: ok, %s as of change %d; the next start applies the %d changes since\n",
			dir, countNoun(rep.Docs, "article"), rep.Seq, rep.LastSeq-rep.Seq)
	default:
		fmt.Fprintf(m.Stdout, "%s: ok, %s as of change %d (the latest)\n", dir, countNoun(rep.Docs, "article"), rep.Seq)
	}
	if !catchUp {
		return 0, nil
	}
	// Bring the index up to date as the next start would, and check that.
	ix, err := m.openIndex(ctx, db, false)
	if err != nil {
		return 0, err
	}
	problems, err := ix.Check(ctx)
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	for _, p := range problems {
		fmt.Fprintln(m.Stdout, p)
	}
	if len(problems) == 0 {
		last, err := db.LastSeq(ctx)
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(m.Stdout, "%s: caught up: ok as of change %d (the latest)\n", dir, last)
	}
	return len(problems), nil
}

func backupCommand() command {
	return command{
		name: "backup", args: "FILE",
		summary: "Write a consistent copy of the database to FILE (written to a new file beside\n" +
			"it, checked, and renamed into place, so FILE is never half-written). While the\n" +
			"bot runs it holds the database; with http.listen configured, the running bot\n" +
			"sends the copy and this command writes it. FILE may not be the database itself\n" +
			"nor inside its search index.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"backup needs the FILE to write"}
			}
			file := args[0]
			dbPath, err := m.databasePath()
			if err != nil {
				return err
			}
			if err := backupTarget(file, dbPath); err != nil {
				return err
			}
			db, err := m.openDB(ctx, false)
			var size int64
			switch {
			case errors.Is(err, store.ErrLocked) && m.config.HTTP.Listen != "":
				var berr error
				if size, berr = m.backupFromRunningBot(ctx, file, dbPath); berr != nil {
					return fmt.Errorf("%w; asking the running bot: %w", err, berr)
				}
			case err != nil:
				return err
			default:
				if size, err = db.Backup(ctx, file); err != nil {
					return err
				}
			}
			fmt.Fprintf(m.Stdout, "wrote %s (%d bytes)\n", termsafe.Name(file), size)
			return nil
		},
	}
}

// backupTarget refuses a backup FILE that is the database at dbPath or
// lies in its search index (both are held open by a running bot), and a
// database that does not exist.
func backupTarget(file, dbPath string) error {
	if store.IsFile(file, dbPath) {
		return fmt.Errorf("back up database to %s: %w", termsafe.Name(file), store.ErrLiveFile)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("back up database %s: %w", termsafe.Name(dbPath), err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	ix, err := filepath.Abs(indexDir(dbPath))
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(ix, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("back up database to %s: that is inside the search index %s; name a file elsewhere", termsafe.Name(file), termsafe.Name(ix))
	}
	return nil
}

// backupFromRunningBot asks the running bot for a copy of the database
// and saves it as file. A copy cut short (the bot stopped) is not kept.
func (m *Main) backupFromRunningBot(ctx context.Context, file, dbPath string) (int64, error) {
	resp, err := m.postRunningBot(ctx, "/-/backup")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.ContentLength < 0 {
		return 0, errors.New("the bot did not say how long the copy is")
	}
	return store.SaveCopy(file, dbPath, func(w io.Writer) (int64, error) {
		n, err := io.Copy(w, resp.Body)
		if err == nil && n != resp.ContentLength {
			err = fmt.Errorf("received %d of %d bytes", n, resp.ContentLength)
		}
		return n, err
	})
}
