package domain_test

import (
	"regexp"
	"testing"

	"github.com/civicase/civicase/pkg/calendar"
	"github.com/civicase/civicase/pkg/deadline"
	commonv1 "github.com/civicase/civicase/proto/gen/civicase/common/v1"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
	"github.com/civicase/civicase/services/intake/internal/domain"
)

func TestReceiptNumbersSpellTheSerialInSevenReadableCharacters(t *testing.T) {
	pattern := regexp.MustCompile(`^NT\.PRTC\.KD-2025-[0-9A-HJKMNP-TV-Z]{7}$`)
	for _, c := range []struct {
		serial uint64
		want   string
	}{
		{0, "NT.PRTC.KD-2025-0000000"},
		{1, "NT.PRTC.KD-2025-0000001"},
		{31, "NT.PRTC.KD-2025-000000Z"},
		{32, "NT.PRTC.KD-2025-0000010"},
		// 18 = J, 19 = K: Crockford skips I and L.
		{18*32 + 19, "NT.PRTC.KD-2025-00000JK"},
		{domain.MaxReceiptSerial, "NT.PRTC.KD-2025-ZZZZZZZ"},
	} {
		got := domain.ReceiptNumber("NT.PRTC.KD", 2025, c.serial)
		if got != c.want || !pattern.MatchString(got) {
			t.Errorf("serial %d: %q, want %q", c.serial, got, c.want)
		}
	}
	// One number per serial: a run of serials gives as many distinct numbers.
	seen := map[string]bool{}
	for s := uint64(1 << 20); s < 1<<20+5000; s++ {
		seen[domain.ReceiptNumber("U", 2025, s)] = true
	}
	if len(seen) != 5000 {
		t.Errorf("5000 serials gave %d numbers", len(seen))
	}
}

func content(kind commonv1.PetitionKind, field commonv1.Field) *intakev1.PetitionContent {
	return &intakev1.PetitionContent{Kind: kind, Field: field}
}

