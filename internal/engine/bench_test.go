package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkSync1000 syncs 1,000 new customers and 100 new companies per
// iteration against the in-process emulator (rate limits off, governor on
// a virtual clock) and reports HubSpot calls per record and wall time per
// 1,000 records.
func BenchmarkSync1000(b *testing.B) {
	e := newEnv(b, envOptions{})
	ctx := context.Background()
	const customers, companies = 1000, 100
	var calls, records int64
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		var ents, ids, payloads []string
		for i := range companies {
			p := companyPayload(n*companies + i)
			blob, _ := json.Marshal(p)
			ents, ids, payloads = append(ents, "company"), append(ids, fmt.Sprintf("CO-%d-%d", n, i)), append(payloads, string(blob))
		}
		for i := range customers {
			p := customerPayload(n*customers+i, 0)
			p["company_id"] = fmt.Sprintf("CO-%d-%d", n, i%companies)
			blob, _ := json.Marshal(p)
			ents, ids, payloads = append(ents, "customer"), append(ids, fmt.Sprintf("C-%d-%d", n, i)), append(payloads, string(blob))
		}
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO outbox (entity, erp_id, payload)
SELECT e, i, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS u(e, i, p)`, ents, ids, payloads); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := e.eng.Drain(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Created != customers+companies {
			b.Fatalf("created %d, want %d: %+v", sum.Created, customers+companies, sum)
		}
		calls += sum.Calls
		records += int64(sum.Rows)
	}
	b.ReportMetric(float64(calls)/float64(records), "calls/record")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(records)*1000, "ms/1000records")
}
