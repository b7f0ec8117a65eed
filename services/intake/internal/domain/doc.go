// Package domain is intake's pure decision logic: what a petition or a reception visit is
// (classification: kind, crowd, anonymous — DOMAIN.md "Petition classification"), which input is
// acceptable, how a receipt number is formed, and what the petition and session aggregates decide
// from their own events. It reads no clock, no log and no database: the application layer hands it
// dates, blind indexes and the facts it looked up.
package domain

import (
	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/unitreg"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
)

// Aggregate types of intake's log.
const (
	// AggregatePetition holds one petition: its registration, repeats of it and its legal clocks.
	AggregatePetition = "petition"
	// AggregateSession holds one reception session and every visit recorded in it.
	AggregateSession = "session"
)

// ClockProcessing is the legal clock started at registration (TT 05/2021/TT-TTCP, *verify*).
const ClockProcessing = "processing"

// RuleProcessing is the deadline rule of the processing clock in pkg/deadline's rule table.
const RuleProcessing = "petition.process"

// CrowdSize is the number of people from which a group on the same matter is a crowd delegation
// (đoàn đông người, Luật TCD Đ29).
const CrowdSize = 5

// DateOf is the civil date of a request's date; nil gives the zero Date (not given).
func DateOf(c *commonv1.CivilDate) calendar.Date { return unitreg.DateFromProto(c) }

// dateProto is the wire form of a civil date; the zero Date gives nil.
func dateProto(d calendar.Date) *commonv1.CivilDate { return unitreg.DateProto(d) }
