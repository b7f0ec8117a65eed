package routing_test

import (
	"testing"

	routingv1 "github.com/civicase/civicase/proto/gen/civicase/routing/v1"
)

// BenchmarkAcceptAndVerify measures two commands through gRPC on real NATS: accepting a petition
// (petition load, registry catch-up, decision with clocks, append, reload) and recording a step.
func BenchmarkAcceptAndVerify(b *testing.B) {
	f := start(b)
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = f.register(petitionSpec{kind: complaint, unit: wardPC, respondent: wardPC, receivedOn: "2025-03-03"})
	}
	f.setToday("2025-03-10")
	b.ResetTimer()
	for _, id := range ids {
		if _, err := f.officer.ProcessPetition(f.ctx, accept(id, "2025-03-10", false)); err != nil {
			b.Fatal(err)
		}
		if _, err := f.handler.RecordStep(f.ctx, stepReq(id, "2025-03-10", &routingv1.RecordStepRequest_VerificationStart{})); err != nil {
			b.Fatal(err)
		}
	}
}
