package tui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestFrameMsgEqualsItsParts: a FrameMsg draws the same screen as its
// messages sent one by one, and an empty one changes nothing.
func TestFrameMsgEqualsItsParts(t *testing.T) {
	base := func() Model {
		m := New(Options{History: fakeHistory{}, NoColor: true, Now: fixedNow, Interval: 5 * time.Second})
		return step(m, tea.WindowSizeMsg{Width: 160, Height: 48})
	}
	parts := []tea.Msg{
		SnapshotMsg{Snap: testSnapshot(40)},
		ChecksMsg{Rows: criticalChecks()},
		ConnMsg{Status: ConnStatus{Mode: ModeEndpoint, Endpoint: "e:443", State: ConnReconnecting, RetryIn: 3 * time.Second, Spooled: 7}},
	}
	one := base()
	for _, p := range parts {
		one = step(one, p)
	}
	framed := step(base(), FrameMsg(parts))
	if got, want := framed.View(), one.View(); got != want {
		t.Fatalf("FrameMsg view differs from its parts:\n--- framed\n%s\n--- one by one\n%s", got, want)
	}
	if got := step(framed, FrameMsg(nil)).View(); got != framed.View() {
		t.Fatal("an empty FrameMsg changed the view")
	}
}
