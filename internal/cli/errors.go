package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ResourceError names the topic (or group, or record) a broker error is
// about, so a multi-topic command can report each failure on its own line:
//
//	topic "x": TOPIC_ALREADY_EXISTS: Topic with this name already exists.
//
// Err is usually a *kerr.Error, whose text is already "CODE: description";
// Detail is the broker's optional free-text ErrorMessage.
func ResourceError(kind, name string, err error, detail string) error {
	if err == nil {
		return nil
	}
	if detail != "" && !strings.Contains(err.Error(), detail) {
		return fmt.Errorf("%s %q: %w (%s)", kind, name, err, detail)
	}
	return fmt.Errorf("%s %q: %w", kind, name, err)
}

// Unreachable rewrites the errors a client returns when no broker answered
// in time into one that says what to check, keeping the cause wrapped.
func Unreachable(bootstrap string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "unable to dial") {
		return fmt.Errorf("no broker answered at %s (is `strom server` running? set --bootstrap-server): %w", bootstrap, err)
	}
	return err
}
