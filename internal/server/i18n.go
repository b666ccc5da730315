package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/text/language"
)

// Lang is a language the status page speaks.
type Lang string

// The status page's languages; English is the fallback.
const (
	English Lang = "en"
	Thai    Lang = "th"
)

// Messages are labels by language and key. A key missing in a language
// falls back to English, then to the key itself.
type Messages map[Lang]map[string]string

// langCookie remembers the language chosen with the switch.
const langCookie = "syncd_lang"

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Thai})

// pickLang chooses the page's language: ?lang= (which the switch links
// set, and which is then remembered in a cookie), else the cookie, else
// the browser's Accept-Language, else English.
func pickLang(w http.ResponseWriter, r *http.Request) Lang {
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := parseLang(c.Value); ok {
			return l
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) == 0 {
		return English
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return []Lang{English, Thai}[i]
}

func parseLang(s string) (Lang, bool) {
	switch Lang(s) {
	case English, Thai:
		return Lang(s), true
	}
	return "", false
}

// translator looks labels up in the page's messages.
type translator struct {
	lang Lang
	msgs Messages
}

// T returns the label key in the page's language.
func (t translator) T(key string) string {
	if s, ok := t.msgs[t.lang][key]; ok {
		return s
	}
	if s, ok := t.msgs[English][key]; ok {
		return s
	}
	return key
}

// Tf is T with fmt.Sprintf's arguments.
func (t translator) Tf(key string, args ...any) string { return fmt.Sprintf(t.T(key), args...) }

// Ago says how long before now t was, in words: "3 min ago".
func (t translator) Ago(now, at time.Time) string {
	d := max(now.Sub(at), 0)
	switch {
	case d < time.Minute:
		return t.Tf("ago.s", int(d.Seconds()))
	case d < time.Hour:
		return t.Tf("ago.m", int(d.Minutes()))
	case d < 48*time.Hour:
		return t.Tf("ago.h", int(d.Hours()))
	}
	return t.Tf("ago.d", int(d.Hours()/24))
}

// Since says how long a duration is, in words: "3 min".
func (t translator) Since(d time.Duration) string {
	switch {
	case d < time.Minute:
		// Tenths of a second: most cycles take less than one.
		return t.Tf("dur.s", strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', -1, 64))
	case d < time.Hour:
		return t.Tf("dur.m", int(d.Minutes()))
	case d < 48*time.Hour:
		return t.Tf("dur.h", int(d.Hours()))
	}
	return t.Tf("dur.d", int(d.Hours()/24))
}

// merge adds more's labels to m, which it returns.
func (m Messages) merge(more Messages) Messages {
	for l, keys := range more {
		if m[l] == nil {
			m[l] = map[string]string{}
		}
		for k, v := range keys {
			m[l][k] = v
		}
	}
	return m
}

// pageMessages are the built-in sections' labels.
func pageMessages() Messages {
	return Messages{
		English: {
			"title":            "syncd status",
			"lang.switch":      "ภาษาไทย",
			"refresh":          "Refresh",
			"logout":           "Log out",
			"version":          "version",
			"ready":            "Ready",
			"notready":         "Not ready",
			"stopping":         "Stopping",
			"as_of":            "As of",
			"budget":           "HubSpot rate budget",
			"budget.window":    "Calls left in the %s window: %d of %d",
			"budget.daily":     "Calls today (whole account): %d of %d; %d left to other integrations",
			"budget.daily.unk": "Calls today: not reported yet; allowance %d",
			"budget.spent":     "syncd's share of today's allowance is spent; syncing resumes at %s",
			"backlog":          "Outbox by entity",
			"entity":           "Entity",
			"total":            "Total",
			"waiting":          "Waiting",
			"warned":           "Warned",
			"in_progress":      "In progress",
			"oldest_pending":   "Oldest pending",
			"retry":            "Retry",
			"retry.entity":     "Retry failed and dead",
			"retry.row":        "Retry",
			"no_rows":          "None.",
			"runs":             "Last runs",
			"run.started":      "Started",
			"run.took":         "Took",
			"run.running":      "running",
			"run.rows":         "Rows",
			"run.created":      "Created",
			"run.updated":      "Updated",
			"run.unchanged":    "Unchanged",
			"run.failed":       "Failed",
			"run.dead":         "Dead",
			"run.error":        "Error",
			"failed_rows":      "Failed and dead rows",
			"failed_rows.help": "Fix what the reason says (in the ERP, or with syncd setup), then retry. A row the ERP writes again for the same key replaces the failed one.",
			"waiting_rows":     "Rows waiting for another row",
			"warned_rows":      "Rows done with warnings",
			"shown":            "newest %d of %d",
			"col.id":           "Row",
			"col.entity":       "Entity",
			"col.key":          "ERP key",
			"col.op":           "Op",
			"col.state":        "State",
			"col.attempts":     "Attempts",
			"col.next":         "Next attempt",
			"col.reason":       "Reason",
			"col.waits_for":    "Waits for",
			"col.warnings":     "Warnings",
			"col.written":      "Written",
			"lookup":           "Find an ERP key in HubSpot",
			"lookup.key":       "ERP key",
			"lookup.entity":    "Entity",
			"lookup.any":       "any",
			"lookup.go":        "Find",
			"lookup.none":      "%q is not in the ID map: syncd has not written it to HubSpot.",
			"lookup.record":    "HubSpot record",
			"lookup.type":      "Object",
			"lookup.portal":    "Account",
			"lookup.open":      "Open in HubSpot",
			"lookup.synced":    "Last synced",
			"lookup.archived":  "archived",
			"lookup.row":       "Newest outbox row",
			"flash.requeued":   "Requeued %d row(s); the running syncd syncs them at once.",
			"flash.skipped":    "%d row(s) left alone: a newer row of the same key exists, or a cycle holds them now.",
			"flash.nothing":    "Nothing to requeue.",
			"login":            "Log in",
			"login.help":       "This page answers beyond this machine only with the access token (SYNCD_HTTP_TOKEN or http.token_file).",
			"login.token":      "Access token",
			"login.wrong":      "That is not the access token.",
			"state.pending":    "pending",
			"state.failed":     "failed",
			"state.dead":       "dead",
			"state.done":       "done",
			"state.superseded": "superseded",
			"entity.customer":  "customer",
			"entity.company":   "company",
			"entity.product":   "product",
			"entity.order":     "order",
			"entity.ticket":    "ticket",
			"ago.s":            "%d s ago",
			"ago.m":            "%d min ago",
			"ago.h":            "%d h ago",
			"ago.d":            "%d days ago",
			"dur.s":            "%s s",
			"dur.m":            "%d min",
			"dur.h":            "%d h",
			"dur.d":            "%d days",
		},
		Thai: {
			"title":            "สถานะ syncd",
			"lang.switch":      "English",
			"refresh":          "รีเฟรช",
			"logout":           "ออกจากระบบ",
			"version":          "รุ่น",
			"ready":            "พร้อมทำงาน",
			"notready":         "ยังไม่พร้อม",
			"stopping":         "กำลังหยุด",
			"as_of":            "ข้อมูล ณ",
			"budget":           "โควตาการเรียก HubSpot",
			"budget.window":    "เรียกได้อีกในช่วง %s: %d จาก %d ครั้ง",
			"budget.daily":     "เรียกไปแล้ววันนี้ (ทั้งบัญชี): %d จาก %d ครั้ง เว้นไว้ให้ระบบอื่น %d ครั้ง",
			"budget.daily.unk": "เรียกไปแล้ววันนี้: ยังไม่ทราบ โควตา %d ครั้ง",
			"budget.spent":     "โควตาของ syncd วันนี้หมดแล้ว จะซิงก์ต่อเมื่อ %s",
			"backlog":          "รายการในคิวตามประเภทข้อมูล",
			"entity":           "ประเภท",
			"total":            "รวม",
			"waiting":          "รอรายการอื่น",
			"warned":           "มีคำเตือน",
			"in_progress":      "กำลังทำ",
			"oldest_pending":   "รอนานที่สุด",
			"retry":            "ลองใหม่",
			"retry.entity":     "ลองใหม่ทั้งที่ล้มเหลว",
			"retry.row":        "ลองใหม่",
			"no_rows":          "ไม่มี",
			"runs":             "รอบการซิงก์ล่าสุด",
			"run.started":      "เริ่ม",
			"run.took":         "ใช้เวลา",
			"run.running":      "กำลังทำงาน",
			"run.rows":         "รายการ",
			"run.created":      "สร้างใหม่",
			"run.updated":      "อัปเดต",
			"run.unchanged":    "ไม่เปลี่ยน",
			"run.failed":       "ล้มเหลว",
			"run.dead":         "เลิกลอง",
			"run.error":        "ข้อผิดพลาด",
			"failed_rows":      "รายการที่ล้มเหลว",
			"failed_rows.help": "แก้ตามสาเหตุที่แจ้ง (ในระบบ ERP หรือด้วย syncd setup) แล้วกดลองใหม่ ถ้า ERP ส่งรายการของคีย์เดิมมาใหม่ รายการใหม่จะแทนที่รายการที่ล้มเหลว",
			"waiting_rows":     "รายการที่รอรายการอื่น",
			"warned_rows":      "รายการที่เสร็จแล้วแต่มีคำเตือน",
			"shown":            "ล่าสุด %d จาก %d",
			"col.id":           "รายการ",
			"col.entity":       "ประเภท",
			"col.key":          "รหัสใน ERP",
			"col.op":           "คำสั่ง",
			"col.state":        "สถานะ",
			"col.attempts":     "ลองแล้ว",
			"col.next":         "ลองครั้งถัดไป",
			"col.reason":       "สาเหตุ",
			"col.waits_for":    "รอ",
			"col.warnings":     "คำเตือน",
			"col.written":      "บันทึกเมื่อ",
			"lookup":           "ค้นหารหัส ERP ใน HubSpot",
			"lookup.key":       "รหัสใน ERP",
			"lookup.entity":    "ประเภท",
			"lookup.any":       "ทุกประเภท",
			"lookup.go":        "ค้นหา",
			"lookup.none":      "ไม่พบ %q ในตารางจับคู่รหัส: syncd ยังไม่ได้ส่งไป HubSpot",
			"lookup.record":    "ข้อมูลใน HubSpot",
			"lookup.type":      "ชนิด",
			"lookup.portal":    "บัญชี",
			"lookup.open":      "เปิดใน HubSpot",
			"lookup.synced":    "ซิงก์ล่าสุด",
			"lookup.archived":  "เก็บถาวรแล้ว",
			"lookup.row":       "รายการล่าสุดในคิว",
			"flash.requeued":   "ส่งกลับเข้าคิวแล้ว %d รายการ syncd จะซิงก์ทันที",
			"flash.skipped":    "ข้ามไป %d รายการ: มีรายการใหม่กว่าของคีย์เดียวกัน หรือกำลังซิงก์อยู่",
			"flash.nothing":    "ไม่มีรายการให้ส่งกลับเข้าคิว",
			"login":            "เข้าสู่ระบบ",
			"login.help":       "หน้านี้เปิดจากเครื่องอื่นได้เมื่อใส่โทเคนเข้าถึง (SYNCD_HTTP_TOKEN หรือ http.token_file) เท่านั้น",
			"login.token":      "โทเคนเข้าถึง",
			"login.wrong":      "โทเคนไม่ถูกต้อง",
			"state.pending":    "รอส่ง",
			"state.failed":     "ล้มเหลว (จะลองใหม่)",
			"state.dead":       "เลิกลองแล้ว",
			"state.done":       "เสร็จแล้ว",
			"state.superseded": "ถูกแทนที่",
			"entity.customer":  "ลูกค้า",
			"entity.company":   "บริษัท",
			"entity.product":   "สินค้า",
			"entity.order":     "คำสั่งซื้อ",
			"entity.ticket":    "เรื่องแจ้ง",
			"ago.s":            "%d วินาทีที่แล้ว",
			"ago.m":            "%d นาทีที่แล้ว",
			"ago.h":            "%d ชั่วโมงที่แล้ว",
			"ago.d":            "%d วันที่แล้ว",
			"dur.s":            "%s วินาที",
			"dur.m":            "%d นาที",
			"dur.h":            "%d ชั่วโมง",
			"dur.d":            "%d วัน",
		},
	}
}
