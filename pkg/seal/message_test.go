package seal_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/civicase/civicase/pkg/seal"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

func TestSealMessageRoundTripIsBoundToItsType(t *testing.T) {
	f := newFixture(t)
	ref := seal.NewSubjectRef()
	text := wrapperspb.String("Ông Nguyễn Văn Đức, 12 Lê Duẩn, nhận tiền của dân")
	sd, err := f.sealer.SealMessage(ctx, ref, petition, text)
	if err != nil {
		t.Fatal(err)
	}
	wire, _ := proto.Marshal(sd)
	for _, clear := range []string{"Nguyễn", "Lê Duẩn", "nhận tiền"} {
		if bytes.Contains(wire, []byte(clear)) {
			t.Errorf("sealed bytes contain %q", clear)
		}
	}
	got := &wrapperspb.StringValue{}
	if err := f.newSealer(t).OpenMessage(ctx, sd, petition, officer, got); err != nil {
		t.Fatal(err)
	}
	if got.GetValue() != text.GetValue() {
		t.Fatalf("opened %q", got.GetValue())
	}
	if n := len(f.rec.records()); n != 1 {
		t.Fatalf("%d access records, want 1", n)
	}

	// Opened as another type — personal data, or any other message — it does not authenticate,
	// so free text can never be mistaken for a person's identity or the reverse.
	if _, err := f.sealer.Open(ctx, sd, petition, officer); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("free text opened as PersonalData: %v, want ErrNotAuthentic", err)
	}
	if err := f.sealer.OpenMessage(ctx, sd, petition, officer, &structpb.Value{}); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("opened as another type: %v, want ErrNotAuthentic", err)
	}
	pdSealed, err := f.sealer.Seal(ctx, ref, petition, duc)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sealer.OpenMessage(ctx, pdSealed, petition, officer, &wrapperspb.StringValue{}); !errors.Is(err, seal.ErrNotAuthentic) {
		t.Fatalf("PersonalData opened as free text: %v, want ErrNotAuthentic", err)
	}
	pd := &personv1.PersonalData{}
	if err := f.sealer.OpenMessage(ctx, pdSealed, petition, officer, pd); err != nil || !proto.Equal(pd, duc) {
		t.Fatalf("PersonalData through OpenMessage: %v, %v", pd, err)
	}

	// Shredding the subject makes both unreadable.
	if err := f.sealer.Shred(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := f.sealer.OpenMessage(ctx, sd, petition, officer, &wrapperspb.StringValue{}); !errors.Is(err, seal.ErrShredded) {
		t.Fatalf("after shredding: %v, want ErrShredded", err)
	}
}

func TestOpenMessageWithholdsDataWhenAccessIsNotRecorded(t *testing.T) {
	f := newFixture(t)
	sd, err := f.sealer.SealMessage(ctx, seal.NewSubjectRef(), petition, wrapperspb.String("secret"))
	if err != nil {
		t.Fatal(err)
	}
	f.rec.fail = errors.New("log down")
	got := &wrapperspb.StringValue{}
	if err := f.sealer.OpenMessage(ctx, sd, petition, officer, got); err == nil || got.GetValue() != "" {
		t.Fatalf("OpenMessage with a failing recorder: %q, %v; want the data withheld", got.GetValue(), err)
	}
	if _, err := f.sealer.SealMessage(ctx, seal.NewSubjectRef(), petition, nil); !errors.Is(err, seal.ErrInvalid) {
		t.Fatalf("sealing nil: %v, want ErrInvalid", err)
	}
}

func TestMatterIndexMatchesTheSameMatterWrittenDifferently(t *testing.T) {
	ix, err := seal.NewIndexer(ctx, seal.NewMemoryKeyProvider())
	if err != nil {
		t.Fatal(err)
	}
	m := func(r, d string) seal.BlindIndex {
		t.Helper()
		b, err := ix.Matter(r, d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	base := m("UBND phường Kinh Dinh", "Quyết định số 123/QĐ-UBND ngày 5/3/2025")
	if got := m("  ubnd PHUONG kinh dinh ", "quyet dinh so 123 qd-ubnd, ngay 5-3-2025"); got != base {
		t.Error("the same matter without diacritics, case and punctuation indexes differently")
	}
	if m("UBND phường Kinh Dinh", "Quyết định số 124/QĐ-UBND ngày 5/3/2025") == base {
		t.Error("another decision shares the index")
	}
	if m("UBND phường Đô Vinh", "Quyết định số 123/QĐ-UBND ngày 5/3/2025") == base {
		t.Error("another respondent shares the index")
	}
	// Moving text between the parts is another matter.
	if m("a b", "c") == m("a", "b c") {
		t.Error("respondent and decision reference are not kept apart")
	}
	if name, _ := ix.Name("UBND phường Kinh Dinh"); name == m("UBND phường Kinh Dinh", "") {
		t.Error("a matter and a name with the same text share an index")
	}
	if _, err := ix.Matter(" ", "--"); !errors.Is(err, seal.ErrInvalid) {
		t.Errorf("empty matter: %v, want ErrInvalid", err)
	}
}
