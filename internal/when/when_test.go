package when

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"2026-11-30T03:12:05Z", time.Date(2026, 11, 30, 3, 12, 5, 0, time.UTC)},
		{"2026-11-30T03:12:05+01:00", time.Date(2026, 11, 30, 2, 12, 5, 0, time.UTC)},
		{"2026-11-30 03:12", time.Date(2026, 11, 30, 3, 12, 0, 0, loc)},
		{"2026-11-30 03:12:05", time.Date(2026, 11, 30, 3, 12, 5, 0, loc)},
		{"2026-11-29", time.Date(2026, 11, 29, 0, 0, 0, 0, loc)},
		{"03:12", time.Date(2026, 11, 30, 3, 12, 0, 0, loc)},
		{"08:59:59", time.Date(2026, 11, 30, 8, 59, 59, 0, loc)},
		{"09:00", now},
		{"09:01", time.Date(2026, 11, 29, 9, 1, 0, 0, loc)}, // still ahead today: yesterday's
		{"23:30", time.Date(2026, 11, 29, 23, 30, 0, 0, loc)},
		{"90s ago", now.Add(-90 * time.Second)},
		{"5m ago", now.Add(-5 * time.Minute)},
		{"2h ago", now.Add(-2 * time.Hour)},
		{"1d ago", now.Add(-24 * time.Hour)},
		{"1h30m ago", now.Add(-90 * time.Minute)},
		{"2 days ago", now.Add(-48 * time.Hour)},
		{" 10m AGO ", now.Add(-10 * time.Minute)},
		{"1.5h ago", now.Add(-90 * time.Minute)},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, now, loc)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "ago", "5x ago", "-5m ago", "25:00", "2026-13-01", "m ago", "1e400s ago", "999999999d ago"} {
		if _, err := Parse(bad, now, loc); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q): %v, want ErrSyntax", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"now", "03:12", "5m ago", "2026-11-30 03:12", "2026-11-30T03:12:05Z", "1h30m ago", "1.5d ago"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s, now, time.UTC)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("%q: error %v does not wrap ErrSyntax", s, err)
			}
			return
		}
		// Relative forms never land in the future.
		if _, rel := cutSuffixFold(s, "ago"); rel && got.After(now) {
			t.Fatalf("%q: %v is after now", s, got)
		}
	})
}
