package notify

import (
	"strings"
	"testing"
	"time"
)

func TestEventText(t *testing.T) {
	long := strings.Repeat("word ", 60) // 300 characters
	tests := []struct {
		name                    string
		ev                      Event
		key, subj, short, summa string
	}{
		{
			name:  "full",
			ev:    testEvent(),
			key:   "web1/chCPU1/alHighCPU",
			subj:  "[virgo-top] CRITICAL: cpu on web1 — CPU at 97%",
			short: "CRITICAL cpu@web1: CPU at 97%",
			summa: "web1 cpu WARNING->CRITICAL",
		},
		{
			name:  "no label, no message: check id",
			ev:    Event{Entity: "db2", CheckID: "chMem", CheckType: "agent.memory", AlarmName: "al1", Previous: "CRITICAL", Current: "OK"},
			key:   "db2/chMem/al1",
			subj:  "[virgo-top] OK: chMem on db2",
			short: "OK chMem@db2",
			summa: "db2 chMem CRITICAL->OK",
		},
		{
			name:  "only a type",
			ev:    Event{Entity: "h", CheckType: "agent.disk", Current: "UNKNOWN"},
			key:   "h//",
			subj:  "[virgo-top] UNKNOWN: agent.disk on h",
			short: "UNKNOWN agent.disk@h",
			summa: "h agent.disk ->UNKNOWN",
		},
		{
			name:  "nothing",
			ev:    Event{},
			key:   "//",
			subj:  "[virgo-top] : check on",
			short: "check@",
			summa: "check ->",
		},
		{
			name:  "line breaks and control characters flattened",
			ev:    Event{Entity: "web1\r\nBcc: x", CheckLabel: "cpu\t\x00load", Current: "WARNING", Message: "a\n\nb\u2028c\xffd"},
			key:   "web1\r\nBcc: x//",
			subj:  "[virgo-top] WARNING: cpu load on web1 Bcc: x — a b c d",
			short: "WARNING cpu load@web1 Bcc: x: a b c d",
			summa: "web1 Bcc: x cpu load ->WARNING",
		},
		{
			name: "long message cut",
			ev:   Event{Entity: "web1", CheckLabel: "cpu", Current: "CRITICAL", Message: long},
			key:  "web1//",
			// 36 + 161 + 3 = SubjectMax characters; 19 + 138 + 3 = ShortMax.
			subj:  "[virgo-top] CRITICAL: cpu on web1 — " + strings.Repeat("word ", 32) + "w...",
			short: "CRITICAL cpu@web1: " + strings.Repeat("word ", 27) + "wor...",
			summa: "web1 cpu ->CRITICAL",
		},
		{
			name:  "coalesced flap: the worst state in between",
			ev:    coalesced(time.Date(2026, 11, 24, 12, 3, 5, 0, time.UTC), "CPU at 20%"),
			key:   "web1/chCPU1/alHighCPU",
			subj:  "[virgo-top] OK: cpu on web1 (CRITICAL at 12:03:05 in between) — CPU at 20%",
			short: "OK cpu@web1 (CRITICAL at 12:03:05 in between): CPU at 20%",
			summa: "web1 cpu OK->CRITICAL->OK (2 changes)",
		},
		{
			name:  "coalesced, the worst state on another day",
			ev:    coalesced(time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC), "CPU at 20%"),
			key:   "web1/chCPU1/alHighCPU",
			subj:  "[virgo-top] OK: cpu on web1 (CRITICAL at Nov 23 23:59:59 in between) — CPU at 20%",
			short: "OK cpu@web1 (CRITICAL at Nov 23 23:59:59 in between): CPU at 20%",
			summa: "web1 cpu OK->CRITICAL->OK (2 changes)",
		},
		{
			name:  "coalesced, long message: the worst state survives the cut",
			ev:    coalesced(time.Date(2026, 11, 24, 12, 3, 5, 0, time.UTC), long),
			key:   "web1/chCPU1/alHighCPU",
			subj:  "[virgo-top] OK: cpu on web1 (CRITICAL at 12:03:05 in between) — " + strings.Repeat("word ", 26) + "wor...",
			short: "OK cpu@web1 (CRITICAL at 12:03:05 in between): " + strings.Repeat("word ", 21) + "word...",
			summa: "web1 cpu OK->CRITICAL->OK (2 changes)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.Key(); got != tt.key {
				t.Errorf("Key = %q, want %q", got, tt.key)
			}
			if got := tt.ev.Subject(); got != tt.subj {
				t.Errorf("Subject = %q, want %q", got, tt.subj)
			}
			if got := tt.ev.Short(); got != tt.short {
				t.Errorf("Short = %q, want %q", got, tt.short)
			}
			if got := tt.ev.Summary(); got != tt.summa {
				t.Errorf("Summary = %q, want %q", got, tt.summa)
			}
			if n := len([]rune(tt.ev.Subject())); n > SubjectMax {
				t.Errorf("Subject is %d characters", n)
			}
			if n := len([]rune(tt.ev.Short())); n > ShortMax {
				t.Errorf("Short is %d characters", n)
			}
		})
	}
}

// coalesced is an OK event that stands for a flap through CRITICAL at peak.
func coalesced(peak time.Time, msg string) Event {
	ev := testEvent()
	ev.Previous, ev.Current, ev.Message, ev.Changes = StateOK, StateOK, msg, 2
	ev.Worst = &Peak{State: StateCritical, Message: "CPU at 97%", Time: peak}
	return ev
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven chr!", 10, "eleven..."},
		{"ééééééééééé", 10, "ééééééé..."},
		{"abc   defghijk", 9, "abc..."},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
