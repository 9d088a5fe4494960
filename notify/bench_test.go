package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"testing"
	"time"
)

// BenchmarkEnqueue measures the cost a check pays to report a state:
// recording it for two receivers, rotating over 100 alarms whose state
// changes each time (no worker runs, so the outboxes only grow owed).
func BenchmarkEnqueue(b *testing.B) {
	d, err := NewDispatcher([]Notifier{&fakeNotifier{name: "a"}, &fakeNotifier{name: "b"}},
		DispatcherOptions{Logger: discardLogger(), Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]Event, 200)
	for i := range evs {
		evs[i] = testEvent()
		evs[i].AlarmName = "al" + strconv.Itoa(i%100)
		evs[i].Current = []string{StateCritical, StateWarning}[i/100]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Enqueue(evs[i%len(evs)])
	}
	b.StopTimer()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = d.Close(ctx)
}

func BenchmarkBuildMessage(b *testing.B) {
	ev := testEvent()
	from := &mail.Address{Name: "Virgo", Address: "virgo@example.com"}
	to := []*mail.Address{{Address: "ops@example.com"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = buildMessage(ev, from, to, fixedNow, "<id@example.com>")
	}
}

func BenchmarkSMSRender(b *testing.B) {
	s, err := NewSMS(SMSOptions{URL: "http://127.0.0.1/", To: "+15551234567", Format: SMSJSON})
	if err != nil {
		b.Fatal(err)
	}
	ev := testEvent()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Render(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWebhookNotify(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w, err := NewWebhook(WebhookOptions{URL: srv.URL, Secret: "k"})
	if err != nil {
		b.Fatal(err)
	}
	ev := testEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.Notify(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
