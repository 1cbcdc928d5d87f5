package config

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseProperties reads Java .properties syntax, the format of Kafka's
// server.properties:
//
//   - lines whose first non-blank character is '#' or '!' are comments;
//   - a key ends at the first unescaped '=', ':' or whitespace; the separator
//     may be surrounded by whitespace ("key = value", "key: value",
//     "key value");
//   - a line ending in an odd number of backslashes continues on the next
//     line, whose leading whitespace is dropped;
//   - escapes \t \n \r \f \\ \uXXXX are decoded, any other "\c" is "c".
//
// Unlike java.util.Properties, trailing whitespace of a value is trimmed
// (unless escaped), because an invisible trailing blank after "9092" is a
// classic cause of confusing errors. A later duplicate key replaces the
// earlier one, as in Java.
func ParseProperties(r io.Reader) (map[string]string, error) {
	props := make(map[string]string)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeft(sc.Text(), " \t\f")
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) {
			line = line[:len(line)-1]
			if !sc.Scan() {
				break
			}
			lineNo++
			line += strings.TrimLeft(strings.TrimSuffix(sc.Text(), "\r"), " \t\f")
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("config: properties line %d: %w", start, err)
		}
		props[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config: reading properties: %w", err)
	}
	return props, nil
}

// continues reports whether a logical line ends with an odd number of
// backslashes, i.e. an unescaped line-continuation marker.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(line string) (string, string, error) {
	// Find the end of the key: first unescaped separator or whitespace.
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	rawKey := line[:end]
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, _, err := unescape(rawKey)
	if err != nil {
		return "", "", err
	}
	value, keep, err := unescape(rest)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", key, err)
	}
	// Trim trailing whitespace that did not come from an escape.
	trimmed := strings.TrimRight(value, " \t\f")
	if len(trimmed) < keep {
		trimmed = value[:keep]
	}
	return key, trimmed, nil
}

// unescape decodes Java properties escapes. keep is the length of the
// decoded prefix that ends with the last escaped character, so that escaped
// trailing whitespace survives trimming.
func unescape(s string) (out string, keep int, err error) {
	if !strings.ContainsRune(s, '\\') {
		return s, 0, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			break // a lone trailing backslash is dropped, as in Java
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", 0, fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			n, perr := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if perr != nil {
				return "", 0, fmt.Errorf("malformed \\uXXXX escape in %q", s)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(c)
		}
		keep = b.Len()
	}
	return b.String(), keep, nil
}
