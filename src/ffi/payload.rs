//! Payload operations, delete and count by filter, scroll of points with an
//! order and a cursor, and the search planner's explanation.

use super::points::{filter_arg, qv_points};
use super::search::params_arg;
use super::strings::qv_strings;
use super::{
    check_reserved, flag, guard, handle, invalid, object_out, option_struct, out, qv_collection,
    qv_error, slice, try_reserve, try_vec, utf8, FfiResult,
};
use crate::collection::{PayloadChange, Selection};
use crate::point::{Cursor, OrderBy, ScrollRequest};
use serde_json::Value;
use std::ffi::{c_char, CString};
use std::mem::MaybeUninit;

/// Payload operation: set the keys of a JSON object (the others stay).
pub const QV_PAYLOAD_SET: u32 = 1;
/// Payload operation: replace the payload with a JSON object.
pub const QV_PAYLOAD_OVERWRITE: u32 = 2;
/// Payload operation: remove the fields at a JSON array of paths.
pub const QV_PAYLOAD_DELETE_KEYS: u32 = 3;
/// Payload operation: remove the payload.
pub const QV_PAYLOAD_CLEAR: u32 = 4;

/// Changes the payloads of some points without touching their vectors.
/// `op` is one of `QV_PAYLOAD_*`; `arg_json` (`arg_len` bytes of UTF-8
/// JSON) is its argument: for SET the object whose keys are set (the
/// payload is then rewritten with its keys in sorted order; a point without
/// payload gets one), for OVERWRITE the new payload object (kept byte for
/// byte; `null` clears), for DELETE_KEYS an array of field paths such as
/// `["a.b", "tags[].name"]` (absent ones are ignored), for CLEAR nothing
/// (`arg_len` 0).
///
/// The points are either the `n_ids` ids in `ids` (those that exist;
/// `n_ids` 0 selects none), or, when `filter_len` is not 0, those matching
/// the filter `filter_json` (then `n_ids` must be 0; `{"and": []}` selects
/// every point). `*applied` (if not NULL) receives how many points were
/// selected, whether or not their payload changed. The changed points,
/// with their vectors, must fit in one write of 1 GiB (about 650,000
/// points of 384 floats; QV_ERR_INVALID_ARGUMENT otherwise, nothing
/// changed). The whole call is one atomic, durable
/// write (an upsert of the changed points); a point whose payload would
/// not change is not rewritten. On any error nothing changes. Nothing is
/// retained after the call returns.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer with a non-zero
/// length, unknown `op`, ids and a filter both given, a bad filter, an
/// argument that is not what `op` takes), QV_ERR_CLOSED, QV_ERR_READ_ONLY,
/// QV_ERR_OUT_OF_MEMORY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; it runs alone
/// among the writes to the collection (from reading the points to applying
/// its write), so no concurrent write is lost or half-seen.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn qv_collection_update_payload(
    coll: Option<&qv_collection>,
    op: u32,
    ids: *const u64,
    n_ids: usize,
    filter_json: *const u8,
    filter_len: usize,
    arg_json: *const u8,
    arg_len: usize,
    applied: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise about each buffer and its length.
        let filter = unsafe { filter_arg(filter_json, filter_len, "filter_json", "filter_len") }?;
        let selection = match filter {
            Some(f) => {
                if n_ids != 0 {
                    return Err(invalid(
                        "both n_ids and filter_len are non-zero: select the points by ids or by a filter, not both",
                    ));
                }
                Selection::Filter(f)
            }
            // SAFETY: as above.
            None => Selection::Ids(unsafe { slice(ids, n_ids, "ids", "n_ids") }?.to_vec()),
        };
        // SAFETY: as above.
        let arg = unsafe { slice(arg_json, arg_len, "arg_json", "arg_len") }?;
        let parsed = || -> FfiResult<Value> {
            if arg.is_empty() {
                return Err(invalid(
                    "arg_len is 0; SET takes a JSON object and DELETE_KEYS a JSON array of field paths",
                ));
            }
            serde_json::from_slice(arg)
                .map_err(|e| invalid(format!("arg_json is not valid JSON: {e}")))
        };
        let value;
        let keys: Vec<String>;
        let key_refs: Vec<&str>;
        let change = match op {
            QV_PAYLOAD_SET => {
                value = parsed()?;
                PayloadChange::Set(&value)
            }
            QV_PAYLOAD_OVERWRITE => PayloadChange::OverwriteJson(arg),
            QV_PAYLOAD_DELETE_KEYS => {
                keys = match parsed()? {
                    Value::Array(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, k)| match k {
                            Value::String(s) => Ok(s),
                            other => Err(invalid(format!(
                                "arg_json[{i}] is {other}; DELETE_KEYS takes an array of field path strings"
                            ))),
                        })
                        .collect::<FfiResult<_>>()?,
                    _ => {
                        return Err(invalid(
                            "arg_json: DELETE_KEYS takes a JSON array of field paths, such as [\"a.b\"]",
                        ))
                    }
                };
                key_refs = keys.iter().map(String::as_str).collect();
                PayloadChange::DeleteKeys(&key_refs)
            }
            QV_PAYLOAD_CLEAR => {
                if arg_len != 0 {
                    return Err(invalid("arg_len is not 0; CLEAR takes no argument"));
                }
                PayloadChange::Clear
            }
            other => {
                return Err(invalid(format!(
                    "op is {other}; it must be QV_PAYLOAD_SET (1), QV_PAYLOAD_OVERWRITE (2), QV_PAYLOAD_DELETE_KEYS (3) or QV_PAYLOAD_CLEAR (4)"
                )))
            }
        };
        let n = h.with(|c| Ok(c.update_payload(&selection, change)?))?;
        if let Some(a) = applied {
            a.write(n as u64);
        }
        Ok(())
    })
}

