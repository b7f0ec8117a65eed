package domain

import (
	"fmt"

	"github.com/google/uuid"
)

// receiptAlphabet is Crockford's base32: no I, L, O or U, so a receipt read out over the phone or
// copied by hand is not misread.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReceiptAttempts is how many receipt numbers one petition id offers, for the rare collision.
const ReceiptAttempts = 4

// ReceiptNumber is the number given to the citizen: "<unit>-<year received>-<6 characters>", the
// characters taken from the petition id (30 bits per attempt, disjoint between attempts, skipping
// the id's fixed version and variant bits). No
// counter is shared between registrations, so registering scales with concurrent clients; a
// collision within a unit and year is caught by the receipt register and the next attempt is used.
func ReceiptNumber(unitCode string, year int, petitionID uuid.UUID, attempt int) string {
	var b [6]byte
	k := attempt * 30 // index among the id's 122 variable bits
	for i := range b {
		v := 0
		for range 5 {
			v = v<<1 | variableBit(petitionID, k)
			k++
		}
		b[i] = receiptAlphabet[v]
	}
	return fmt.Sprintf("%s-%04d-%s", unitCode, year, b[:])
}

// variableBit is the k-th bit of the id that is not a version (48–51) or variant (64–65) bit.
func variableBit(id uuid.UUID, k int) int {
	if k >= 48 {
		k += 4
	}
	if k >= 64 {
		k += 2
	}
	return int(id[k/8] >> (7 - k%8) & 1)
}
