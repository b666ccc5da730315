package demo

import (
	"fmt"
	"strings"
)

// Row is one outbox row the demo writes, as an ERP would.
type Row struct {
	Entity  string
	ERPID   string
	Op      string
	Payload map[string]any
}

// company is a made-up Thai company; the tax ID is computed from seq.
type company struct {
	erpID  string
	name   string
	domain string
	year   int // Buddhist-era registration year, 2500..2599
	seq    int // running number in the registration year
	branch string
	phone  string
}

// The companies are invented; any likeness to a registered company is
// chance. Their phones show the local forms ERPs hold.
var companies = []company{
	{"CO-1001", "บริษัท สยามเทรดดิ้ง จำกัด", "siamtrading.co.th", 2548, 1021, "00000", "02-123-4567"},
	{"CO-1002", "บริษัท เชียงใหม่ฟู้ดส์ จำกัด", "chiangmaifoods.co.th", 2551, 2210, "สำนักงานใหญ่", "053-123-456"},
	{"CO-1003", "บริษัท ภูเก็ตมารีน เซอร์วิส จำกัด", "phuketmarine.co.th", 2555, 3187, "00001", "0-7628-2722"},
	{"CO-1004", "บริษัท ขอนแก่นอะโกร จำกัด", "khonkaenagro.com", 2546, 412, "00000", "043-234-567"},
	{"CO-1005", "บริษัท บางนาโลจิสติกส์ จำกัด", "bangnalogistics.co.th", 2559, 15230, "00000", "(02) 745-1200"},
	{"CO-1006", "บริษัท รัตนาการพิมพ์ จำกัด", "rattanaprint.co.th", 2540, 877, "สาขาที่ 2", "0 2412 7788"},
	{"CO-1007", "บริษัท โคราชสตีล จำกัด", "koratsteel.co.th", 2552, 6605, "00000", "044-255-301"},
	{"CO-1008", "บริษัท หาดใหญ่ยางพารา จำกัด", "hatyairubber.com", 2544, 3390, "00000", "074-356-120"},
	{"CO-1009", "บริษัท อยุธยาเซรามิก จำกัด", "ayutthayaceramic.co.th", 2557, 1044, "00000", "035-331-450"},
	{"CO-1010", "บริษัท ศรีราชาแพ็คเกจจิ้ง จำกัด", "srirachapack.co.th", 2561, 20811, "00000", "038-771-205"},
	{"CO-1011", "บริษัท ลำปางเซรามิกส์อาร์ต จำกัด", "lampangart.co.th", 2549, 5120, "00000", "054-221-789"},
	{"CO-1012", "บริษัท อุดรซอฟต์แวร์ จำกัด", "udonsoft.co.th", 2563, 640, "00000", "042-930-112"},
	{"CO-1013", "บริษัท นนทบุรีเฟอร์นิเจอร์ จำกัด", "nonfurniture.co.th", 2550, 9931, "00000", "02-580-4411"},
	{"CO-1014", "บริษัท สมุทรสาครซีฟู้ด จำกัด", "sakhonseafood.com", 2547, 2288, "00003", "034-810-220"},
	{"CO-1015", "บริษัท เพชรบุรีขนมไทย จำกัด", "phetkhanom.co.th", 2558, 731, "00000", "032-425-610"},
	{"CO-1016", "บริษัท กรุงเทพคลีนนิ่ง เซอร์วิส จำกัด", "bkkcleaning.co.th", 2562, 11450, "00000", "+66 2 611 2345"},
	{"CO-1017", "บริษัท นครปฐมฟาร์ม จำกัด", "nakhonpathomfarm.co.th", 2545, 1603, "00000", "034-251-998"},
	{"CO-1018", "บริษัท ระยองปิโตรเคมีภัณฑ์ จำกัด", "rayongpetro.co.th", 2553, 4470, "00000", "038-611-700"},
	{"CO-1019", "บริษัท สุราษฎร์ปาล์มออยล์ จำกัด", "suratpalm.com", 2542, 215, "00000", "077-281-455"},
	{"CO-1020", "บริษัท พิษณุโลกการเกษตร จำกัด", "plkagri.co.th", 2556, 3877, "00000", "055-242-310"},
	{"CO-1021", "บริษัท ไทยดิจิทัลมาร์เก็ตติ้ง จำกัด", "thaidigitalmkt.co.th", 2564, 30122, "00000", "097-112-3344"},
	{"CO-1022", "บริษัท อุบลข้าวหอม จำกัด", "ubonrice.co.th", 2543, 1180, "00000", "045-312-887"},
	{"CO-1023", "บริษัท สุโขทัยผ้าทอ จำกัด", "sukhothaitextile.com", 2554, 508, "00000", "055-611-020"},
	{"CO-1024", "บริษัท ชลบุรีออโต้พาร์ท จำกัด", "chonautoparts.co.th", 2560, 18344, "00002", "038-199-456"},
	{"CO-1025", "บริษัท แม่ฮ่องสอนกาแฟ จำกัด", "mhscoffee.co.th", 2565, 77, "00000", "053-611-245"},
	{"CO-1026", "บริษัท ปทุมธานีอิเล็กทรอนิกส์ จำกัด", "pathumelec.co.th", 2552, 7410, "00000", "02-529-3000"},
	{"CO-1027", "บริษัท กาญจนบุรีทัวร์ จำกัด", "kanchanatour.com", 2557, 2065, "00000", "034-512-600"},
	{"CO-1028", "บริษัท ตรังเบเกอรี่ จำกัด", "trangbakery.co.th", 2548, 318, "00000", "075-218-774"},
	{"CO-1029", "บริษัท สระบุรีซีเมนต์ภัณฑ์ จำกัด", "saraburicement.co.th", 2541, 990, "00000", "036-221-345"},
	{"CO-1030", "บริษัท เชียงรายชาออร์แกนิก จำกัด", "chiangraitea.co.th", 2566, 1402, "00000", "053-711-900"},
}

