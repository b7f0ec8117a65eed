package unitlog_test

import (
	"context"
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
