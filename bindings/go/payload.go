package quiver

/*
#include <quiver.h>
*/
import "C"

import (
	"encoding/json"
	"runtime"
)

// Selection picks the points a payload operation (SetPayload,
// OverwritePayload, DeletePayloadKeys, ClearPayload) applies to: the
// points with some ids (IDs) or those matching a filter (Where). The zero
// value selects no point.
type Selection struct {
	ids    []uint64
	filter string
	where  bool
}

// IDs selects the points with the given ids; ids that do not exist are
// ignored. The slice is read by the operation, not copied before.
func IDs(ids ...uint64) Selection { return Selection{ids: ids} }

// Where selects the points matching filter, JSON text as for
// SearchOptions.Filter (a Filter's String, or written by hand). An empty
// filter is refused with ErrInvalidArgument rather than taken as "every
// point"; to select every point, say so: Where(quiver.And().String()).
func Where(filter string) Selection { return Selection{filter: filter, where: true} }

// The payload operations of qv_collection_update_payload.
const (
	payloadSet        = C.QV_PAYLOAD_SET
	payloadOverwrite  = C.QV_PAYLOAD_OVERWRITE
	payloadDeleteKeys = C.QV_PAYLOAD_DELETE_KEYS
	payloadClear      = C.QV_PAYLOAD_CLEAR
)

// SetPayload sets the keys of payload (a JSON object: a map or struct
// marshalled with encoding/json, or JSON text as []byte or
// json.RawMessage) in the payloads of the selected points, keeping their
// other keys; a point without a payload gets payload. A changed payload is
// rewritten with its keys in sorted order. It returns how many points the
// operation applied to: every selected point that exists, whether or not
// its payload changed (one that would not change is not rewritten). The whole call is one atomic, durable write that
// leaves vectors alone; on any error nothing changes.
// Errors: ErrInvalidArgument (payload nil or not a JSON object, bad
// filter, Where("")), ErrClosed, ErrReadOnly, ErrOutOfMemory, ErrIO.
func (c *Collection) SetPayload(sel Selection, payload any) (int, error) {
	js, err := objectArg("SetPayload", payload)
	if err != nil {
		return 0, err
	}
	return c.updatePayload("SetPayload", payloadSet, sel, js)
}

// objectArg is the JSON text of the payload argument of SetPayload or
// OverwritePayload; no payload (nil, empty text) is refused here, with a
// clearer message than the library's "not valid JSON".
func objectArg(what string, payload any) ([]byte, error) {
	js, err := payloadJSON(payload)
	if err != nil {
		return nil, errorf(CodeInvalidArgument, "%s: payload: %v", what, err)
	}
	if len(js) == 0 {
		return nil, errorf(CodeInvalidArgument, "%s: no payload; it takes a JSON object (ClearPayload removes payloads)", what)
	}
	return js, nil
}

// OverwritePayload replaces the payloads of the selected points with
// payload (a JSON object, given as for SetPayload), kept byte for byte
// when it is JSON text. It returns how many points the operation applied
// to. Atomic and durable as SetPayload; errors as SetPayload.
func (c *Collection) OverwritePayload(sel Selection, payload any) (int, error) {
	js, err := objectArg("OverwritePayload", payload)
	if err != nil {
		return 0, err
	}
	return c.updatePayload("OverwritePayload", payloadOverwrite, sel, js)
}

// DeletePayloadKeys removes the fields at the given paths ("a.b",
// "tags[].name"; absent ones are ignored) from the payloads of the selected
// points. It returns how many points the operation applied to. Atomic and
// durable as SetPayload. Errors: ErrInvalidArgument (a bad path, bad
// filter), and as SetPayload.
func (c *Collection) DeletePayloadKeys(sel Selection, keys ...string) (int, error) {
	if keys == nil {
		keys = []string{}
	}
	js, _ := json.Marshal(keys) // strings always marshal
	return c.updatePayload("DeletePayloadKeys", payloadDeleteKeys, sel, js)
}

// ClearPayload removes the payloads of the selected points (their vectors
// stay). It returns how many points the operation applied to. Atomic and
// durable as SetPayload; errors as SetPayload.
func (c *Collection) ClearPayload(sel Selection) (int, error) {
	return c.updatePayload("ClearPayload", payloadClear, sel, nil)
}

func (c *Collection) updatePayload(what string, op C.uint32_t, sel Selection, arg []byte) (int, error) {
	if sel.where && sel.filter == "" {
		return 0, errorf(CodeInvalidArgument, "%s: Where with an empty filter (to select every point, pass `{\"and\": []}`)", what)
	}
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var applied C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_update_payload(ptr, op, idsPtr(sel.ids), C.size_t(len(sel.ids)),
		stringPtr(sel.filter), C.size_t(len(sel.filter)), bytesPtr(arg), C.size_t(len(arg)), &applied, &cerr)
	runtime.KeepAlive(sel.ids)
	runtime.KeepAlive(sel.filter)
	runtime.KeepAlive(arg)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(applied), nil
}

// DeleteWhere deletes every point matching filter (JSON text as for
// SearchOptions.Filter; required: "" is refused) and returns how many there
// were. One atomic, durable write. Errors: ErrInvalidArgument (empty or bad
// filter), ErrClosed, ErrReadOnly, ErrIO.
func (c *Collection) DeleteWhere(filter string) (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var deleted C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_delete_where(ptr, stringPtr(filter), C.size_t(len(filter)), &deleted, &cerr)
	runtime.KeepAlive(filter)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(deleted), nil
}

// CountWhere counts, exactly, the points matching filter (JSON text as for
// SearchOptions.Filter; "" = all points), using the field indexes where
// they answer. It sees each write whole or not at all. Errors:
// ErrInvalidArgument (bad filter), ErrClosed.
func (c *Collection) CountWhere(filter string) (int, error) {
	ptr, err := c.acquire()
	if err != nil {
		return 0, err
	}
	defer c.release()
	var n C.uint64_t
	var cerr *C.qv_error
	rc := C.qv_collection_count_where(ptr, stringPtr(filter), C.size_t(len(filter)), &n, &cerr)
	runtime.KeepAlive(filter)
	if rc != C.QV_OK {
		return 0, takeError(rc, cerr)
	}
	return int(n), nil
}
