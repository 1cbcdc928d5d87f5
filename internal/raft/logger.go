package raft

import (
	"fmt"
	"log/slog"
)

// slogAdapter routes etcd raft's logging to slog. Raft logs elections and
// term changes at Info, which is what an operator wants to see.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(v ...any)                 { a.l.Debug(fmt.Sprint(v...)) }
func (a slogAdapter) Debugf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Info(v ...any)                  { a.l.Info(fmt.Sprint(v...)) }
func (a slogAdapter) Infof(format string, v ...any)  { a.l.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warning(v ...any)               { a.l.Warn(fmt.Sprint(v...)) }
func (a slogAdapter) Warningf(format string, v ...any) {
	a.l.Warn(fmt.Sprintf(format, v...))
}
func (a slogAdapter) Error(v ...any)                 { a.l.Error(fmt.Sprint(v...)) }
func (a slogAdapter) Errorf(format string, v ...any) { a.l.Error(fmt.Sprintf(format, v...)) }

// Fatal and Panic must not return: raft calls them on broken invariants.
func (a slogAdapter) Fatal(v ...any) { a.Panic(v...) }
func (a slogAdapter) Fatalf(format string, v ...any) {
	a.Panicf(format, v...)
}
func (a slogAdapter) Panic(v ...any) {
	s := fmt.Sprint(v...)
	a.l.Error(s)
	panic(s)
}
func (a slogAdapter) Panicf(format string, v ...any) {
	s := fmt.Sprintf(format, v...)
	a.l.Error(s)
	panic(s)
}
