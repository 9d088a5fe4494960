//go:build unix

package chaos

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/virgo-top/virgo-top/notify"
)

// The webhook secret the daemon signs with; it must never show in a log or
// a state file.
const hookSecret = "chaos-webhook-secret-5f0e1d2c3b4a"

// notifyMode sizes the notification chaos run.
type notifyMode struct {
	name     string
	window   time.Duration // notify_rate_window (1 notification per window)
	retryMax time.Duration // notify_retry_max
	hold     time.Duration // how long each forced state lasts
	outage   time.Duration // receivers down
	flaps    int           // forced states during the outage
	kills    int           // daemon SIGKILLs during the outage
}

var (
	notifyShort = notifyMode{name: "short", window: 6 * time.Second, retryMax: 3 * time.Second, hold: 3 * time.Second,
		outage: 14 * time.Second, flaps: 4, kills: 1}
	notifyLong = notifyMode{name: "long", window: time.Minute, retryMax: 20 * time.Second, hold: 4 * time.Second,
		outage: 2 * time.Minute, flaps: 24, kills: 3}
)

// TestNotifyChaos drives one alarm through forced flaps, a 2-minute outage
// of both receivers (a real webhook receiver and a real SMTP server on
// loopback) and daemon SIGKILLs + restarts in the middle of the incident,
// with a rate limit of one notification per alarm per window. It then
// judges what the receivers got against the states it forced (never the
// daemon's counters): every change delivered or coalesced, no escalation
// lost, no restart re-notifying, each receiver's last word the alarm's
// state. VIRGO_CHAOS=long runs the 2-minute outage (make chaos); the
// short version runs in make test.
func TestNotifyChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("notification chaos runs the daemon for ~50 s; skipped under -short")
	}
	t.Parallel() // beside TestChaos: both wait on processes, not the CPU
	m := notifyShort
	if os.Getenv("VIRGO_CHAOS") == "long" {
		m = notifyLong
	}
	bin := buildBinary(t, t.TempDir())
	n := newNotifyHarness(t, bin, m)
	defer n.stop()

	// Episode 0: the start. The first OK is nobody's news.
	n.force("OK")
	n.startDaemon()
	n.waitRuns(2)
	n.hold()
	// Inside one window: the first CRITICAL and its recovery go at once;
	// the next CRITICAL has no token and is over before the window
	// reopens (a flap: reported then as the worst state in between); the
	// WARNING that follows waits for the window in turn.
	for _, step := range []struct {
		state string
		hold  time.Duration
	}{{"CRITICAL", 2 * time.Second}, {"OK", 2 * time.Second}, {"CRITICAL", 1500 * time.Millisecond}, {"OK", m.window - 2*time.Second}, {"WARNING", m.hold}} {
		n.force(step.state)
		time.Sleep(step.hold)
	}
	// Both receivers go down; flaps, and daemon kills mid-incident.
	n.receiversDown()
	outageEnd := time.Now().Add(m.outage)
	cycle := []string{"CRITICAL", "OK", "WARNING", "CRITICAL"}
	killEvery := max(m.flaps/(m.kills+1), 1)
	for i := 0; i < m.flaps; i++ {
		n.force(cycle[i%len(cycle)])
		if (i+1)%killEvery == 0 && n.kills < m.kills && cycle[i%len(cycle)] != "OK" {
			n.waitRuns(1) // the daemon saw the incident
			n.killDaemon()
			time.Sleep(time.Second)
			n.startDaemon()
		}
		n.hold()
	}
	if d := time.Until(outageEnd); d > 0 {
		time.Sleep(d)
	}
	n.force("CRITICAL") // the incident goes on while the receivers return
	n.receiversUp()
	n.hold()
	n.force("OK")
	n.waitSettled()

	r := analyzeNotify(n.episodes, map[string][]notice{"webhook": n.hook.got(), "email": n.smtp.got()})
	t.Log(r.String())
	fmt.Println(r.String())
	for _, p := range r.Problems {
		t.Error(p)
	}
	if !r.ok() {
		t.Errorf("notification chaos failed: %s (spurious %d, duplicates %d)", r, r.Spurious, r.Duplicates)
	}
	if bad := n.hook.badSignatures(); bad > 0 {
		t.Errorf("%d webhook requests failed the timestamped signature check", bad)
	}
	n.stop()
	n.auditSecrets()
}

