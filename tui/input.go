package tui

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
)

// lineInput is the one-line editor of the process filter. (bubbles'
// textinput would pull a clipboard module the project does not require;
// the filter needs only typing, deleting and moving.)
type lineInput struct {
	value []rune
	pos   int
	limit int
}

func (in *lineInput) Value() string { return string(in.value) }

func (in *lineInput) SetValue(s string) {
	in.value = []rune(s)
	if in.limit > 0 && len(in.value) > in.limit {
		in.value = in.value[:in.limit]
	}
	in.pos = len(in.value)
}

func (in *lineInput) Reset() { in.value, in.pos = in.value[:0], 0 }

// Update edits the line for one key; it reports whether the value changed.
func (in *lineInput) Update(msg tea.KeyMsg) bool {
	switch msg.Type {
	case tea.KeyRunes, tea.KeySpace:
		r := msg.Runes
		if msg.Type == tea.KeySpace {
			r = []rune{' '}
		}
		var add []rune
		for _, c := range r {
			if unicode.IsPrint(c) {
				add = append(add, c)
			}
		}
		if in.limit > 0 {
			add = add[:max(0, min(len(add), in.limit-len(in.value)))]
		}
		if len(add) == 0 {
			return false
		}
		in.value = append(in.value[:in.pos], append(add, in.value[in.pos:]...)...)
		in.pos += len(add)
		return true
	case tea.KeyBackspace:
		if in.pos == 0 {
			return false
		}
		in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
		in.pos--
		return true
	case tea.KeyDelete:
		if in.pos >= len(in.value) {
			return false
		}
		in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		return true
	case tea.KeyCtrlU:
		changed := in.pos > 0
		in.value = in.value[in.pos:]
		in.pos = 0
		return changed
	case tea.KeyCtrlW:
		start := in.pos
		for start > 0 && in.value[start-1] == ' ' {
			start--
		}
		for start > 0 && in.value[start-1] != ' ' {
			start--
		}
		if start == in.pos {
			return false
		}
		in.value = append(in.value[:start], in.value[in.pos:]...)
		in.pos = start
		return true
	case tea.KeyLeft:
		in.pos = max(0, in.pos-1)
	case tea.KeyRight:
		in.pos = min(len(in.value), in.pos+1)
	case tea.KeyHome, tea.KeyCtrlA:
		in.pos = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		in.pos = len(in.value)
	}
	return false
}

// View draws the prompt, the text and a block cursor (reverse video).
func (in *lineInput) View(s *styles, prompt string) string {
	var b strings.Builder
	b.WriteString(s.Prompt.Render(prompt))
	b.WriteString(string(in.value[:in.pos]))
	cur := " "
	if in.pos < len(in.value) {
		cur = string(in.value[in.pos])
	}
	b.WriteString(s.PromptChoice.Render(cur))
	if in.pos < len(in.value) {
		b.WriteString(string(in.value[in.pos+1:]))
	}
	return b.String()
}
