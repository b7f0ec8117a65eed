// Package grpc is intake's gRPC transport: it turns requests into application commands and
// queries, and results back into responses. It decides nothing; errors stay apperr errors for
// pkg/grpcx to map.
package grpc

import (
	"context"

	"github.com/civicase/civicase/pkg/apperr"
	"github.com/civicase/civicase/pkg/command"
	"github.com/civicase/civicase/pkg/unitreg"
	unitv1 "github.com/civicase/civicase/proto/gen/civicase/unit/v1"
	"github.com/civicase/civicase/services/intake/internal/app"
)

// UnitsServer implements civicase.unit.v1.UnitRegistryService.
type UnitsServer struct {
	unitv1.UnimplementedUnitRegistryServiceServer
	app app.UnitHandlers
}

// NewUnitsServer serves the unit use cases.
func NewUnitsServer(h app.UnitHandlers) *UnitsServer { return &UnitsServer{app: h} }

// RegisterUnit adds a unit from a date.
func (s *UnitsServer) RegisterUnit(ctx context.Context, req *unitv1.RegisterUnitRequest) (*unitv1.RegisterUnitResponse, error) {
	u := req.GetUnit()
	err := s.app.RegisterUnit.Handle(ctx, app.RegisterUnit{
		Meta:          command.FromProto(ctx, req.GetMeta()),
		Code:          u.GetCode(),
		Name:          u.GetName(),
		Kind:          u.GetKind(),
		ParentCode:    u.GetParentCode(),
		EffectiveFrom: unitreg.DateFromProto(u.GetEffectiveFrom()),
		RemoteArea:    u.GetRemoteArea(),
		Competence:    unitreg.RulesFromProto(u.GetCompetence()),
	})
	if err != nil {
		return nil, inRequest(err, "unit")
	}
	return &unitv1.RegisterUnitResponse{Code: u.GetCode()}, nil
}

// ReparentUnit moves a unit under another parent from a date.
func (s *UnitsServer) ReparentUnit(ctx context.Context, req *unitv1.ReparentUnitRequest) (*unitv1.ReparentUnitResponse, error) {
	c := req.GetChange()
	err := s.app.ReparentUnit.Handle(ctx, app.ReparentUnit{
		Meta:          command.FromProto(ctx, req.GetMeta()),
		Code:          c.GetCode(),
		ParentCode:    c.GetParentCode(),
		EffectiveFrom: unitreg.DateFromProto(c.GetEffectiveFrom()),
	})
	if err != nil {
		return nil, inRequest(err, "change")
	}
	return &unitv1.ReparentUnitResponse{}, nil
}

// MergeUnit ends a unit into its successor.
func (s *UnitsServer) MergeUnit(ctx context.Context, req *unitv1.MergeUnitRequest) (*unitv1.MergeUnitResponse, error) {
	m := req.GetMerger()
	err := s.app.MergeUnit.Handle(ctx, app.MergeUnit{
		Meta:          command.FromProto(ctx, req.GetMeta()),
		Code:          m.GetCode(),
		SuccessorCode: m.GetSuccessorCode(),
		EffectiveFrom: unitreg.DateFromProto(m.GetEffectiveFrom()),
		Basis:         m.GetBasis(),
	})
	if err != nil {
		return nil, inRequest(err, "merger")
	}
	return &unitv1.MergeUnitResponse{}, nil
}

// ChangeCompetence replaces a unit's competence rules from a date.
func (s *UnitsServer) ChangeCompetence(ctx context.Context, req *unitv1.ChangeCompetenceRequest) (*unitv1.ChangeCompetenceResponse, error) {
	c := req.GetChange()
	err := s.app.ChangeUnitCompetence.Handle(ctx, app.ChangeUnitCompetence{
		Meta:          command.FromProto(ctx, req.GetMeta()),
		Code:          c.GetCode(),
		Competence:    unitreg.RulesFromProto(c.GetCompetence()),
		EffectiveFrom: unitreg.DateFromProto(c.GetEffectiveFrom()),
	})
	if err != nil {
		return nil, inRequest(err, "change")
	}
	return &unitv1.ChangeCompetenceResponse{}, nil
}

// ListUnits lists the units as the registry stood on a date.
func (s *UnitsServer) ListUnits(ctx context.Context, req *unitv1.ListUnitsRequest) (*unitv1.ListUnitsResponse, error) {
	units, err := s.app.ListUnits.Handle(ctx, app.ListUnits{
		AsOf:         unitreg.DateFromProto(req.GetAsOf()),
		CodePrefix:   req.GetCodePrefix(),
		IncludeEnded: req.GetIncludeEnded(),
	})
	if err != nil {
		return nil, err
	}
	resp := &unitv1.ListUnitsResponse{Units: make([]*unitv1.Unit, len(units))}
	for i, u := range units {
		resp.Units[i] = unitProto(u)
	}
	return resp, nil
}

func unitProto(u unitreg.Unit) *unitv1.Unit {
	return &unitv1.Unit{
		Code:          u.Code,
		Name:          u.Name,
		Kind:          u.Kind,
		ParentCode:    u.ParentCode,
		EffectiveFrom: unitreg.DateProto(u.EffectiveFrom),
		EndedOn:       unitreg.DateProto(u.EndedOn),
		SuccessorCode: u.SuccessorCode,
		RemoteArea:    u.RemoteArea,
		Competence:    unitreg.RulesProto(u.Competence),
	}
}

// inRequest puts the field violations of an error about an event under the request field that
// carries the event ("parent_code" → "unit.parent_code"), so clients can point at what to fix.
func inRequest(err error, field string) error {
	e, ok := apperr.As(err)
	if !ok || len(e.Violations()) == 0 {
		return err
	}
	vs := e.Violations()
	for i := range vs {
		if vs[i].Field == "" {
			vs[i].Field = field
		} else {
			vs[i].Field = field + "." + vs[i].Field
		}
	}
	var out *apperr.Error
	if e.Kind() == apperr.KindInvalidArgument {
		out, _ = apperr.Violations(vs...).(*apperr.Error)
		out = out.WithReason(e.Reason())
	} else {
		out = apperr.New(e.Kind(), e.Reason(), "%s", e.Message()).WithViolations(vs...)
	}
	out = out.WithSubject(e.Subject())
	for k, v := range e.Metadata() {
		out = out.WithMeta(k, v)
	}
	if cause := e.Unwrap(); cause != nil {
		out = out.WithCause(cause)
	}
	return out
}
