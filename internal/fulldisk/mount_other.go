//go:build !linux

package fulldisk

func mount(string, string) (func() error, error) { return nil, ErrUnsupported }
