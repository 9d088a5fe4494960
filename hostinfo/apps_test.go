package hostinfo

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// canned answers each "path args" with its output; any other command
// fails as an absent one.
func canned(m map[string]string) func(context.Context, string, ...string) ([]byte, error) {
	return func(_ context.Context, path string, args ...string) ([]byte, error) {
		out, ok := m[strings.Join(append([]string{path}, args...), " ")]
		if !ok {
			return nil, &os.PathError{Op: "fork/exec", Path: path, Err: os.ErrNotExist}
		}
		return []byte(out), nil
	}
}

func TestPHPVersionLines(t *testing.T) {
	for _, c := range []struct {
		name, out string
		want      protocol.HostInfoPHP
		found     bool
	}{
		// static/tests/hostinfo/php_VersionAndError_in.txt: the HipHop line
		// comes last, so it is the version the merge keeps.
		{"zend and hhvm", "PHP 5.6.4-4ubuntu6.2 (cli) (built: Jul  2 2015 15:29:28)\nCopyright (c) 1997-2014 The PHP Group\nHipHop VM 3.9.1 (rel)\nCompiler: tags/HHVM-3.9.1-0-g0f72cfc\n",
			protocol.HostInfoPHP{Version: &protocol.HostInfoPHPVersion{Type: "HipHop", Version: "3.9.1"}}, true},
		{"zend", "PHP 8.2.7 (cli) (built: Jun  9 2023)\n", protocol.HostInfoPHP{Version: &protocol.HostInfoPHPVersion{Type: "PHP", Version: "8.2.7"}}, true},
		// A "PHP Warning" line starts with PHP: the original takes it for
		// a version line (php.lua:35 comes before line 42).
		{"startup warnings", "Warning: Module 'x' already loaded\nPHP Warning:  y in Unknown on line 0\nFatal Error: z\n",
			protocol.HostInfoPHP{Version: &protocol.HostInfoPHPVersion{Type: "PHP"}, StartupErrorLines: "Fatal Error: z", StartupErrorCount: 2, StartupErrors: true}, true},
		{"nothing", "Copyright\n", protocol.HostInfoPHP{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p protocol.HostInfoPHP
			found := phpVersionLines(&p, []byte(c.out))
			if found != c.found || !reflect.DeepEqual(p, c.want) {
				t.Errorf("= %+v %v, want %+v %v", p, found, c.want, c.found)
			}
		})
	}
	// static/tests/hostinfo/php_Modules_in.txt.
	if got := phpModules([]byte("zlib\n\n[Zend Modules]\nZend OPcache\n")); !reflect.DeepEqual(got, []string{"zlib", "Zend OPcache"}) {
		t.Errorf("modules = %q", got)
	}
}

func TestAppsAbsent(t *testing.T) {
	ctx := context.Background()
	bare := Options{Root: t.TempDir(), EtcRoot: t.TempDir(), GOOS: "linux", Run: canned(nil)}
	rhel := &collector.Snapshot{Host: collector.Host{Platform: "centos"}}
	stopped := bare
	stopped.Run = canned(map[string]string{"/usr/bin/pgrep -a master": "", "/usr/sbin/postconf": "queue_directory = /var/spool/postfix\nmail_version = 3.7.11\n"})
	for _, c := range []struct {
		name, typ string
		o         Options
		snap      *collector.Snapshot
		wantErr   string
		want      any
	}{
		{"php absent", "PHP", bare, nil, "/usr/bin/php: file does not exist",
			protocol.HostInfoPHP{LogFiles: "/var/log/apache2/*error.log*", Modules: []string{}}},
		{"php absent rhel", "PHP", bare, rhel, "file does not exist",
			protocol.HostInfoPHP{LogFiles: "/var/log/httpd/*error.log*", Modules: []string{}}},
		{"postfix absent", "POSTFIX", bare, nil, "/usr/sbin/postconf: file does not exist\nNo mail queue directory found",
			protocol.HostInfoPostfix{CurrentConfiguration: []any{}, Process: protocol.HostInfoPostfixProcess{Process: protocol.HostInfoPostfixNotRunning}}},
		{"postfix stopped, no spool", "POSTFIX", stopped, nil, "var/spool/postfix/incoming: no such file or directory", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.o).Get(ctx, c.typ, c.snap)
			if !strings.Contains(r.Error, c.wantErr) {
				t.Errorf("error %q, want %q", r.Error, c.wantErr)
			}
			if c.want != nil && !reflect.DeepEqual(r.Metrics, c.want) {
				t.Errorf("metrics %#v, want %#v", r.Metrics, c.want)
			}
		})
	}
	r := New(stopped).Get(ctx, "POSTFIX", nil)
	p := r.Metrics.(protocol.HostInfoPostfix)
	if p.Process.Process != protocol.HostInfoPostfixNotRunning || len(p.MailQueueSize) != 6 || p.MailQueueSize["active"] != 0 ||
		!reflect.DeepEqual(p.CurrentConfiguration, map[string]string{"queue_directory": "/var/spool/postfix", "mail_version": "3.7.11"}) {
		t.Errorf("stopped postfix = %+v", p)
	}
}

