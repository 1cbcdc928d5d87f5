package raft

import (
	"fmt"
	"log/slog"
)

// slogAdapter routes etcd raft's logging to slog. Raft's Info chatter
// (every step of an election) goes to Debug: a single node elects itself
// at every start, and the controller logs the outcome itself.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(v ...any)                 { a.l.Debug(fmt.Sprint(v...)) }
func (a slogAdapter) Debugf(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Info(v ...any)                  { a.l.Debug(fmt.Sprint(v...)) }
func (a slogAdapter) Infof(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
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