func TestClassify(t *testing.T) {
	const (
		complaint = commonv1.PetitionKind_PETITION_KIND_COMPLAINT
		denounce  = commonv1.PetitionKind_PETITION_KIND_DENUNCIATION
		recommend = commonv1.PetitionKind_PETITION_KIND_RECOMMENDATION
		land      = commonv1.Field_FIELD_ADMIN_LAND_HOUSING
		policy    = commonv1.Field_FIELD_ADMIN_POLICY
	)
	cases := []struct {
		name string
		p    domain.Petition
		want domain.Classification
	}{
		{"single complaint", domain.Petition{Contents: []*intakev1.PetitionContent{content(complaint, land)}, SignatoryCount: 1,
			Sender: &personv1.PersonalData{FullName: "Nguyễn Văn A"}}, domain.Classification{Kind: complaint, Field: land}},
		{"multi-content", domain.Petition{Contents: []*intakev1.PetitionContent{content(complaint, land), content(recommend, policy)},
			Sender: &personv1.PersonalData{IdNumber: "058203004567"}}, domain.Classification{Kind: commonv1.PetitionKind_PETITION_KIND_MULTI_CONTENT, Field: land}},
		{"crowd at five", domain.Petition{Contents: []*intakev1.PetitionContent{content(complaint, land)}, SignatoryCount: 5,
			Sender: &personv1.PersonalData{FullName: "B"}}, domain.Classification{Kind: complaint, Field: land, Crowd: true}},
		{"anonymous: no sender", domain.Petition{Contents: []*intakev1.PetitionContent{content(denounce, land)}},
			domain.Classification{Kind: denounce, Field: land, Anonymous: true}},
		{"anonymous: punctuation for a name, a phone", domain.Petition{Contents: []*intakev1.PetitionContent{content(denounce, land)},
			Sender: &personv1.PersonalData{FullName: " - . ", Phone: "0905"}}, domain.Classification{Kind: denounce, Field: land, Anonymous: true}},
	}
	for _, c := range cases {
		if got := c.p.Classify(); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestMaxRepresentatives(t *testing.T) {
	// Luật TCD Đ29: 5–10 people appoint 1–2 representatives, more than 10 up to 5.
	for n, want := range map[int32]int32{1: 1, 4: 4, 5: 2, 10: 2, 11: 5, 500: 5} {
		if got := domain.MaxRepresentatives(n); got != want {
			t.Errorf("%d people: %d representatives, want %d", n, got, want)
		}
	}
}

func TestRepeatsAreNumberedOnTheOriginal(t *testing.T) {
	var s domain.PetitionState
	if _, err := s.ReceiveRepeat("r1", calendar.MustParseDate("2025-03-11")); err == nil {
		t.Fatal("a repeat of an unregistered petition was accepted")
	}
	s.Apply(&intakev1.PetitionRegistered{PetitionId: "p", RepeatNumber: 1})
	r1, _ := s.ReceiveRepeat("r1", calendar.MustParseDate("2025-03-11"))
	s.Apply(r1)
	r2, _ := s.ReceiveRepeat("r2", calendar.MustParseDate("2025-03-12"))
	if r1.GetRepeatNumber() != 2 || r2.GetRepeatNumber() != 3 || r2.GetPetitionId() != "p" {
		t.Errorf("repeats %v, %v", r1, r2)
	}
	if again, err := s.ReceiveRepeat("r1", calendar.MustParseDate("2025-03-11")); again != nil || err != nil {
		t.Errorf("the same repeat counted again: %v, %v", again, err)
	}
}

func TestProcessingClockCrossesTet(t *testing.T) {
	// Received Friday 13/2/2026, the eve of Tết (14–22/2/2026 off): 10 working days are 23–27/2 and 2–6/3.
	ev, err := domain.ProcessingClock(deadline.Default(), "p", "U", calendar.MustParseDate("2026-02-13"))
	if err != nil {
		t.Fatal(err)
	}
	c := ev.GetClock()
	if d := domain.DateOf(c.GetDueOn()); d != calendar.MustParseDate("2026-03-06") {
		t.Errorf("due %v, want 2026-03-06; derivation %q", d, c.GetDerivation())
	}
	if c.GetBasis() == "" || len(c.GetDerivation()) < 2 {
		t.Errorf("clock without basis or derivation: %v", c)
	}
}

func TestPetitionViolations(t *testing.T) {
	today := calendar.MustParseDate("2025-03-12")
	ok := domain.Petition{
		ReceivedOn: today, Contents: []*intakev1.PetitionContent{content(commonv1.PetitionKind_PETITION_KIND_FEEDBACK, commonv1.Field_FIELD_OTHER)},
		Content: &intakev1.SealedContent{Summary: "Đường hỏng"},
	}
	if vs := ok.Violations(today); len(vs) != 0 {
		t.Fatalf("valid petition: %v", vs)
	}
	bad := ok
	bad.Contents = []*intakev1.PetitionContent{content(commonv1.PetitionKind_PETITION_KIND_FEEDBACK, commonv1.Field_FIELD_CORRUPTION)}
	bad.ComplaintInstance = 1
	fields := map[string]bool{}
	for _, v := range bad.Violations(today) {
		fields[v.Field] = true
	}
	if !fields["contents[0].field"] || !fields["complaint_instance"] {
		t.Errorf("violations %v: want corruption outside a denunciation and an instance without a complaint", fields)
	}
}

// A name identifies someone only if it has a letter or a digit, also one that appears only when
// folded.
func TestNameOf(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyễn Văn Đức": "Nguyễn Văn Đức",
		"  - . -  ":      "",
		"":               "",
		"²":              "²", // folds to the digit 2
		"...\u0301":      "",  // a lone combining mark is no letter
		"\u037a":         "",  // a letter that folds to a combining mark
		"Ư":              "Ư",
	} {
		if got := domain.NameOf(&personv1.PersonalData{FullName: in}); got != want {
			t.Errorf("NameOf(%q) = %q, want %q", in, got, want)
		}
	}
}
