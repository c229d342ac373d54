package serve

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
)

// counterVec and histogramVec are the two metric kinds serve keeps between
// scrapes, written in the Prometheus text format. They are this package's
// own rather than a metrics library's: a library's package initialisers run
// in every command of the binary, `check` included, and the one used before
// read cgroup files at start-up and printed through the standard logger
// when they were missing (a cgroup v1 node), before the report.
// Label values are labelValue's output: they need no escaping.

// counterVec is a counter family; a series is keyed by its label pairs,
// already rendered (`result="ok"`).
type counterVec struct {
	name, help string
	mu         sync.Mutex
	vals       map[string]uint64
}

func newCounterVec(name, help string) *counterVec {
	return &counterVec{name: name, help: help, vals: map[string]uint64{}}
}

// add adds n to the series labels (n = 0 makes the series exist).
func (c *counterVec) add(labels string, n uint64) {
	c.mu.Lock()
	c.vals[labels] += n
	c.mu.Unlock()
}

func (c *counterVec) write(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.vals) == 0 {
		return
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	for _, l := range slices.Sorted(maps.Keys(c.vals)) {
		fmt.Fprintf(w, "%s{%s} %d\n", c.name, l, c.vals[l])
	}
}

// histogramVec is a histogram family with fixed upper bounds, written as
// classic cumulative le buckets, which histogram_quantile reads.
type histogramVec struct {
	name, help string
	bounds     []float64
	mu         sync.Mutex
	series     map[string]*histogram
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func newHistogramVec(name, help string, bounds []float64) *histogramVec {
	return &histogramVec{name: name, help: help, bounds: bounds, series: map[string]*histogram{}}
}

func (h *histogramVec) observe(labels string, v float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[labels]
	if s == nil {
		s = &histogram{counts: make([]uint64, len(h.bounds)+1)}
		h.series[labels] = s
	}
	i, _ := slices.BinarySearch(h.bounds, v) // the first bound >= v: le is inclusive
	s.counts[i]++
	s.sum += v
	s.count++
}

func (h *histogramVec) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.series) == 0 {
		return
	}
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	for _, l := range slices.Sorted(maps.Keys(h.series)) {
		s := h.series[l]
		var cum uint64
		for i, n := range s.counts {
			cum += n
			le := "+Inf"
			if i < len(h.bounds) {
				le = fmt.Sprint(h.bounds[i])
			}
			fmt.Fprintf(w, "%s_bucket{%s,le=%q} %d\n", h.name, l, le, cum)
		}
		fmt.Fprintf(w, "%s_sum{%s} %g\n%s_count{%s} %d\n", h.name, l, s.sum, h.name, l, s.count)
	}
}
