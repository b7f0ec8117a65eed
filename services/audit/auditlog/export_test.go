package auditlog

// LoseInDelivery makes VerifyLog's reads drop the messages at the given sequences until the test
// ends (see deliveryFault).
func LoseInDelivery(t interface{ Cleanup(func()) }, seqs ...uint64) {
	lost := map[uint64]bool{}
	for _, s := range seqs {
		lost[s] = true
	}
	deliveryFault = func(msgs []RawMessage) []RawMessage {
		out := msgs[:0:0]
		for _, m := range msgs {
			if !lost[m.Seq] {
				out = append(out, m)
			}
		}
		return out
	}
	t.Cleanup(func() { deliveryFault = nil })
}