// badTaxIDCompany has a tax ID whose check digit is wrong, so its row fails.
const badTaxIDCompany = "CO-1031"

// customer is a made-up Thai contact. name is written as ERPs hold it:
// honorific glued on or spaced, sometimes a single full-name field.
type customer struct {
	erpID   string
	name    string
	first   string
	last    string
	email   string
	phone   string
	company string
}

var customers = []customer{
	{"C-2001", "นายสมชาย ใจดี", "", "", "somchai.j@siamtrading.co.th", "081-234-5678", "CO-1001"},
	{"C-2002", "", "นางสาวอารีรัตน์", "ศรีสุข", "areerat.s@chiangmaifoods.co.th", "+66 89 123 4567", "CO-1002"},
	{"C-2003", "คุณ วิชัย ทองมา", "", "", "wichai@phuketmarine.co.th", "0812223333", "CO-1003"},
	{"C-2004", "นางมาลี บุญมา", "", "", "malee.b@khonkaenagro.com", "66861234567", "CO-1004"},
	{"C-2005", "", "ประยุทธ", "แสงทอง", "prayut.s@bangnalogistics.co.th", "092 345 6789", "CO-1005"},
	{"C-2006", "นาย ธนพล รัตนากร", "", "", "thanaphon@rattanaprint.co.th", "๐๘๑-๕๕๕-๑๒๓๔", "CO-1006"},
	{"C-2007", "นางสาว กมลวรรณ เพชรงาม", "", "", "kamonwan.p@koratsteel.co.th", "063-777-8899", "CO-1007"},
	{"C-2008", "คุณสุนทร หาญกล้า", "", "", "sunthorn@hatyairubber.com", "+66-81-999-0001", "CO-1008"},
	{"C-2009", "", "นายเอกชัย", "มั่นคง", "ekkachai.m@ayutthayaceramic.co.th", "095-111-2222", "CO-1009"},
	{"C-2010", "น.ส.พิมพ์ชนก วงศ์ใหญ่", "", "", "pimchanok.w@srirachapack.co.th", "0-2674-6488", "CO-1010"},
	{"C-2011", "นายอนุชา คำแสน", "", "", "anucha@lampangart.co.th", "089-876-5432", "CO-1011"},
	{"C-2012", "นางสาวนภัสสร แก้วใส", "", "", "napatsorn.k@udonsoft.co.th", "061 234 5678", "CO-1012"},
	{"C-2013", "", "สมศักดิ์", "พูลผล", "somsak.p@nonfurniture.co.th", "02-580-4411 ต่อ 12", "CO-1013"},
	{"C-2014", "นางวันเพ็ญ สายทอง", "", "", "wanphen@sakhonseafood.com", "086-543-2109", "CO-1014"},
	{"C-2015", "คุณ ปิยะนุช ชัยมงคล", "", "", "piyanuch.c@phetkhanom.co.th", "+66 (0) 85 432 1098", "CO-1015"},
	{"C-2016", "นายกิตติพงษ์ ศรีวงศ์", "", "", "kittipong@bkkcleaning.co.th", "0998887777", "CO-1016"},
	{"C-2017", "นางสาวสุภาวดี ทองดี", "", "", "supawadee.t@nakhonpathomfarm.co.th", "084-321-0987", "CO-1017"},
	{"C-2018", "", "นายวีระ", "บุญเรือง", "weera.b@rayongpetro.co.th", "038-611-700", "CO-1018"},
	{"C-2019", "นางอรุณี จันทร์เพ็ญ", "", "", "arunee@suratpalm.com", "087-654-3210", "CO-1019"},
	{"C-2020", "นายชาญวิทย์ ประเสริฐ", "", "", "chanwit.p@plkagri.co.th", "093-456-7890", "CO-1020"},
	{"C-2021", "คุณณัฐพล อินทร์แก้ว", "", "", "nattaphon@thaidigitalmkt.co.th", "080-123-4567", "CO-1021"},
	{"C-2022", "นางสาวรุ่งนภา ศรีประเสริฐ", "", "", "rungnapa.s@ubonrice.co.th", "094-555-6666", "CO-1022"},
	{"C-2023", "นายบุญชัย ทองสุข", "", "", "boonchai@sukhothaitextile.com", "062-987-6543", "CO-1023"},
	{"C-2024", "นางจิราพร มณีรัตน์", "", "", "jiraporn.m@chonautoparts.co.th", "081 777 6655", "CO-1024"},
	{"C-2025", "", "ดวงใจ", "คำดี", "duangjai@mhscoffee.co.th", "+66812000111", "CO-1025"},
	{"C-2026", "นายปกรณ์ ศักดิ์สิทธิ์", "", "", "pakorn.s@pathumelec.co.th", "098-765-4321", "CO-1026"},
	{"C-2027", "นางสาวศิริพร แสงอรุณ", "", "", "siriporn@kanchanatour.com", "096-234-5678", "CO-1027"},
	{"C-2028", "คุณ ธีรวัฒน์ เจริญสุข", "", "", "teerawat.c@trangbakery.co.th", "085-678-9012", "CO-1028"},
	{"C-2029", "นายไพโรจน์ วงศ์สวัสดิ์", "", "", "pairoj@saraburicement.co.th", "036-221-345", "CO-1029"},
	{"C-2030", "นางสาวเบญจวรรณ ดอกไม้", "", "", "benjawan.d@chiangraitea.co.th", "088-999-1234", "CO-1030"},
	// Two buyers from a marketplace export, without a company.
	{"C-2031", "นางสาวชุติมา ใจงาม", "", "", "chutima.j@gmail.com", "0897776655", ""},
	{"C-2032", "นายธนากร พรหมมา", "", "", "thanakorn.p@hotmail.com", "091-222-3344", ""},
}

