package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRescanOnce(t *testing.T) {
	for _, c := range []struct {
		name           string
		added, updated int
		err            error
		cancelled      bool
		catchUps       int
		logged         []string
	}{
		{"nothing new", 0, 0, nil, false, 0, nil},
		{"new articles indexed", 2, 1, nil, false, 1, []string{"rescan loaded new articles\" added=2 updated=1"}},
		{"an error is logged, what loaded still indexed", 1, 0, errors.New("disk on fire"), false, 1, []string{"rescan of the corpus folders", "disk on fire"}},
		{"a stop is not an error", 0, 0, context.Canceled, true, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancelled {
				cancel()
			}
			catchUps := 0
			r := Rescan{
				Load:    func(context.Context) (int, int, error) { return c.added, c.updated, c.err },
				CatchUp: func(context.Context) error { catchUps++; return nil },
				Log:     slog.New(slog.NewTextHandler(&logs, nil)),
			}
			r.Once(ctx)
			if catchUps != c.catchUps {
				t.Errorf("%d index catch-ups, want %d", catchUps, c.catchUps)
			}
			for _, want := range c.logged {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
			}
			if c.logged == nil && logs.Len() > 0 {
				t.Errorf("logged:\n%s", logs.String())
			}
		})
	}
}

func TestRescanOff(t *testing.T) {
	r := Rescan{Load: func(context.Context) (int, int, error) { t.Error("scanned with rescanning off"); return 0, 0, nil }}
	r.Run(context.Background()) // returns at once
}
