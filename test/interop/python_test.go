package interop

import (
	"fmt"
	"slices"
	"testing"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

type pyRecord struct {
	Partition int32       `json:"partition"`
	Offset    int64       `json:"offset"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// checkPyRecords compares records read by a Python client with the n
// records the scripts produce ("key-%03d" / valueFmt, header idx=i) from
// offset start.
func checkPyRecords(t *testing.T, what string, got []pyRecord, valueFmt string, start, n int) {
	t.Helper()
	if len(got) != n-start {
		t.Fatalf("%s: read %d records, want %d: %+v", what, len(got), n-start, got)
	}
	for j, r := range got {
		i := start + j
		wantKey, wantVal := fmt.Sprintf("key-%03d", i), fmt.Sprintf(valueFmt, i)
		wantHdr := [][2]string{{"idx", fmt.Sprint(i)}}
		if r.Partition != 0 || r.Offset != int64(i) || str(r.Key) != wantKey || str(r.Value) != wantVal ||
			fmt.Sprint(r.Headers) != fmt.Sprint(wantHdr) {
			t.Errorf("%s record %d: got partition=%d offset=%d key=%q value=%q headers=%v, want 0 %d %q %q %v",
				what, j, r.Partition, r.Offset, str(r.Key), str(r.Value), r.Headers, i, wantKey, wantVal, wantHdr)
		}
	}
}

// TestConfluentKafkaProduceConsume follows the user's Python example:
// Producer.produce(..., callback=receipt) then flush(); every receipt has no
// error and offsets 0..n-1 in order. Consumer.list_topics() shows the topics
// and partition counts; assign() from the beginning and from offset 3 reads
// the same keys, values and headers back.
func TestConfluentKafkaProduceConsume(t *testing.T) {
	ktest.NeedPython(t, "confluent_kafka")
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	topic3 := ktest.CreateTopic(t, b.Addr, 3)
	const n = 12
	var out struct {
		FlushRemaining int `json:"flush_remaining"`
		Receipts       []struct {
			Err       *string `json:"err"`
			Topic     string  `json:"topic"`
			Partition int32   `json:"partition"`
			Offset    int64   `json:"offset"`
			Key       string  `json:"key"`
			Value     string  `json:"value"`
		} `json:"receipts"`
		Topics        []string       `json:"topics"`
		Partitions    map[string]int `json:"partitions"`
		Brokers       []string       `json:"brokers"`
		FromBeginning struct {
			Records []pyRecord `json:"records"`
			Errors  []string   `json:"errors"`
		} `json:"from_beginning"`
		FromOffset struct {
			Records []pyRecord `json:"records"`
			Errors  []string   `json:"errors"`
		} `json:"from_offset"`
	}
	runPython(t, &out, "confluent_client.py", "produce_consume", b.Addr, topic, fmt.Sprint(n), topic3)

	if out.FlushRemaining != 0 {
		t.Errorf("flush left %d messages undelivered", out.FlushRemaining)
	}
	if len(out.Receipts) != n {
		t.Fatalf("%d delivery receipts, want %d", len(out.Receipts), n)
	}
	for i, r := range out.Receipts {
		if r.Err != nil || r.Topic != topic || r.Partition != 0 || r.Offset != int64(i) ||
			r.Key != fmt.Sprintf("key-%03d", i) || r.Value != fmt.Sprintf("message-%03d", i) {
			t.Errorf("receipt %d: %+v (err %q), want no error, partition 0, offset %d", i, r, str(r.Err), i)
		}
	}
	if !slices.Contains(out.Topics, topic) || !slices.Contains(out.Topics, topic3) {
		t.Errorf("list_topics().topics = %v, want it to contain %s and %s", out.Topics, topic, topic3)
	}
	if out.Partitions[topic] != 1 || out.Partitions[topic3] != 3 {
		t.Errorf("partitions %v, want %s:1 %s:3", out.Partitions, topic, topic3)
	}
	if len(out.Brokers) != 1 || out.Brokers[0] != b.Addr {
		t.Errorf("brokers %v, want [%s]", out.Brokers, b.Addr)
	}
	if len(out.FromBeginning.Errors)+len(out.FromOffset.Errors) > 0 {
		t.Errorf("consumer errors: %v %v", out.FromBeginning.Errors, out.FromOffset.Errors)
	}
	checkPyRecords(t, "from beginning", out.FromBeginning.Records, "message-%03d", 0, n)
	checkPyRecords(t, "from offset 3", out.FromOffset.Records, "message-%03d", 3, n)

	// An independent client agrees on what is stored.
	got := ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, n)
	for i, r := range got {
		if string(r.Key) != fmt.Sprintf("key-%03d", i) || string(r.Value) != fmt.Sprintf("message-%03d", i) {
			t.Errorf("franz-go record %d: key=%q value=%q", i, r.Key, r.Value)
		}
	}
}

type pyErr struct {
	Code *int   `json:"code"`
	Name string `json:"name"`
	Str  string `json:"str"`
}

// TestConfluentKafkaAdmin: AdminClient.create_topics creates a valid topic
// (3 partitions) and rejects an invalid name with an error naming the topic
// problem; list_topics shows the new topic; describe_configs returns its
// configs; delete_topics removes it.
func TestConfluentKafkaAdmin(t *testing.T) {
	ktest.NeedPython(t, "confluent_kafka")
	t.Parallel()
	b := harness.Start(t)
	prefix := ktest.UniqueTopic(t)
	var out struct {
		Good              string             `json:"good"`
		Bad               string             `json:"bad"`
		Create            map[string]*pyErr  `json:"create"`
		ListedAfterCreate bool               `json:"listed_after_create"`
		GoodPartitions    int                `json:"good_partitions"`
		BadListed         bool               `json:"bad_listed"`
		Configs           map[string]*string `json:"configs"`
		ConfigsError      *pyErr             `json:"configs_error"`
		Delete            map[string]*pyErr  `json:"delete"`
		GoneAfterDelete   bool               `json:"gone_after_delete"`
	}
	runPython(t, &out, "confluent_client.py", "admin", b.Addr, prefix)

	if e, ok := out.Create[out.Good]; !ok || e != nil {
		t.Errorf("create_topics(%s): present=%v error=%+v, want success", out.Good, ok, e)
	}
	const invalidTopic = 17 // INVALID_TOPIC_EXCEPTION
	if e, ok := out.Create[out.Bad]; !ok || e == nil || e.Code == nil || *e.Code != invalidTopic {
		t.Errorf("create_topics(%q): present=%v error=%+v, want INVALID_TOPIC_EXCEPTION (17)", out.Bad, ok, e)
	}
	if !out.ListedAfterCreate || out.GoodPartitions != 3 {
		t.Errorf("after create: listed=%v partitions=%d, want true and 3", out.ListedAfterCreate, out.GoodPartitions)
	}
	if out.BadListed {
		t.Errorf("invalid topic %q is listed", out.Bad)
	}
	if out.ConfigsError != nil {
		t.Errorf("describe_configs: %+v", out.ConfigsError)
	}
	for _, k := range []string{"cleanup.policy", "retention.ms"} {
		if v, ok := out.Configs[k]; !ok || v == nil || *v == "" {
			t.Errorf("describe_configs: %s missing or empty in %v", k, out.Configs)
		}
	}
	if v := out.Configs["cleanup.policy"]; v != nil && *v != "delete" {
		t.Errorf("cleanup.policy = %q, want the default \"delete\"", *v)
	}
	if e, ok := out.Delete[out.Good]; !ok || e != nil {
		t.Errorf("delete_topics(%s): present=%v error=%+v, want success", out.Good, ok, e)
	}
	if !out.GoneAfterDelete {
		t.Errorf("%s still listed after delete_topics", out.Good)
	}
}

// TestKafkaPythonProduceConsume: kafka-python infers a modern broker
// version from ApiVersions (>= 2.4, so it uses record batches v2 and
// headers); send().get(timeout) acknowledges offsets 0..n/2-1, async sends
// plus flush() the rest; KafkaConsumer with assign() + seek_to_beginning and
// seek(3) reads everything back.
func TestKafkaPythonProduceConsume(t *testing.T) {
	ktest.NeedPython(t, "kafka")
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	const n = 12
	var out struct {
		ProducerAPIVersion []int            `json:"producer_api_version"`
		ConsumerAPIVersion []int            `json:"consumer_api_version"`
		SyncOffsets        []int64          `json:"sync_offsets"`
		AsyncOffsets       []int64          `json:"async_offsets"`
		AsyncErrors        []string         `json:"async_errors"`
		Topics             []string         `json:"topics"`
		Partitions         []int32          `json:"partitions"`
		FromBeginning      []pyRecord       `json:"from_beginning"`
		FromOffset         []pyRecord       `json:"from_offset"`
		EndOffsets         map[string]int64 `json:"end_offsets"`
	}
	runPython(t, &out, "kafka_python_client.py", "produce_consume", b.Addr, topic, fmt.Sprint(n))

	// CLIENTS.md: the ranges must include DescribeAcls v2 (inferred 2.5)
	// or Produce v8 (2.4); below that kafka-python downgrades its features.
	for what, v := range map[string][]int{"producer": out.ProducerAPIVersion, "consumer": out.ConsumerAPIVersion} {
		if slices.Compare(v, []int{2, 4}) < 0 {
			t.Errorf("kafka-python %s inferred broker api_version %v, want >= (2, 4)", what, v)
		}
		if slices.Compare(v, []int{2, 5}) < 0 {
			t.Logf("note: kafka-python inferred %v, not 2.5: DescribeAcls v2 is not advertised", v)
		}
	}
	var offs []int64
	offs = append(offs, out.SyncOffsets...)
	offs = append(offs, out.AsyncOffsets...)
	if len(out.AsyncErrors) > 0 {
		t.Errorf("async send errors: %v", out.AsyncErrors)
	}
	if len(offs) != n {
		t.Errorf("%d acknowledged offsets, want %d: %v", len(offs), n, offs)
	}
	for i, o := range offs {
		if o != int64(i) {
			t.Errorf("send %d acknowledged at offset %d, want %d", i, o, i)
		}
	}
	if !slices.Contains(out.Topics, topic) || slices.Compare(out.Partitions, []int32{0}) != 0 {
		t.Errorf("topics %v partitions %v, want %s with partition [0]", out.Topics, out.Partitions, topic)
	}
	checkPyRecords(t, "seek_to_beginning", out.FromBeginning, "value-%03d", 0, n)
	checkPyRecords(t, "seek(3)", out.FromOffset, "value-%03d", 3, n)
	if out.EndOffsets["0"] != n {
		t.Errorf("end_offsets %v, want partition 0 at %d", out.EndOffsets, n)
	}
	ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, n)
}

// TestKafkaPythonAdmin: KafkaAdminClient create_topics (no topic error),
// list_topics shows it, delete_topics (no error) and it disappears.
func TestKafkaPythonAdmin(t *testing.T) {
	ktest.NeedPython(t, "kafka")
	t.Parallel()
	b := harness.Start(t)
	prefix := ktest.UniqueTopic(t)
	var out struct {
		CreateErrors      [][2]any `json:"create_errors"`
		ListedAfterCreate bool     `json:"listed_after_create"`
		DeleteErrors      [][2]any `json:"delete_errors"`
		GoneAfterDelete   bool     `json:"gone_after_delete"`
	}
	runPython(t, &out, "kafka_python_client.py", "admin", b.Addr, prefix)
	name := prefix + "-kp"
	for what, errs := range map[string][][2]any{"create": out.CreateErrors, "delete": out.DeleteErrors} {
		if len(errs) != 1 || errs[0][0] != name || errs[0][1] != float64(0) {
			t.Errorf("%s_topics topic errors %v, want [[%s 0]]", what, errs, name)
		}
	}
	if !out.ListedAfterCreate {
		t.Errorf("%s not listed after create_topics", name)
	}
	if !out.GoneAfterDelete {
		t.Errorf("%s still listed after delete_topics", name)
	}
}