// maskedPhoneCustomer has a phone masked by a marketplace, so its row fails
// rather than send a made-up number to HubSpot.
const maskedPhoneCustomer = "C-2033"

// Rows returns the demo's outbox rows in the order an ERP would write them:
// companies, customers, products, orders with their items, tickets. Two
// rows are bad on purpose: a company whose tax ID has a wrong check digit
// and a customer whose phone is masked.
func Rows() []Row {
	var rows []Row
	for _, c := range companies {
		rows = append(rows, Row{Entity: "company", ERPID: c.erpID, Op: "upsert", Payload: map[string]any{
			"name":    c.name,
			"domain":  c.domain,
			"website": "https://www." + c.domain,
			"tax_id":  groupTaxID(TaxID(c.year, c.seq)),
			"branch":  c.branch,
			"phone":   c.phone,
		}})
	}
	bad := TaxID(2550, 4321)
	bad = bad[:12] + string('0'+(bad[12]-'0'+1)%10)
	rows = append(rows, Row{Entity: "company", ERPID: badTaxIDCompany, Op: "upsert", Payload: map[string]any{
		"name":   "บริษัท ทดสอบเลขภาษีผิด จำกัด",
		"domain": "wrongtaxid.co.th",
		"tax_id": bad,
		"phone":  "02-999-0000",
	}})

	for _, c := range customers {
		p := map[string]any{
			"email":      c.email,
			"phone":      c.phone,
			"properties": map[string]any{"lifecyclestage": "customer"},
		}
		if c.name != "" {
			p["name"] = c.name
		} else {
			p["first_name"], p["last_name"] = c.first, c.last
		}
		if c.company != "" {
			p["company_id"] = c.company
		}
		rows = append(rows, Row{Entity: "customer", ERPID: c.erpID, Op: "upsert", Payload: p})
	}
	rows = append(rows, Row{Entity: "customer", ERPID: maskedPhoneCustomer, Op: "upsert", Payload: map[string]any{
		"name":  "คุณ มานพ (Shopee)",
		"email": "manop.shopee@example.com",
		"phone": "08x-xxx-5678",
	}})
	rows = append(rows, salesRows()...)
	for i := range rows {
		dropEmpty(rows[i].Payload)
	}
	return rows
}

