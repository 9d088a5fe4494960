//go:build !unix

package metrics

// maxOpenFiles: no descriptor limit to report off Unix.
func maxOpenFiles() (uint64, bool) { return 0, false }
