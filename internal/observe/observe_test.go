package observe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetricsText(t *testing.T) {
	r := NewRegistry()
	cmds := r.Counter("digestbot_commands_total", "Commands served, by name and outcome.", "command", "outcome")
	cmds.Inc("search", "ok")
	cmds.Inc("search", "ok")
	cmds.Inc("date", `bad "input"`)
	lat := r.Histogram("digestbot_command_seconds", "Time to answer a command.", []float64{0.01, 0.1, 1}, "command")
	for _, v := range []float64{0.005, 0.05, 0.05, 5} {
		lat.Observe(v, "search")
	}
	r.Gauge("digestbot_digest_next_run_timestamp_seconds", "Next scheduled run.", "digest").Set(1.7e9, "morning")
	r.GaugeFunc("digestbot_articles", "Articles stored.", func() float64 { return 5 })
	if again := r.Counter("digestbot_commands_total", "x", "command", "outcome"); again.f != cmds.f {
		t.Error("registering a family twice made a second one")
	}

	var sb strings.Builder
	if _, err := r.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	want := `# HELP digestbot_articles Articles stored.
# TYPE digestbot_articles gauge
digestbot_articles 5
# HELP digestbot_command_seconds Time to answer a command.
# TYPE digestbot_command_seconds histogram
digestbot_command_seconds_bucket{command="search",le="0.01"} 1
digestbot_command_seconds_bucket{command="search",le="0.1"} 3
digestbot_command_seconds_bucket{command="search",le="1"} 3
digestbot_command_seconds_bucket{command="search",le="+Inf"} 4
digestbot_command_seconds_sum{command="search"} 5.105
digestbot_command_seconds_count{command="search"} 4
# HELP digestbot_commands_total Commands served, by name and outcome.
# TYPE digestbot_commands_total counter
digestbot_commands_total{command="date",outcome="bad \"input\""} 1
digestbot_commands_total{command="search",outcome="ok"} 2
# HELP digestbot_digest_next_run_timestamp_seconds Next scheduled run.
# TYPE digestbot_digest_next_run_timestamp_seconds gauge
digestbot_digest_next_run_timestamp_seconds{digest="morning"} 1.7e+09
`
	if sb.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func TestHealthHandler(t *testing.T) {
	var h Health
	h.Add("store", func(context.Context) error { return nil })
	failing := false
	h.Add("gateway", func(context.Context) error {
		if failing {
			return errors.New("disconnected for 3m0s")
		}
		return nil
	})
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		return w
	}
	if w := get(); w.Code != http.StatusOK || w.Body.String() != "ok   store\nok   gateway\n" {
		t.Errorf("healthy: %d %q", w.Code, w.Body)
	}
	h.AddWarning("feeds", func(context.Context) error { return errors.New("feed coastal failing for 25h0m0s") })
	if w := get(); w.Code != http.StatusOK || w.Body.String() != "WARN feeds: feed coastal failing for 25h0m0s\nok   store\nok   gateway\n" {
		t.Errorf("healthy with a warning: %d %q", w.Code, w.Body)
	}
	failing = true
	if w := get(); w.Code != http.StatusServiceUnavailable || !strings.HasPrefix(w.Body.String(), "FAIL gateway: disconnected for 3m0s\nWARN feeds") {
		t.Errorf("unhealthy: %d %q", w.Code, w.Body)
	}
}
