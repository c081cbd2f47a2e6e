package main

import (
	"context"
	"flag"
	"fmt"
)

func checkDBCommand() command {
	return command{
		name: "check-db", args: "",
		summary: "Check the database's consistency: every article in the date and hash indexes,\n" +
			"every index entry and file record pointing at an article, reference counts equal\n" +
			"to a recount. Prints each problem; exits 1 when there is any.",
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
			if len(problems) > 0 {
				return fmt.Errorf("database %s: %d problems", db.Path(), len(problems))
			}
			fmt.Fprintf(m.Stdout, "%s: ok, %s\n", db.Path(), countNoun(n, "article"))
			return nil
		},
	}
}

func backupCommand() command {
	return command{
		name: "backup", args: "FILE",
		summary: "Write a consistent copy of the database to FILE (written beside it and renamed\n" +
			"into place, so FILE is never half-written).",
		run: func(m *Main, ctx context.Context, _ *flag.FlagSet, args []string) error {
			if len(args) != 1 {
				return usageError{"backup needs the FILE to write"}
			}
			db, err := m.openDB(ctx, false)
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
