package config

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every validation error returned by this package is an
// *Error that unwraps to one of these, so callers map them to Kafka codes
// (INVALID_CONFIG) with errors.Is rather than string matching.
var (
	// ErrUnknownConfig: the key is not a config this package knows.
	ErrUnknownConfig = errors.New("unknown config")
	// ErrInvalidValue: the key is known but the value is malformed or out of
	// range, or conflicts with another key.
	ErrInvalidValue = errors.New("invalid config value")
)

// Error describes one rejected configuration key. Its message has the form
// "config: <key>: <reason>" so that an operator (or a client receiving it as
// an INVALID_CONFIG message) sees which key is wrong and why.
type Error struct {
	Key    string
	Value  string
	Reason string
	Err    error // ErrInvalidValue or ErrUnknownConfig
}

func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Reason }

// Unwrap exposes the sentinel for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// invalid builds an *Error wrapping ErrInvalidValue.
func invalid(key, value string, reason error) *Error {
	return &Error{Key: key, Value: value, Reason: reason.Error(), Err: ErrInvalidValue}
}

// invalidf builds an *Error wrapping ErrInvalidValue from a format.
func invalidf(key, value, format string, args ...any) *Error {
	return &Error{Key: key, Value: value, Reason: fmt.Sprintf(format, args...), Err: ErrInvalidValue}
}

// unknown builds an *Error wrapping ErrUnknownConfig.
func unknown(key, what string) *Error {
	return &Error{Key: key, Reason: "unknown " + what, Err: ErrUnknownConfig}
}
