package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"strom/internal/api"
	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/group"
	"strom/internal/coordinator/producerid"
	"strom/internal/coordinator/txn"
	"strom/internal/replica"
	"strom/internal/server"
	"strom/internal/vfs"
)

// Node is one running broker.
type Node struct {
	cfg      *config.Broker
	logger   *slog.Logger
	lock     *os.File
	ctrl     *controller.Controller
	replicas *replica.Manager
	groups   *group.Coordinator
	txns     *txn.Coordinator
	txnClock txn.Clock // nil: wall clock
	srv      *server.Server
	admin    *http.Server
	addrs    []net.Addr
	adminLn  net.Listener
	fs       vfs.FS
}

// Option adjusts how a node starts.
type Option func(*Node)

// WithFS makes the node do all log and metadata I/O through fs; fault
// injection tests pass a vfs.NewFaulty wrapper.
func WithFS(fs vfs.FS) Option { return func(n *Node) { n.fs = fs } }

// WithTxnClock gives the transaction coordinator a clock the test moves,
// so that transaction timeouts fire when the test says.
func WithTxnClock(c txn.Clock) Option { return func(n *Node) { n.txnClock = c } }

// Start brings a broker up. On error everything already started is
// stopped again.
func Start(ctx context.Context, cfg *config.Broker, logger *slog.Logger, opts ...Option) (*Node, error) {
	if logger == nil {
		logger = slog.Default()
	}
	n := &Node{cfg: cfg, logger: logger, fs: vfs.Default}
	for _, o := range opts {
		o(n)
	}
	if err := n.start(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) (err error) {
	cfg, logger := n.cfg, n.logger
	fs := n.fs
	for _, d := range cfg.LogDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("log.dirs: cannot create %s: %w", d, err)
		}
	}
	if n.lock, err = lockDir(cfg.LogDirs[0]); err != nil {
		return err
	}

	var lns []net.Listener
	for _, l := range cfg.BrokerListeners() {
		ln, err := net.Listen("tcp", net.JoinHostPort(l.Host, strconv.Itoa(l.Port)))
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return fmt.Errorf("listeners: %w", err)
		}
		lns = append(lns, ln)
		n.addrs = append(n.addrs, ln.Addr())
	}
	advHost, advPort := advertised(cfg, lns)

	n.ctrl, err = controller.Start(ctx, controller.Config{
		NodeID:         cfg.NodeID,
		Dir:            filepath.Join(cfg.LogDirs[0], "__cluster_metadata-0"),
		FS:             fs,
		Broker:         cfg,
		Logger:         logger.With("component", "controller"),
		AdvertisedHost: advHost,
		AdvertisedPort: advPort,
	})
	if err != nil {
		closeAll(lns)
		return fmt.Errorf("metadata: %w", err)
	}
	n.replicas, err = replica.NewManager(replica.Config{NodeID: cfg.NodeID, FS: fs, Broker: cfg, Logger: logger.With("component", "replica")})
	if err != nil {
		closeAll(lns)
		return err
	}
	n.ctrl.Subscribe(n.replicas.Apply)

	pids, err := producerid.Open(fs, cfg.LogDirs[0])
	if err != nil {
		closeAll(lns)
		return fmt.Errorf("producer ids: %w", err)
	}

	n.groups = group.Start(group.Config{Broker: cfg, Topics: n.ctrl, Replicas: n.replicas, Logger: logger.With("component", "group")})
	// After the group coordinator, which it tells when transactional
	// offsets are settled; stopped before it.
	n.txns = txn.Start(txn.Config{Broker: cfg, Topics: n.ctrl, Replicas: n.replicas, ProducerIDs: pids, Offsets: n.groups, Clock: n.txnClock, Logger: logger.With("component", "txn")})

	env := &api.Env{
		NodeID:       cfg.NodeID,
		Config:       cfg,
		Controller:   n.ctrl,
		Replicas:     n.replicas,
		ProducerIDs:  pids,
		Groups:       n.groups,
		Txns:         n.txns,
		Logger:       logger.With("component", "api"),
		Now:          time.Now,
		AdminTimeout: 30 * time.Second,
	}
	n.srv = server.New(server.Config{Env: env, MaxRequestBytes: cfg.SocketRequestMaxBytes, Logger: logger.With("component", "server")})
	for _, ln := range lns {
		n.srv.Serve(ln)
	}
	if cfg.AdminListener != "" {
		if err := n.startAdmin(cfg.AdminListener); err != nil {
			return err
		}
	}
	return nil
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// advertised picks the host and port clients are told to use: the first
// advertised listener, with port 0 or a wildcard host filled in from what
// was actually bound.
func advertised(cfg *config.Broker, lns []net.Listener) (string, int32) {
	bound := lns[0].Addr().(*net.TCPAddr)
	host, port := "", 0
	if len(cfg.AdvertisedListeners) > 0 {
		host, port = cfg.AdvertisedListeners[0].Host, cfg.AdvertisedListeners[0].Port
	} else {
		host, port = cfg.BrokerListeners()[0].Host, cfg.BrokerListeners()[0].Port
	}
	if port == 0 {
		port = bound.Port
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		if h, err := os.Hostname(); err == nil {
			host = h
		} else {
			host = "127.0.0.1"
		}
	}
	return host, int32(port)
}

func (n *Node) startAdmin(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("strom.admin.listen: %w", err)
	}
	mux := http.NewServeMux()
	// Process-wide metrics (server, Go runtime) live in the default
	// registry; this node's partitions get a registry of their own so that
	// several nodes in one process (tests) never collide.
	reg := prometheus.NewRegistry()
	reg.MustRegister(replica.NewCollector(n.replicas))
	mux.Handle("/metrics", promhttp.HandlerFor(prometheus.Gatherers{prometheus.DefaultGatherer, reg}, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	n.adminLn = ln
	n.admin = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.admin.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.logger.Error("admin http server stopped", "err", err)
		}
	}()
	return nil
}

// Addrs are the bound Kafka listener addresses.
func (n *Node) Addrs() []net.Addr { return n.addrs }

// Addr is the first listener's address as host:port.
func (n *Node) Addr() string { return n.addrs[0].String() }

// AdminAddr is the HTTP admin address, or "" when disabled.
func (n *Node) AdminAddr() string {
	if n.adminLn == nil {
		return ""
	}
	return n.adminLn.Addr().String()
}

// ClusterID is the cluster's id.
func (n *Node) ClusterID() string { return n.ctrl.ClusterID() }

// Replicas exposes the partition manager (tests use it for retention).
func (n *Node) Replicas() *replica.Manager { return n.replicas }

// Close stops the broker in reverse start order.
func (n *Node) Close() error {
	var errs []error
	if n.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n.admin.Shutdown(ctx)
		cancel()
	}
	if n.srv != nil {
		errs = append(errs, n.srv.Close())
	}
	if n.txns != nil {
		n.txns.Close()
	}
	if n.groups != nil {
		n.groups.Close()
	}
	if n.replicas != nil {
		errs = append(errs, n.replicas.Close())
	}
	if n.ctrl != nil {
		errs = append(errs, n.ctrl.Close())
	}
	if n.lock != nil {
		syscall.Flock(int(n.lock.Fd()), syscall.LOCK_UN)
		errs = append(errs, n.lock.Close())
	}
	return errors.Join(errs...)
}

// lockDir takes an exclusive lock so two brokers never share a data dir.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log.dirs: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("log.dirs: %s is in use by another broker (%v)", dir, err)
	}
	return f, nil
}
