package intake_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/civicase/civicase/pkg/seal"
	"github.com/civicase/civicase/pkg/svc/svctest"
	eventv1 "github.com/civicase/civicase/proto/gen/civicase/event/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// TestNoPersonalDataLeaks registers petitions and visits with distinctive personal data, then
// searches everything the service wrote — every message of every stream (data and headers),
// every row of every table of its schemas, its logs at debug level, and its answers — for any of
// it, with and without diacritics.
func TestNoPersonalDataLeaks(t *testing.T) {
	logs := &lockedBuffer{}
	env := svctest.New(t, fixedTime)
	env.Shared.Log = debugLogger(logs)
	f := startIn(t, env)

	giang := &personv1.PersonalData{FullName: "Phạm Thị Hương Giang", IdNumber: "079188012345", Address: "47 Đường Yên Ninh, khu phố 3",
		Phone: "0912777333", Email: "giang.pham@example.vn"}
	khanh := &personv1.PersonalData{FullName: "Đoàn Quốc Khánh", IdNumber: "079190067890", Address: "Số 9 hẻm Bạch Đằng", Phone: "0987654321"}
	secrets := []string{
		giang.FullName, giang.IdNumber, giang.Address, giang.Phone, giang.Email,
		khanh.FullName, khanh.IdNumber, khanh.Address, khanh.Phone,
		"Võ Minh Triết", "hối lộ năm mươi triệu", "Yên Ninh", "Bạch Đằng",
	}
	for _, s := range secrets[:len(secrets):len(secrets)] {
		secrets = append(secrets, seal.NormalizeName(s), strings.ToUpper(seal.NormalizeName(s)))
	}
	secrets = append(secrets, "Pham Thi Huong Giang", "Doan Quoc Khanh", "Vo Minh Triet", "0791880123", "91277733")

	den := complaint(giang, "ông Võ Minh Triết, cán bộ địa chính", "")
	den.Contents[0].Kind, den.ComplaintInstance = 2, 0
	den.Content.Summary = "Ông Võ Minh Triết nhận hối lộ năm mươi triệu đồng"
	first, err := f.client.RegisterPetition(ctx, den)
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()
	den2 := complaint(&personv1.PersonalData{FullName: "Pham Thi Huong Giang", IdNumber: giang.IdNumber, Phone: giang.Phone}, "Ông Võ Minh Triết, cán bộ địa chính", "")
	den2.Contents[0].Kind, den2.ComplaintInstance = 2, 0
	if res, err := f.client.RegisterPetition(ctx, den2); err != nil || res.GetDuplicateOf() != first.GetPetitionId() {
		t.Fatalf("repeat: %v, %v", res, err)
	}
	// Refused requests carrying personal data must not leave it in errors or logs either.
	bad := complaint(&personv1.PersonalData{FullName: giang.FullName, IdNumber: "0791880123X5", Address: giang.Address}, "x", "y")
	if _, err := f.client.RegisterPetition(ctx, bad); err == nil || strings.Contains(err.Error(), "0791880123X5") || strings.Contains(err.Error(), "Giang") {
		t.Errorf("invalid ID number: %v", err)
	}
	session := openSession(t, f.client, unitKD, "2025-03-12")
	if _, err := f.client.RecordVisit(ctx, visit(session, 6, 2, khanh, "Võ Minh Triết", "")); err != nil {
		t.Fatal(err)
	}
	badVisit := visit(session, 1, 0, &personv1.PersonalData{FullName: khanh.FullName, Phone: strings.Repeat(khanh.Phone, 10)}, "", "")
	if _, err := f.client.RecordVisit(ctx, badVisit); err == nil || strings.Contains(err.Error(), khanh.Phone) {
		t.Errorf("oversized phone: %v", err)
	}
	got, err := f.client.GetPetition(ctx, requestFor(first.GetPetitionId()))
	if err != nil {
		t.Fatal(err)
	}
	f.indexed()

	// The data is not lost: it opens with the sender's key, for an authorised purpose.
	h, err := f.r.Env.Store.Load(ctx, eventstoreAgg("petition", first.GetPetitionId()))
	if err != nil {
		t.Fatal(err)
	}
	sealed := h.Events[0].Envelope.GetSealed()
	scope := seal.Scope{Tenant: f.r.Env.Tenant, AggregateType: "petition", AggregateID: first.GetPetitionId()}
	access := seal.Access{Actor: &eventv1.Actor{Subject: "verifier-1", Role: "handler", Unit: unitKD}, Purpose: "test: data is kept"}
	pd, err := f.r.Env.Sealer.Open(ctx, sealed[0], scope, access)
	if err != nil || pd.GetFullName() != giang.FullName || pd.GetEmail() != giang.Email {
		t.Fatalf("opening the sender: %v, %v", pd, err)
	}
	content := &intakev1.SealedContent{}
	if err := f.r.Env.Sealer.OpenMessage(ctx, sealed[1], scope, access, content); err != nil || content.GetSummary() != den.Content.Summary {
		t.Fatalf("opening the content: %v, %v", content, err)
	}

	check := func(where string, b []byte) {
		t.Helper()
		for _, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s contains %q", where, s)
			}
		}
	}
	check("GetPetition answer", []byte(got.String()))

	// Every message of every stream, raw.
	js := f.r.Env.Store.JetStream()
	streams := 0
	for name := range js.StreamNames(ctx).Name() {
		streams++
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			var hdr bytes.Buffer
			for k, vs := range m.Header {
				fmt.Fprintf(&hdr, "%s: %s\n", k, strings.Join(vs, ","))
			}
			where := fmt.Sprintf("stream %s message %d (%s)", name, seq, m.Subject)
			check(where+" data", m.Data)
			check(where+" headers", hdr.Bytes())
			check(where+" subject", []byte(m.Subject))
		}
		if info.State.Msgs < 8 {
			t.Errorf("stream %s holds %d messages; the test wrote more", name, info.State.Msgs)
		}
	}
	if streams == 0 {
		t.Fatal("no stream to search")
	}

	// Every row of every table the service has, as text.
	conn, err := pgx.Connect(ctx, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgx.Identifier, error) {
		var s, n string
		return pgx.Identifier{s, n}, r.Scan(&s, &n)
	})
	if err != nil {
		t.Fatal(err)
	}
	dumped := map[string]int{}
	for _, tbl := range tables {
		rows, err := conn.Query(ctx, "SELECT t::text FROM "+tbl.Sanitize()+" t")
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		dumped[strings.Join(tbl, ".")] = len(texts)
		check("table "+strings.Join(tbl, "."), []byte(strings.Join(texts, "\n")))
	}
	for _, want := range []string{"intake.petitions_v1", "intake.visits_v1", "intake.persons_v1", "intake.receipt_serials", "seal.seal_subject_keys"} {
		if dumped[want] == 0 {
			t.Errorf("table %s was not dumped or is empty (dumped: %v)", want, dumped)
		}
	}

	// The logs, at debug level.
	f.r.Stop()
	if len(logs.Bytes()) == 0 {
		t.Error("the service logged nothing; the logger is not wired")
	}
	check("logs", logs.Bytes())
}
