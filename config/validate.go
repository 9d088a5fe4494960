package config

import (
	"errors"
	"fmt"
	"strings"
)

// Validate checks the whole configuration: every field again (so a Config
// built or changed in code gets the same checks as the file) and the rules
// that span keys:
//   - at most one of monitoring_endpoints, monitoring_query_endpoints and
//     monitoring_snet_region is set (Virgo's rule);
//   - notify_smtp_addr needs notify_smtp_from and notify_smtp_to; the SMTP
//     user, password, from and to need notify_smtp_addr;
//   - notify_webhook_secret needs notify_webhook_url;
//   - notify_sms_url needs notify_sms_to, and the SMS template and recipient
//     need notify_sms_url.
//
// Errors name where the offending keys were set (Config.Source). Validate
// does not require monitoring_token: the console runs without an upstream.
// Call it after the file, the environment and the flags are applied.
func (c Config) Validate() error {
	var errs []error
	for i := range keyTable {
		k := &keyTable[i]
		v := k.get(&c)
		if v == "" {
			if k.name == "state_dir" || k.name == "log_level" || k.name == "log_format" {
				errs = append(errs, c.keyError(k.name, k.name+": must not be empty", ErrInvalidValue))
			}
			continue
		}
		scratch := Default()
		if err := checkText(v); err != nil {
			errs = append(errs, c.keyError(k.name, k.name+": "+err.Error(), ErrInvalidValue))
		} else if err := k.set(&scratch, v); err != nil {
			errs = append(errs, c.keyError(k.name, k.name+": "+err.Error(), ErrInvalidValue))
		}
	}

	var endpointKeys []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"monitoring_endpoints", len(c.Endpoints) > 0},
		{"monitoring_query_endpoints", len(c.QueryEndpoints) > 0},
		{"monitoring_snet_region", c.SnetRegion != ""},
	} {
		if k.set {
			endpointKeys = append(endpointKeys, c.describe(k.name))
		}
	}
	if len(endpointKeys) > 1 {
		errs = append(errs, &Error{Err: ErrConflict, Msg: fmt.Sprintf(
			"%s conflict: set only one of monitoring_endpoints, monitoring_query_endpoints and monitoring_snet_region",
			strings.Join(endpointKeys, " and "))})
	}

	n := c.Notify
	needs := func(have bool, key string, need bool, needKey string) {
		if have && !need {
			errs = append(errs, &Error{Err: ErrConflict, Key: key,
				Msg: fmt.Sprintf("%s needs %s", c.describe(key), needKey)})
		}
	}
	needs(n.SMTPAddr != "", "notify_smtp_addr", n.SMTPFrom != "", "notify_smtp_from")
	needs(n.SMTPAddr != "", "notify_smtp_addr", len(n.SMTPTo) > 0, "notify_smtp_to")
	needs(n.SMTPUser != "", "notify_smtp_user", n.SMTPAddr != "", "notify_smtp_addr")
	needs(n.SMTPPassword != "", "notify_smtp_password", n.SMTPAddr != "", "notify_smtp_addr")
	needs(n.SMTPFrom != "", "notify_smtp_from", n.SMTPAddr != "", "notify_smtp_addr")
	needs(len(n.SMTPTo) > 0, "notify_smtp_to", n.SMTPAddr != "", "notify_smtp_addr")
	needs(n.WebhookSecret != "", "notify_webhook_secret", n.WebhookURL != "", "notify_webhook_url")
	needs(n.WebhookFormat != "", "notify_webhook_format", n.WebhookURL != "", "notify_webhook_url")
	needs(n.WebhookToken != "", "notify_webhook_token", n.WebhookURL != "", "notify_webhook_url")
	needs(n.WebhookTenant != "", "notify_webhook_tenant", n.WebhookURL != "", "notify_webhook_url")
	needs(n.SMSURL != "", "notify_sms_url", n.SMSTo != "", "notify_sms_to")
	needs(n.SMSTo != "", "notify_sms_to", n.SMSURL != "", "notify_sms_url")
	needs(n.SMSTemplate != "", "notify_sms_template", n.SMSURL != "", "notify_sms_url")
	return errors.Join(errs...)
}

// describe names a key with where it was set: `monitoring_endpoints (set at
// agent.cfg:3)`.
func (c Config) describe(key string) string {
	if src := c.Source[key]; src != "" {
		return key + " (set at " + src + ")"
	}
	return key
}

func (c Config) keyError(key, msg string, sentinel error) *Error {
	return &Error{Where: c.Source[key], Key: key, Msg: msg, Err: sentinel}
}
