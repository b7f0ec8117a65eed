package auditcli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/civicase/civicase/services/audit/auditlog"
)

// A read that lost messages on the way is read again, and only a loss every time is an error;
// any other outcome, a finding included, is the answer at once.
func TestVerifyReadsAgainOnlyWhenMessagesWereLostOnTheWay(t *testing.T) {
	clean := auditlog.NewVerifier()
	for _, c := range []struct {
		name    string
		results []error
		calls   int
		wantErr error
	}{
		{"lost once", []error{auditlog.ErrDeliveryLost, nil}, 2, nil},
		{"lost every time", []error{auditlog.ErrDeliveryLost, auditlog.ErrDeliveryLost, auditlog.ErrDeliveryLost, nil}, deliveryAttempts, auditlog.ErrDeliveryLost},
		{"another failure", []error{errors.New("stream gone"), nil}, 1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			calls := 0
			v, err := againOnLoss(&out, func() (*auditlog.Verifier, error) {
				err := c.results[calls]
				calls++
				if err != nil {
					return nil, err
				}
				return clean, nil
			})
			if calls != c.calls {
				t.Errorf("%d reads, want %d", calls, c.calls)
			}
			switch {
			case c.name == "another failure":
				if err == nil || errors.Is(err, auditlog.ErrDeliveryLost) {
					t.Errorf("got %v, want the other failure", err)
				}
			case !errors.Is(err, c.wantErr) || (err == nil) != (v == clean):
				t.Errorf("got %v, %v", v, err)
			}
			if got := strings.Count(out.String(), "reading the log again"); got != c.calls-1 {
				t.Errorf("said %d times that it reads again, want %d", got, c.calls-1)
			}
		})
	}
}
