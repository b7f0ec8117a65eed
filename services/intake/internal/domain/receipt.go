package domain

import (
	"fmt"
)

// receiptAlphabet is Crockford's base32: no I, L, O or U, so a receipt read out over the phone or
// copied by hand is not misread.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// receiptDigits is the length of a receipt's serial part: 35 bits, some 34 billion registrations
// of a tenant. Seven characters also set these numbers apart from the six-character numbers the
// first releases derived from petition ids, which stay valid in the log.
const receiptDigits = 7

// MaxReceiptSerial is the last serial a receipt number can carry.
const MaxReceiptSerial = 1<<(5*receiptDigits) - 1

// ReceiptNumber is the number given to the citizen: "<unit>-<year received>-<7 characters>", the
// characters the tenant-wide serial in base32. Serials are unique within the tenant (leased in
// blocks, see app.ReceiptSerials), so the number is unique whatever the unit and year; the unit and
// year make it readable at the desk. Serials beyond MaxReceiptSerial are refused by the caller.
func ReceiptNumber(unitCode string, year int, serial uint64) string {
	var b [receiptDigits]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = receiptAlphabet[serial&31]
		serial >>= 5
	}
	return fmt.Sprintf("%s-%04d-%s", unitCode, year, b[:])
}
