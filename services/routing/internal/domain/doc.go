// Package domain is the routing service's business logic, free of transport and storage: the
// case aggregate as a write model that reduces its own events and decides new ones, one state
// machine per kind of petition (complaint, denunciation, recommendation and feedback), and the legal
// clocks each step starts, pauses, extends or stops, computed by pkg/deadline with their derivations.
//
// A case is the petition it comes from: the case id is the petition id, the petition's facts
// (receiving unit, kind, receipt date, anonymity, duplicate link, respondent unit, instance) come
// from the petition aggregate that intake keeps, and everything routing decides is appended to the
// case aggregate. Decisions return event payloads (protobuf messages) and never touch the log.
//
// Every legal rule cites its article; where DOMAIN.md marks a rule *verify*, the comment says so.
package domain