func TestPostfixLines(t *testing.T) {
	for _, c := range []struct {
		pgrep, conf string
		process     protocol.HostInfoPostfixProcess
		keys        map[string]string
	}{
		// static/tests/hostinfo/postfix_Process_in.txt.
		{"3593 /usr/lib/postfix/master\n", "mydomain = localdomain\nmynetworks_style = subnet\n",
			protocol.HostInfoPostfixProcess{PID: "3593", Process: "/usr/lib/postfix/master"}, map[string]string{"mydomain": "localdomain"}},
		// The last line wins; a trailing blank leaves no last word; the key
		// runs to the last " = ".
		{"1 a\n2 /usr/lib/postfix/sbin/master -w \n", "myorigin = a = b\nmyhostname = x = y\n",
			protocol.HostInfoPostfixProcess{PID: "2"}, map[string]string{}},
	} {
		o := Options{Root: t.TempDir(), GOOS: "linux", Run: canned(map[string]string{"/usr/bin/pgrep -a master": c.pgrep, "/usr/sbin/postconf": c.conf})}
		p := New(o).Get(context.Background(), "POSTFIX", nil).Metrics.(protocol.HostInfoPostfix)
		if p.Process != c.process {
			t.Errorf("%q: process %+v, want %+v", c.pgrep, p.Process, c.process)
		}
		if m, ok := p.CurrentConfiguration.(map[string]string); (ok || len(c.keys) > 0) && !reflect.DeepEqual(m, c.keys) {
			t.Errorf("%q: configuration %v, want %v", c.conf, p.CurrentConfiguration, c.keys)
		}
	}
}

func TestNginx(t *testing.T) {
	// static/tests/hostinfo/nginx_VersionAndConfigureOptions_in.txt.
	args := nginxConfigureArgs("configure arguments: --with-cc-opt='-g -O2 -fPIE -D_FORTIFY_SOURCE=2' --prefix=/usr/share/nginx --with-http_image_filter_module a=b")
	if want := []string{"--with-cc-opt='-g -O2 -fPIE -D_FORTIFY_SOURCE=2'", "--prefix=/usr/share/nginx", "--with-http_image_filter_module", "a=b"}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %q", args)
	}
	// static/tests/hostinfo/nginx_Vhost_in.txt, and a one-line location.
	v := nginxVhost([]string{"\tlisten 80;", "\tserver_name example.com;", "\troot /var/www/example.com;", "\tlocation = /favicon.ico { log_not_found off; }", "\trootless;"})
	want := protocol.HostInfoNginxVhost{Domain: "example.com", Listen: "80", Docroot: "/var/www/example.com",
		Locations: []map[string]string{{"location": "= /favicon.ico"}}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("vhost = %+v", v)
	}

	ctx := context.Background()
	for _, c := range []struct {
		name    string
		cmds    map[string]string
		wantErr string
		want    any
	}{
		{"absent", nil, protocol.HostInfoNoData, []any{}},
		{"no conf path", map[string]string{"/usr/sbin/nginx -V": "nginx version: nginx/1.22.1\nconfigure arguments: --with-debug\n",
			"/usr/sbin/nginx -t": "nginx: [emerg] unknown directive \"x\"\nnginx: configuration file /etc/nginx/nginx.conf test failed\n"}, "",
			protocol.HostInfoNginx{Version: "1.22.1", ConfigureArguments: []string{"--with-debug"}, Stderr: "nginx: configuration file /etc/nginx/nginx.conf test failed"}},
		{"conf missing", map[string]string{"/usr/sbin/nginx -V": "nginx version: nginx/1.22.1\nconfigure arguments: --conf-path=/etc/nginx/nginx.conf\n"},
			"etc/nginx/nginx.conf: no such file or directory", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(c.cmds)}).Get(ctx, "NGINX_CONFIG", nil)
			if !strings.Contains(r.Error, c.wantErr) || (c.wantErr == "") != (r.Error == "") {
				t.Errorf("error %q, want %q", r.Error, c.wantErr)
			}
			if c.want != nil && !reflect.DeepEqual(r.Metrics, c.want) {
				t.Errorf("metrics %#v, want %#v", r.Metrics, c.want)
			}
		})
	}
}