// product is a made-up catalogue item, priced in baht.
type product struct {
	sku, name string
	price     float64
}

var products = []product{
	{"TEA-CR-250", "ชาอู่หลงเชียงราย 250 กรัม", 450},
	{"COF-MHS-500", "กาแฟคั่วกลางแม่ฮ่องสอน 500 กรัม", 380},
	{"RICE-HM-5", "ข้าวหอมมะลิอุบล 5 กิโลกรัม", 265},
	{"CER-LP-BOWL", "ชามเซรามิกลำปาง ลายไก่", 120},
	{"TEX-SKT-SILK", "ผ้าไหมทอมือสุโขทัย 2 เมตร", 1890},
	{"PKG-SR-BOX", "กล่องกระดาษลูกฟูก 100 ใบ", 1450.5},
}

// order is a made-up sales order; status is an ERP status mapped to a
// deal stage by [deals.stages].
type order struct {
	erpID, customer, company, name, status, closeDate string
	items                                             []item
}

type item struct {
	sku                       string
	quantity, price, discount float64
}

var orders = []order{
	{"SO-69001", "C-2030", "CO-1030", "ชาออร์แกนิก ล็อตธันวาคม", "won", "2026-11-20", []item{{"TEA-CR-250", 40, 450, 0}, {"PKG-SR-BOX", 2, 1450.5, 50}}},
	{"SO-69002", "C-2025", "CO-1025", "กาแฟคั่ว สั่งประจำเดือน", "quoted", "15/12/2569", []item{{"COF-MHS-500", 60, 380, 20}}},
	{"SO-69003", "C-2022", "CO-1022", "ข้าวหอมมะลิ ส่งโรงแรม", "new", "2027-01-10", []item{{"RICE-HM-5", 200, 265, 15}}},
	{"SO-69004", "C-2011", "CO-1011", "ชามเซรามิก งานเลี้ยงบริษัท", "paid", "2026-10-05", []item{{"CER-LP-BOWL", 300, 120, 0}, {"PKG-SR-BOX", 3, 1450.5, 0}}},
	{"SO-69005", "C-2023", "CO-1023", "ผ้าไหม ของขวัญปีใหม่", "contract", "2026-12-28", []item{{"TEX-SKT-SILK", 25, 1890, 190}}},
	{"SO-69006", "C-2031", "", "คำสั่งซื้อออนไลน์ #88231", "cancelled", "2026-11-02", []item{{"TEA-CR-250", 2, 450, 0}, {"COF-MHS-500", 1, 380, 0}}},
}

