// Package postgres holds intake's read models in its PostgreSQL schema — the petition index the
// duplicate and repeat checks consult — and the receipt register.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicase/civicase/pkg/eventstore"
	"github.com/civicase/civicase/pkg/projection"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	"github.com/civicase/civicase/services/intake/internal/app"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

// undefinedTable is PostgreSQL's SQLSTATE for a missing relation.
const undefinedTable = "42P01"

// PetitionIndexProjection keeps the petition index: petitions and visits by blind indexes, and
// the reference each person (by identity-number index) was first given. Rows hold only blind
// indexes (hex), pseudonymous references, ids, codes and dates — never personal data.
type PetitionIndexProjection struct{}

// Name identifies the projection in the checkpoint table.
func (PetitionIndexProjection) Name() string { return "petition_index" }

// Version 1: petitions_v1, visits_v1, persons_v1.
func (PetitionIndexProjection) Version() int { return 1 }

// Tables are this version's tables.
func (PetitionIndexProjection) Tables() []string {
	return []string{"petitions_v1", "visits_v1", "persons_v1"}
}

// AggregateTypes: petitions and sessions (visits live in their session).
func (PetitionIndexProjection) AggregateTypes() []string {
	return []string{domain.AggregatePetition, domain.AggregateSession}
}

// Setup creates the tables. The partial indexes serve the two lookups a registration makes.
func (PetitionIndexProjection) Setup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `
CREATE TABLE petitions_v1 (
	petition_id     uuid     PRIMARY KEY,
	seq             bigint   NOT NULL,
	unit_code       text     NOT NULL,
	received_on     date     NOT NULL,
	kind            smallint NOT NULL,
	receipt_number  text     NOT NULL,
	sender_ref      text     NOT NULL,
	id_number_index text     NOT NULL,
	name_index      text     NOT NULL,
	matter_index    text     NOT NULL,
	duplicate_of    uuid,
	times_received  integer  NOT NULL
);
CREATE INDEX petitions_v1_original_by_id ON petitions_v1 (matter_index, id_number_index, seq)
	WHERE duplicate_of IS NULL AND matter_index <> '';
CREATE INDEX petitions_v1_original_by_name ON petitions_v1 (matter_index, name_index, seq)
	WHERE duplicate_of IS NULL AND matter_index <> '';
CREATE TABLE visits_v1 (
	visit_id        uuid     PRIMARY KEY,
	session_id      uuid     NOT NULL,
	seq             bigint   NOT NULL,
	unit_code       text     NOT NULL,
	held_on         date     NOT NULL,
	kind            smallint NOT NULL,
	visitor_ref     text     NOT NULL,
	id_number_index text     NOT NULL,
	matter_index    text     NOT NULL,
	case_id         text     NOT NULL,
	repeat          boolean  NOT NULL,
	crowd           boolean  NOT NULL,
	people_count    integer  NOT NULL
);
CREATE INDEX visits_v1_by_person ON visits_v1 (id_number_index, matter_index, seq) WHERE id_number_index <> '';
CREATE TABLE persons_v1 (
	id_number_index text   PRIMARY KEY,
	subject_ref     text   NOT NULL,
	first_seq       bigint NOT NULL
);`)
	return err
}

// Apply writes one commit.
func (PetitionIndexProjection) Apply(_ context.Context, tx *projection.Tx, c eventstore.Commit) error {
	for _, ev := range c.Events {
		m, err := ev.Envelope.GetPayload().UnmarshalNew()
		if err != nil {
			return fmt.Errorf("%s at sequence %d: %w", ev.Envelope.GetEventType(), c.Seq, err)
		}
		switch e := m.(type) {
		case *intakev1.PetitionRegistered:
			var dup any
			if e.GetDuplicateOf() != "" {
				dup = e.GetDuplicateOf()
			}
			tx.Queue(`INSERT INTO petitions_v1 (petition_id, seq, unit_code, received_on, kind, receipt_number, sender_ref,
				id_number_index, name_index, matter_index, duplicate_of, times_received)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				e.GetPetitionId(), int64(c.Seq), e.GetUnitCode(), domain.DateOf(e.GetReceivedOn()).String(), int16(e.GetKind()),
				e.GetReceiptNumber(), e.GetSenderRef(), e.GetIdNumberIndex(), e.GetNameIndex(), e.GetMatterIndex(), dup, e.GetRepeatNumber())
			person(tx, e.GetIdNumberIndex(), e.GetSenderRef(), c.Seq)
		case *intakev1.RepeatPetitionReceived:
			tx.Queue(`UPDATE petitions_v1 SET times_received = greatest(times_received, $2) WHERE petition_id = $1`,
				e.GetPetitionId(), e.GetRepeatNumber())
		case *intakev1.VisitRecorded:
			tx.Queue(`INSERT INTO visits_v1 (visit_id, session_id, seq, unit_code, held_on, kind, visitor_ref, id_number_index,
				matter_index, case_id, repeat, crowd, people_count)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				e.GetVisitId(), e.GetSessionId(), int64(c.Seq), e.GetUnitCode(), domain.DateOf(e.GetHeldOn()).String(), int16(e.GetKind()),
				e.GetVisitorRef(), e.GetIdNumberIndex(), e.GetMatterIndex(), e.GetCaseId(), e.GetRepeat(), e.GetCrowd(), e.GetPeopleCount())
			person(tx, e.GetIdNumberIndex(), e.GetVisitorRef(), c.Seq)
		}
	}
	return nil
}

