package main

import (
	"errors"
	"io"
	"testing"

	"github.com/virgo-top/virgo-top/protocol"
)

// TestCallErr: a call that failed on the wire has no response to look
// into (the hello of connect dereferenced it and panicked).
func TestCallErr(t *testing.T) {
	if err := callErr(nil, io.EOF); !errors.Is(err, io.EOF) {
		t.Errorf("transport error: %v", err)
	}
	if err := callErr(&protocol.Response{Error: &protocol.Error{Code: 401, Message: "Invalid token"}}, nil); err == nil {
		t.Error("an error answer is not an error")
	}
	if err := callErr(&protocol.Response{}, nil); err != nil {
		t.Errorf("a result: %v", err)
	}
}
