package cli

import "os"

// IsTerminal reports whether v is an *os.File attached to a terminal (a
// character device). It needs no ioctl: a character device on stdin or
// stdout is, in practice, a terminal, and tests pass in buffers which are
// never terminals.
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Mode()&os.ModeCharDevice != 0
}
