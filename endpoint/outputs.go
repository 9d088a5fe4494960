package endpoint

import (
	"context"
	"net/url"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
)

// Output is one engine a post goes to. Send gets the whole post converted
// both ways and uses what it takes (remote write the series, Alertmanager
// the alerts); a nil error means the engine accepted it. Permanent says an
// error is a refusal retrying cannot fix (the post is then acknowledged,
// counted and logged); any other error makes the post "unavailable".
type Output interface {
	Name() string
	Send(ctx context.Context, series []remotewrite.Series, alerts []alertmanager.Alert) error
	Permanent(err error) bool
	// Reload re-reads the output's secret and CA files (SIGHUP).
	Reload() error
}

// RemoteWriteOutput sends the series by Prometheus remote write.
type RemoteWriteOutput struct {
	OutputName string
	Client     *remotewrite.Client
}

func (o *RemoteWriteOutput) Name() string { return o.OutputName }

func (o *RemoteWriteOutput) Send(ctx context.Context, series []remotewrite.Series, _ []alertmanager.Alert) error {
	if len(series) == 0 {
		return nil
	}
	return o.Client.Write(ctx, series)
}

func (o *RemoteWriteOutput) Permanent(err error) bool { return remotewrite.IsPermanent(err) }
func (o *RemoteWriteOutput) Reload() error            { return o.Client.Reload() }

// AlertmanagerOutput posts the alerts to Alertmanager.
type AlertmanagerOutput struct {
	OutputName string
	Client     *alertmanager.Client
}

func (o *AlertmanagerOutput) Name() string { return o.OutputName }

func (o *AlertmanagerOutput) Send(ctx context.Context, _ []remotewrite.Series, alerts []alertmanager.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	return o.Client.Post(ctx, alerts)
}

func (o *AlertmanagerOutput) Permanent(err error) bool { return alertmanager.IsPermanent(err) }
func (o *AlertmanagerOutput) Reload() error            { return o.Client.Reload() }

// NewOutputs builds the outputs of a config.
func NewOutputs(c *Config) ([]Output, error) {
	var outs []Output
	for _, o := range c.Outputs.RemoteWrite {
		cl, err := remotewrite.New(o.RemoteWriteConfig())
		if err != nil {
			return nil, err
		}
		outs = append(outs, &RemoteWriteOutput{OutputName: outputName("remote_write", o), Client: cl})
	}
	if o := c.Outputs.Alertmanager; o != nil {
		cl, err := alertmanager.New(o.AlertmanagerConfig())
		if err != nil {
			return nil, err
		}
		outs = append(outs, &AlertmanagerOutput{OutputName: outputName("alertmanager", *o), Client: cl})
	}
	return outs, nil
}

// outputName is the configured name, else kind:host (never the URL's
// user info, path or query, which may hold secrets).
func outputName(kind string, o HTTPOutput) string {
	if o.Name != "" {
		return o.Name
	}
	if u, err := url.Parse(o.URL); err == nil && u.Host != "" {
		return kind + ":" + u.Host
	}
	return kind
}