/// Deletes every point matching the filter `filter_json` (`filter_len`
/// bytes of UTF-8 JSON, required); `*deleted` (if not NULL) receives how
/// many there were. One atomic, durable write.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, empty or bad
/// filter), QV_ERR_CLOSED, QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: as `qv_collection_update_payload`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_delete_where(
    coll: Option<&qv_collection>,
    filter_json: *const u8,
    filter_len: usize,
    deleted: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: `filter_json` holds `filter_len` bytes (the caller's promise).
        let filter = unsafe { filter_arg(filter_json, filter_len, "filter_json", "filter_len") }?
            .ok_or_else(|| {
                invalid("filter_len is 0: a delete by filter needs a filter (to delete everything, drop the collection)")
            })?;
        let n = h.with(|c| Ok(c.delete_where(&filter)?))?;
        if let Some(d) = deleted {
            d.write(n as u64);
        }
        Ok(())
    })
}

/// Counts, exactly, the points matching the filter `filter_json`
/// (`filter_len` bytes; NULL/0 = all points) into `*count`, using the field
/// indexes where they answer.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad filter),
/// QV_ERR_CLOSED.
///
/// Thread safety: safe to call concurrently with any call; sees each write
/// whole or not at all.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_count_where(
    coll: Option<&qv_collection>,
    filter_json: *const u8,
    filter_len: usize,
    count: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let count = out(count, "count")?;
        let h = handle(coll, "coll")?;
        // SAFETY: `filter_json` holds `filter_len` bytes (the caller's promise).
        let filter = unsafe { filter_arg(filter_json, filter_len, "filter_json", "filter_len") }?;
        let n = h.with(|c| Ok(c.count_where(filter.as_ref())?))?;
        count.write(n as u64);
        Ok(())
    })
}

/// Parameters of `qv_collection_scroll_points`; initialise with
/// `qv_scroll_params_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_scroll_params {
    /// `sizeof(qv_scroll_params)`, set by the init function.
    pub struct_size: u32,
    /// Points per page, at least 1. Default 100.
    pub limit: u32,
    /// 1 = return vectors, 0 = not (default).
    pub with_vectors: u32,
    /// 1 = return payloads (default), 0 = not.
    pub with_payload: u32,
    /// 1 = largest values first (with `order_by`), 0 = smallest first
    /// (default).
    pub descending: u32,
    /// Reserved: must be 0.
    pub reserved: u32,
    /// Optional filter, UTF-8 JSON (`filter_len` bytes); NULL/0 = all.
    pub filter_json: *const u8,
    /// Bytes in `filter_json`.
    pub filter_len: u64,
    /// Optional field to order by (`order_by_len` bytes of UTF-8): it must
    /// have an integer, float or datetime index. NULL/0 = by ascending id.
    pub order_by: *const u8,
    /// Bytes in `order_by`.
    pub order_by_len: u64,
    /// Where to go on: the text `qv_points_next_cursor` gave for the
    /// previous page (`cursor_len` bytes); NULL/0 = the first page.
    pub cursor: *const u8,
    /// Bytes in `cursor`.
    pub cursor_len: u64,
}

/// Fills `*params` with the defaults (limit 100, payloads without vectors,
/// no filter, by id, first page) and its `struct_size`. Does nothing when
/// NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_scroll_params_init(params: Option<&mut MaybeUninit<qv_scroll_params>>) {
    if let Some(p) = params {
        p.write(qv_scroll_params {
            struct_size: std::mem::size_of::<qv_scroll_params>() as u32,
            limit: 100,
            with_vectors: 0,
            with_payload: 1,
            descending: 0,
            reserved: 0,
            filter_json: std::ptr::null(),
            filter_len: 0,
            order_by: std::ptr::null(),
            order_by_len: 0,
            cursor: std::ptr::null(),
            cursor_len: 0,
        });
    }
}

fn len_of(v: u64, name: &str) -> FfiResult<usize> {
    usize::try_from(v)
        .map_err(|_| invalid(format!("{name} is {v}: more bytes than memory can hold")))
}

/// Reads one page of points: those matching `params->filter_json`, by
/// ascending id or, with `params->order_by`, by the values of that indexed
/// integer, float or datetime field (a point by its smallest value, its
/// largest when descending; ties by ascending id; points without a value of
/// the index's kind are not returned), starting at `params->cursor`. On
/// success `*out` receives a `qv_points` owned by the caller (free it with
/// `qv_points_free`), read with `qv_points_get_view` (every `found` is 1;
/// without `with_vectors` the view's `dimension` is 0 and `vectors` NULL)
/// and `qv_points_next_cursor`; on failure NULL.
///
/// Each page is read at once: a point that exists and keeps its sort value
/// during a whole scroll is returned exactly once, whatever is written
/// meanwhile. Pass the next cursor back with the same parameters
/// otherwise (a cursor names its order: one given to a scroll of another
/// order, or by id, is refused). `descending` is 1 only with `order_by`.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, limit 0, bad
/// filter, an `order_by` field without an integer, float or datetime
/// index, a cursor no scroll of this kind returned, a flag not 0 or 1),
/// QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any call.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_scroll_points(
    coll: Option<&qv_collection>,
    params: *const qv_scroll_params,
    out: Option<&mut MaybeUninit<*mut qv_points>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise about `params` and its buffers.
        let p = unsafe { option_struct(params, "params", "qv_scroll_params") }?
            .ok_or_else(|| invalid("params is NULL"))?;
        check_reserved(p.reserved, "params.reserved")?;
        // SAFETY: as above.
        let filter = unsafe {
            filter_arg(
                p.filter_json,
                len_of(p.filter_len, "params.filter_len")?,
                "params.filter_json",
                "params.filter_len",
            )
        }?;
        let order_len = len_of(p.order_by_len, "params.order_by_len")?;
        let descending = flag(p.descending, "params.descending")?;
        if descending && order_len == 0 {
            return Err(invalid(
                "params.descending is 1 without params.order_by: a scroll by id is ascending",
            ));
        }
        let order_by = if order_len == 0 {
            None
        } else {
            // SAFETY: as above.
            let field = unsafe {
                utf8(
                    p.order_by,
                    order_len,
                    "params.order_by",
                    "params.order_by_len",
                )
            }?;
            Some(OrderBy {
                field: field.to_owned(),
                descending,
            })
        };
        let cursor_len = len_of(p.cursor_len, "params.cursor_len")?;
        let cursor = if cursor_len == 0 {
            None
        } else {
            // SAFETY: as above.
            let text = unsafe { utf8(p.cursor, cursor_len, "params.cursor", "params.cursor_len") }?;
            Some(
                Cursor::decode(text)
                    .map_err(|e| invalid(format!("params.{}", e.bare_message())))?,
            )
        };
        if p.limit == 0 {
            return Err(invalid("params.limit is 0; it must be at least 1"));
        }
        let req = ScrollRequest {
            filter,
            limit: p.limit as usize,
            cursor,
            order_by,
            with_vectors: flag(p.with_vectors, "params.with_vectors")?,
            with_payload: flag(p.with_payload, "params.with_payload")?,
        };
        let points = h.with(|c| {
            // Without vectors, the page's view has dimension 0 and no vectors.
            let dim = if req.with_vectors {
                c.config().dimension
            } else {
                0
            };
            let page = c.scroll_points(&req)?;
            let n = page.points.len();
            let mut r = qv_points {
                dimension: dim as u64,
                ids: try_vec(n, "the ids of the page")?,
                found: try_vec(n, "the found flags of the page")?,
                vectors: try_vec(n * dim, "the vectors of the page")?,
                payload_offsets: try_vec(n + 1, "the payload offsets of the page")?,
                payload_data: Vec::new(),
                cursor: page
                    .next
                    .map(|c| CString::new(c.encode()).expect("a cursor has no NUL")),
            };
            let bytes = page
                .points
                .iter()
                .filter_map(|p| p.payload.as_ref())
                .map(Vec::len)
                .sum();
            try_reserve(&mut r.payload_data, bytes, "the payloads of the page")?;
            r.payload_offsets.push(0);
            for pt in &page.points {
                r.ids.push(pt.id);
                r.found.push(1);
                r.vectors.extend_from_slice(&pt.vector);
                if let Some(b) = &pt.payload {
                    r.payload_data.extend_from_slice(b);
                }
                r.payload_offsets.push(r.payload_data.len() as u64);
            }
            Ok(r)
        })?;
        out.write(Box::into_raw(Box::new(points)));
        Ok(())
    })
}

