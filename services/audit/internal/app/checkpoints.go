package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/services/audit/auditlog"
)

// Checkpointer signs the tree as the sequencer has left it: on demand, and on every tick once
// Interval has passed since the last checkpoint (by the injected clock) and the tree has grown.
type Checkpointer struct {
	Tree      Tree
	Origin    string
	SignerKey string
	Clock     clock.Clock
	Interval  time.Duration
	Logger    *slog.Logger
	mu        sync.Mutex
}

// Publish signs the tree as it stands, unless the latest checkpoint already covers it, and
// returns the newest checkpoint.
func (c *Checkpointer) Publish(ctx context.Context) (SignedCheckpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	latest, ok, err := c.Tree.LatestCheckpoint(ctx)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	pos, err := c.Tree.Position(ctx)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	if ok && latest.Size >= pos.Size {
		return latest, nil
	}
	root, err := tlog.TreeHash(pos.Size, c.Tree.Hashes(ctx))
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("root of %d leaves: %w", pos.Size, err)
	}
	note, err := auditlog.Sign(auditlog.Checkpoint{Origin: c.Origin, Size: pos.Size, Root: root}, c.SignerKey)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	cp := SignedCheckpoint{Size: pos.Size, Root: root, Note: note, PublishedAt: c.Clock.Now().UTC()}
	if err := c.Tree.SaveCheckpoint(ctx, cp); err != nil {
		return SignedCheckpoint{}, err
	}
	c.Logger.Info("audit checkpoint signed", "tree_size", pos.Size)
	latest, _, err = c.Tree.LatestCheckpoint(ctx)
	return latest, err
}

// Run publishes on every tick when Interval has passed since the latest checkpoint. Ticks come
// from a ticker in production and from the test in tests; the clock decides whether it is time.
func (c *Checkpointer) Run(ctx context.Context, ticks <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticks:
		}
		latest, ok, err := c.Tree.LatestCheckpoint(ctx)
		if err == nil && ok && c.Clock.Now().Sub(latest.PublishedAt) < c.Interval {
			continue
		}
		if err == nil {
			_, err = c.Publish(ctx)
		}
		if err != nil && ctx.Err() == nil {
			c.Logger.Warn("audit checkpoint failed", "err", err)
		}
	}
}
