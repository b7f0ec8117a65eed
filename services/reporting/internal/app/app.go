// Package app holds the reporting service's use cases: filling and exporting forms, dashboards,
// declaring plans, submitting reports and listing obligations. It depends on ports (the unit
// registry, the sums of the read model, the obligations store, the log), not on gRPC.
package app

import (
	"context"
	"log/slog"
	"sync"

	"cloud.google.com/go/civil"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/clock"
	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/unitreg"
	auditv1 "github.com/civicase/civicase/proto/gen/civicase/audit/v1"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/adapters/postgres"
	"github.com/civicase/civicase/services/reporting/internal/forms"
	"github.com/civicase/civicase/services/reporting/internal/period"
)

// Units gives the unit registry, caught up with the log.
type Units interface {
	With(ctx context.Context, f func(*unitreg.Registry) error) error
}

// SumsSource reads the sums of the facts.
type SumsSource interface {
	Sums(ctx context.Context, units, metrics []string, from, to calendar.Date) (postgres.Snapshot, error)
	Monthly(ctx context.Context, units, metrics []string, from, to calendar.Date) (map[calendar.Date]int64, error)
}

// Obligations reads plans and submissions.
type Obligations interface {
	Plans(ctx context.Context, id string) ([]*reportingv1.Plan, error)
	FirstSubmissions(ctx context.Context, planID string) (map[postgres.SubmissionKey]postgres.FirstSubmission, error)
	Submission(ctx context.Context, id string) (*reportingv1.ReportSubmitted, bool, error)
}

// PastStates gives the read model as it stood at a past sequence of the log.
type PastStates interface {
	// At returns the state at seq; release is called once it has been read.
	At(ctx context.Context, seq uint64) (view postgres.PastView, release func(), err error)
	// Forget makes the next At rebuild the state at seq.
	Forget(seq uint64)
}

// Checkpoints finds the audit service's signed checkpoint covering a point of the log.
type Checkpoints interface {
	// Covering returns the checkpoint covering every event up to seq and the number of leaves
	// those events make, or a nil checkpoint when none covers it yet.
	Covering(ctx context.Context, seq uint64) (*auditv1.Checkpoint, uint64, error)
}

// Deps are what the use cases need.
type Deps struct {
	Store       *eventstore.Store
	Clock       clock.Clock
	Units       Units
	Sums        SumsSource
	Obligations Obligations
	Forms       *forms.Registry
	Log         *slog.Logger
	// Past rebuilds the read model for reports "as of" a past point; nil refuses them.
	Past PastStates
	// Checkpoints stamps reports with the audit checkpoint covering them; nil stamps the log
	// position alone.
	Checkpoints Checkpoints
}

// App is the reporting service's use cases.
type App struct {
	Deps
	baseMetrics sync.Map // form key → []string: the base metrics its columns read
}

// New returns the use cases.
func New(d Deps) *App {
	if d.Forms == nil {
		d.Forms = forms.Builtin()
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &App{Deps: d}
}

// Reasons of the app's errors.
const (
	ReasonFormUnknown       = "FORM_UNKNOWN"
	ReasonPeriodInvalid     = "PERIOD_INVALID"
	ReasonIdentityFails     = "REPORT_IDENTITY_FAILED"
	ReasonSubmissionUnknown = "SUBMISSION_UNKNOWN"
	ReasonReadOnly          = "READ_ONLY_ROLE"
	ReasonAsOfBeforeLog     = "AS_OF_BEFORE_LOG"
	ReasonAsOfAfterLog      = "AS_OF_AFTER_LOG"
	ReasonAsOfUnavailable   = "AS_OF_UNAVAILABLE"
)

// today is the Vietnamese civil date by the injected clock.
func (a *App) today() calendar.Date { return calendar.DateOf(a.Clock.Now()) }

// Period resolves a period spec.
func Period(p *reportingv1.PeriodSpec) (period.Range, error) {
	switch {
	case p.GetStatutory() != nil:
		k, ok := periodKinds[p.GetStatutory().GetKind()]
		if !ok {
			return period.Range{}, apperr.Invalid("period.statutory.kind", "is required")
		}
		r, err := period.For(int(p.GetStatutory().GetYear()), k)
		if err != nil {
			return period.Range{}, apperr.Invalid("period.statutory", "%v", err)
		}
		return r, nil
	case p.GetRange() != nil:
		r, err := period.Between(civilOf(p.GetRange().GetFrom()), civilOf(p.GetRange().GetTo()))
		if err != nil {
			return period.Range{}, apperr.Invalid("period.range", "%v", err)
		}
		return r, nil
	}
	return period.Range{}, apperr.Invalid("period", "a statutory period or a range is required")
}

var periodKinds = map[reportingv1.PeriodKind]period.Kind{
	reportingv1.PeriodKind_PERIOD_KIND_Q1: period.Q1, reportingv1.PeriodKind_PERIOD_KIND_Q2: period.Q2,
	reportingv1.PeriodKind_PERIOD_KIND_Q3: period.Q3, reportingv1.PeriodKind_PERIOD_KIND_Q4: period.Q4,
	reportingv1.PeriodKind_PERIOD_KIND_SIX_MONTHS: period.SixMonths, reportingv1.PeriodKind_PERIOD_KIND_NINE_MONTHS: period.NineMonths,
	reportingv1.PeriodKind_PERIOD_KIND_YEAR: period.Year,
}

// PeriodProto is the resolved period as returned.
func PeriodProto(r period.Range) *reportingv1.Period {
	out := &reportingv1.Period{From: unitreg.DateProto(CalOf(r.From)), To: unitreg.DateProto(CalOf(r.To)), Line: r.Line(), Label: r.Label()}
	for pk, k := range periodKinds {
		if k == r.Kind {
			out.Kind, out.Year = pk, int32(r.Year)
		}
	}
	return out
}

// CalOf converts a civil.Date to a calendar.Date.
func CalOf(d civil.Date) calendar.Date {
	return calendar.Date{Year: d.Year, Month: d.Month, Day: d.Day}
}

// CivilOf converts a calendar.Date to a civil.Date.
func CivilOf(d calendar.Date) civil.Date { return civil.Date{Year: d.Year, Month: d.Month, Day: d.Day} }

func civilOf(c interface {
	GetYear() int32
	GetMonth() int32
	GetDay() int32
}) civil.Date {
	return civil.Date{Year: int(c.GetYear()), Month: monthOf(c.GetMonth()), Day: int(c.GetDay())}
}

func domainDate(c interface {
	GetYear() int32
	GetMonth() int32
	GetDay() int32
}) calendar.Date {
	return calendar.Date{Year: int(c.GetYear()), Month: monthOf(c.GetMonth()), Day: int(c.GetDay())}
}
