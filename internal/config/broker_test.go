package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultNeedsNoFile(t *testing.T) {
	b, warns, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(warns) != 0 {
		t.Fatalf("unexpected warnings %q", warns)
	}
	want := Default()
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("Load(\"\") differs from Default():\n got %+v\nwant %+v", b, want)
	}
	if b.NodeID != 1 || b.Listeners[0].String() != "PLAINTEXT://127.0.0.1:9092" ||
		b.AdvertisedListeners[0].String() != "PLAINTEXT://127.0.0.1:9092" ||
		b.LogRetentionMs != 604800000 || b.LogFlushIntervalMessages != 1 ||
		b.ControllerQuorumVoters != "1@127.0.0.1:9093" || b.AdminListener != "127.0.0.1:9644" {
		t.Fatalf("unexpected defaults %+v", b)
	}
	if !b.IsBroker() || !b.IsController() {
		t.Fatalf("default roles %v", b.ProcessRoles)
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileAndOverrides(t *testing.T) {
	p := writeFile(t, `
# Kafka-style file
node.id=1
listeners=PLAINTEXT://127.0.0.1:19092
log.dirs=/a, /b
num.partitions : 3
log.retention.hours=1
zookeeper.connect=localhost:2181
num.network.threads=3
`)
	b, warns, err := Load(p, []string{"num.partitions=6", "log.retention.ms=5000"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if b.NumPartitions != 6 {
		t.Errorf("override must win over file: num.partitions=%d", b.NumPartitions)
	}
	if b.LogRetentionMs != 5000 {
		t.Errorf("log.retention.ms=%d, want 5000", b.LogRetentionMs)
	}
	if !slices.Equal(b.LogDirs, []string{"/a", "/b"}) {
		t.Errorf("log.dirs=%q", b.LogDirs)
	}
	if got := b.AdvertisedListeners; len(got) != 1 || got[0].Port != 19092 {
		t.Errorf("advertised.listeners must default to listeners, got %v", got)
	}
	if len(warns) != 1 || warns[0] != "zookeeper.connect: Strom needs no ZooKeeper; ignored" {
		t.Errorf("warnings %q", warns)
	}
	if b.Raw["num.partitions"] != "6" {
		t.Errorf("Raw must hold the overridden value, got %q", b.Raw["num.partitions"])
	}
}

func TestLoadErrors(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Load("", []string{"num.partitions"}); !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "num.partitions") {
		t.Errorf("override without '=': %v", err)
	}
	p := writeFile(t, "a=\\uXY")
	if _, _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("syntax error must name the file: %v", err)
	}
}

func TestRetentionPrecedence(t *testing.T) {
	tests := []struct {
		props map[string]string
		want  int64
	}{
		{map[string]string{}, 168 * 3600000},
		{map[string]string{"log.retention.hours": "2"}, 2 * 3600000},
		{map[string]string{"log.retention.hours": "2", "log.retention.minutes": "3"}, 3 * 60000},
		{map[string]string{"log.retention.hours": "2", "log.retention.minutes": "3", "log.retention.ms": "4"}, 4},
		{map[string]string{"log.retention.ms": "-1"}, -1},
		{map[string]string{"log.retention.hours": "-5"}, -1},
		{map[string]string{"log.retention.minutes": "-1", "log.retention.hours": "0"}, -1},
	}
	for _, tt := range tests {
		b, _, err := FromMap(tt.props)
		if err != nil {
			t.Fatalf("%v: %v", tt.props, err)
		}
		if b.LogRetentionMs != tt.want {
			t.Errorf("%v: LogRetentionMs=%d, want %d", tt.props, b.LogRetentionMs, tt.want)
		}
	}
	b, _, err := FromMap(map[string]string{"log.roll.hours": "2", "log.roll.ms": "10"})
	if err != nil || b.LogRollMs != 10 {
		t.Fatalf("log.roll.ms must win over hours: %v %v", b, err)
	}
	b, _, err = FromMap(map[string]string{"log.roll.hours": "2"})
	if err != nil || b.LogRollMs != 2*3600000 {
		t.Fatalf("log.roll.hours: %v %v", b, err)
	}
}

func TestAliases(t *testing.T) {
	b, _, err := FromMap(map[string]string{"broker.id": "7", "log.dir": "/x", "controller.quorum.voters": "7@h:1"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 7 || !slices.Equal(b.LogDirs, []string{"/x"}) {
		t.Fatalf("aliases not applied: %d %q", b.NodeID, b.LogDirs)
	}
	if _, ok := b.Raw["broker.id"]; ok || b.Raw["node.id"] != "7" {
		t.Fatalf("Raw must hold canonical keys: %v", b.Raw)
	}
	b, _, err = FromMap(map[string]string{"log.dir": "/x", "log.dirs": "/y,/z"})
	if err != nil || !slices.Equal(b.LogDirs, []string{"/y", "/z"}) {
		t.Fatalf("log.dirs must win over log.dir: %v %v", b.LogDirs, err)
	}
	_, _, err = FromMap(map[string]string{"broker.id": "1", "node.id": "2"})
	if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "node.id") {
		t.Fatalf("conflicting broker.id/node.id: %v", err)
	}
}

func TestValidationErrorsNameKey(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"log.segment.bytes", "abc", `config: log.segment.bytes: "abc" is not an integer`},
		{"num.partitions", "0", "config: num.partitions: must be at least 1, got 0"},
		{"log.segment.bytes", "13", "at least 14"},
		{"log.segment.bytes", "3000000000", "out of range for a 32-bit integer"},
		{"node.id", "-1", "at least 0"},
		{"default.replication.factor", "40000", "out of range for a 16-bit integer"},
		{"offsets.topic.replication.factor", "0", "at least 1"},
		{"auto.create.topics.enable", "yes", "not a boolean"},
		{"log.message.timestamp.type", "createtime", "not one of"},
		{"log.cleanup.policy", "compress", "not a valid policy"},
		{"log.cleanup.policy", "", "empty"},
		{"min.insync.replicas", "0", "at least 1"},
		{"log.flush.interval.messages", "0", "at least 1"},
		{"log.retention.ms", "0", "-1 (unlimited) or at least 1"},
		{"log.retention.hours", "x", "not an integer"},
		{"log.retention.minutes", "0", "-1 (unlimited) or at least 1"},
		{"log.roll.hours", "0", "at least 1"},
		{"log.roll.ms", "0", "at least 1"},
		{"log.index.size.max.bytes", "3", "at least 4"},
		{"socket.request.max.bytes", "0", "at least 1"},
		{"process.roles", "broker,worker", "not a role"},
		{"process.roles", "", "must not be empty"},
		{"listeners", "PLAINTEXT//x:1", "NAME://host:port"},
		{"listeners", "PLAINTEXT://x:99999", "port"},
		{"listeners", "PLAINTEXT://x:1,PLAINTEXT://y:2", "more than once"},
		{"listeners", "SSL://x:9093", "Strom serves only PLAINTEXT"},
		{"listeners", "CLIENT://x:9093", "no security protocol"},
		{"listeners", "PLAINTEXT://0.0.0.0:9092", "non-routable"},
		{"advertised.listeners", "PLAINTEXT://0.0.0.0:9092", "non-routable"},
		{"advertised.listeners", "OTHER://h:1", "not in listeners"},
		{"controller.quorum.voters", "1@h", "id@host:port"},
		{"controller.quorum.voters", "2@h:9093", "not a voter"},
		{"controller.quorum.voters", "1@h:1,1@g:2", "more than once"},
		{"compression.type", "brotli", "not one of"},
		{"log.cleaner.min.cleanable.ratio", "1.5", "between 0 and 1"},
		{"strom.admin.listen", "nope", "host:port"},
		{"group.min.session.timeout.ms", "2000000", "must not exceed group.max.session.timeout.ms"},
		{"listener.security.protocol.map", "PLAINTEXT:FOO", "unknown security protocol"},
		{"log.dirs", " , ", "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, _, err := FromMap(map[string]string{tt.key: tt.value})
			if err == nil {
				t.Fatal("want error")
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("error %v is not an *Error wrapping ErrInvalidValue", err)
			}
			if prefix := "config: " + tt.key + ": "; !strings.HasPrefix(err.Error(), prefix) || ce.Key != tt.key {
				t.Fatalf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	b, warns, err := FromMap(map[string]string{
		"no.such.key":                           "1",
		"zookeeper.connect":                     "zk:2181",
		"socket.send.buffer.bytes":              "102400",
		"group.coordinator.rebalance.protocols": "classic",
		"ssl.keystore.location":                 "/k",
		"num.partition":                         "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`unknown property "no.such.key" ignored`,
		`unknown property "num.partition" ignored (did you mean "num.partitions"?)`,
		"ssl.keystore.location: Strom serves PLAINTEXT only for now; ignored",
		"zookeeper.connect: Strom needs no ZooKeeper; ignored",
	}
	if !slices.Equal(warns, want) {
		t.Fatalf("warnings\n got %q\nwant %q", warns, want)
	}
	if b.Raw["no.such.key"] != "1" {
		t.Fatalf("Raw must keep every key as given")
	}
}

func TestListenersAndQuorum(t *testing.T) {
	// A KRaft combined-mode file as Kafka's quickstart writes it.
	b, warns, err := FromMap(map[string]string{
		"process.roles":                  "broker,controller",
		"node.id":                        "2",
		"controller.quorum.voters":       "1@n1:9093,2@n2:9093,3@n3:9093",
		"listeners":                      "PLAINTEXT://:9092,CONTROLLER://:9093",
		"advertised.listeners":           "PLAINTEXT://n2:9092",
		"controller.listener.names":      "CONTROLLER",
		"inter.broker.listener.name":     "PLAINTEXT",
		"listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings %q", warns)
	}
	if len(b.Voters) != 3 || b.Voters[1] != (Voter{ID: 2, Host: "n2", Port: 9093}) {
		t.Fatalf("voters %+v", b.Voters)
	}
	if bl := b.BrokerListeners(); len(bl) != 1 || bl[0].Name != "PLAINTEXT" || bl[0].Addr() != ":9092" {
		t.Fatalf("broker listeners %+v", bl)
	}

	// Without advertised.listeners the controller listener is not advertised,
	// and the default voter follows the CONTROLLER listener.
	b, _, err = FromMap(map[string]string{"listeners": "PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.AdvertisedListeners) != 1 || b.AdvertisedListeners[0].Name != "PLAINTEXT" {
		t.Fatalf("advertised %+v", b.AdvertisedListeners)
	}
	if b.ControllerQuorumVoters != "1@127.0.0.1:0" {
		t.Fatalf("voters %q", b.ControllerQuorumVoters)
	}

	// IPv6.
	b, _, err = FromMap(map[string]string{"listeners": "PLAINTEXT://[::1]:9092"})
	if err != nil || b.Listeners[0].Host != "::1" || b.Listeners[0].String() != "PLAINTEXT://[::1]:9092" {
		t.Fatalf("ipv6: %+v %v", b, err)
	}

	// A pure broker needs explicit voters and must not be one.
	if _, _, err = FromMap(map[string]string{"process.roles": "broker"}); err == nil || !strings.Contains(err.Error(), "controller.quorum.voters") {
		t.Fatalf("broker-only without voters: %v", err)
	}
	if _, _, err = FromMap(map[string]string{"process.roles": "broker", "controller.quorum.voters": "1@h:9093"}); err == nil {
		t.Fatal("broker-only node listed as voter must fail")
	}
	b, _, err = FromMap(map[string]string{"process.roles": "broker", "node.id": "4", "controller.quorum.voters": "1@h:9093"})
	if err != nil || b.IsController() {
		t.Fatalf("broker-only: %v", err)
	}
}

func TestBrokerRowsRoundTrip(t *testing.T) {
	// Every value DescribeBroker reports for the defaults must be accepted
	// back by FromMap and yield the same config: the table and Default agree.
	props := map[string]string{}
	for _, e := range Default().DescribeBroker() {
		props[e.Name] = e.Value
	}
	b, warns, err := FromMap(props)
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings %q", warns)
	}
	b.Raw = map[string]string{}
	if !reflect.DeepEqual(b, Default()) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", b, Default())
	}
}

// STROM_DATA_DIR moves the default data directory; log.dirs still wins.
func TestDataDirEnv(t *testing.T) {
	t.Setenv("STROM_DATA_DIR", "/srv/strom-env")
	b, _, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.LogDirs) != 1 || b.LogDirs[0] != "/srv/strom-env" {
		t.Fatalf("log.dirs %v, want the STROM_DATA_DIR value", b.LogDirs)
	}
	b, _, err = Load("", []string{"log.dirs=/srv/explicit"})
	if err != nil {
		t.Fatal(err)
	}
	if b.LogDirs[0] != "/srv/explicit" {
		t.Fatalf("log.dirs %v, want the explicit value", b.LogDirs)
	}
}
