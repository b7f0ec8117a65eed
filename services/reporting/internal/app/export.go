package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/civicase/civicase/pkg/apperr"
	reportingv1 "github.com/civicase/civicase/proto/gen/civicase/reporting/v1"
	"github.com/civicase/civicase/services/reporting/internal/export"
	"github.com/civicase/civicase/services/reporting/internal/forms"
)

// File is an exported report.
type File struct {
	Content     []byte
	Name        string
	ContentType string
}

var formats = map[reportingv1.ExportFormat]struct {
	ext, mime string
	write     func(io.Writer, *forms.Report) error
}{
	reportingv1.ExportFormat_EXPORT_FORMAT_CSV:  {"csv", "text/csv; charset=utf-8", export.CSV},
	reportingv1.ExportFormat_EXPORT_FORMAT_XLSX: {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", export.XLSX},
	reportingv1.ExportFormat_EXPORT_FORMAT_PDF:  {"pdf", "application/pdf", export.PDF},
}

// ExportReport fills a form now, or takes a submission's frozen report, and writes it as a file.
func (a *App) ExportReport(ctx context.Context, spec *reportingv1.ReportSpec, submissionID string, format reportingv1.ExportFormat) (*File, error) {
	fm, ok := formats[format]
	if !ok {
		return nil, apperr.Invalid("format", "one of CSV, XLSX, PDF is required")
	}
	var r *forms.Report
	var unit, suffix string
	if submissionID != "" {
		sub, found, err := a.Obligations.Submission(ctx, submissionID)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, apperr.NotFound(ReasonSubmissionUnknown, "submission %s is not recorded", submissionID)
		}
		if sub.GetReport() == nil {
			return nil, apperr.Precondition(ReasonSubmissionUnknown, "submission %s carries no form (a narrative report)", submissionID)
		}
		if r, err = a.ReportFromProto(sub.GetReport()); err != nil {
			return nil, err
		}
		unit = sub.GetUnitCode()
	} else {
		g, err := a.GenerateReport(ctx, spec)
		if err != nil {
			return nil, err
		}
		r, unit = g.Report, g.Unit.Code
		if g.Stamp.GetAsOf() {
			suffix = fmt.Sprintf("_asof-%d", g.Stamp.GetSequence()) // not to be mistaken for today's
		}
	}
	var buf bytes.Buffer
	if err := fm.write(&buf, r); err != nil {
		return nil, apperr.Internal("EXPORT_FAILED", "writing %s as %s", r.Form.Key(), fm.ext).WithCause(err)
	}
	per := r.Period.String()
	if r.Period.Kind.Valid() {
		per = fmt.Sprintf("%d-%s", r.Period.Year, r.Period.Kind.Code())
	} else {
		per = r.Period.From.String() + "_" + r.Period.To.String()
	}
	name := fmt.Sprintf("%s_%s_%s%s.%s", strings.ReplaceAll(r.Form.Code, "/", "-"), unit, per, suffix, fm.ext)
	return &File{Content: buf.Bytes(), Name: name, ContentType: fm.mime}, nil
}
