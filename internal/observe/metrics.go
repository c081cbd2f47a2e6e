// Package observe is digestbot's observability: metrics in the Prometheus
// text exposition format and health checks, served over HTTP. It has no
// dependencies beyond the standard library.
package observe

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metric families and writes them out. The zero value is
// not usable; call NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
	collect  []func() // run before each scrape
}

// OnScrape registers fn to run before each scrape, to set gauges whose
// values are read from elsewhere (the store, the scheduler).
func (r *Registry) OnScrape(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collect = append(r.collect, fn)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: map[string]*family{}} }

type kind int

const (
	counterKind kind = iota
	gaugeKind
	histogramKind
)

type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // histograms
	series     map[string]*series
	fn         func() float64 // gauge funcs
}

type series struct {
	labelValues []string
	value       float64
	counts      []uint64 // histograms: per bucket (not cumulative)
	sum         float64
	count       uint64
}

func (r *Registry) add(f *family) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.families[f.name]; ok {
		return old
	}
	f.series = map[string]*series{}
	r.families[f.name] = f
	return f
}

// Counter is a family of counters, one per combination of label values.
type Counter struct {
	r *Registry
	f *family
}

// Counter registers (or returns the existing) counter family.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	return &Counter{r, r.add(&family{name: name, help: help, kind: counterKind, labels: labels})}
}

// Add adds v (≥ 0) to the counter with the given label values.
func (c *Counter) Add(v float64, labelValues ...string) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.f.get(labelValues).value += v
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Gauge is a family of gauges.
type Gauge struct {
	r *Registry
	f *family
}

// Gauge registers (or returns the existing) gauge family.
func (r *Registry) Gauge(name, help string, labels ...string) *Gauge {
	return &Gauge{r, r.add(&family{name: name, help: help, kind: gaugeKind, labels: labels})}
}

// Set sets the gauge with the given label values.
func (g *Gauge) Set(v float64, labelValues ...string) {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	g.f.get(labelValues).value = v
}

// GaugeFunc registers a gauge read from fn at each scrape.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.add(&family{name: name, help: help, kind: gaugeKind, fn: fn})
}

// Histogram is a family of histograms.
type Histogram struct {
	r *Registry
	f *family
}

// Histogram registers (or returns the existing) histogram family with the
// given upper bounds (sorted ascending; +Inf is implied).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	b := append([]float64(nil), buckets...)
	sort.Float64s(b)
	return &Histogram{r, r.add(&family{name: name, help: help, kind: histogramKind, labels: labels, buckets: b})}
}

// Observe records one value.
func (h *Histogram) Observe(v float64, labelValues ...string) {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	s := h.f.get(labelValues)
	if s.counts == nil {
		s.counts = make([]uint64, len(h.f.buckets))
	}
	i := sort.SearchFloat64s(h.f.buckets, v)
	if i < len(s.counts) {
		s.counts[i]++
	}
	s.sum += v
	s.count++
}

func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metric %s: %d label values for labels %v", f.name, len(values), f.labels))
	}
	key := strings.Join(values, "\xff")
	s, ok := f.series[key]
	if !ok {
		s = &series{labelValues: append([]string(nil), values...)}
		f.series[key] = s
	}
	return s
}

// WriteTo writes every family in the Prometheus text format, sorted by
// name and labels so the output is stable.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	collect := append([]func(){}, r.collect...)
	r.mu.Unlock()
	for _, fn := range collect {
		fn()
	}
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, n := range names {
		f := r.families[n]
		typ := [...]string{"counter", "gauge", "histogram"}[f.kind]
		fmt.Fprintf(&sb, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, typ)
		if f.fn != nil {
			r.mu.Unlock() // fn may take its own locks
			v := f.fn()
			r.mu.Lock()
			fmt.Fprintf(&sb, "%s %s\n", f.name, num(v))
			continue
		}
		keys := make([]string, 0, len(f.series))
		for k := range f.series {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := f.series[k]
			if f.kind != histogramKind {
				fmt.Fprintf(&sb, "%s%s %s\n", f.name, labelText(f.labels, s.labelValues, "", ""), num(s.value))
				continue
			}
			var cum uint64
			for i, ub := range f.buckets {
				if i < len(s.counts) {
					cum += s.counts[i]
				}
				fmt.Fprintf(&sb, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.labelValues, "le", num(ub)), cum)
			}
			fmt.Fprintf(&sb, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.labelValues, "le", "+Inf"), s.count)
			fmt.Fprintf(&sb, "%s_sum%s %s\n", f.name, labelText(f.labels, s.labelValues, "", ""), num(s.sum))
			fmt.Fprintf(&sb, "%s_count%s %d\n", f.name, labelText(f.labels, s.labelValues, "", ""), s.count)
		}
	}
	r.mu.Unlock()
	n, err := io.WriteString(w, sb.String())
	return int64(n), err
}

// Handler serves the registry at /metrics.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = r.WriteTo(w)
	})
}

func labelText(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var parts []string
	for i, n := range names {
		parts = append(parts, n+`="`+escapeLabel(values[i])+`"`)
	}
	if extraName != "" {
		parts = append(parts, extraName+`="`+extraValue+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func num(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }
