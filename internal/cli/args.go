package cli

import (
	"fmt"
	"strings"
)

// DefaultBootstrap is where every command looks for a broker when
// --bootstrap-server is not given: the address `strom server` listens on
// with no configuration.
const DefaultBootstrap = "127.0.0.1:9092"

// Brokers splits a comma-separated --bootstrap-server value into seed
// addresses, dropping empty entries so "a:1,,b:2," is accepted.
func Brokers(list string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(list, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no broker address given: use --bootstrap-server HOST:PORT")
	}
	return out, nil
}

// ParseKV parses repeated key=value flags (--config, --set, --property).
// The value may itself contain '=' (only the first one splits) and commas,
// which is why callers use StringArray flags rather than StringSlice ones.
func ParseKV(pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not of the form key=value", p)
		}
		m[k] = v
	}
	return m, nil
}

// Unescape turns the escapes people type on a shell command line for
// separators ("\t", "\n", "\\") into the characters they mean, so that
// --property key.separator='\t' behaves as in Kafka's console tools.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\r`, "\r", `\\`, `\`)
	return r.Replace(s)
}
