package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func testRecord() *kgo.Record {
	return &kgo.Record{
		Topic: "t", Partition: 2, Offset: 7,
		Timestamp: time.UnixMilli(1710000000123),
		Key:       []byte("k1"), Value: []byte("hello world"),
		Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}},
	}
}

func TestFormatters(t *testing.T) {
	cases := []struct {
		format string
		props  map[string]string
		want   string
	}{
		{"", nil, "hello world\n"},
		{"", map[string]string{"print.key": "true", "key.separator": ":"}, "k1:hello world\n"},
		{"", map[string]string{"print.partition": "true", "print.offset": "true", "print.headers": "true", "print.key": "true"},
			"Partition:2\tOffset:7\th:v\tk1\thello world\n"},
		{"%k:%v", nil, "k1:hello world\n"},
		{`%t/%p@%o %T %h %K %V%%\n`, nil, "t/2@7 1710000000123 h=v 2 11%\n"},
		{"verbose", nil, `partition=2 offset=7 timestamp=2024-03-09T16:00:00.123Z key=k1 headers={h:v} value="hello world"` + "\n"},
		{"json", nil, `{"topic":"t","partition":2,"offset":7,"timestamp":1710000000123,"key":"k1","headers":[{"key":"h","value":"v"}],"value":"hello world"}` + "\n"},
	}
	for _, c := range cases {
		f, err := NewFormatter(c.format, c.props)
		if err != nil {
			t.Fatalf("%q: %v", c.format, err)
		}
		if got := string(f.Append(nil, testRecord())); got != c.want {
			t.Errorf("%q %v:\n got %q\nwant %q", c.format, c.props, got, c.want)
		}
	}
}

func TestFormatterNullAndBinary(t *testing.T) {
	r := &kgo.Record{Value: []byte{0xff, 0x00}}
	f, _ := NewFormatter("json", nil)
	if got := string(f.Append(nil, r)); !strings.Contains(got, `"key":null`) || !strings.Contains(got, `"value_b64":"/wA="`) {
		t.Fatalf("got %s", got)
	}
	f, _ = NewFormatter("", map[string]string{"print.key": "true"})
	if got := string(f.Append(nil, &kgo.Record{Value: []byte("v")})); got != "null\tv\n" {
		t.Fatalf("got %q", got)
	}
}

func TestFormatterErrors(t *testing.T) {
	for _, f := range []string{"nonsense", "%z", "abc%"} {
		if _, err := NewFormatter(f, nil); err == nil {
			t.Errorf("%q: no error", f)
		}
	}
	if _, err := NewFormatter("", map[string]string{"print.bogus": "true"}); err == nil {
		t.Error("unknown property accepted")
	}
}

func TestParseKVAndBrokers(t *testing.T) {
	m, err := ParseKV([]string{"cleanup.policy=compact,delete", "a=b=c"})
	if err != nil || m["cleanup.policy"] != "compact,delete" || m["a"] != "b=c" {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := ParseKV([]string{"novalue"}); err == nil {
		t.Fatal("accepted novalue")
	}
	b, err := Brokers(" a:1,,b:2,")
	if err != nil || len(b) != 2 || b[1] != "b:2" {
		t.Fatalf("%v %v", b, err)
	}
	if _, err := Brokers(" , "); err == nil {
		t.Fatal("empty list accepted")
	}
}
