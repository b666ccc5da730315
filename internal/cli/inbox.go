package cli

import (
	"context"
	"slices"

	"github.com/syncd/syncd/internal/config"
	"github.com/syncd/syncd/internal/daemon"
	"github.com/syncd/syncd/internal/engine"
	"github.com/syncd/syncd/internal/inbox"
	"github.com/syncd/syncd/internal/server"
	"github.com/syncd/syncd/internal/store"
)

// Inbox builds the inbox over the store, the HubSpot client (and so its
// governor) and the engine's HubSpot account; nil when inbox.enabled is
// off.
func (f *Factory) Inbox(ctx context.Context, eng *engine.Engine) (*inbox.Inbox, error) {
	cfg, err := f.Config()
	if err != nil || !cfg.Inbox.Enabled {
		return nil, err
	}
	c, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	return inbox.New(inbox.Options{
		Store: c.st, HubSpot: c.hs, Config: cfg.Inbox, ERPIDProperty: cfg.Sync.ERPIDProperty,
		Portal: eng.PortalID, Logger: c.log.WithField("job", "inbox"), Now: f.Now,
	})
}

// inboxJobs returns the daemon job of the inbox, none when it is off.
func inboxJobs(cfg *config.Config, in *inbox.Inbox) ([]daemon.Job, error) {
	if in == nil {
		return nil, nil
	}
	sched, err := config.CronParser.Parse(cfg.Inbox.Schedule)
	if err != nil {
		return nil, err
	}
	return []daemon.Job{{Name: "inbox", Schedule: sched, RunAtStart: true, Run: in.Run}}, nil
}

// inboxObjectTypes are the ID map's object types of inbox.objects.
func inboxObjectTypes(cfg config.Inbox) []string {
	var out []string
	for _, o := range cfg.Objects {
		if t, ok := inbox.MapType(o); ok {
			out = append(out, string(t))
		}
	}
	slices.Sort(out)
	return out
}

// inboxSection is the status page's part for the inbox: unconsumed rows
// and the watermark per object type.
func inboxSection(st *store.Store) server.Section {
	return server.Section{
		Name: "inbox",
		Template: `{{define "inbox"}}<section id="inbox"><h2>{{.T "inbox.title"}}</h2>
{{if .Data}}<table>
  <tr><th>{{.T "inbox.type"}}</th><th>{{.T "inbox.unconsumed"}}</th><th>{{.T "inbox.oldest"}}</th><th>{{.T "inbox.checked"}}</th><th>{{.T "inbox.until"}}</th></tr>
  {{range .Data}}<tr><td>{{.ObjectType}}</td><td class="n">{{.Unconsumed}}</td><td>{{with .Oldest}}{{$.Ago $.Now .}}{{else}}–{{end}}</td><td>{{with .CheckedAt}}{{$.Ago $.Now .}}{{else}}{{$.T "inbox.never"}}{{end}}</td><td>{{with .ModifiedUntil}}{{$.Time .}}{{else}}–{{end}}</td></tr>{{end}}
</table>
<p class="help">{{.T "inbox.help"}}</p>{{else}}<p class="muted">{{.T "inbox.none"}}</p>{{end}}</section>{{end}}`,
		Messages: server.Messages{
			server.English: {
				"inbox.title": "Changes from HubSpot (inbox)", "inbox.type": "Object type", "inbox.unconsumed": "Not consumed",
				"inbox.oldest": "Oldest not consumed", "inbox.checked": "Last complete read", "inbox.until": "Changes read up to (HubSpot's time)",
				"inbox.never": "never", "inbox.none": "No inbox cycle has run yet.",
				"inbox.help": "Rows of table inbox the ERP has not set consumed_at on; changes older than the last complete read, less HubSpot's search lag, are in the inbox.",
			},
			server.Thai: {
				"inbox.title": "การเปลี่ยนแปลงจาก HubSpot (inbox)", "inbox.type": "ประเภทออบเจ็กต์", "inbox.unconsumed": "ยังไม่ได้รับ",
				"inbox.oldest": "รายการเก่าที่สุดที่ยังไม่ได้รับ", "inbox.checked": "อ่านครบครั้งล่าสุด", "inbox.until": "อ่านการเปลี่ยนแปลงถึง (เวลาของ HubSpot)",
				"inbox.never": "ยังไม่เคย", "inbox.none": "ยังไม่มีรอบ inbox ทำงาน",
				"inbox.help": "แถวในตาราง inbox ที่ ERP ยังไม่ได้ตั้งค่า consumed_at; การเปลี่ยนแปลงที่เก่ากว่าการอ่านครบครั้งล่าสุด (ลบด้วยความล่าช้าของการค้นหาของ HubSpot) อยู่ใน inbox แล้ว",
			},
		},
		Load: func(ctx context.Context) (any, error) { return st.InboxBacklogs(ctx) },
	}
}