// notifyHarness owns the daemon, the receivers and the forced episodes.
type notifyHarness struct {
	t        *testing.T
	bin, dir string
	m        notifyMode
	level    string // the plugin's input
	cfg      string

	hook *hookReceiver
	smtp *smtpReceiver

	daemon   *proc
	gen      int
	kills    int
	logs     []string
	episodes []episode
}

func newNotifyHarness(t *testing.T, bin string, m notifyMode) *notifyHarness {
	dir := t.TempDir()
	n := &notifyHarness{t: t, bin: bin, dir: dir, m: m, level: filepath.Join(dir, "level")}
	n.hook = newHookReceiver(t)
	n.smtp = newSMTPReceiver(t)
	for _, d := range []string{"confd", "plugins", "state"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The plugin prints the forced level and episode; the alarm names
	// both in its message, so each notice says which episode it reports.
	plugin := "#!/bin/sh\nread level episode < " + n.level + "\n" +
		"echo \"status level $level\"\necho \"metric level int32 $level\"\necho \"metric episode int32 $episode\"\n"
	if err := os.WriteFile(filepath.Join(dir, "plugins", "level.sh"), []byte(plugin), 0o700); err != nil {
		t.Fatal(err)
	}
	check := `type: agent.plugin
label: chaos level
period: 1
timeout: 1
details: {file: level.sh}
alarms:
  level:
    label: forced level
    criteria: |
      if (metric['level'] >= 2) { return new AlarmStatus(CRITICAL, 'level #{level} episode #{episode}'); }
      if (metric['level'] == 1) { return new AlarmStatus(WARNING, 'level #{level} episode #{episode}'); }
      return new AlarmStatus(OK, 'level #{level} episode #{episode}');
`
	if err := os.WriteFile(filepath.Join(dir, "confd", "level.yaml"), []byte(check), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cfg = filepath.Join(dir, "virgo-top.cfg")
	cfg := fmt.Sprintf(`state_dir %s
confd_dir %s
plugin_dir %s
interval 1s
log_level debug
notify_webhook_url http://%s/hook
notify_webhook_secret %s
notify_smtp_addr %s
notify_smtp_starttls false
notify_smtp_from agent@example.org
notify_smtp_to ops@example.org
notify_rate_limit 1
notify_rate_window %s
notify_retry_max %s
`, filepath.Join(dir, "state"), filepath.Join(dir, "confd"), filepath.Join(dir, "plugins"),
		n.hook.addr, hookSecret, n.smtp.addr, m.window, m.retryMax)
	if err := os.WriteFile(n.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// force starts the next episode: the plugin reports state from now on.
func (n *notifyHarness) force(state string) {
	n.t.Helper()
	level := map[string]int{"OK": 0, "WARNING": 1, "CRITICAL": 2}[state]
	ep := len(n.episodes)
	tmp := n.level + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "%d %d\n", level, ep), 0o600); err != nil {
		n.t.Fatal(err)
	}
	if err := os.Rename(tmp, n.level); err != nil {
		n.t.Fatal(err)
	}
	n.episodes = append(n.episodes, episode{N: ep, State: state, At: time.Now()})
	n.t.Logf("%s episode %d: %s", time.Now().UTC().Format("15:04:05.000"), ep, state)
}

func (n *notifyHarness) hold() { time.Sleep(n.m.hold) }

func (n *notifyHarness) startDaemon() {
	n.t.Helper()
	n.gen++
	logPath := filepath.Join(n.dir, fmt.Sprintf("daemon-%d.log", n.gen))
	out := filepath.Join(n.dir, fmt.Sprintf("daemon-%d.out", n.gen))
	p, err := startProc(n.t, fmt.Sprintf("daemon %d", n.gen), n.bin, []string{"--daemon", "--config", n.cfg, "--log-file", logPath}, out)
	if err != nil {
		n.t.Fatal(err)
	}
	n.daemon = p
	n.logs = append(n.logs, logPath, out)
	if _, err := waitLog(p, logPath, `msg="check result" check=confd-level`, 30*time.Second); err != nil {
		o, _ := os.ReadFile(out)
		l, _ := os.ReadFile(logPath)
		n.t.Fatalf("%v\n%s\n%s", err, o, l)
	}
}

// waitRuns waits until the current daemon has run the check k more times.
func (n *notifyHarness) waitRuns(k int) {
	n.t.Helper()
	logPath := n.logs[len(n.logs)-2]
	times, _, err := scanLog(logPath, `msg="check result" check=confd-level`)
	if err != nil {
		n.t.Fatal(err)
	}
	want := len(times) + k
	deadline := time.Now().Add(30 * time.Second)
	for {
		times, _, err := scanLog(logPath, `msg="check result" check=confd-level`)
		if err != nil {
			n.t.Fatal(err)
		}
		if len(times) >= want {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("the daemon ran the check %d times in 30 s, want %d", len(times), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (n *notifyHarness) killDaemon() {
	_ = n.daemon.stop(syscall.SIGKILL, 10*time.Second)
	n.kills++
	n.t.Logf("%s daemon SIGKILLed (incident in progress)", time.Now().UTC().Format("15:04:05.000"))
}

func (n *notifyHarness) receiversDown() {
	n.hook.down()
	n.smtp.down()
	n.t.Logf("%s receivers down", time.Now().UTC().Format("15:04:05.000"))
}

func (n *notifyHarness) receiversUp() {
	n.hook.up()
	n.smtp.up()
	n.t.Logf("%s receivers up", time.Now().UTC().Format("15:04:05.000"))
}

// waitSettled waits until both receivers were last told the final state
// and nothing more arrived for a window and a retry.
func (n *notifyHarness) waitSettled() {
	n.t.Helper()
	final := n.episodes[len(n.episodes)-1]
	quiet := n.m.window + n.m.retryMax + 2*time.Second
	deadline := time.Now().Add(3*n.m.window + 4*n.m.retryMax + time.Minute)
	for {
		h, s := n.hook.got(), n.smtp.got()
		last := func(ns []notice) bool {
			return len(ns) > 0 && ns[len(ns)-1].Current == final.State && ns[len(ns)-1].CurEpisode == final.N
		}
		if last(h) && last(s) && time.Since(n.hook.lastAt()) > quiet && time.Since(n.smtp.lastAt()) > quiet {
			return
		}
		if time.Now().After(deadline) {
			n.t.Logf("receivers not settled by the deadline: webhook %+v, email %+v", h, s)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (n *notifyHarness) stop() {
	if n.daemon != nil && !n.daemon.exited() {
		if err := n.daemon.stop(syscall.SIGTERM, 15*time.Second); err != nil {
			n.t.Errorf("daemon exit on SIGTERM: %v", err)
		}
	}
	n.hook.down()
	n.smtp.down()
}

// auditSecrets: the webhook secret is in no log, no daemon output and no
// state file.
func (n *notifyHarness) auditSecrets() {
	files := append([]string{}, n.logs...)
	_ = filepath.WalkDir(filepath.Join(n.dir, "state"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			n.t.Error(err)
		}
		if strings.Contains(string(b), hookSecret) {
			n.t.Errorf("the webhook secret is in %s", f)
		}
	}
}

// hookReceiver is a webhook receiver on a fixed loopback port that can go
// down (connections refused) and come back.
type hookReceiver struct {
	t    *testing.T
	addr string

	mu      sync.Mutex
	srv     *http.Server
	notices []notice
	last    time.Time
	badSig  int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{t: t, addr: freePort(t)}
	h.up()
	return h
}

func (h *hookReceiver) up() {
	ln := listenRetry(h.t, h.addr)
	srv := &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	go srv.Serve(ln)
}

func (h *hookReceiver) down() {
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sigErr := notify.VerifyWebhook(hookSecret, r.Header.Get(notify.TimestampHeader), r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute)
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	nt := notice{At: time.Now(), Current: ev.Current, CurEpisode: episodeOf(ev.Message), WorstEpisode: -1}
	if ev.Worst != nil {
		nt.Worst, nt.WorstEpisode = ev.Worst.State, episodeOf(ev.Worst.Message)
	}
	h.mu.Lock()
	if sigErr != nil {
		h.badSig++
	}
	h.notices = append(h.notices, nt)
	h.last = time.Now()
	h.mu.Unlock()
	h.t.Logf("%s webhook: %s -> %s %q (worst %+v)", time.Now().UTC().Format("15:04:05.000"), ev.Previous, ev.Current, ev.Message, ev.Worst)
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) got() []notice {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notice(nil), h.notices...)
}

func (h *hookReceiver) lastAt() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

func (h *hookReceiver) badSignatures() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.badSig
}

// listenRetry listens on addr, retrying while the port is briefly taken.
func listenRetry(t *testing.T, addr string) net.Listener {
	t.Helper()
	for i := 0; ; i++ {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if i > 100 {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// smtpReceiver is a real SMTP server (go-smtp) on a fixed loopback port
// that can go down and come back; it parses each mail into a notice.
type smtpReceiver struct {
	t    *testing.T
	addr string

	mu      sync.Mutex
	srv     *smtp.Server
	notices []notice
	last    time.Time
}

func newSMTPReceiver(t *testing.T) *smtpReceiver {
	s := &smtpReceiver{t: t, addr: freePort(t)}
	s.up()
	return s
}

func (s *smtpReceiver) up() {
	ln := listenRetry(s.t, s.addr)
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *smtpReceiver) down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// NewSession implements smtp.Backend.
func (s *smtpReceiver) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{r: s}, nil }

type smtpSession struct{ r *smtpReceiver }

func (*smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*smtpSession) Reset()                               {}
func (*smtpSession) Logout() error                        { return nil }

func (ss *smtpSession) Data(r io.Reader) error {
	nt, err := parseMail(r)
	if err != nil {
		return err
	}
	nt.At = time.Now()
	ss.r.mu.Lock()
	ss.r.notices = append(ss.r.notices, nt)
	ss.r.last = time.Now()
	ss.r.mu.Unlock()
	ss.r.t.Logf("%s email: %+v", time.Now().UTC().Format("15:04:05.000"), nt)
	return nil
}

func (s *smtpReceiver) got() []notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notice(nil), s.notices...)
}

func (s *smtpReceiver) lastAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// parseMail reads a notification mail as a person would: the state on its
// first line ("CRITICAL: check on host"), the alarm's message on the
// next, and a "Between:" line for a state passed through in between.
func parseMail(r io.Reader) (notice, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return notice{}, err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	if subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil && !strings.HasPrefix(subj, "[virgo-top] ") {
		return notice{}, fmt.Errorf("not a notification: subject %q", subj)
	}
	sc := bufio.NewScanner(body)
	nt := notice{CurEpisode: -1, WorstEpisode: -1}
	for i := 0; sc.Scan(); i++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case i == 0:
			nt.Current, _, _ = strings.Cut(line, ":")
		case i == 1:
			nt.CurEpisode = episodeOf(line)
		case strings.HasPrefix(line, "Between:"):
			rest := strings.TrimSpace(strings.TrimPrefix(line, "Between:"))
			nt.Worst, _, _ = strings.Cut(rest, " ")
			nt.WorstEpisode = episodeOf(rest)
		}
	}
	return nt, sc.Err()
}
