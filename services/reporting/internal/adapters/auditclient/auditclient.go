// Package auditclient asks the audit service which signed checkpoint covers a point of the log, so
// that a report can name it beside the log position it was computed at.
//
// The audit service keeps its checkpoints in its own tables and serves them over gRPC; it does not
// publish them on the log. Reporting therefore calls it (service to service), which is optional:
// without an address, or when the audit service is down or has not signed that far yet, a report
// carries its log position alone.
package auditclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/telemetry"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
)

// Config says how to reach the audit service.
type Config struct {
	// Addr is the audit service's host:port.
	Addr string
	// TokenFile holds the bearer token reporting presents (a service account with the auditor
	// role, which only reads). It is read again when it changes, so it can be rotated. Empty
	// forwards the caller's own token, which the audit service accepts only from auditors,
	// inspectors and administrators.
	TokenFile string
	// TLS dials with TLS; without it a token may travel only on a trusted network.
	TLS bool
	// Timeout bounds the lookup so that a slow audit service never holds a report up; 0 means 3 s.
	Timeout time.Duration
}

// Client finds checkpoints.
type Client struct {
	cfg    Config
	store  *eventstore.Store
	conn   *grpc.ClientConn
	client auditv1.AuditServiceClient

	mu     sync.Mutex
	last   covering // the last checkpoint found: a report of the same point reuses it
	token  string
	tokMod time.Time
}

type covering struct {
	seq    uint64
	cp     *auditv1.Checkpoint
	leaves uint64
}

// New connects lazily (no round trip until the first lookup). store is the log, read to learn how
// many events the message at a sequence holds.
func New(cfg Config, store *eventstore.Store) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	c := &Client{cfg: cfg, store: store}
	creds := insecure.NewCredentials()
	if cfg.TLS {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds), telemetry.DialOption()}
	if cfg.TokenFile != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(auth.TokenCredentials{Source: c.fileToken, AllowInsecure: !cfg.TLS}))
	}
	conn, err := grpc.NewClient(cfg.Addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("audit service at %s: %w", cfg.Addr, err)
	}
	c.conn, c.client = conn, auditv1.NewAuditServiceClient(conn)
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Covering returns the audit service's latest checkpoint if it covers every event of the log up to
// seq, with the number of leaves those events make (the tree size of that prefix). It returns a
// nil checkpoint when there is none: no checkpoint yet, or the latest was signed before seq. An
// error means the question could not be asked; the caller goes on without a checkpoint.
func (c *Client) Covering(ctx context.Context, seq uint64) (*auditv1.Checkpoint, uint64, error) {
	if seq == 0 {
		return nil, 0, nil
	}
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	if last.seq == seq {
		return last.cp, last.leaves, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	// A leaf per event: the checkpoint covers the message at seq when it holds its last event.
	events := 0
	err := c.store.Read(ctx, eventstore.ReadOptions{From: eventstore.From{Seq: seq}, UntilSeq: seq}, func(m eventstore.Commit) error {
		if m.Seq == seq {
			events = len(m.Events)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read the log at %d: %w", seq, err)
	}
	if events == 0 {
		return nil, 0, fmt.Errorf("the log has no events at sequence %d", seq)
	}
	if c.cfg.TokenFile == "" {
		ctx = forwardToken(ctx)
	}
	res, err := c.client.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{
		Event: &auditv1.GetInclusionProofRequest_Position{Position: &auditv1.LeafPosition{StreamSequence: seq, CommitIndex: uint32(events - 1)}}})
	switch status.Code(err) {
	case codes.OK:
	case codes.FailedPrecondition, codes.NotFound:
		// No checkpoint yet, the latest is older than seq, or the sequencer has not reached seq.
		return nil, 0, nil
	default:
		return nil, 0, fmt.Errorf("audit service at %s: %w", c.cfg.Addr, err)
	}
	cp := res.GetCheckpoint()
	if cp == nil || res.GetLeaf().GetStreamSequence() != seq || res.GetLeaf().GetLeafIndex() >= cp.GetTreeSize() {
		return nil, 0, errors.New("the audit service answered with a leaf or checkpoint that does not match the question")
	}
	leaves := res.GetLeaf().GetLeafIndex() + 1
	c.mu.Lock()
	c.last = covering{seq: seq, cp: cp, leaves: leaves}
	c.mu.Unlock()
	return cp, leaves, nil
}

// forwardToken passes the caller's bearer token on to the audit service.
func forwardToken(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || len(md.Get("authorization")) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", md.Get("authorization")[0])
}

// fileToken reads the token file when it has changed since it was last read.
func (c *Client) fileToken(context.Context) (string, error) {
	fi, err := os.Stat(c.cfg.TokenFile)
	if err != nil {
		return "", fmt.Errorf("audit token file: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && fi.ModTime().Equal(c.tokMod) {
		return c.token, nil
	}
	b, err := os.ReadFile(c.cfg.TokenFile)
	if err != nil {
		return "", fmt.Errorf("audit token file: %w", err)
	}
	c.token, c.tokMod = strings.TrimSpace(string(b)), fi.ModTime()
	return c.token, nil
}
