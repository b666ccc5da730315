package outbox

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/testkit/shareddata"
)

// TestDecodeSETCompanies turns every listed company of the SET data (Thai
// and English names, landlines, websites) into a company payload. Rows
// fail only on their phone or website, with a field error.
func TestDecodeSETCompanies(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"thai_securities_all_th.json", "thai_securities_all_en.json"} {
		b, err := os.ReadFile(shareddata.Path(t, "thai/companies/"+file))
		if err != nil {
			t.Fatal(err)
		}
		var rows []map[string]string
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatal(err)
		}
		ok, failed := 0, map[string]int{}
		for _, row := range rows {
			web := row["web"]
			if web == "-" {
				web = ""
			}
			tel := row["tel"]
			if strings.Trim(tel, " -") == "" {
				tel = ""
			}
			payload, _ := json.Marshal(map[string]any{"name": row["name"], "phone": tel, "website": web,
				"properties": map[string]string{"zip": row["zip"], "address": row["address"]}})
			rec, err := Decode("company", row["symbol"], "upsert", payload, Options{})
			if err != nil {
				for _, fe := range AsFieldErrors(err) {
					failed[fe.Field]++
					if fe.Field != "phone" && fe.Field != "website" {
						t.Errorf("%s: %v", row["symbol"], err)
					}
				}
				continue
			}
			ok++
			p := rec.Properties()
			if p["name"] == "" || (tel != "" && !strings.HasPrefix(p["phone"], "+66")) || (web != "" && p["domain"] == "") {
				t.Errorf("%s: properties %v", row["symbol"], p)
			}
		}
		t.Logf("%s: %d of %d companies decoded; refused fields %v", file, ok, len(rows), failed)
		if ok < 900 {
			t.Errorf("%s: %d decoded, want at least 900", file, ok)
		}
	}
}

// TestDecodeSupportTickets turns the support-ticket data set into customer
// and ticket payloads.
func TestDecodeSupportTickets(t *testing.T) {
	t.Parallel()
	f, err := os.Open(shareddata.Path(t, "support-tickets/customer_support_tickets.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	priorities := map[string]int{}
	for _, row := range rows[1:] {
		id := row[col["Ticket ID"]]
		cust, _ := json.Marshal(map[string]any{"email": row[col["Customer Email"]], "name": row[col["Customer Name"]]})
		c, err := Decode("customer", "C-"+id, "upsert", cust, Options{})
		if err != nil {
			t.Errorf("customer %s: %v", id, err)
			continue
		}
		if c.Customer.Email == "" || c.Customer.FirstName == "" {
			t.Errorf("customer %s = %+v", id, c.Customer)
		}
		tk, _ := json.Marshal(map[string]any{"customer_id": "C-" + id, "subject": row[col["Ticket Subject"]],
			"description": row[col["Ticket Description"]], "status": row[col["Ticket Status"]],
			"priority": row[col["Ticket Priority"]], "created_at": row[col["First Response Time"]]})
		rec, err := Decode("ticket", "T-"+id, "upsert", tk, Options{})
		if err != nil {
			t.Errorf("ticket %s: %v", id, err)
			continue
		}
		priorities[rec.Ticket.Priority]++
		if rec.Properties()["content"] != row[col["Ticket Description"]] {
			t.Errorf("ticket %s: content changed", id)
		}
	}
	t.Logf("%d tickets, priorities %v", len(rows)-1, priorities)
	if len(rows)-1 != 8469 || priorities["URGENT"] == 0 {
		t.Errorf("read %d tickets, priorities %v", len(rows)-1, priorities)
	}
}
