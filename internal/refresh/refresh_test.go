package refresh_test

import (
	"testing"
	"time"

	"github.com/podidentity/podidentity/internal/refresh"
)

func fixed(f float64) func() float64 { return func() float64 { return f } }

func TestRefreshAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := now.Add(100 * time.Minute)
	for name, tt := range map[string]struct {
		s    refresh.Schedule
		rnd  float64
		want time.Duration // before until
	}{
		"middle":         {refresh.Default, 0.5, 50 * time.Minute},
		"low jitter":     {refresh.Default, 0, 40 * time.Minute},
		"high jitter":    {refresh.Default, 0.75, 55 * time.Minute},
		"clamped low":    {refresh.Schedule{Fraction: 0.01, Jitter: 0.5}, 0, time.Minute},
		"clamped high":   {refresh.Schedule{Fraction: 0.99, Jitter: 0.5}, 0.999, 99 * time.Minute},
		"without jitter": {refresh.Schedule{Fraction: 0.25}, 0.9, 25 * time.Minute},
	} {
		if got := until.Sub(tt.s.RefreshAt(now, until, fixed(tt.rnd))); got != tt.want {
			t.Errorf("%s: refresh %v before the end, want %v", name, got, tt.want)
		}
	}
	if got := refresh.Default.RefreshAt(until, now, fixed(0.5)); !got.Equal(now) {
		t.Errorf("no usable life: refresh at %v, want %v", got, now)
	}
}

func TestRetryAfter(t *testing.T) {
	s := refresh.Schedule{Backoff: time.Second, MaxBackoff: 5 * time.Second}
	for n, want := range map[int][2]time.Duration{
		1:   {500 * time.Millisecond, time.Second},
		2:   {time.Second, 2 * time.Second},
		3:   {2 * time.Second, 4 * time.Second},
		4:   {2500 * time.Millisecond, 5 * time.Second},
		100: {2500 * time.Millisecond, 5 * time.Second},
	} {
		if lo := s.RetryAfter(n, fixed(0)); lo != want[0] {
			t.Errorf("RetryAfter(%d) low = %v, want %v", n, lo, want[0])
		}
		if hi := s.RetryAfter(n, fixed(0.999999999)); hi > want[1] || hi < want[1]-time.Millisecond {
			t.Errorf("RetryAfter(%d) high = %v, want about %v", n, hi, want[1])
		}
	}
}
