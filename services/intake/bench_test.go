package intake_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicase/civicase/pkg/auth"
	"github.com/civicase/civicase/pkg/testenv"
	intakev1 "github.com/civicase/civicase/proto/gen/civicase/intake/v1"
	personv1 "github.com/civicase/civicase/proto/gen/civicase/person/v1"
)

// BenchmarkRegisterPetition registers petitions over gRPC against a durable JetStream (SyncAlways:
// acknowledged = on disk) and PostgreSQL, with 1 and 16 concurrent clients, each petition from a
// new person on a new matter (so each seals under a new data key and opens a case). It reports
// throughput and latency percentiles; `make bench` puts them next to the raw append figure.
func BenchmarkRegisterPetition(b *testing.B) {
	f := start(b, testenv.SyncAlways())
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			conns := make([]intakev1.IntakeServiceClient, clients)
			for i := range conns {
				conns[i] = f.as(fmt.Sprintf("bench-officer-%d", i), auth.RoleReceptionOfficer, unitKD)
			}
			var next atomic.Int64
			lat := make([][]time.Duration, clients)
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			b.ResetTimer()
			t0 := time.Now()
			for c := range clients {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						req := complaint(&personv1.PersonalData{
							FullName: fmt.Sprintf("Người Gửi %d", i),
							IdNumber: fmt.Sprintf("%012d", rand.Int64N(1e12)),
							Address:  "Phan Rang–Tháp Chàm",
						}, "UBND phường Kinh Dinh", fmt.Sprintf("QĐ %d-%d/QĐ-UBND", clients, i))
						s := time.Now()
						if _, err := conns[c].RegisterPetition(ctx, req); err != nil {
							errs <- err
							return
						}
						lat[c] = append(lat[c], time.Since(s))
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(t0)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "ops/s")
			b.ReportMetric(ms(all[len(all)/2]), "p50_ms")
			b.ReportMetric(ms(all[min(len(all)-1, len(all)*99/100)]), "p99_ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
