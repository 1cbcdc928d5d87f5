package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Listener is one entry of listeners or advertised.listeners, parsed from
// "NAME://host:port". Name is the listener name; its security protocol is
// looked up in listener.security.protocol.map (by default a name such as
// PLAINTEXT maps to the protocol of the same name). Host "" means every
// interface for a bind address. IPv6 hosts are written in brackets and
// stored without them.
type Listener struct {
	Name string
	Host string
	Port int
}

// String formats the listener back as NAME://host:port.
func (l Listener) String() string {
	return l.Name + "://" + net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// Addr is the host:port to bind or dial.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Voter is one entry of controller.quorum.voters ("id@host:port").
type Voter struct {
	ID   int32
	Host string
	Port int
}

// Addr is the voter's host:port.
func (v Voter) Addr() string { return net.JoinHostPort(v.Host, strconv.Itoa(v.Port)) }

// securityProtocols are Kafka's protocol names; only PLAINTEXT is served.
var securityProtocols = map[string]bool{"PLAINTEXT": true, "SSL": true, "SASL_PLAINTEXT": true, "SASL_SSL": true}

// ParseListeners parses a comma-separated listener list such as
// "PLAINTEXT://127.0.0.1:9092,CONTROLLER://:9093".
func ParseListeners(v string) ([]Listener, error) {
	var out []Listener
	seen := map[string]bool{}
	for _, item := range parseList(v) {
		l, err := parseListener(item)
		if err != nil {
			return nil, err
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("listener name %s is used more than once; each listener must have a different name", l.Name)
		}
		seen[l.Name] = true
		out = append(out, l)
	}
	return out, nil
}

func parseListener(s string) (Listener, error) {
	name, hostport, ok := strings.Cut(s, "://")
	if !ok || name == "" {
		return Listener{}, fmt.Errorf("%q is not of the form NAME://host:port", s)
	}
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return Listener{}, fmt.Errorf("%q is not of the form NAME://host:port", s)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return Listener{}, fmt.Errorf("%q: port must be a number between 0 and 65535", s)
	}
	return Listener{Name: strings.ToUpper(name), Host: host, Port: port}, nil
}

// ParseVoters parses controller.quorum.voters: "1@host1:9093,2@host2:9093".
func ParseVoters(v string) ([]Voter, error) {
	var out []Voter
	seen := map[int32]bool{}
	for _, item := range parseList(v) {
		idStr, hostport, ok := strings.Cut(item, "@")
		if !ok {
			return nil, fmt.Errorf("%q is not of the form id@host:port", item)
		}
		id, err := strconv.ParseInt(idStr, 10, 32)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%q: voter id must be a non-negative integer", item)
		}
		host, portStr, err := net.SplitHostPort(hostport)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%q is not of the form id@host:port", item)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("%q: port must be a number between 1 and 65535", item)
		}
		if seen[int32(id)] {
			return nil, fmt.Errorf("voter id %d appears more than once", id)
		}
		seen[int32(id)] = true
		out = append(out, Voter{ID: int32(id), Host: host, Port: port})
	}
	return out, nil
}

// parseProtocolMap parses listener.security.protocol.map ("NAME:PROTOCOL,...").
func parseProtocolMap(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, item := range parseList(v) {
		name, proto, ok := strings.Cut(item, ":")
		name, proto = strings.ToUpper(strings.TrimSpace(name)), strings.ToUpper(strings.TrimSpace(proto))
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not of the form NAME:PROTOCOL", item)
		}
		if !securityProtocols[proto] {
			return nil, fmt.Errorf("%q: unknown security protocol %s", item, proto)
		}
		m[name] = proto
	}
	return m, nil
}

// errNonRoutable is the reason for an advertised 0.0.0.0 or :: host.
var errNonRoutable = errors.New("cannot advertise the non-routable meta-address; set advertised.listeners to a host clients can reach")

