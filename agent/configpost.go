package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/protocol"
)

// maxConfigPost bounds the conf.d text sent in one config_file.post, well
// under the protocol's line limit: files past it are left out (logged).
const maxConfigPost = protocol.DefaultMaxLineSize / 2

// configPostTimeout bounds the wait for the endpoint's reply.
const configPostTimeout = 30 * time.Second

// postConfD sends the conf.d files to the endpoint with config_file.post
// once, on the first connection whose hello names an entity, as the
// original's Confd:runOnce does after the first promotion (agent.lua:
// 152-157, confd.lua:110-167), so that server-side views know the agent's
// own checks and alarms. The files go as the original sends them, name to
// text ({"config_data": {...}}, or {"dummy": 1} with none), except that
// secret details are masked (MaskConfD). A call cut by a dropped connection
// is made again on the next one; an error reply is logged, not retried.
func (rt *Runtime) postConfD(ctx context.Context, dir string) {
	files := confdFiles(dir, rt.log)
	params := protocol.ConfigFilePost{ConfigData: files}
	if len(files) == 0 {
		params = protocol.ConfigFilePost{Dummy: 1}
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, configPostTimeout)
		var res protocol.ConfigFileResult
		endpoint, err := rt.Manager.CallBound(cctx, protocol.MethodConfigFilePost, params, &res)
		cancel()
		var perr *protocol.Error
		switch {
		case ctx.Err() != nil:
			return
		case errors.As(err, &perr):
			rt.log.Error("config_file post error response", "endpoint", endpoint, "code", perr.Code, "message", perr.Message)
			return
		case err != nil:
			rt.log.Info("config_file post not answered; again on the next connection", "endpoint", endpoint, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		outcome := "failure"
		if res.Success {
			outcome = "success"
		}
		rt.log.Info("config_file post", "endpoint", endpoint, "files", len(files), "result", outcome)
		for _, v := range res.Values {
			if v.Success {
				rt.log.Info("config_file post operation", "result", "success", "type", v.Type, "location", v.Location, "handle", v.Handle)
			} else {
				rt.log.Error("config_file post operation", "result", "failure", "type", v.Type, "location", v.Location, "handle", v.Handle, "err", string(v.Err))
			}
		}
		return
	}
}

// confdFiles reads the *.yaml files of dir, as the original's
// Confd:_getFileList and _readFiles do (every .yaml file, by name), with
// their secrets masked (MaskConfD). A file that cannot be read, that is
// not YAML (its secrets could not be found) or that does not fit within
// maxConfigPost is left out and logged. A missing dir is no files.
func confdFiles(dir string, log *slog.Logger) map[string]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("conf.d files not posted", "dir", dir, "err", err)
		}
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	files := map[string]string{}
	size := 0
	for _, name := range names {
		data, err := readConfDFile(filepath.Join(dir, name))
		if err != nil {
			log.Warn("conf.d file not posted", "file", name, "err", err)
			continue
		}
		text, err := MaskConfD(data)
		if err != nil {
			log.Warn("conf.d file not posted: not YAML, so its secrets cannot be masked", "file", name, "err", err)
			continue
		}
		if size+len(name)+len(text) > maxConfigPost {
			log.Warn("conf.d file not posted: the post would be too large", "file", name, "limit_bytes", maxConfigPost)
			continue
		}
		size += len(name) + len(text)
		files[name] = text
	}
	return files
}

// readConfDFile reads one conf.d file, at most check.MaxConfDFile bytes.
func readConfDFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, check.MaxConfDFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > check.MaxConfDFile {
		return nil, errors.New("larger than the conf.d limit")
	}
	return data, nil
}

// MaskConfD returns a conf.d document's text with its secret details
// masked as `virgo-top config check` shows secrets (config.Secret: "****"
// and at most the last four characters): under details, the value of every
// key named like a secret (password, passwd, pass, secret, token, auth,
// *_key: the mysql and redis checks' password among them), and the password
// of every URL (an apache status URL with user:password@). A document with
// nothing to mask is returned as it is; one that is not YAML is an error.
func MaskConfD(data []byte) (string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return "", err
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return string(data), nil
	}
	masked := false
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "details" {
			masked = maskDetails(doc.Content[i+1]) || masked
		}
	}
	if !masked {
		return string(data), nil
	}
	out, err := yaml.Marshal(&root)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// maskDetails masks the secrets of a details node in place (see MaskConfD)
// and reports whether it masked any.
func maskDetails(n *yaml.Node) bool {
	masked := false
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if secretDetail(k.Value) && v.Kind == yaml.ScalarNode {
				if v.Value != "" {
					v.Value, v.Tag, v.Style = config.Secret(v.Value).String(), "!!str", 0
					masked = true
				}
				continue
			}
			masked = maskDetails(v) || masked
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			masked = maskDetails(c) || masked
		}
	case yaml.ScalarNode:
		if m, ok := maskURLPassword(n.Value); ok {
			n.Value = m
			masked = true
		}
	case yaml.AliasNode:
		// An alias shows its anchor's value, masked where the anchor is.
	}
	return masked
}

// secretDetail reports whether a details key holds a secret.
func secretDetail(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "passwd", "secret", "token", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return k == "pass" || k == "auth" || k == "apikey" || strings.HasSuffix(k, "_key") || strings.HasSuffix(k, "_pass")
}

// maskURLPassword masks the password of a URL with user info, keeping the
// rest of the text as written.
func maskURLPassword(s string) (string, bool) {
	scheme := strings.Index(s, "://")
	if scheme < 0 || !strings.Contains(s, "@") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return "", false
	}
	pw, ok := u.User.Password()
	if !ok {
		return "", false
	}
	start := scheme + 3
	authority := s[start:]
	if end := strings.IndexAny(authority, "/?#"); end >= 0 {
		authority = authority[:end]
	}
	at := strings.LastIndex(authority, "@")
	colon := strings.Index(authority, ":")
	if at < 0 || colon < 0 || colon > at {
		return "", false
	}
	return s[:start+colon+1] + config.Secret(pw).String() + s[start+at:], true
}
