// Package domain is the supervision service's business logic, free of transport and storage: the
// legal clocks of cases as supervision rebuilds them from the LegalClock* events of intake and
// routing (their days overdue computed by pkg/deadline from the clock's dated facts), the watcher's
// notices, urging letters and their escalation, People's Council supervision programmes, deputies'
// follow-up of the petitions they forwarded, the hot-spot register and the hot-spot detection rules.
//
// Periods and thresholds that change with the law or local practice are data (policy.yaml,
// hotspots.yaml); every legal rule cites its article, and *verify* marks what DOMAIN.md marks so.
// Decisions return event payloads (protobuf messages) and never touch the log.
package domain

// Aggregate types the supervision service appends to.
const (
	// AggregateDeadline holds the watcher's notices about one legal clock: `deadline/<case>-<clock>`.
	AggregateDeadline = "deadline"
	// AggregateUrging holds one urging letter and what became of it.
	AggregateUrging = "urging"
	// AggregateProgramme holds one People's Council supervision programme.
	AggregateProgramme = "programme"
	// AggregateFollowUp holds a deputy's follow-up of a forwarded petition: `followup/<petition id>`.
	AggregateFollowUp = "followup"
	// AggregateHotSpot holds one entry of the hot-spot register.
	AggregateHotSpot = "hotspot"
)

// Aggregate types of the other services that supervision reads.
const (
	// AggregatePetition is intake's petition (PetitionRegistered, the processing clock).
	AggregatePetition = "petition"
	// AggregateCase is routing's case (processing, resolution and their clocks).
	AggregateCase = "case"
	// AggregateSession is intake's reception session (VisitRecorded).
	AggregateSession = "session"
	// AggregateUnit is the unit registry's unit.
	AggregateUnit = "unit"
)