func TestApache2(t *testing.T) {
	// static/tests/hostinfo/apache2_apacheOut_in.txt's lines.
	var p protocol.HostInfoApache2
	apacheOutput(&p, []string{"Server version: Apache/2.4.10 (Ubuntu)", "Server MPM:     event", ` -D HTTPD_ROOT="/etc/apache2"`,
		` -D SERVER_CONFIG_FILE="apache2.conf"`, "Syntax OK", "AH00526: Syntax error on line 3 of /etc/apache2/x.conf: Invalid command 'Foo'",
		"WARNING: Require MaxClients > 0, setting to 150"})
	want := protocol.HostInfoApache2{Version: "Apache/2.4.10 (Ubuntu)", Mpm: "event", ConfigPath: "/etc/apache2", ConfigFile: "apache2.conf",
		SyntaxErrors: "Syntax error on line 3 of /etc/apache2/x.conf: Invalid command 'Foo'", MaxClients: "150"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("-V = %+v", p)
	}
	for _, c := range []struct {
		s    string
		i, j int
		want string
	}{{"abc", 1, -1, "abc"}, {"abc", 2, -2, "b"}, {"abc", 4, -1, ""}, {"abc", 3, -3, ""}, {"", 17, -2, ""}} {
		if got := sub(c.s, c.i, c.j); got != c.want {
			t.Errorf("sub(%q, %d, %d) = %q", c.s, c.i, c.j, got)
		}
	}

	ctx := context.Background()
	deb := &collector.Snapshot{Host: collector.Host{Platform: "debian"}}
	// Absent: the original's answer is bin, syntax_ok and cients, no error.
	r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(nil)}).Get(ctx, "APACHE2", deb)
	if r.Error != "" || !reflect.DeepEqual(r.Metrics, protocol.HostInfoApache2{Bin: "/usr/sbin/apache2ctl", SyntaxOK: true, Cients: "0"}) {
		t.Errorf("absent = %+v", r)
	}
	// A vhost whose config file is missing; a line before any
	// NameVirtualHost is left out; httpd on CentOS.
	o := Options{Root: t.TempDir(), GOOS: "linux", Run: canned(map[string]string{
		"/usr/sbin/httpd -S": "         port 80 namevhost early.com (/etc/httpd/conf.d/early.conf:1)\n*:80 is a NameVirtualHost\n         port 80 namevhost a.com (/etc/httpd/conf.d/a.conf:1)\n",
	})}
	r = New(o).Get(ctx, "APACHE2", &collector.Snapshot{Host: collector.Host{Platform: "centos"}})
	m := r.Metrics.(protocol.HostInfoApache2)
	if !strings.Contains(r.Error, "etc/httpd/conf.d/a.conf: no such file or directory") || m.Bin != "/usr/sbin/httpd" ||
		!reflect.DeepEqual(m.Vhosts, map[string]map[string]protocol.HostInfoApache2Vhost{"*:80": {"a.com": {Vhost: "a.com", Conf: "/etc/httpd/conf.d/a.conf:1", Port: "80"}}}) {
		t.Errorf("centos = %+v", r)
	}
}

