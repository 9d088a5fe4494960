package record_test

import (
	"errors"
	"os"
	"testing"

	"github.com/virgo-top/virgo-top/record"
)

func TestMain(m *testing.M) {
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	// Tests push records faster than a writer drains them: nothing may be
	// dropped unless a test says so (TestQueueFullDrops).
	record.SetQueue(1<<16, 1<<16)
	os.Exit(m.Run())
}

func errorsIs(err, target error) bool     { return errors.Is(err, target) }
func errorsAs(err error, target any) bool { return errors.As(err, target) }
