package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/virgo-top/virgo-top/notify"
)

// printer is a Notifier that prints what it is given.
type printer struct{}

func (printer) Name() string { return "printer" }

func (printer) Notify(_ context.Context, ev notify.Event) error {
	fmt.Println(ev.Short())
	return nil
}

func ExampleDispatcher() {
	d, err := notify.NewDispatcher([]notify.Notifier{printer{}}, notify.DispatcherOptions{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 11, 24, 12, 3, 5, 0, time.UTC)
	ev := notify.Event{Entity: "web1", CheckLabel: "cpu", AlarmName: "high-cpu",
		Current: notify.StateCritical, Message: "CPU at 97%", Time: at}
	d.Enqueue(ev)
	ev.Current, ev.Message, ev.Time = notify.StateOK, "CPU at 20%", at.Add(4*time.Second)
	d.Enqueue(ev)
	ev.Current, ev.Message, ev.Time = notify.StateWarning, "CPU at 85%", at.Add(9*time.Second)
	d.Enqueue(ev)

	// Run was not called: Close delivers what is due itself. The receiver
	// gets the alarm's state now, with the CRITICAL it missed in between.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	st := d.Stats()["printer"]
	fmt.Println("sent", st.Sent, "coalesced", st.Coalesced)
	fmt.Println(d.Told("printer", ev.Key()))
	// Output:
	// WARNING cpu@web1 (CRITICAL at 12:03:05 in between): CPU at 85%
	// sent 1 coalesced 2
	// WARNING true
}

func ExampleVerifyWebhook() {
	secret := "shared secret"
	body := []byte(`{"entity":"web1","current":"CRITICAL"}`)
	sent := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	// What a Webhook sends in X-Virgo-Timestamp and X-Virgo-Signature:
	ts := strconv.FormatInt(sent.Unix(), 10)
	sig := notify.Sign([]byte(secret), ts, body)

	fmt.Println(notify.VerifyWebhook(secret, ts, sig, body, sent.Add(2*time.Second), 0))
	fmt.Println(notify.VerifyWebhook(secret, ts, sig, []byte(`{"tampered":true}`), sent, 0))
	fmt.Println(notify.VerifyWebhook(secret, ts, sig, body, sent.Add(time.Hour), 0)) // a replay
	// Output:
	// <nil>
	// notify: webhook signature does not match
	// notify: webhook timestamp is 1h0m0s away from now, more than 5m0s
}
