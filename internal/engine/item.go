package engine

import (
	"fmt"
	"strconv"

	"github.com/syncd/syncd/internal/outbox"
	"github.com/syncd/syncd/internal/store"
)

// outcome is what happened to an item.
type outcome int

const (
	pending outcome = iota
	created
	updated
	unchanged
	deleted
	failed
	// waiting: a record the item references has an open outbox row that
	// must be synced first (see waitFor).
	waiting
)

// item is one key of the cycle: the newest row and the older rows it
// supersedes.
type item struct {
	row   store.Row
	older []int64
	rec   *outbox.Record

	// props are the desired HubSpot properties, the ERP-ID property
	// included; set by syncObjects.
	props map[string]string
	// t is the object type of the item's record, set by syncObjects.
	t *objType
	// mapping is the ID map row, when there is a live one.
	mapping *store.Mapping
	// hubspotID is the record's ID once resolved or written.
	hubspotID string
	// current are the record's values in HubSpot when found by a read or
	// search (not for mapped records).
	current map[string]string
	// changes are the properties an update sends: those of props that
	// differ from what HubSpot holds, or from what syncd last wrote.
	changes map[string]string
	// before are the values changes replace: the last synced ones (a
	// mapped record) or HubSpot's (a record found by a read or search).
	before map[string]string
	// synced are the values to record as last synced.
	synced map[string]string

	outcome   outcome
	err       string
	transient bool
	// waitFor is the outbox row the item waits for when it is waiting.
	waitFor int64
	// warnings are kept on the row when it is done: fields its record is
	// written without (sync.invalid_field = "skip"), repaired values, and
	// values HubSpot kept under [conflicts] hubspot_wins.
	warnings []string
	// gone marks a mapped record HubSpot no longer has.
	gone bool

	// extraMappings are further ID map rows recorded with this item (line
	// items of an order).
	extraMappings []store.Mapping
	// associations made for this item, recorded with it.
	associations []store.Association
	// unassociated are recorded associations removed for this item.
	unassociated []store.Association
}

// fail marks the item failed for a data reason; msg is stored as the
// row's last_error, prefixed with the row id, entity and key.
func (it *item) fail(format string, args ...any) { it.failed(false, fmt.Sprintf(format, args...)) }

// retryLater marks the item failed for a reason that is not its data.
func (it *item) retryLater(format string, args ...any) { it.failed(true, fmt.Sprintf(format, args...)) }

// failed marks the item failed with msg, unless it failed or waits
// already: the first reason is the one the row keeps.
func (it *item) failed(transient bool, msg string) {
	if !it.ok() {
		return
	}
	it.outcome, it.transient, it.err = failed, transient, it.prefix()+msg
}

func (it *item) prefix() string {
	return fmt.Sprintf("outbox row %d: %s %s: ", it.row.ID, it.row.Entity, it.row.ERPID)
}

func (it *item) ok() bool { return it.outcome != failed && it.outcome != waiting }

// traceID is the objectWriteTraceId of the item's writes: its row id.
func (it *item) traceID() string { return strconv.FormatInt(it.row.ID, 10) }
