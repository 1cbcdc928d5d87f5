package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The parsers below mirror Kafka's ConfigDef: values are trimmed, integers
// are decimal and must fit the declared width, booleans are true/false in any
// case. They return a bare reason; the caller attaches the key.

func parseLong(v string) (int64, error) {
	s := strings.TrimSpace(v)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%q is out of range for a 64-bit integer", v)
		}
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	return n, nil
}

func parseInt(v string) (int32, error) {
	n, err := parseLong(v)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%q is out of range for a 32-bit integer", v)
	}
	return int32(n), nil
}

func parseShort(v string) (int16, error) {
	n, err := parseLong(v)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt16 || n > math.MaxInt16 {
		return 0, fmt.Errorf("%q is out of range for a 16-bit integer", v)
	}
	return int16(n), nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (true or false)", v)
}

func parseDouble(v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return f, nil
}

// parseList splits a comma-separated list the way Kafka does: elements are
// trimmed and an empty string is the empty list.
func parseList(v string) []string {
	s := strings.TrimSpace(v)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func atLeast(n, min int64) error {
	if n < min {
		return fmt.Errorf("must be at least %d, got %d", min, n)
	}
	return nil
}

func between(n, min, max int64) error {
	if n < min || n > max {
		return fmt.Errorf("must be between %d and %d, got %d", min, max, n)
	}
	return nil
}

// Checker constructors used by the config tables. Each returns a function
// validating a raw string value and returning only a reason.

func checkLong(min int64) func(string) error {
	return func(v string) error {
		n, err := parseLong(v)
		if err != nil {
			return err
		}
		return atLeast(n, min)
	}
}

func checkInt(min int64) func(string) error {
	return func(v string) error {
		n, err := parseInt(v)
		if err != nil {
			return err
		}
		return atLeast(int64(n), min)
	}
}

func checkIntBetween(min, max int64) func(string) error {
	return func(v string) error {
		n, err := parseInt(v)
		if err != nil {
			return err
		}
		return between(int64(n), min, max)
	}
}

func checkBool(v string) error {
	_, err := parseBool(v)
	return err
}

func checkOneOf(allowed ...string) func(string) error {
	return func(v string) error {
		if slices.Contains(allowed, strings.TrimSpace(v)) {
			return nil
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func checkDoubleBetween(min, max float64) func(string) error {
	return func(v string) error {
		f, err := parseDouble(v)
		if err != nil {
			return err
		}
		if f < min || f > max {
			return fmt.Errorf("must be between %g and %g, got %g", min, max, f)
		}
		return nil
	}
}

// parseCleanupPolicy validates a cleanup.policy list: one or both of
// "compact" and "delete", in any order. It returns the canonical form
// ("delete", "compact" or "compact,delete") used by Topic.CleanupPolicy.
func parseCleanupPolicy(v string) (canon string, compact, del bool, err error) {
	items := parseList(v)
	if len(items) == 0 {
		return "", false, false, errors.New("must be one or both of compact, delete; got an empty list")
	}
	for _, it := range items {
		switch it {
		case "compact":
			compact = true
		case "delete":
			del = true
		default:
			return "", false, false, fmt.Errorf("%q is not a valid policy (compact, delete)", it)
		}
	}
	switch {
	case compact && del:
		canon = "compact,delete"
	case compact:
		canon = "compact"
	default:
		canon = "delete"
	}
	return canon, compact, del, nil
}

func checkCleanupPolicy(v string) error {
	_, _, _, err := parseCleanupPolicy(v)
	return err
}

// compressionTypes are the values of the topic/broker compression.type.
var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// msFrom converts a value of a *.hours or *.minutes synonym to milliseconds.
func msFrom(key string, n int64) int64 {
	switch {
	case strings.HasSuffix(key, ".hours"):
		return n * 3_600_000
	case strings.HasSuffix(key, ".minutes"):
		return n * 60_000
	}
	return n
}
