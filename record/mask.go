package record

import (
	"path"
	"strings"
)

// Masked replaces every secret a masker finds.
const Masked = "***"

// minSecretLen: known secret values shorter than this are not searched
// for, as they would mask ordinary text everywhere.
const minSecretLen = 4

// NewMasker returns the default masker of command lines and other
// recorded text. It replaces with Masked:
//   - the value of an option whose name says it is a secret, as
//     "--token X", "--token=X", "-password X", "--api-key=X" (names that
//     contain token, passw, secret, apikey, api-key, api_key, credential,
//     private-key or auth-key; not those ending in file, path, dir or
//     env, whose values are not secrets themselves);
//   - key=value pairs with such a key anywhere in a word, as
//     "PASSWORD=x", "db_password=x", "?token=x&" (up to & ; , or a space);
//   - the password of a URL's userinfo, "scheme://user:x@host";
//   - the word after "Bearer " or "Basic " (HTTP authorization);
//   - mysql's -pPASSWORD and sshpass's -p PASSWORD;
//   - every occurrence of the exact values in secrets (those of at least
//     4 bytes), our own --token and configured passwords first.
func NewMasker(secrets ...string) func(string) string {
	var known []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			known = append(known, s)
		}
	}
	return func(s string) string { return mask(s, known) }
}

func mask(s string, known []string) string {
	for _, k := range known {
		if strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, Masked)
		}
	}
	if !maybeSecret(s) {
		return s
	}
	words := strings.Split(s, " ")
	argv0 := path.Base(words[0])
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "" || w == Masked {
			continue
		}
		// --name value / --name=value
		if strings.HasPrefix(w, "-") {
			name, val, hasEq := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if secretName(name) {
				if hasEq {
					if val != "" {
						words[i] = w[:len(w)-len(val)] + Masked
					}
				} else if i+1 < len(words) && words[i+1] != "" && !strings.HasPrefix(words[i+1], "-") {
					words[i+1] = Masked
					i++
				}
				continue
			}
			switch {
			case (argv0 == "mysql" || argv0 == "mysqldump" || argv0 == "mysqladmin") && strings.HasPrefix(w, "-p") && len(w) > 2:
				words[i] = "-p" + Masked
				continue
			case argv0 == "sshpass" && w == "-p" && i+1 < len(words):
				words[i+1] = Masked
				i++
				continue
			}
		}
		lw := strings.ToLower(w)
		if (lw == "bearer" || lw == "basic" || strings.HasSuffix(lw, ":bearer") || strings.HasSuffix(lw, ":basic")) && i+1 < len(words) && words[i+1] != "" {
			words[i+1] = Masked
			i++
			continue
		}
		words[i] = maskWord(w)
	}
	return strings.Join(words, " ")
}

// maybeSecret is a cheap test that lets most command lines through
// without splitting them.
func maybeSecret(s string) bool {
	if strings.Contains(s, "://") || strings.Contains(s, "sshpass") || strings.Contains(s, "mysql") {
		return true
	}
	ls := strings.ToLower(s)
	for _, k := range secretWords {
		if strings.Contains(ls, k) {
			return true
		}
	}
	return strings.Contains(ls, "bearer") || strings.Contains(ls, "basic")
}

var secretWords = []string{"token", "passw", "secret", "apikey", "api-key", "api_key", "credential", "private-key", "private_key", "auth-key", "auth_key"}

func secretName(name string) bool {
	n := strings.ToLower(name)
	for _, suffix := range []string{"file", "path", "dir", "env"} {
		if strings.HasSuffix(n, suffix) {
			return false
		}
	}
	for _, k := range secretWords {
		if strings.Contains(n, k) {
			return true
		}
	}
	return n == "pass" || n == "pw" || n == "pwd"
}

// maskWord masks key=value pairs with a secret key and URL passwords in
// one word.
func maskWord(w string) string {
	if i := strings.Index(w, "://"); i >= 0 {
		rest := w[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 && c+1 < at {
				w = w[:i+3] + rest[:c+1] + Masked + rest[at:]
			}
		}
	}
	var b strings.Builder
	for {
		eq := strings.IndexByte(w, '=')
		if eq < 0 {
			break
		}
		// The key is the run of name characters before '='.
		k := eq
		for k > 0 && isKeyChar(w[k-1]) {
			k--
		}
		end := eq + 1 + strings.IndexAny(w[eq+1:], "&;,")
		if end < eq+1 {
			end = len(w)
		}
		b.WriteString(w[:eq+1])
		if secretName(w[k:eq]) && end > eq+1 && w[eq+1:end] != Masked {
			b.WriteString(Masked)
		} else {
			b.WriteString(w[eq+1 : end])
		}
		w = w[end:]
	}
	if b.Len() == 0 {
		return w
	}
	b.WriteString(w)
	return b.String()
}

func isKeyChar(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
