package registry

import (
	"context"
	"fmt"

	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

// Send sends one request through a client.
func (r Request) Send(ctx context.Context, c unitv1.UnitRegistryServiceClient) error {
	var err error
	switch {
	case r.Register != nil:
		_, err = c.RegisterUnit(ctx, r.Register)
	case r.Reparent != nil:
		_, err = c.ReparentUnit(ctx, r.Reparent)
	case r.Merge != nil:
		_, err = c.MergeUnit(ctx, r.Merge)
	case r.ChangeCompetence != nil:
		_, err = c.ChangeCompetence(ctx, r.ChangeCompetence)
	default:
		err = fmt.Errorf("empty request")
	}
	return err
}

// Load sends a file's requests in order and stops at the first refusal, naming the entry. Requests
// already recorded (a second load, or a load resumed after a failure) are answered without
// appending anything.
func Load(ctx context.Context, c unitv1.UnitRegistryServiceClient, reqs []Request) error {
	for i, r := range reqs {
		if err := r.Send(ctx, c); err != nil {
			return fmt.Errorf("registry file: request %d of %d (%s, command %s): %w", i+1, len(reqs), r.Where, r.Meta().GetCommandId(), err)
		}
	}
	return nil
}

// LoadFile parses a registry file and loads it.
func LoadFile(ctx context.Context, c unitv1.UnitRegistryServiceClient, data []byte) error {
	f, err := Parse(data)
	if err != nil {
		return err
	}
	reqs, err := f.Requests()
	if err != nil {
		return err
	}
	return Load(ctx, c, reqs)
}
