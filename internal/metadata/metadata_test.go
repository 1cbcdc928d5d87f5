package metadata

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestValidTopicName(t *testing.T) {
	good := []string{"a", "topic-1", "A.b_c-D", "__consumer_offsets", strings.Repeat("x", 249), "..."}
	for _, n := range good {
		if err := ValidTopicName(n); err != nil {
			t.Errorf("ValidTopicName(%q) = %v, want nil", n, err)
		}
	}
	bad := []string{"", ".", "..", strings.Repeat("x", 250), "a b", "a/b", "ä", "a\x00", "a:b", "a*"}
	for _, n := range bad {
		err := ValidTopicName(n)
		if !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("ValidTopicName(%q) = %v, want ErrInvalidTopic", n, err)
		}
	}
}

func TestCollides(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"a.b", "a_b", true},
		{"a_b", "a.b", true},
		{"a.b", "a.b", false}, // same name is "exists", not a collision
		{"a.b", "a-b", false},
		{"x._", "x_.", true},
	}
	for _, c := range cases {
		if got := Collides(c.a, c.b); got != c.want {
			t.Errorf("Collides(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestTopicIDString(t *testing.T) {
	for range 100 {
		id := NewTopicID()
		s := id.String()
		if len(s) != 22 || strings.HasPrefix(s, "-") {
			t.Fatalf("id string %q", s)
		}
		back, err := ParseTopicID(s)
		if err != nil || back != id {
			t.Fatalf("ParseTopicID(%q) = %v, %v", s, back, err)
		}
	}
	if _, err := ParseTopicID("short"); err == nil {
		t.Fatal("ParseTopicID accepted a short id")
	}
}

func allRecordKinds() []Record {
	id := NewTopicID()
	return []Record{
		ClusterIDRecord{ClusterID: "abc"},
		RegisterBroker{ID: 1, Host: "127.0.0.1", Port: 9092, Rack: "r", Epoch: 3},
		FenceBroker{ID: 1, Fenced: true},
		TopicRecord{Name: "t", ID: id, Configs: map[string]string{"retention.ms": "1"}},
		PartitionRecord{TopicID: id, Index: 0, Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 2, PartitionEpoch: 4},
		PartitionChange{TopicID: id, Index: 0, Leader: new(int32(2)), ISR: []int32{2}},
		RemoveTopic{ID: id},
		ConfigRecord{ResourceType: ResourceTopic, ResourceName: "t", Key: "k", Value: new("v")},
		ConfigRecord{ResourceType: ResourceBroker, ResourceName: "", Key: "k"},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	recs := allRecordKinds()
	for _, r := range recs {
		got, err := Decode(Encode(r))
		if err != nil {
			t.Fatalf("Decode(Encode(%#v)): %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip: got %#v, want %#v", got, r)
		}
	}
	got, err := DecodeBatch(EncodeBatch(recs))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("batch round trip: got %#v", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	cases := map[string]error{
		`{"v":2,"type":"topic","data":{}}`:          ErrUnsupported,
		`{"v":1,"type":"nope","data":{}}`:           ErrUnsupported,
		`{"v":1,"type":"topic"}`:                    ErrCorrupt,
		`{"v":1,"type":"topic","data":[1]}`:         ErrCorrupt,
		`not json`:                                  ErrCorrupt,
		`{"v":1,"type":"topic","data":{"id":"xx"}}`: ErrCorrupt,
	}
	for in, want := range cases {
		if _, err := Decode([]byte(in)); !errors.Is(err, want) {
			t.Errorf("Decode(%s) = %v, want %v", in, err, want)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(EncodeBatch(allRecordKinds()))
	f.Add([]byte(`{"v":1,"records":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := DecodeBatch(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to something that decodes the same.
		again, err := DecodeBatch(EncodeBatch(recs))
		if err != nil || !reflect.DeepEqual(again, recs) {
			t.Fatalf("re-decode: %v", err)
		}
		_, _ = Empty().Apply(recs, 1) // must not panic
	})
}

func mustApply(t *testing.T, im *Image, off uint64, recs ...Record) *Image {
	t.Helper()
	next, err := im.Apply(recs, off)
	if err != nil {
		t.Fatalf("Apply at %d: %v", off, err)
	}
	return next
}

func TestApplyTopicLifecycle(t *testing.T) {
	id := NewTopicID()
	im := mustApply(t, Empty(), 1,
		ClusterIDRecord{ClusterID: "c1"},
		RegisterBroker{ID: 0, Host: "h", Port: 1},
		TopicRecord{Name: "orders", ID: id},
		PartitionRecord{TopicID: id, Index: 0, Replicas: []int32{0}, ISR: []int32{0}, Leader: 0},
		PartitionRecord{TopicID: id, Index: 1, Replicas: []int32{0}, ISR: []int32{0}, Leader: 0},
	)
	if im.Offset != 1 || im.ClusterID != "c1" {
		t.Fatalf("offset %d cluster %q", im.Offset, im.ClusterID)
	}
	tp := im.Topic("orders")
	if tp == nil || tp.ID != id || len(tp.Partitions) != 2 || im.TopicByID(id) != tp {
		t.Fatalf("topic %+v", tp)
	}
	im2 := mustApply(t, im, 2, PartitionChange{TopicID: id, Index: 1, Leader: new(int32(-1)), ISR: []int32{}})
	p, _ := im2.Partition("orders", 1)
	if p.Leader != -1 || p.LeaderEpoch != 1 || p.PartitionEpoch != 1 || len(p.ISR) != 0 {
		t.Fatalf("after change: %+v", p)
	}
	if p0, _ := im2.Partition("orders", 0); p0.PartitionEpoch != 0 {
		t.Fatalf("untouched partition changed: %+v", p0)
	}
	im3 := mustApply(t, im2, 3, ConfigRecord{ResourceType: ResourceTopic, ResourceName: "orders", Key: "retention.ms", Value: new("5")})
	if im3.Topic("orders").Configs["retention.ms"] != "5" || len(im2.Topic("orders").Configs) != 0 {
		t.Fatal("config override not applied copy-on-write")
	}
	im4 := mustApply(t, im3, 4, RemoveTopic{ID: id})
	if im4.Topic("orders") != nil || im4.TopicByID(id) != nil || im3.Topic("orders") == nil {
		t.Fatal("remove topic")
	}
	// Unrelated topics are shared, not copied.
	id2 := NewTopicID()
	im5 := mustApply(t, im3, 5, TopicRecord{Name: "other", ID: id2})
	if im5.Topic("orders") != im3.Topic("orders") {
		t.Fatal("untouched topic was copied")
	}
}

func TestApplyRejectsAtomically(t *testing.T) {
	id := NewTopicID()
	im := mustApply(t, Empty(), 1, TopicRecord{Name: "a", ID: id})
	bad := [][]Record{
		{TopicRecord{Name: "a", ID: NewTopicID()}},
		{TopicRecord{Name: "b", ID: id}},
		{TopicRecord{Name: "b/", ID: NewTopicID()}},
		{PartitionRecord{TopicID: NewTopicID(), Index: 0, Replicas: []int32{1}}},
		{PartitionRecord{TopicID: id, Index: 5, Replicas: []int32{1}}},
		{PartitionChange{TopicID: id, Index: 0}},
		{RemoveTopic{ID: NewTopicID()}},
		{ConfigRecord{ResourceType: ResourceTopic, ResourceName: "zz", Key: "k"}},
		{ClusterIDRecord{ClusterID: "x"}, ClusterIDRecord{ClusterID: "y"}},
		{FenceBroker{ID: 9}},
		// A good record followed by a bad one must leave no trace.
		{TopicRecord{Name: "c", ID: NewTopicID()}, RemoveTopic{ID: NewTopicID()}},
	}
	for i, recs := range bad {
		next, err := im.Apply(recs, 2)
		if !errors.Is(err, ErrInvalidRecord) || next != nil {
			t.Errorf("case %d: Apply = %v, %v; want ErrInvalidRecord", i, next, err)
		}
	}
	if im.Topic("c") != nil || len(im.Topics) != 1 {
		t.Fatal("failed apply mutated image")
	}
}

// randomBatch builds a batch of records that mostly apply to im.
func randomBatch(r *rand.Rand, im *Image) []Record {
	var recs []Record
	n := 1 + r.IntN(4)
	names := im.TopicNames()
	for range n {
		switch r.IntN(7) {
		case 0:
			id := NewTopicID()
			name := "t" + strconv.Itoa(r.IntN(30))
			recs = append(recs, TopicRecord{Name: name, ID: id, Configs: map[string]string{"a": "1"}},
				PartitionRecord{TopicID: id, Index: 0, Replicas: []int32{0, 1}, ISR: []int32{0, 1}})
		case 1:
			if len(names) > 0 {
				tp := im.Topics[names[r.IntN(len(names))]]
				recs = append(recs, PartitionChange{TopicID: tp.ID, Index: 0, Leader: new(int32(r.IntN(3))), ISR: []int32{int32(r.IntN(3))}})
			}
		case 2:
			if len(names) > 0 {
				tp := im.Topics[names[r.IntN(len(names))]]
				recs = append(recs, PartitionRecord{TopicID: tp.ID, Index: int32(len(tp.Partitions)), Replicas: []int32{1}, ISR: []int32{1}})
			}
		case 3:
			if len(names) > 0 {
				recs = append(recs, RemoveTopic{ID: im.Topics[names[r.IntN(len(names))]].ID})
			}
		case 4:
			if len(names) > 0 {
				var v *string
				if r.IntN(2) == 0 {
					v = new(strconv.Itoa(r.IntN(100)))
				}
				recs = append(recs, ConfigRecord{ResourceType: ResourceTopic, ResourceName: names[r.IntN(len(names))], Key: "k" + strconv.Itoa(r.IntN(3)), Value: v})
			}
		case 5:
			recs = append(recs, ConfigRecord{ResourceType: ResourceBroker, ResourceName: []string{"", "1"}[r.IntN(2)], Key: "b", Value: new("x")})
		case 6:
			recs = append(recs, RegisterBroker{ID: int32(r.IntN(3)), Host: "h", Port: int32(r.IntN(100)), Epoch: int64(r.IntN(9))})
		}
	}
	return recs
}

// TestApplyNeverMutatesOld is the property test: whatever batch applies
// (or fails to), every earlier image still encodes exactly as before.
func TestApplyNeverMutatesOld(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	im := Empty()
	type saved struct {
		im  *Image
		enc []byte
	}
	var history []saved
	for i := range 600 {
		history = append(history, saved{im, EncodeImage(im)})
		next, err := im.Apply(randomBatch(r, im), uint64(i+1))
		if err == nil {
			im = next
		}
		if i%100 == 0 {
			for j, h := range history {
				if !bytes.Equal(EncodeImage(h.im), h.enc) {
					t.Fatalf("seed %d: image %d mutated by a later Apply", seed, j)
				}
			}
		}
	}
	for j, h := range history {
		if !bytes.Equal(EncodeImage(h.im), h.enc) {
			t.Fatalf("seed %d: image %d mutated by a later Apply", seed, j)
		}
	}
	// And the snapshot codec reproduces the final image.
	back, err := DecodeImage(EncodeImage(im))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(EncodeImage(back), EncodeImage(im)) || back.Offset != im.Offset {
		t.Fatal("image snapshot round trip differs")
	}
}
