package config

import (
	"maps"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"equals", "a=b", map[string]string{"a": "b"}},
		{"colon", "a: b", map[string]string{"a": "b"}},
		{"space separator", "a  b c", map[string]string{"a": "b c"}},
		{"spaces around equals", "  a  =  b  ", map[string]string{"a": "b"}},
		{"empty value", "a=", map[string]string{"a": ""}},
		{"key only", "a", map[string]string{"a": ""}},
		{"hash comment", "# a=b\nc=d", map[string]string{"c": "d"}},
		{"bang comment", "  ! a=b\nc=d", map[string]string{"c": "d"}},
		{"hash inside value", "a=b#c", map[string]string{"a": "b#c"}},
		{"blank lines and CRLF", "\r\n\na=b\r\n\r\nc=d\r\n", map[string]string{"a": "b", "c": "d"}},
		{"continuation", "a=one,\\\n    two,\\\n three", map[string]string{"a": "one,two,three"}},
		{"escaped backslash is no continuation", "a=x\\\\\nb=y", map[string]string{"a": `x\`, "b": "y"}},
		{"comment is not continued", "# c \\\na=b", map[string]string{"a": "b"}},
		{"escapes", `a=t\tn\nu\u0041\:\=x`, map[string]string{"a": "t\tn\nuA:=x"}},
		{"escaped separator in key", `a\=b=c`, map[string]string{"a=b": "c"}},
		{"escaped space in key", `a\ b=c`, map[string]string{"a b": "c"}},
		{"escaped trailing space kept", `a=b\ `, map[string]string{"a": "b "}},
		{"later duplicate wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"second separator is value", "a==b", map[string]string{"a": "=b"}},
		{"unicode", "a=h\u00e9", map[string]string{"a": "h\u00e9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ParseProperties: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesBadEscape(t *testing.T) {
	for _, in := range []string{`a=\u00`, `a=\uZZZZ`} {
		_, err := ParseProperties(strings.NewReader("x=1\n" + in))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: got %v, want error naming line 2", in, err)
		}
	}
}

// escapeProperty writes s so that ParseProperties reads it back unchanged.
func escapeProperty(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '=', ':', ' ', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzParseProperties: never panics, and whatever it parses survives a
// write-and-reparse round trip.
func FuzzParseProperties(f *testing.F) {
	f.Add("a=b\n# c\nd: e\\\n  f\n")
	f.Add(`k\u0041=\t\n`)
	f.Add("x y\\ \n\\ =\\\\")
	f.Fuzz(func(t *testing.T, in string) {
		props, err := ParseProperties(strings.NewReader(in))
		if err != nil {
			return
		}
		var out strings.Builder
		for k, v := range props {
			out.WriteString(escapeProperty(k) + "=" + escapeProperty(v) + "\n")
		}
		again, err := ParseProperties(strings.NewReader(out.String()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", out.String(), err)
		}
		if !maps.Equal(props, again) {
			t.Fatalf("round trip: %q -> %q", props, again)
		}
	})
}
