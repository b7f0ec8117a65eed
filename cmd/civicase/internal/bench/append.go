package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/eventstore"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
)

// runAppend compares eventstore.Append with raw js.Publish on a SyncAlways server and identical
// stream settings, with 1 and 16 concurrent writers. Every operation writes a new subject, as
// registering a petition opens a new aggregate.
func runAppend(ctx context.Context, cfg Config, dir string) error {
	store, nc, stop, err := embeddedStore(ctx, dir, true)
	if err != nil {
		return err
	}
	defer stop()
	js, _ := jetstream.New(nc)
	rawCfg := eventstore.StreamConfig(eventstore.Config{Tenant: "raw"})
	rawCfg.Name, rawCfg.Subjects = "RAW", []string{"raw.>"}
	if _, err := js.CreateStream(ctx, rawCfg); err != nil {
		return err
	}

	payload := make([]byte, 300) // a typical event payload: ids, codes, dates, sealed references
	_, _ = rand.Read(payload)
	ev := eventstore.Event{Type: "PetitionRegistered", Payload: wrapperspb.Bytes(payload)}
	actor := &eventv1.Actor{Subject: "bench-user", Role: "reception_officer", Unit: "W01"}
	// Size the raw message like a stored commit, so both sides move the same bytes.
	probe, err := store.Append(ctx, eventstore.Aggregate{Type: "probe", ID: "p"}, eventstore.Tail{}, eventstore.Metadata{CommandID: "probe", Actor: actor}, ev)
	if err != nil {
		return err
	}
	rawBody := make([]byte, len(probe.Events[0].Canonical)+40)
	_, _ = rand.Read(rawBody)

	var rows [][]string
	for _, writers := range []int{1, 16} {
		// Every operation opens a new aggregate: the id names the measurement, round, writer and
		// operation, so no append finds its aggregate taken (which would make it a duplicate: no
		// write, no fsync) and no raw publish lands on a subject of another measurement.
		raw, ours, err := measurePair(ctx, cfg.Duration, writers,
			func(round, w, i int) error {
				_, err := js.Publish(ctx, fmt.Sprintf("raw.n%d-r%d-w%d-%d", writers, round, w, i), rawBody)
				return err
			},
			func(round, w, i int) error {
				agg := eventstore.Aggregate{Type: "petition", ID: fmt.Sprintf("n%d-r%d-w%d-%d", writers, round, w, i)}
				_, err := store.Append(ctx, agg, eventstore.Tail{}, eventstore.Metadata{CommandID: agg.ID, Actor: actor}, ev)
				return err
			})
		if err != nil {
			return err
		}
		rows = append(rows,
			[]string{fmt.Sprint(writers), "raw js.Publish", fmt.Sprintf("%.0f", raw.perSecond()), ms(raw.lat.percentile(0.5)), ms(raw.lat.percentile(0.99)), "1.00"},
			[]string{fmt.Sprint(writers), "eventstore.Append", fmt.Sprintf("%.0f", ours.perSecond()), ms(ours.lat.percentile(0.5)), ms(ours.lat.percentile(0.99)), fmt.Sprintf("%.2f", ours.perSecond()/raw.perSecond())},
		)
	}
	fmt.Fprintf(cfg.Out, "## append (SyncAlways, file storage, R1; %d-byte messages; %s per measurement in %d alternating rounds)\n\n", len(rawBody), cfg.Duration, pairRounds)
	table(cfg.Out, []string{"writers", "what", "ops/s", "p50", "p99", "ratio to raw"}, rows)
	return nil
}

// pairRounds is how many alternating rounds measurePair splits each side's time into.
const pairRounds = 6

// measurePair measures raw and ours for d each, in alternating rounds — raw first in one round,
// ours first in the next — and adds the rounds up. On a machine shared with other work the load
// changes within seconds; measured one after the other, whichever side ran during a busier spell
// looked worse, and the ratio moved by ±0.2 between runs.
func measurePair(ctx context.Context, d time.Duration, writers int, raw, ours func(round, w, i int) error) (result, result, error) {
	var sum [2]result
	sides := [2]func(round, w, i int) error{raw, ours}
	for round := range pairRounds {
		for k := range 2 {
			side := (round + k) % 2
			res, err := measure(ctx, d/pairRounds, writers, func(w, i int) error { return sides[side](round, w, i) })
			if err != nil {
				return result{}, result{}, err
			}
			sum[side].ops += res.ops
			sum[side].elapsed += res.elapsed
			sum[side].lat = append(sum[side].lat, res.lat...)
		}
	}
	return sum[0], sum[1], nil
}

// measure runs op from `writers` goroutines for d and collects per-operation latencies.
func measure(ctx context.Context, d time.Duration, writers int, op func(writer, i int) error) (result, error) {
	var (
		mu   sync.Mutex
		all  latencies
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range writers {
		wg.Go(func() {
			var lat latencies
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := op(w, i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return result{}, errs[0]
	}
	return result{ops: len(all), elapsed: time.Since(start), lat: all}, ctx.Err()
}
