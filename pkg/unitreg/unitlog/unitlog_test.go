package unitlog_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/testenv"
	"github.com/civicase/civicase/pkg/unitreg"
	"github.com/civicase/civicase/pkg/unitreg/unitlog"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
)

func appendUnit(t *testing.T, s *eventstore.Store, id string, ev proto.Message) {
	t.Helper()
	_, err := s.Execute(context.Background(), eventstore.Aggregate{Type: unitlog.AggregateUnit, ID: id}, eventstore.Metadata{CommandID: "c-" + id},
		func(eventstore.History) ([]eventstore.Event, error) { return []eventstore.Event{{Payload: ev}}, nil })
	if err != nil {
		t.Fatal(err)
	}
}

var jan2024 = &commonv1.CivilDate{Year: 2024, Month: 1, Day: 1}

func TestFollowerSeesUnitsAppendedByAnyoneAndStopsOnARefusedEvent(t *testing.T) {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, testenv.StartNATS(t).Conn, eventstore.Config{Tenant: "t"})
	if err != nil {
		t.Fatal(err)
	}
	f := unitlog.New(s)
	if err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	appendUnit(t, s, "P", &unitv1.UnitRegistered{Code: "P", Name: "Tỉnh", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE, EffectiveFrom: jan2024})
	appendUnit(t, s, "P_W", &unitv1.UnitRegistered{Code: "P.W", Name: "Phường", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "P", EffectiveFrom: jan2024})
	// Another aggregate's events in between are not the registry's business.
	if _, err := s.Append(ctx, eventstore.Aggregate{Type: "petition", ID: "x"}, eventstore.Tail{}, eventstore.Metadata{CommandID: "p"}, eventstore.Event{Payload: &commonv1.CivilDate{Year: 2025}}); err != nil {
		t.Fatal(err)
	}
	if err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	on := calendar.NewDate(2025, time.March, 1)
	f.With(func(r *unitreg.Registry) {
		if u, ok := r.Unit("P.W", on); !ok || u.ParentCode != "P" {
			t.Fatalf("ward not followed: %+v %v", u, ok)
		}
	})
	// A unit event the registry refuses (a parent that does not exist) stops the follower.
	appendUnit(t, s, "Q_W", &unitv1.UnitRegistered{Code: "Q.W", Name: "Mồ côi", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "Q", EffectiveFrom: jan2024})
	if err := f.CatchUp(ctx); !apperr.IsKind(err, apperr.KindInternal) {
		t.Fatalf("got %v, want an internal error naming the refused event", err)
	}
}

// Callers catching up at once share the questions to the log, yet each sees every unit appended
// before it called: writers append units while readers catch up, and after its CatchUp each reader
// has the units whose appends had returned when it called.
func TestConcurrentCatchUpsSeeEveryUnitAppendedBeforeTheyCalled(t *testing.T) {
	ctx := context.Background()
	s, f := provinceLog(t)
	on := calendar.NewDate(2025, time.March, 1)
	const units = 40
	var appended atomic.Int32 // units whose append has returned
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range units {
			code := fmt.Sprintf("P.W%d", i)
			appendUnit(t, s, fmt.Sprintf("P_W%d", i), &unitv1.UnitRegistered{Code: code, Name: "Phường", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "P", EffectiveFrom: jan2024})
			appended.Store(int32(i + 1))
		}
	})
	for range 8 {
		wg.Go(func() {
			for {
				n := appended.Load()
				if err := f.CatchUp(ctx); err != nil {
					t.Error(err)
					return
				}
				f.With(func(r *unitreg.Registry) {
					for i := range n {
						if _, ok := r.Unit(fmt.Sprintf("P.W%d", i), on); !ok {
							t.Errorf("unit P.W%d appended before the catch-up is missing after it", i)
						}
					}
				})
				if n == units || t.Failed() {
					return
				}
			}
		})
	}
	wg.Wait()
}

// A caller never takes the answer of a question that was already in flight when it called: that
// answer may predate a unit appended just before the call.
func TestACatchUpDoesNotJoinAQuestionAskedBeforeIt(t *testing.T) {
	ctx := context.Background()
	s, f := provinceLog(t)
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	unitlog.OnAnswered(f, func() { once.Do(func() { close(held); <-release }) })
	first := make(chan error)
	go func() { first <- f.CatchUp(ctx) }()
	<-held // the first question has its answer: P only
	appendUnit(t, s, "P_W", &unitv1.UnitRegistered{Code: "P.W", Name: "Phường", Kind: unitv1.UnitKind_UNIT_KIND_WARD, ParentCode: "P", EffectiveFrom: jan2024})
	second := make(chan error)
	go func() { second <- f.CatchUp(ctx) }()
	for deadline := time.Now().Add(10 * time.Second); !unitlog.Queued(f); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second catch-up did not queue a question while the first was in flight")
		}
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	f.With(func(r *unitreg.Registry) {
		if _, ok := r.Unit("P.W", calendar.NewDate(2025, time.March, 1)); !ok {
			t.Error("a catch-up called after the ward's append does not see the ward")
		}
	})
}

// provinceLog is a new log holding one province, and a follower of it that has read nothing yet.
func provinceLog(t *testing.T) (*eventstore.Store, *unitlog.Follower) {
	t.Helper()
	s, err := eventstore.Open(context.Background(), testenv.StartNATS(t).Conn, eventstore.Config{Tenant: "t"})
	if err != nil {
		t.Fatal(err)
	}
	appendUnit(t, s, "P", &unitv1.UnitRegistered{Code: "P", Name: "Tỉnh", Kind: unitv1.UnitKind_UNIT_KIND_PROVINCE, EffectiveFrom: jan2024})
	return s, unitlog.New(s)
}
