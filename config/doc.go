// Package config reads virgo-top configuration: the Virgo-format config
// file ("key value" per line), VIRGO_TOP_* environment overrides and flag
// overrides, validated with errors that name the line. It does not read
// conf.d check definitions (see the check package) and opens no files
// other than the one Load is given and the token file (ReadTokenFile).
//
// # File format
//
// The format is Virgo's (/etc/rackspace-monitoring-agent.cfg loads
// unchanged): one "key value" per line, split at the first run of spaces or
// tabs; the value is the rest of the line with surrounding whitespace
// trimmed, so it may contain spaces. virgo-top adds full-line comments and
// blank lines: a line whose first non-blank character is '#' is skipped, but
// a '#' after the key is part of the value (there are no trailing
// comments). There is no quoting; quotes are part of the value. A key with
// no value resets the key to its default. A key set twice, an unknown key
// and a bad value are errors naming "file:line" and the key, e.g.
//
//	virgo-top.cfg:7: unknown key "monitoring_endpoint" (did you mean monitoring_endpoints?)
//
// Parse reports every bad line at once. Values are checked as they are
// read: endpoints are host:port with a numeric port 1-65535, query
// endpoints are DNS (SRV) names, the ServiceNet region is one of dfw ord lon
// syd hkg iad, URLs are http or https with a host, durations are Go
// durations (time.ParseDuration), sizes take an optional kB/MB/GB/KiB/MiB/GiB
// unit. Booleans accept true/false, yes/no, 1/0, on/off and
// enabled/disabled, in any case. monitoring_upgrade is accepted and
// ignored, with a note in Config.Notes.
//
// # Precedence
//
// Default() < file (Parse, Load) < systemd credentials (ApplyCredentials)
// < environment (ApplyEnv) < flags (Set). Config.Source records where each
// key was last set. Rules that span keys
// (only one of monitoring_endpoints, monitoring_query_endpoints and
// monitoring_snet_region; notification keys that need each other) are
// checked by Validate, after all three layers are applied.
//
// # Environment
//
// VIRGO_TOP_<KEY in upper case> overrides the file, e.g.
// VIRGO_TOP_MONITORING_TOKEN. An empty variable is ignored. A VIRGO_TOP_
// variable that is a near miss of a key is an error: a typo such as
// VIRGO_TOP_MONITORING_TOKN would otherwise leave the file's token in force
// without a word. One that resembles no key (VIRGO_TOP_CMD, set by other
// tools) is only noted in Config.Notes. The environment is passed in
// ([]string from os.Environ), never read here.
//
// # The token
//
// The monitoring token is given either as monitoring_token (the value) or
// as monitoring_token_file (a file whose content, trimmed, is the token;
// ReadTokenFile reads it and refuses a file group or others can read or
// write). Setting one clears the other, so the token comes from the first
// layer that gives either: flags (--token, --token-file), environment
// (VIRGO_TOP_MONITORING_TOKEN, VIRGO_TOP_MONITORING_TOKEN_FILE), the
// systemd credential $CREDENTIALS_DIRECTORY/monitoring_token
// (ApplyCredentials), the config file. One layer giving both is an error
// (ErrConflict).
//
// # Secrets
//
// The monitoring token, the SMTP password and the webhook secret are of
// type Secret, whose every printed or encoded form (fmt, JSON, text, slog)
// shows at most the last four characters ("****7777"); Reveal gives the
// value to the code that sends it. Errors never contain secret values, URL
// values (they may carry credentials), or an unknown "key" that does not
// look like a key name (a token pasted on a line of its own). Settings
// lists every key safely for display, URLs as RedactURL shows them: scheme
// and host only, "/***" for any path or query (webhook paths and query
// strings are often credentials), never user info. Config and NotifyConfig
// print (fmt, slog) as Settings shows them. CheckPermissions reports a config
// file that group or others can read or write (Unix; nil elsewhere); the
// caller decides whether to refuse or warn.
package config
