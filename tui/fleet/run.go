package fleet

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Run runs the console until q or ctx ends.
func Run(ctx context.Context, opts Options) error {
	opts.Ctx = ctx
	m := New(opts, lipgloss.DefaultRenderer())
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	if ctx.Err() != nil {
		return nil
	}
	return err
}
