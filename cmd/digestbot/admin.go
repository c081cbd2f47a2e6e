package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"

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
			db, err := m.openDB(ctx, false)
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
				fmt.Fprintf(m.Stdout, "%s: ok, %s\n", db.Path(), countNoun(n, "article"))
			}
			indexProblems, err := m.checkIndex(ctx, db, catchUp)
			if err != nil {
				return err
			}
			if all := len(problems) + indexProblems; all > 0 {
				return fmt.Errorf("database %s: %s", db.Path(), countNoun(all, "problem"))
			}
			return nil
		},
	}
}

// checkIndex checks the search index of db on disk and, with catchUp,
// once more after bringing it up to date. It prints what it finds and
// returns the number of problems.
func (m *Main) checkIndex(ctx context.Context, db *store.DB, catchUp bool) (int, error) {
	dir := indexDir(db.Path())
	rep, err := search.CheckDir(ctx, dir, db)
	if err != nil {
		return 0, err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(m.Stdout, p)
	}
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
		summary: "Write a consistent copy of the database to FILE (written beside it and renamed\n" +
			"into place, so FILE is never half-written). While the bot runs it holds the\n" +
			"database; with http.listen configured, the running bot writes the copy.",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"backup needs the FILE to write"}
			}
			db, err := m.openDB(ctx, false)
			if errors.Is(err, store.ErrLocked) && m.config.HTTP.Listen != "" {
				abs, aerr := filepath.Abs(args[0])
				if aerr != nil {
					return aerr
				}
				out, berr := m.askRunningBot(ctx, "/-/backup?path="+url.QueryEscape(abs))
				if berr != nil {
					return fmt.Errorf("%w; asking the running bot: %v", err, berr)
				}
				fmt.Fprint(m.Stdout, out)
				return nil
			}
			if err != nil {
				return err
			}
			size, err := db.Backup(ctx, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "wrote %s (%d bytes)\n", args[0], size)
			return nil
		},
	}
}