func TestFail2ban(t *testing.T) {
	// static/tests/hostinfo/fail2ban_logfilepath_in.txt and jailslist_in.txt.
	if got := fail2banLogTarget([]byte("Current logging target is:\n`- /var/log/fail2ban.log\n")); got != "/var/log/fail2ban.log" {
		t.Errorf("target = %q", got)
	}
	if got := fail2banLogTarget([]byte("Current logging target is:\n`- SYSLOG\n")); got != "/var/log/syslog" {
		t.Errorf("SYSLOG target = %q", got)
	}
	if got := fail2banJails([]byte("Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n`- Jail list:\tsshd foo, bar, baz, derp\n")); !reflect.DeepEqual(got, []string{"sshd", "foo", "bar", "baz", "derp"}) {
		t.Errorf("jails = %q", got)
	}
	// static/tests/hostinfo/fail2ban_bannedstats_in.txt, an address in a
	// second jail, and a line that is not "[jail] Ban ip".
	banned, activity := fail2banActivityLines([]string{
		"2015-08-27 18:49:05,849 fail2ban.actions        [12228]: NOTICE  [sshd] Unban 43.229.53.20",
		"2015-08-27 19:24:15,683 fail2ban.actions        [12228]: NOTICE  [sshd] Ban 43.229.53.20",
		"2015-08-27 19:34:16,643 fail2ban.actions        [12228]: NOTICE  [sshd] Unban 43.229.53.20",
		"2015-08-27 20:14:40,828 fail2ban.actions        [12228]: NOTICE  [sshd] Ban 43.229.53.20",
		"2015-08-27 20:55:13,275 fail2ban.actions        [12228]: NOTICE  [sshd] Ban 43.229.53.20",
		"x [ssh2] Ban 43.229.53.20",
		"x [sshd] Restore Ban 1.2.3.4",
		"x [sshd] Found 1.2.3.4",
	})
	if len(activity) != 7 || !reflect.DeepEqual(banned, map[string]map[string]protocol.HostInfoFail2banBan{"43.229.53.20": {"ssh2": {Count: 1, Status: "Ban"}}}) {
		t.Errorf("banned %v, activity %d", banned, len(activity))
	}
	many := make([]string, 600)
	for i := range many {
		many[i] = "x [sshd] Ban 1.1.1.1"
	}
	if banned, activity := fail2banActivityLines(many); len(activity) != 500 || banned["1.1.1.1"]["sshd"].Count != 500 {
		t.Errorf("%d activity lines, %+v", len(activity), banned)
	}

	ctx := context.Background()
	// Absent or not root: nothing found, the original's "no data".
	if r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(nil)}).Get(ctx, "FAIL2BAN", nil); r.Error != protocol.HostInfoNoData {
		t.Errorf("absent = %+v", r)
	}
	// A log without bans: empty lists; a missing log: the error, and jails.
	root := t.TempDir()
	if err := os.WriteFile(root+"/f2b.log", []byte("2024 fail2ban.jail [1]: INFO Jail 'sshd' started\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := New(Options{Root: root, GOOS: "linux", Run: canned(map[string]string{"/usr/bin/fail2ban-client get logtarget": "`- /f2b.log\n"})}).Get(ctx, "FAIL2BAN", nil)
	if m := r.Metrics.(protocol.HostInfoFail2ban); r.Error != "" || m.Activity == nil || len(*m.Activity) != 0 || !reflect.DeepEqual(m.Banned, []any{}) || m.Jails != nil {
		t.Errorf("no bans = %+v", r)
	}
	r = New(Options{Root: root, GOOS: "linux", Run: canned(map[string]string{"/usr/bin/fail2ban-client get logtarget": "`- /var/log/none.log\n",
		"/usr/bin/fail2ban-client status": "`- Jail list:\tsshd\n"})}).Get(ctx, "FAIL2BAN", nil)
	if m := r.Metrics.(protocol.HostInfoFail2ban); !strings.Contains(r.Error, "none.log") || m.Activity != nil || !reflect.DeepEqual(*m.Jails, []string{"sshd"}) {
		t.Errorf("missing log = %+v", r)
	}
}

func TestLsyncd(t *testing.T) {
	// static/tests/hostinfo/lsyncd_in.txt: two spellings of one config; the
	// agent's own line names lsyncd after "-x", not after a blank.
	configs, ok := lsyncdConfigs([]byte("root     root     root     root     1 lsyncd /etc/lsyncd/lsyncd.conf.lua\nroot     root     root     root     1 lsyncd   /etc/lsyncd/lsyncd.conf.lua\nroot     root     root     root     0 rackspace-monitoring-agent -e hostinfo_runner -x lsyncd\n"))
	if !ok || !reflect.DeepEqual(configs, []string{"/etc/lsyncd/lsyncd.conf.lua"}) {
		t.Errorf("configs = %q %v", configs, ok)
	}
	ctx := context.Background()
	f, tr := false, true
	for _, c := range []struct {
		name    string
		cmds    map[string]string
		wantErr string
		want    protocol.HostInfoLsyncd
	}{
		{"ps absent", nil, "Lsyncd not found: fork/exec /usr/bin/ps: file does not exist", protocol.HostInfoLsyncd{Bin: "/usr/bin/lsyncd"}},
		{"not running", map[string]string{"/usr/bin/ps -eo euser,ruser,suser,fuser,f,cmd": "root 4 /sbin/init\n"}, protocol.HostInfoLsyncdNotFound, protocol.HostInfoLsyncd{Bin: "/usr/bin/lsyncd"}},
		{"running, binary elsewhere", map[string]string{"/usr/bin/ps -eo euser,ruser,suser,fuser,f,cmd": "root 1 /usr/local/bin/lsyncd x.lua\n"}, "",
			protocol.HostInfoLsyncd{Bin: "/usr/bin/lsyncd", ConfigFile: &[]string{}, Installed: &f, Status: &f}},
		{"running", map[string]string{"/usr/bin/ps -eo euser,ruser,suser,fuser,f,cmd": "root 1 lsyncd a.lua\n", "/usr/bin/lsyncd -version": "Version: 2.2.3\n"}, "",
			protocol.HostInfoLsyncd{Bin: "/usr/bin/lsyncd", ConfigFile: &[]string{"a.lua"}, Installed: &tr, Status: &f}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(c.cmds)}).Get(ctx, "LSYNCD", nil)
			if r.Error != c.wantErr || !reflect.DeepEqual(r.Metrics, c.want) {
				t.Errorf("= %+v, want %q %+v", r, c.wantErr, c.want)
			}
		})
	}
}

