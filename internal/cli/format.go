package cli

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Formatter renders one consumed record, including its line terminator, by
// appending to dst (so the consumer reuses one buffer for every record).
type Formatter interface {
	Append(dst []byte, r *kgo.Record) []byte
}

// NewFormatter chooses how the console consumer prints records:
//
//   - "" or "value": the value only, or Kafka's DefaultMessageFormatter when
//     print.* properties are given (print.key=true, key.separator=...);
//   - "verbose": partition, offset, timestamp, key, headers and value on one
//     line, logfmt style;
//   - "json": one JSON object per record;
//   - anything containing '%': a template, see templateFormatter.
func NewFormatter(format string, props map[string]string) (Formatter, error) {
	switch format {
	case "", "value", "default":
		return newKafkaFormatter(props)
	case "verbose":
		return verboseFormatter{}, nil
	case "json":
		return jsonFormatter{}, nil
	}
	if strings.Contains(format, "%") {
		return newTemplate(format)
	}
	return nil, fmt.Errorf("unknown --format %q: use value, verbose, json or a template such as '%%k:%%v'", format)
}

// kafkaFormatter mirrors kafka-console-consumer's DefaultMessageFormatter
// and its properties, so that scripts written for it print the same.
type kafkaFormatter struct {
	timestamp, partition, offset, headers, key, value bool
	keySep, lineSep, hdrSep, hdrKeySep, null          string
}

func newKafkaFormatter(props map[string]string) (Formatter, error) {
	f := &kafkaFormatter{value: true, keySep: "\t", lineSep: "\n", hdrSep: ",", hdrKeySep: ":", null: "null"}
	for k, v := range props {
		var err error
		switch k {
		case "print.timestamp":
			f.timestamp, err = strconv.ParseBool(v)
		case "print.partition":
			f.partition, err = strconv.ParseBool(v)
		case "print.offset":
			f.offset, err = strconv.ParseBool(v)
		case "print.headers":
			f.headers, err = strconv.ParseBool(v)
		case "print.key":
			f.key, err = strconv.ParseBool(v)
		case "print.value":
			f.value, err = strconv.ParseBool(v)
		case "key.separator":
			f.keySep = Unescape(v)
		case "line.separator":
			f.lineSep = Unescape(v)
		case "headers.separator":
			f.hdrSep = Unescape(v)
		case "headers.key.separator":
			f.hdrKeySep = Unescape(v)
		case "null.literal":
			f.null = v
		default:
			return nil, fmt.Errorf("unknown consumer --property %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("--property %s=%s: %w", k, v, err)
		}
	}
	return f, nil
}

func (f *kafkaFormatter) Append(dst []byte, r *kgo.Record) []byte {
	sep := func() {
		dst = append(dst, f.keySep...)
	}
	if f.timestamp {
		dst = append(dst, "CreateTime:"...)
		dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		sep()
	}
	if f.partition {
		dst = append(dst, "Partition:"...)
		dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		sep()
	}
	if f.offset {
		dst = append(dst, "Offset:"...)
		dst = strconv.AppendInt(dst, r.Offset, 10)
		sep()
	}
	if f.headers {
		if len(r.Headers) == 0 {
			dst = append(dst, "NO_HEADERS"...)
		}
		for i, h := range r.Headers {
			if i > 0 {
				dst = append(dst, f.hdrSep...)
			}
			dst = append(dst, h.Key...)
			dst = append(dst, f.hdrKeySep...)
			dst = f.bytes(dst, h.Value)
		}
		sep()
	}
	if f.key {
		dst = f.bytes(dst, r.Key)
		if f.value {
			sep()
		}
	}
	if f.value {
		dst = f.bytes(dst, r.Value)
	}
	return append(dst, f.lineSep...)
}

func (f *kafkaFormatter) bytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, f.null...)
	}
	return append(dst, b...)
}

// verboseFormatter prints every field of a record on one line as key=value
// pairs, quoting values that contain spaces or are not printable.
type verboseFormatter struct{}

func (verboseFormatter) Append(dst []byte, r *kgo.Record) []byte {
	dst = append(dst, "partition="...)
	dst = strconv.AppendInt(dst, int64(r.Partition), 10)
	dst = append(dst, " offset="...)
	dst = strconv.AppendInt(dst, r.Offset, 10)
	dst = append(dst, " timestamp="...)
	dst = r.Timestamp.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, " key="...)
	dst = appendField(dst, r.Key)
	dst = append(dst, " headers="...)
	if len(r.Headers) == 0 {
		dst = append(dst, "{}"...)
	} else {
		dst = append(dst, '{')
		for i, h := range r.Headers {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendField(dst, []byte(h.Key))
			dst = append(dst, ':')
			dst = appendField(dst, h.Value)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, " value="...)
	dst = appendField(dst, r.Value)
	return append(dst, '\n')
}