// ticket is a made-up support case; status maps to a ticket stage by
// [tickets.stages].
type ticket struct {
	erpID, customer, company, order, subject, status, priority string
}

var tickets = []ticket{
	{"TK-5001", "C-2030", "CO-1030", "SO-69001", "กล่องชาบุบระหว่างขนส่ง 3 กล่อง", "open", "HIGH"},
	{"TK-5002", "C-2025", "CO-1025", "SO-69002", "ขอใบกำกับภาษีเต็มรูป สาขาที่ 00000", "waiting_on_contact", "MEDIUM"},
	{"TK-5003", "C-2011", "CO-1011", "SO-69004", "ชามสีไม่ตรงตัวอย่าง", "resolved", "LOW"},
	{"TK-5004", "C-2031", "", "SO-69006", "ขอคืนเงินคำสั่งซื้อที่ยกเลิก", "in_progress", "URGENT"},
}

// salesRows returns the products, orders and tickets of the demo.
func salesRows() []Row {
	var rows []Row
	names := map[string]string{}
	for _, p := range products {
		names[p.sku] = p.name
		rows = append(rows, Row{Entity: "product", ERPID: p.sku, Op: "upsert", Payload: map[string]any{
			"sku": p.sku, "name": p.name, "price": p.price,
		}})
	}
	for _, o := range orders {
		var items []any
		for i, it := range o.items {
			items = append(items, map[string]any{
				"line_id": fmt.Sprint(i + 1), "sku": it.sku, "name": names[it.sku],
				"quantity": it.quantity, "unit_price": it.price, "discount": it.discount,
			})
		}
		rows = append(rows, Row{Entity: "order", ERPID: o.erpID, Op: "upsert", Payload: map[string]any{
			"customer_id": o.customer, "company_id": o.company, "name": o.name, "status": o.status,
			"currency": "THB", "close_date": o.closeDate, "items": items,
		}})
	}
	for _, t := range tickets {
		rows = append(rows, Row{Entity: "ticket", ERPID: t.erpID, Op: "upsert", Payload: map[string]any{
			"customer_id": t.customer, "company_id": t.company, "order_id": t.order,
			"subject": t.subject, "status": t.status, "priority": t.priority,
		}})
	}
	return rows
}

// TaxID returns a juristic-person tax ID registered in Bangkok ("0" + "10"),
// as a limited company ("5"), in Buddhist-era year beYear, with running
// number seq, and its mod-11 check digit.
func TaxID(beYear, seq int) string {
	s := fmt.Sprintf("0105%03d%05d", beYear%1000, seq%100000)
	return s + string(rune('0'+checkDigit(s)))
}

// checkDigit is the mod-11 check digit of a Thai 13-digit ID's first twelve
// digits: weights 13 down to 2, then (11 - sum mod 11) mod 10.
func checkDigit(first12 string) int {
	sum := 0
	for i := 0; i < 12; i++ {
		sum += int(first12[i]-'0') * (13 - i)
	}
	return (11 - sum%11) % 10
}

// groupTaxID writes some tax IDs grouped as people type them, so the demo
// shows that they are normalised.
func groupTaxID(id string) string {
	if id[11]%3 == 0 {
		return strings.Join([]string{id[:1], id[1:5], id[5:10], id[10:12], id[12:]}, "-")
	}
	return id
}

func dropEmpty(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if v == "" {
				delete(m, k)
			}
		case map[string]any:
			dropEmpty(v)
		}
	}
}
