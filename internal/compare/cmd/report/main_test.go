package main

import (
	"math"
	"testing"
)

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkCall/ours-2         	   35000	     34220 ns/op	    9797 B/op	     110 allocs/op
BenchmarkCall/ours-2         	   35000	     36000 ns/op	    9797 B/op	     110 allocs/op
BenchmarkHerd/official-2     	       7	  37873177 ns/op	         1.000 upstream-calls/op	 2471179 B/op	   23509 allocs/op
BenchmarkRetrieve/serial/ours	  100000	        60.0 ns/op	       0 B/op	       0 allocs/op
PASS
`)
	got := parseBench(out)
	tests := map[string]struct {
		name, unit string
		want       []float64
	}{
		"two rounds":          {"BenchmarkCall/ours", "ns/op", []float64{34220, 36000}},
		"custom metric":       {"BenchmarkHerd/official", "upstream-calls/op", []float64{1}},
		"no GOMAXPROCS":       {"BenchmarkRetrieve/serial/ours", "allocs/op", []float64{0}},
		"allocs of the round": {"BenchmarkCall/ours", "allocs/op", []float64{110, 110}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := got[tt.name][tt.unit]
			if len(s) != len(tt.want) {
				t.Fatalf("samples of %s %s = %v, want %v", tt.name, tt.unit, s, tt.want)
			}
			for i := range s {
				if s[i] != tt.want[i] {
					t.Errorf("samples of %s %s = %v, want %v", tt.name, tt.unit, s, tt.want)
				}
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := map[string]struct {
		in   []float64
		want float64
	}{
		"odd":      {[]float64{3, 1, 2}, 2},
		"even":     {[]float64{4, 1, 3, 2}, 2.5},
		"one":      {[]float64{7}, 7},
		"unsorted": {[]float64{9, 9, 1, 1, 5}, 5},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestRatio(t *testing.T) {
	tests := map[string]struct {
		a, b float64
		want string
	}{
		"half":      {1, 2, "0.50×"},
		"both zero": {0, 0, "1.00×"},
		"by zero":   {1, 0, "∞"},
		"missing":   {math.NaN(), 1, "—"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ratio(tt.a, tt.b); got != tt.want {
				t.Errorf("ratio(%v, %v) = %q, want %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