// isMetaAddress reports whether host is a wildcard bind address.
func isMetaAddress(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// finishListeners resolves security protocols, defaults
// advertised.listeners and inter.broker.listener.name, and applies Kafka's
// listener rules.
func (b *Broker) finishListeners() error {
	protos := map[string]string{}
	if v, ok := b.Raw["listener.security.protocol.map"]; ok {
		m, err := parseProtocolMap(v)
		if err != nil {
			return invalid("listener.security.protocol.map", v, err)
		}
		protos = m
	} else {
		for p := range securityProtocols {
			protos[p] = p
		}
		// As in Kafka, controller listeners are PLAINTEXT when no map is given.
		for _, n := range b.ControllerListenerNames {
			if _, ok := protos[n]; !ok {
				protos[n] = "PLAINTEXT"
			}
		}
	}
	b.ListenerProtocols = map[string]string{}
	ports := map[int]string{}
	for _, l := range b.Listeners {
		p, ok := protos[l.Name]
		if !ok {
			return invalidf("listeners", listString(b.Listeners), "listener %s has no security protocol; map it in listener.security.protocol.map", l.Name)
		}
		if p != "PLAINTEXT" {
			return invalidf("listeners", listString(b.Listeners), "listener %s uses security protocol %s; Strom serves only PLAINTEXT for now", l.Name, p)
		}
		if other, dup := ports[l.Port]; dup && l.Port != 0 {
			return invalidf("listeners", listString(b.Listeners), "listeners %s and %s use the same port %d", other, l.Name, l.Port)
		}
		ports[l.Port] = l.Name
		b.ListenerProtocols[l.Name] = p
	}
	if b.IsBroker() && len(b.BrokerListeners()) == 0 {
		return invalidf("listeners", listString(b.Listeners), "no listener for clients: every listener is in controller.listener.names")
	}

	key := "advertised.listeners"
	if _, ok := b.Raw[key]; !ok {
		b.AdvertisedListeners = slices.Clone(b.BrokerListeners())
		key = "listeners" // the bad host came from listeners; name that key
	}
	for i, a := range b.AdvertisedListeners {
		if !slices.ContainsFunc(b.Listeners, func(l Listener) bool { return l.Name == a.Name }) {
			return invalidf(key, listString(b.AdvertisedListeners), "advertised listener %s is not in listeners", a.Name)
		}
		if isMetaAddress(a.Host) {
			return invalid(key, listString(b.AdvertisedListeners), fmt.Errorf("%s: %w", a, errNonRoutable))
		}
		if a.Host == "" {
			// Kafka advertises the local host name for an empty host.
			b.AdvertisedListeners[i].Host = localHostname()
		}
	}

	if _, ok := b.Raw["inter.broker.listener.name"]; ok {
		if b.IsBroker() && !slices.ContainsFunc(b.AdvertisedListeners, func(l Listener) bool { return l.Name == b.InterBrokerListenerName }) {
			return invalidf("inter.broker.listener.name", b.InterBrokerListenerName, "%s is not an advertised listener", b.InterBrokerListenerName)
		}
	} else if bl := b.BrokerListeners(); len(bl) > 0 && !slices.ContainsFunc(bl, func(l Listener) bool { return l.Name == "PLAINTEXT" }) {
		b.InterBrokerListenerName = bl[0].Name
	}
	return nil
}

func localHostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "127.0.0.1"
}

// finishQuorum defaults controller.quorum.voters to this node alone and
// checks Kafka's role rules: a controller must be a voter, a pure broker
// must not.
func (b *Broker) finishQuorum() error {
	if _, ok := b.Raw["controller.quorum.voters"]; !ok {
		if !b.IsController() {
			return invalidf("controller.quorum.voters", "", "must be set when process.roles does not include controller")
		}
		v := Voter{ID: b.NodeID, Host: "127.0.0.1", Port: 9093}
		for _, l := range b.Listeners {
			if slices.Contains(b.ControllerListenerNames, l.Name) {
				v.Port = l.Port
				if l.Host != "" && !isMetaAddress(l.Host) {
					v.Host = l.Host
				}
				break
			}
		}
		b.Voters = []Voter{v}
		b.ControllerQuorumVoters = fmt.Sprintf("%d@%s", v.ID, v.Addr())
	}
	isVoter := slices.ContainsFunc(b.Voters, func(v Voter) bool { return v.ID == b.NodeID })
	switch {
	case b.IsController() && !isVoter:
		return invalidf("controller.quorum.voters", b.ControllerQuorumVoters, "node.id %d has the controller role but is not a voter", b.NodeID)
	case !b.IsController() && isVoter:
		return invalidf("controller.quorum.voters", b.ControllerQuorumVoters, "node.id %d is a voter but process.roles does not include controller", b.NodeID)
	}
	return nil
}