// person records the first reference a person was given; later ones (see the lag noted on
// app.RegisterPetitionHandler) stay on their petitions and visits.
func person(tx *projection.Tx, idIndex, ref string, seq uint64) {
	if idIndex == "" || ref == "" {
		return
	}
	tx.Queue(`INSERT INTO persons_v1 (id_number_index, subject_ref, first_seq) VALUES ($1, $2, $3)
		ON CONFLICT (id_number_index) DO NOTHING`, idIndex, ref, int64(seq))
}

// PetitionIndex answers the lookups of app.PetitionIndex from the projection's tables.
type PetitionIndex struct {
	DB *pgxpool.Pool
}

// none turns "no such row" — and "no such table yet", while the projection runner is setting its
// version up on a fresh schema, when the log has nothing it could have indexed yet — into not found.
func none(err error) (bool, error) {
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
		return false, nil
	}
	return err == nil, err
}

var _ app.PetitionIndex = PetitionIndex{}

// PersonRef is the reference first given to the person with this identity-number index.
func (x PetitionIndex) PersonRef(ctx context.Context, idNumberIndex string) (string, bool, error) {
	var ref string
	err := x.DB.QueryRow(ctx, `SELECT subject_ref FROM persons_v1 WHERE id_number_index = $1`, idNumberIndex).Scan(&ref)
	found, err := none(err)
	return ref, found, err
}

// MatchSender reads in one round trip the reference first given to the person with the
// identity-number index, and the earliest original petition of the same person on the same matter:
// equal identity-number indexes, or equal name indexes when either petition has no identity number
// (DOMAIN.md "Duplicate": names without diacritics, ID numbers exactly).
func (x PetitionIndex) MatchSender(ctx context.Context, q app.OriginalQuery) (app.SenderMatch, error) {
	var ref, original *string
	err := x.DB.QueryRow(ctx, `
SELECT
	(SELECT subject_ref FROM persons_v1 WHERE $3 <> '' AND id_number_index = $3),
	(SELECT petition_id::text FROM (
		(SELECT petition_id, seq FROM petitions_v1
		  WHERE duplicate_of IS NULL AND matter_index <> '' AND matter_index = $1 AND kind = $2
		    AND $3 <> '' AND id_number_index = $3
		  ORDER BY seq LIMIT 1)
		UNION ALL
		(SELECT petition_id, seq FROM petitions_v1
		  WHERE duplicate_of IS NULL AND matter_index <> '' AND matter_index = $1 AND kind = $2
		    AND $4 <> '' AND name_index = $4 AND (id_number_index = '' OR $3 = '')
		  ORDER BY seq LIMIT 1)
	) o ORDER BY seq LIMIT 1)`, q.MatterIndex, int16(q.Kind), q.IDNumberIndex, q.NameIndex).Scan(&ref, &original)
	if _, err := none(err); err != nil {
		return app.SenderMatch{}, err
	}
	var m app.SenderMatch
	if ref != nil {
		m.PersonRef = *ref
	}
	if original != nil {
		m.Original = *original
	}
	return m, nil
}

// FindEarlierReception tells whether the person (by identity-number index) was received on the
// same matter before, by petition or visit; the case is the original petition when there is one.
func (x PetitionIndex) FindEarlierReception(ctx context.Context, q app.ReceptionQuery) (string, bool, error) {
	var caseID string
	err := x.DB.QueryRow(ctx, `
SELECT case_id FROM (
	SELECT coalesce(duplicate_of, petition_id)::text AS case_id, seq FROM petitions_v1
	 WHERE id_number_index = $1 AND matter_index = $2 AND kind = $3
	UNION ALL
	SELECT case_id, seq FROM visits_v1
	 WHERE id_number_index = $1 AND matter_index = $2 AND kind = $3
) r ORDER BY case_id = '', seq LIMIT 1`, q.IDNumberIndex, q.MatterIndex, int16(q.Kind)).Scan(&caseID)
	found, err := none(err)
	return caseID, found, err
}

// ReceiptSerials leases receipt serials from the receipt_serials table (migrations/), one row per
// tenant.
type ReceiptSerials struct {
	DB     *pgxpool.Pool
	Tenant string
}

var _ app.ReceiptSerials = ReceiptSerials{}

// Lease moves the tenant's next serial on by n in one committed statement (serials start at 1); concurrent leases from
// any number of processes queue on the row's lock and get disjoint blocks.
func (r ReceiptSerials) Lease(ctx context.Context, n int) (uint64, error) {
	var next int64
	err := r.DB.QueryRow(ctx, `
INSERT INTO receipt_serials AS s (tenant, next) VALUES ($1, $2 + 1)
ON CONFLICT (tenant) DO UPDATE SET next = s.next + $2
RETURNING next`, r.Tenant, int64(n)).Scan(&next)
	if err != nil {
		return 0, err
	}
	return uint64(next) - uint64(n), nil
}