/// The cursor of the page after the one `points` holds (from
/// `qv_collection_scroll_points`): `*cursor` receives a NUL-terminated
/// string borrowed from `points` (valid until `qv_points_free(points)`)
/// and `*len` (if not NULL) its length, or NULL and 0 when `points` is the
/// last page (or came from `qv_collection_get`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `points` or `cursor`).
///
/// Thread safety: a `qv_points` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_points_next_cursor(
    points: Option<&qv_points>,
    cursor: Option<&mut MaybeUninit<*const c_char>>,
    len: Option<&mut MaybeUninit<usize>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let p = handle(points, "points")?;
        let cursor = out(cursor, "cursor")?;
        cursor.write(p.cursor.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
        if let Some(len) = len {
            len.write(p.cursor.as_ref().map_or(0, |c| c.as_bytes().len()));
        }
        Ok(())
    })
}

/// Runs one search (`query`: `dim` floats, `params` as for
/// `qv_collection_search`) and describes how the planner searched each
/// segment. On success `*out` receives a `qv_strings` owned by the caller
/// (free it with `qv_strings_free`) holding one string, a JSON object:
/// `{"hits": [{"id", "score"}, ...], "segments": [...]}` with the search's
/// hits and one object per segment: `{"segment", "kind" ("sealed",
/// "frozen", "appendable"), "live", "sure" (points the field indexes
/// matched for sure, or null when no index answered), "to_check" (points
/// the filter is evaluated on), "estimate" (matching points, estimated),
/// "plan" ("graph", "graph-indexed", "graph-two-hop", "graph-filtered",
/// "scan-candidates", "scan-filtered", "scan", "none"), "cost" (estimated,
/// in distance computations), "fallback" (the graph came back short and an
/// exact scan replaced it)}`.
///
/// Returns QV_OK, or the errors of `qv_collection_search`.
///
/// Thread safety: safe to call concurrently with any call.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_explain(
    coll: Option<&qv_collection>,
    query: *const f32,
    dim: usize,
    params: *const super::search::qv_search_params,
    out: Option<&mut MaybeUninit<*mut qv_strings>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise about `params` and `query`.
        let p = unsafe { params_arg(params) }?;
        // SAFETY: as above.
        let q = unsafe { slice(query, dim, "query", "dim") }?;
        let text = h.with(|c| {
            let (hits, plans) = c.search_explained(q, &p)?;
            let hits: Vec<Value> = hits
                .iter()
                .map(|h| serde_json::json!({"id": h.id, "score": h.score}))
                .collect();
            let segments: Vec<Value> = plans.iter().map(plan_json).collect();
            Ok(serde_json::json!({"hits": hits, "segments": segments}).to_string())
        })?;
        out.write(qv_strings::new_raw(vec![text]));
        Ok(())
    })
}

fn plan_json(p: &crate::SegmentPlan) -> Value {
    serde_json::json!({
        "segment": p.segment,
        "kind": p.kind,
        "live": p.live,
        "sure": p.sure,
        "to_check": p.to_check,
        "estimate": p.estimate,
        "plan": p.plan,
        "cost": p.cost,
        "fallback": p.fallback,
    })
}
