package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
	go func() { _ = d.Run(context.Background()) }()

	ev := notify.Event{Entity: "web1", CheckLabel: "cpu", AlarmName: "high-cpu",
		Previous: notify.StateOK, Current: notify.StateCritical, Message: "CPU at 97%", Time: time.Now()}
	d.Enqueue(ev)
	ev.Previous, ev.Current, ev.Message = notify.StateCritical, notify.StateWarning, "CPU at 85%"
	d.Enqueue(ev) // within a minute of the first: suppressed
	ev.Previous, ev.Current, ev.Message = notify.StateWarning, notify.StateOK, "CPU at 20%"
	d.Enqueue(ev) // a recovery: always sent

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", d.Stats()["printer"])
	// Output:
	// CRITICAL cpu@web1: CPU at 97%
	// OK cpu@web1: CPU at 20%
	// {Sent:2 Failed:0 Retried:0 Dropped:0 Suppressed:1}
}

func ExampleVerifySignature() {
	secret := []byte("shared secret")
	body := []byte(`{"entity":"web1","current":"CRITICAL"}`)
	header := notify.Sign(secret, body) // what the Webhook sends in X-Virgo-Signature
	fmt.Println(notify.VerifySignature(secret, body, header))
	fmt.Println(notify.VerifySignature(secret, []byte(`{"tampered":true}`), header))
	// Output:
	// true
	// false
}