// appendField writes b bare when that is unambiguous, quoted otherwise, and
// "null" for a nil key or value (which Kafka distinguishes from empty).
func appendField(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	plain := len(b) > 0 && utf8.Valid(b)
	for _, c := range b {
		if c <= ' ' || c == '"' || c == '=' || c == ',' || c == '{' || c == '}' || c == 0x7f {
			plain = false
			break
		}
	}
	if plain && string(b) != "null" {
		return append(dst, b...)
	}
	return strconv.AppendQuote(dst, string(b))
}

// jsonFormatter prints one JSON object per line. Keys and values that are
// not valid UTF-8 are given base64-encoded under key_b64/value_b64 instead,
// so binary data survives the round trip.
type jsonFormatter struct{}

type jsonHeader struct {
	Key      string  `json:"key"`
	Value    *string `json:"value,omitempty"`
	ValueB64 *string `json:"value_b64,omitempty"`
}

type jsonRecord struct {
	Topic     string       `json:"topic"`
	Partition int32        `json:"partition"`
	Offset    int64        `json:"offset"`
	Timestamp int64        `json:"timestamp"`
	Key       *string      `json:"key"`
	KeyB64    *string      `json:"key_b64,omitempty"`
	Headers   []jsonHeader `json:"headers,omitempty"`
	Value     *string      `json:"value"`
	ValueB64  *string      `json:"value_b64,omitempty"`
}

func textOrB64(b []byte) (text, b64 *string) {
	if b == nil {
		return nil, nil
	}
	if utf8.Valid(b) {
		s := string(b)
		return &s, nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return nil, &s
}

func (jsonFormatter) Append(dst []byte, r *kgo.Record) []byte {
	j := jsonRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli()}
	j.Key, j.KeyB64 = textOrB64(r.Key)
	j.Value, j.ValueB64 = textOrB64(r.Value)
	for _, h := range r.Headers {
		jh := jsonHeader{Key: h.Key}
		jh.Value, jh.ValueB64 = textOrB64(h.Value)
		j.Headers = append(j.Headers, jh)
	}
	b, err := json.Marshal(j)
	if err != nil { // cannot happen: every field is a plain type
		b = []byte(strconv.Quote(err.Error()))
	}
	dst = append(dst, b...)
	return append(dst, '\n')
}

// templateFormatter expands a printf-like template per record. Verbs:
//
//	%t topic   %p partition   %o offset   %k key   %v value
//	%T timestamp (Unix ms)    %d timestamp (RFC 3339)
//	%h headers as k=v,k=v     %K key length  %V value length  %% a percent
//
// and the escapes \n \t \\. A newline is added after each record unless the
// template already ends with one.
type templateFormatter struct {
	parts []tmplPart
}

type tmplPart struct {
	lit  string
	verb byte // 0 for a literal
}

func newTemplate(format string) (Formatter, error) {
	format = Unescape(format)
	if !strings.HasSuffix(format, "\n") {
		format += "\n"
	}
	var f templateFormatter
	var lit strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(format) {
			return nil, fmt.Errorf("--format %q ends with a lone %%", format)
		}
		i++
		v := format[i]
		if v == '%' {
			lit.WriteByte('%')
			continue
		}
		if !strings.ContainsRune("tpokvTdhKV", rune(v)) {
			return nil, fmt.Errorf("--format: unknown verb %%%c (known: %%t %%p %%o %%k %%v %%T %%d %%h %%K %%V)", v)
		}
		if lit.Len() > 0 {
			f.parts = append(f.parts, tmplPart{lit: lit.String()})
			lit.Reset()
		}
		f.parts = append(f.parts, tmplPart{verb: v})
	}
	if lit.Len() > 0 {
		f.parts = append(f.parts, tmplPart{lit: lit.String()})
	}
	return &f, nil
}

func (f *templateFormatter) Append(dst []byte, r *kgo.Record) []byte {
	for _, p := range f.parts {
		switch p.verb {
		case 0:
			dst = append(dst, p.lit...)
		case 't':
			dst = append(dst, r.Topic...)
		case 'p':
			dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		case 'o':
			dst = strconv.AppendInt(dst, r.Offset, 10)
		case 'k':
			dst = append(dst, r.Key...)
		case 'v':
			dst = append(dst, r.Value...)
		case 'T':
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		case 'd':
			dst = r.Timestamp.UTC().AppendFormat(dst, time.RFC3339Nano)
		case 'K':
			dst = strconv.AppendInt(dst, int64(len(r.Key)), 10)
		case 'V':
			dst = strconv.AppendInt(dst, int64(len(r.Value)), 10)
		case 'h':
			for i, h := range r.Headers {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, h.Key...)
				dst = append(dst, '=')
				dst = append(dst, h.Value...)
			}
		}
	}
	return dst
}
