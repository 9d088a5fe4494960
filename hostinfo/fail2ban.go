package hostinfo

import (
	"context"
	"regexp"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// fail2banPaths are where fail2ban-client is installed (the original ran
// it through PATH).
var fail2banPaths = []string{"/usr/bin/fail2ban-client", "/usr/local/bin/fail2ban-client"}

// fail2banMaxActivity is fail2ban.lua:106's limit.
const fail2banMaxActivity = 500

var (
	fail2banAfterSpace = regexp.MustCompile(`\s(.+)`)        // line 31
	fail2banJailList   = regexp.MustCompile(`\sJail\slist:`) // line 38
	fail2banAfterTab   = regexp.MustCompile(`\t(.+)`)        // line 39
	fail2banLetters    = regexp.MustCompile(`[A-Za-z]+`)     // line 41
	fail2banActivity   = regexp.MustCompile(`\sBan|\sUnban`) // line 49
	fail2banBracketed  = regexp.MustCompile(`\[(.*)\]`)      // line 62
)

// fail2banLogTarget is LogfilePathReader (fail2ban.lua:28-34) and
// getLogfilePath's end (lines 84-100): the last line's text after its
// first blank. "SYSLOG" becomes /var/log/syslog: the original tested for
// a file named "SYSLOG" in its working directory, which failing, it
// answered /var/log/syslog.
func fail2banLogTarget(out []byte) string {
	target := ""
	for _, line := range lines(out) {
		if strings.Contains(line, "Current logging target is:") {
			continue
		}
		m := fail2banAfterSpace.FindStringSubmatch(line)
		if m == nil {
			break // a nil push ends the original's stream
		}
		target = m[1]
	}
	if target == "SYSLOG" {
		return "/var/log/syslog"
	}
	return target
}

// fail2banJails is JailsListReader (lines 37-45): the last "Jail list:"
// line's runs of letters after its tab.
func fail2banJails(out []byte) []string {
	var jails []string
	for _, line := range lines(out) {
		if !fail2banJailList.MatchString(line) {
			continue
		}
		csv := ""
		if m := fail2banAfterTab.FindStringSubmatch(line); m != nil {
			csv = m[1]
		}
		jails = fail2banLetters.FindAllString(csv, maxRows)
		if jails == nil {
			jails = []string{}
		}
	}
	return jails
}

// fail2banActivityLines is ActivityLogReader (lines 48-53) and
// BannedStatsReader (lines 56-65) with getActivityLogAndBannedStats' sums
// (lines 116-142) over the log's content lines.
//
// Difference, on purpose: an address met again in another jail starts a
// new record in that jail (the original then added to a nil record and
// failed); a line whose third word from the end is not "[jail]" is in
// activity but not counted (the original indexed nil and failed).
func fail2banActivityLines(ls []string) (map[string]map[string]protocol.HostInfoFail2banBan, []string) {
	banned := map[string]map[string]protocol.HostInfoFail2banBan{}
	activity := []string{}
	for _, line := range ls {
		if !fail2banActivity.MatchString(line) || len(activity) >= fail2banMaxActivity {
			continue
		}
		activity = append(activity, line)
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		m := fail2banBracketed.FindStringSubmatch(f[len(f)-3])
		if m == nil {
			continue
		}
		ip, status, jail := f[len(f)-1], f[len(f)-2], m[1]
		ban, ok := banned[ip][jail]
		if !ok {
			ban = protocol.HostInfoFail2banBan{Status: "None"}
		}
		if status == "Ban" {
			ban.Count++
		}
		ban.Status = status
		banned[ip] = map[string]protocol.HostInfoFail2banBan{jail: ban} // line 140 drops the other jails
	}
	return banned, activity
}

// buildFail2ban is hostinfo/fail2ban.lua:74-190. fail2ban-client's
// stderr and exit code are not read, as the original's readers never saw
// them (it piped stdout only): where fail2ban is absent or the agent is
// not root, nothing is found and the answer is the original's "no data".
// The log file is read under Root.
func buildFail2ban(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	client := s.command(fail2banPaths...)
	var p protocol.HostInfoFail2ban
	var errs []string
	found := false
	out, _ := s.run(ctx, client, "get", "logtarget")
	if target := fail2banLogTarget(out); target != "" {
		b, err := readFile(s.opts.root(), target)
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			banned, activity := fail2banActivityLines(contentLines(b))
			p.Activity, p.Banned, found = &activity, banned, true
			if len(banned) == 0 {
				p.Banned = []any{} // an empty Lua table
			}
		}
	}
	out, _ = s.run(ctx, client, "status")
	if jails := fail2banJails(out); jails != nil {
		p.Jails, found = &jails, true
	}
	if !found {
		return partial{errs: errs}, nil
	}
	return partial{metrics: p, errs: errs}, nil
}
