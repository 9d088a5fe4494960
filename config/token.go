package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxTokenFile bounds a token file: a token is under 100 bytes; this only
// stops a wrong file from being read whole.
const maxTokenFile = 64 << 10

// ApplyCredentials applies the systemd credentials in dir (the service's
// $CREDENTIALS_DIRECTORY; "" applies nothing): when dir holds a credential
// named CredentialToken ("monitoring_token", from LoadCredential= or
// SetCredentialEncrypted=), it becomes monitoring_token_file, with source
// SourceCredential. Call it after Load and before ApplyEnv, so the token
// is taken from the first of: flags, environment, credential, config file.
// A missing credential is not an error.
func (c *Config) ApplyCredentials(dir string) error {
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, CredentialToken)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return &Error{Where: SourceCredential, Key: "monitoring_token_file", Err: ErrInvalidValue,
			Msg: "credential " + CredentialToken + ": " + err.Error()}
	}
	if err := c.apply(keyIndex["monitoring_token_file"], path, SourceCredential, SourceCredential); err != nil {
		return err
	}
	return nil
}

// ReadTokenFile sets Token to the content of TokenFile, white space around
// it trimmed; it does nothing when TokenFile is empty. It refuses a file
// that group or others can read or write (checked on the open descriptor,
// as CheckPermissions does for the config file; error wrapping
// ErrInsecurePermissions), except a systemd credential, whose directory
// only the service can read and whose mode systemd sets. It refuses a file
// that is not a regular file, is empty, is larger than 64 KiB, or whose
// content has white space or control characters inside (a token is one
// word). Errors name the file and where monitoring_token_file was set,
// never the content. Call it after the flags are applied, before Validate,
// and again on every reload (the file may have been rotated).
func (c *Config) ReadTokenFile() error {
	if c.TokenFile == "" {
		return nil
	}
	const key = "monitoring_token_file"
	src := c.Source[key]
	fail := func(msg string, sentinel error) error {
		return &Error{Where: src, Key: key, Msg: key + ": " + msg, Err: sentinel}
	}
	path := c.TokenFile
	// Stat before opening: opening a FIFO would block.
	if fi, err := os.Stat(path); err != nil {
		return fail(err.Error(), ErrInvalidValue)
	} else if !fi.Mode().IsRegular() {
		return fail(path+" is not a regular file", ErrInvalidValue)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err.Error(), ErrInvalidValue)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err.Error(), ErrInvalidValue)
	}
	if !fi.Mode().IsRegular() {
		return fail(path+" is not a regular file", ErrInvalidValue)
	}
	if src != SourceCredential {
		if err := checkMode(path, fi); err != nil {
			return fail(err.Error(), ErrInsecurePermissions)
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return fail(fmt.Sprintf("read %s: %v", path, err), ErrInvalidValue)
	}
	if len(data) > maxTokenFile {
		return fail(fmt.Sprintf("%s is larger than %d bytes: not a token file", path, maxTokenFile), ErrInvalidValue)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return fail(path+" is empty", ErrInvalidValue)
	}
	if err := checkText(token); err != nil {
		return fail(path+": "+err.Error()+" (not shown)", ErrInvalidValue)
	}
	if err := keyIndex["monitoring_token"].set(c, token); err != nil {
		return fail(path+": "+err.Error(), ErrInvalidValue)
	}
	if c.Source == nil {
		c.Source = map[string]string{}
	}
	c.Source["monitoring_token"] = "token file " + path
	return nil
}