func TestWordpress(t *testing.T) {
	// static/tests/hostinfo/wordpress_Version_in.txt and Plugins_in.txt.
	if got := wpVersions([]string{"$wp_version = '4.3';"}); !reflect.DeepEqual(got, []string{"4.3"}) {
		t.Errorf("version = %q", got)
	}
	p, ok := wpPlugin([]string{"Plugin Name: Akismet", "Plugin URI: http://akismet.com/", "Version: 3.1.3"})
	if !ok || p != (protocol.HostInfoWordpressPlugin{Name: "Akismet", Version: "3.1.3"}) {
		t.Errorf("plugin = %+v %v", p, ok)
	}
	if _, ok := wpPlugin([]string{"=== Akismet ===", "Stable tag: 3.1.3"}); ok {
		t.Error("a readme is a plugin")
	}
	// Neither web server: both report no vhosts, nothing else is sent.
	deb := &collector.Snapshot{Host: collector.Host{Platform: "debian"}}
	r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(nil)}).Get(context.Background(), "WORDPRESS", deb)
	if r.Error != "No vhosts found\nNo vhosts found" || !reflect.DeepEqual(r.Metrics, []any{}) {
		t.Errorf("absent = %+v", r)
	}
	// A docroot that is not there is reported; no WordPress is [].
	o := testOptions(t)
	o.Root = t.TempDir()
	if err := os.MkdirAll(o.Root+"/etc/apache2/sites-enabled", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.Root+"/etc/apache2/sites-enabled/example.com.conf", []byte("<VirtualHost *:80>\n\tDocumentRoot /srv/none\n</VirtualHost>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = New(o).Get(context.Background(), "WORDPRESS", deb)
	if w, ok := r.Metrics.(protocol.HostInfoWordpress); !ok || !reflect.DeepEqual(w.Found, []any{}) || w.Docroots["example.com"] != "/srv/none" || w.Docroots["test.com"] != "" || !strings.Contains(r.Error, "srv/none: no such file") {
		t.Errorf("missing docroot = %+v", r)
	}
}

func TestMagento(t *testing.T) {
	// static/tests/hostinfo/magento_in.txt's lines.
	ls := []string{"'major'     => '1',", "'minor'     => '9',", "'revision'  => '0',", "'patch'     => '1',", "'stability' => '',",
		"'scope_code' => $code,", "const EDITION_COMMUNITY    = 'Community';", "const EDITION_ENTERPRISE   = 'Enterprise';",
		"static private $_currentEdition = self::EDITION_ENTERPRISE;", "self::$_currentEdition = $options['edition'];"}
	if v, e, ok := mageVersion(ls); v != "1.9.0.1" || e != "Enterprise" || !ok {
		t.Errorf("= %q %q %v", v, e, ok)
	}
	if v, e, ok := mageVersion([]string{"nothing"}); v != "" || e != "Unknown" || !ok {
		t.Errorf("empty = %q %q %v", v, e, ok)
	}
	if _, _, ok := mageVersion([]string{"static private $_currentEdition = self::EDITION_GO;"}); ok {
		t.Error("an undefined edition is kept")
	}
	ctx := context.Background()
	deb := &collector.Snapshot{Host: collector.Host{Platform: "debian"}}
	r := New(Options{Root: t.TempDir(), GOOS: "linux", Run: canned(nil)}).Get(ctx, "MAGENTO", deb)
	if r.Error != "No vhosts found\nNo vhosts found" || !reflect.DeepEqual(r.Metrics, []any{}) {
		t.Errorf("absent = %+v", r)
	}
	// Docroots without Magento: no data.
	o := testOptions(t)
	o.Root = t.TempDir()
	if err := os.MkdirAll(o.Root+"/etc/apache2/sites-enabled", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(o.Root+"/etc/apache2/sites-enabled/example.com.conf", []byte("<VirtualHost *:80>\n\tDocumentRoot /etc\n</VirtualHost>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := New(o).Get(ctx, "MAGENTO", deb); r.Error != protocol.HostInfoNoData {
		t.Errorf("no magento = %+v", r)
	}
}
