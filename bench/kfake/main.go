// Command kfake runs franz-go's in-memory fake Kafka cluster (pkg/kfake) so
// Strom's perf tools can be pointed at it for a side-by-side baseline:
//
//	go run ./bench/kfake --listen 127.0.0.1:9192 --partitions 8
//	strom perf e2e --bootstrap-server 127.0.0.1:9192 --topic bench --num-records 100000
//
// kfake keeps everything in memory and does not replicate, so it bounds
// what the client and the loopback network can do, not what a durable
// broker should. It prints its addresses and runs until SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:9192", "address of the first broker; further brokers take the next ports (port 0: any free ports)")
	partitions := flag.Int("partitions", 8, "partitions of auto-created topics")
	brokers := flag.Int("brokers", 1, "number of brokers")
	flag.Parse()

	host, portStr, err := net.SplitHostPort(*listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", *listen, err)
	}
	if host != "127.0.0.1" && host != "localhost" {
		// kfake always binds to loopback; say so rather than pretend.
		return fmt.Errorf("--listen %q: kfake listens on 127.0.0.1 only", *listen)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("--listen %q: bad port: %w", *listen, err)
	}
	ports := make([]int, *brokers)
	for i := range ports {
		if port != 0 {
			ports[i] = port + i
		}
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(*brokers),
		kfake.Ports(ports...),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	)
	if err != nil {
		return fmt.Errorf("starting kfake: %w", err)
	}
	defer c.Close()
	for _, a := range c.ListenAddrs() {
		fmt.Println(a)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
