// Package natsembed runs a NATS server with JetStream inside the current process: the dev stack,
// the benchmarks and the tests all use it, so they run the same server code as production.
package natsembed

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure an embedded server.
type Options struct {
	// StoreDir holds JetStream's files; required.
	StoreDir string
	// Host defaults to 127.0.0.1: the embedded server never listens beyond loopback unless told to.
	Host string
	// Port is the client port; 0 picks a random free port.
	Port int
	// SyncAlways fsyncs every write before acknowledging it: on a single node this is what makes an
	// acknowledged event durable.
	SyncAlways bool
	// ServerName names the server (and so its JetStream identity); empty lets the server choose.
	ServerName string
	// Domain is the JetStream domain, used when a province hub connects as a leafnode.
	Domain string
	// Logger receives the server's log; nil silences it.
	Logger server.Logger
}

// Start starts the server and waits until it accepts connections.
func Start(o Options) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, fmt.Errorf("natsembed: StoreDir is required")
	}
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName:      o.ServerName,
		Host:            host,
		Port:            port,
		JetStream:       true,
		JetStreamDomain: o.Domain,
		StoreDir:        o.StoreDir,
		SyncAlways:      o.SyncAlways,
		NoSigs:          true,
		NoLog:           o.Logger == nil,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: %w", err)
	}
	if o.Logger != nil {
		s.SetLoggerV2(o.Logger, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("natsembed: server not ready within 30s (store %s)", o.StoreDir)
	}
	return s, nil
}
