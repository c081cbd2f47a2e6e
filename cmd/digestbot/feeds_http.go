package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/digestbot/digestbot/feed"
	"github.com/digestbot/digestbot/store"
)

// While the bot runs it holds the database, so `digestbot fetch` and
// `digestbot feeds` ask it (over http.listen, as backup does) instead:
// POST /-/fetch?feed=NAME…&json=1 polls with the bot's own poller (so
// its one-request-per-host rule holds) and answers what fetch prints;
// POST /-/feeds?json=1 answers what feeds prints.

// feedsFailedHeader carries the number of feeds that failed in a
// /-/fetch answer, for fetch's exit status.
const feedsFailedHeader = "X-Digestbot-Feeds-Failed"

// feedRoutes registers the feed admin endpoints, each wrapped by guard.
func (s *services) feedRoutes(mux *http.ServeMux, m *Main, guard func(http.HandlerFunc) http.HandlerFunc) {
	mux.HandleFunc("POST /-/fetch", guard(func(w http.ResponseWriter, r *http.Request) {
		names := r.URL.Query()["feed"]
		sources := s.feeds.Sources()
		if len(names) > 0 {
			var picked []feed.Source
			for _, n := range names {
				i := slices.IndexFunc(sources, func(src feed.Source) bool { return src.Name == n })
				if i < 0 {
					http.Error(w, fmt.Sprintf("the running bot has no feed named %q", n), http.StatusBadRequest)
					return
				}
				picked = append(picked, sources[i])
			}
			sources = picked
		}
		if len(sources) == 0 {
			http.Error(w, "the running bot polls no feeds", http.StatusBadRequest)
			return
		}
		select {
		case <-s.feeds.Ready():
		case <-r.Context().Done():
			return
		}
		reports := feed.PollAll(r.Context(), s.feeds.Poller(), sources, 4)
		s.loaded(r.Context(), m, reports...)
		var body strings.Builder
		failed := printFeedReports(&body, reports, r.URL.Query().Get("json") != "")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set(feedsFailedHeader, strconv.Itoa(failed))
		io.WriteString(w, body.String())
	}))
	mux.HandleFunc("POST /-/feeds", guard(func(w http.ResponseWriter, r *http.Request) {
		states, err := feed.LoadStates(r.Context(), s.db)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var body strings.Builder
		if err := printFeedStates(&body, s.feeds.Sources(), states, m.Now(), m.config.Location(), r.URL.Query().Get("json") != ""); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, body.String())
	}))
}

// feedsFromRunningBot asks the running bot for /-/fetch or /-/feeds and
// prints its answer; err is the reason the database could not be opened.
func (m *Main) feedsFromRunningBot(ctx context.Context, err error, path string, q url.Values) error {
	if !errors.Is(err, store.ErrLocked) || m.config.HTTP.Listen == "" {
		return err
	}
	resp, aerr := m.postRunningBot(ctx, path+"?"+q.Encode())
	if aerr != nil {
		return fmt.Errorf("%w; asking the running bot: %w", err, aerr)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(m.Stdout, resp.Body); err != nil {
		return fmt.Errorf("read the running bot's answer: %w", err)
	}
	if n, _ := strconv.Atoi(resp.Header.Get(feedsFailedHeader)); n > 0 {
		return fmt.Errorf("%w: %d (the others were loaded by the running bot)", errFeedsFailed, n)
	}
	return nil
}
