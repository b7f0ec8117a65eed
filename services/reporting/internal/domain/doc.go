// Package domain is the reporting service's business logic, free of gRPC, pgx and NATS.
//
// It turns the intake and routing events of one case into facts: (unit, base metric, day, value)
// contributions such as "received a complaint at unit X on day D" (see CaseState.Facts and
// VisitFacts). The projection stores the daily sums of these facts; a report for any unit and any
// date range then only adds them up: flows are sums over the period, stocks ("carried over", "to
// execute") are sums of ins minus outs before the period's start. FormMetrics maps every metric key
// of the statutory forms (internal/forms/data) to an expression over these sums — METRICS.md in this
// directory is the table of what each key counts — and lists the keys no event produces yet.
//
// Rows roll up through the unit hierarchy as it stood on the period's last day (Rollup), and the
// reporting obligations of plans are evaluated by Occurrences and Status.
package domain
