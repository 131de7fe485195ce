//! Edges between points and traversals: `qv_collection_add_edges`,
//! `qv_collection_remove_edges`, `qv_collection_get_edges`,
//! `qv_collection_find_edges` (`qv_edges`), `qv_collection_degree`, the
//! label schema, `qv_collection_traverse`, `qv_collection_search_expand`,
//! `qv_collection_traverse_ranked` (`qv_traversal`) and
//! `qv_collection_shortest_path` (`qv_path`).

use super::points::filter_arg;
use super::search::params_arg;
use super::strings::qv_strings;
use super::{
    check_reserved, flag, free_boxed, guard, handle, invalid, object_out, option_struct, out,
    qv_collection, qv_error, slice, try_vec, utf8, view_ptr, FfiResult,
};
use crate::collection::GraphSchema;
use crate::graph::traverse::{GraphPath, Order, PathQuery, Traversal, Visit};
use crate::graph::{Direction, Edge};
use std::mem::MaybeUninit;

/// `qv_traverse_params.order`: breadth first (each point at its least
/// depth).
pub const QV_BFS: u32 = 0;
/// `qv_traverse_params.order`: depth first (each point at the depth the
/// walk first reached it).
pub const QV_DFS: u32 = 1;
/// Direction: edges leaving a point.
pub const QV_DIRECTION_OUT: u32 = 0;
/// Direction: edges reaching a point.
pub const QV_DIRECTION_IN: u32 = 1;
/// Direction: both.
pub const QV_DIRECTION_BOTH: u32 = 2;

/// One edge, as `qv_collection_add_edges` takes it and `qv_edges_get`
/// returns it. Initialise with `qv_edge_init` (weight 1, no properties).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_edge {
    /// The edge's id (the caller's); adding an edge whose id exists
    /// replaces that edge.
    pub id: u64,
    /// The point the edge leaves (a point of the collection).
    pub source: u64,
    /// The point the edge reaches (a point of the collection).
    pub target: u64,
    /// The label, `label_len` bytes of UTF-8 (1 to 256 bytes, no control
    /// characters).
    pub label: *const u8,
    /// Bytes in `label`.
    pub label_len: u64,
    /// Optional properties: a JSON object's UTF-8 text, `properties_len`
    /// bytes, kept byte for byte (at most 1 MiB); NULL or 0 = none.
    pub properties_json: *const u8,
    /// Bytes in `properties_json`.
    pub properties_len: u64,
    /// The weight: finite and not negative (the cost of the edge for
    /// weighted shortest paths).
    pub weight: f32,
    /// Reserved: must be 0.
    pub reserved: u32,
}

/// Fills `*edge` with id 0, source 0, target 0, no label, no properties,
/// weight 1. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*edge`).
#[no_mangle]
pub unsafe extern "C" fn qv_edge_init(edge: Option<&mut MaybeUninit<qv_edge>>) {
    if let Some(e) = edge {
        e.write(qv_edge {
            id: 0,
            source: 0,
            target: 0,
            label: std::ptr::null(),
            label_len: 0,
            properties_json: std::ptr::null(),
            properties_len: 0,
            weight: 1.0,
            reserved: 0,
        });
    }
}

/// A `u64` length field as `usize`.
fn len_of(v: u64, name: &str) -> FfiResult<usize> {
    usize::try_from(v).map_err(|_| invalid(format!("{name} is {v}: too large")))
}

/// The engine's edges from the caller's array.
///
/// # Safety
/// `edges` holds `n` structs whose pointers hold their documented lengths.
unsafe fn edges_arg(edges: *const qv_edge, n: usize) -> FfiResult<Vec<Edge>> {
    // SAFETY (all): the caller's promise.
    let raw = unsafe { slice(edges, n, "edges", "n") }?;
    let mut out = try_vec(raw.len(), "the edges")?;
    for (i, e) in raw.iter().enumerate() {
        let at = |f: &str| format!("edges[{i}].{f}");
        check_reserved(e.reserved, &at("reserved"))?;
        let ll = len_of(e.label_len, &at("label_len"))?;
        let label = unsafe { utf8(e.label, ll, &at("label"), &at("label_len")) }?;
        let pl = len_of(e.properties_len, &at("properties_len"))?;
        let props = if e.properties_json.is_null() || pl == 0 {
            None
        } else {
            let p = unsafe {
                utf8(
                    e.properties_json,
                    pl,
                    &at("properties_json"),
                    &at("properties_len"),
                )
            }?;
            Some(p.to_owned())
        };
        out.push(Edge {
            id: e.id,
            source: e.source,
            target: e.target,
            label: label.to_owned(),
            weight: e.weight,
            properties: props,
        });
    }
    Ok(out)
}

/// Adds the `n` edges of `edges` (or replaces the edges with their ids).
/// The batch is checked whole first: labels, weights and properties,
/// that each edge's source and target are points of the collection, and
/// the label schema if one is set; on any error nothing is written. The
/// last edge of the batch with a given id wins. Atomic and durable when it
/// returns (as an upsert). Nothing of the arguments is retained.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad label,
/// weight or properties, an edge the schema refuses; the message names
/// the edge as `edges[i] (id N)`), QV_ERR_NOT_FOUND (an end point is not
/// a point of the collection), QV_ERR_CLOSED, QV_ERR_READ_ONLY,
/// QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; it is one
/// write, and no other write comes between its checks and its record.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_add_edges(
    coll: Option<&qv_collection>,
    edges: *const qv_edge,
    n: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let edges = unsafe { edges_arg(edges, n) }?;
        h.with(|c| Ok(c.add_edges(&edges)?))
    })
}

/// Removes the edges with the `n` ids `ids`; `*removed` (if not NULL)
/// receives how many existed (ids without an edge are ignored). Durable
/// when it returns.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `ids` with `n` > 0),
/// QV_ERR_CLOSED, QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_remove_edges(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    removed: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let count = h.with(|c| Ok(c.remove_edges(ids)?))?;
        if let Some(r) = removed {
            r.write(count as u64);
        }
        Ok(())
    })
}

/// Edges read by `qv_collection_get_edges` or `qv_collection_find_edges`:
/// owned by the caller, freed with `qv_edges_free`; read with
/// `qv_edges_count` and `qv_edges_get`.
pub struct qv_edges {
    edges: Vec<Edge>,
}

fn edges_out(out: &mut MaybeUninit<*mut qv_edges>, edges: Vec<Edge>) {
    out.write(Box::into_raw(Box::new(qv_edges { edges })));
}

/// Reads the edges with the `n` ids `ids`: `*out` receives a `qv_edges`
/// owned by the caller (free with `qv_edges_free`; on failure `*out` is
/// NULL) holding the edges found, in the order of `ids` (an id without an
/// edge is left out; compare `qv_edge.id`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED,
/// QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any call; sees each write
/// whole or not at all.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_get_edges(
    coll: Option<&qv_collection>,
    ids: *const u64,
    n: usize,
    out: Option<&mut MaybeUninit<*mut qv_edges>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let found = h.with(|c| Ok(c.get_edges(ids)?))?;
        edges_out(out, found.into_iter().flatten().collect());
        Ok(())
    })
}

/// Reads the edges leaving `*source` (if `source` is not NULL) and
/// reaching `*target` (if `target` is not NULL), labelled `label` (if
/// `label_len` > 0), by ascending edge id: `*out` receives a `qv_edges`
/// owned by the caller (free with `qv_edges_free`; on failure `*out` is
/// NULL). With neither a source nor a target, every edge (of the label)
/// is returned, which reads them all.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `out`, bad label),
/// QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: as `qv_collection_get_edges`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_find_edges(
    coll: Option<&qv_collection>,
    source: Option<&u64>,
    target: Option<&u64>,
    label: *const u8,
    label_len: usize,
    out: Option<&mut MaybeUninit<*mut qv_edges>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let label = unsafe { utf8(label, label_len, "label", "label_len") }?;
        let label = (!label.is_empty()).then_some(label);
        let found = h.with(|c| Ok(c.find_edges(source.copied(), target.copied(), label)?))?;
        edges_out(out, found);
        Ok(())
    })
}

/// Number of edges in `edges` (0 when NULL).
///
/// Thread safety: a `qv_edges` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_edges_count(edges: Option<&qv_edges>) -> usize {
    edges.map_or(0, |e| e.edges.len())
}

/// Fills `*edge` with edge `index` of `edges`: its pointers (label,
/// properties) are borrowed from `edges` and valid until
/// `qv_edges_free(edges)`; `properties_json` is NULL when the edge has
/// none. The label and properties are not NUL-terminated.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, index out of
/// range).
///
/// Thread safety: as `qv_edges_count`.
#[no_mangle]
pub unsafe extern "C" fn qv_edges_get(
    edges: Option<&qv_edges>,
    index: usize,
    edge: Option<&mut MaybeUninit<qv_edge>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let l = handle(edges, "edges")?;
        let slot = out(edge, "edge")?;
        let e = l.edges.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range: the list has {} edges",
                l.edges.len()
            ))
        })?;
        let (pp, pl) = match &e.properties {
            Some(p) => (p.as_ptr(), p.len() as u64),
            None => (std::ptr::null(), 0),
        };
        slot.write(qv_edge {
            id: e.id,
            source: e.source,
            target: e.target,
            label: e.label.as_ptr(),
            label_len: e.label.len() as u64,
            properties_json: pp,
            properties_len: pl,
            weight: e.weight,
            reserved: 0,
        });
        Ok(())
    })
}

/// Frees a `qv_edges`; everything borrowed from it becomes invalid.
/// `qv_edges_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_edges_free(edges: Option<Box<qv_edges>>) {
    free_boxed(edges);
}

/// `*in_degree` and `*out_degree` (each if not NULL) receive the number of
/// edges reaching and leaving `point` (labelled `label`, if `label_len` >
/// 0); an edge from the point to itself counts in both. A point without
/// edges (or not in the collection) has 0 and 0.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (bad label), QV_ERR_CLOSED.
///
/// Thread safety: as `qv_collection_get_edges`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_degree(
    coll: Option<&qv_collection>,
    point: u64,
    label: *const u8,
    label_len: usize,
    in_degree: Option<&mut MaybeUninit<u64>>,
    out_degree: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let label = unsafe { utf8(label, label_len, "label", "label_len") }?;
        let label = (!label.is_empty()).then_some(label);
        let (i, o) = h.with(|c| Ok(c.degree(point, label)?))?;
        if let Some(x) = in_degree {
            x.write(i as u64);
        }
        if let Some(x) = out_degree {
            x.write(o as u64);
        }
        Ok(())
    })
}

/// `*count` receives the number of edges of the collection.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer),
/// QV_ERR_CLOSED.
///
/// Thread safety: as `qv_collection_get_edges`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_count_edges(
    coll: Option<&qv_collection>,
    count: Option<&mut MaybeUninit<u64>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        let count = out(count, "count")?;
        let n = h.with(|c| Ok(c.edge_count()?))?;
        count.write(n as u64);
        Ok(())
    })
}

/// Sets the label schema of the collection's edges from the UTF-8 JSON
/// text `schema_json` (`schema_len` bytes), or removes it when
/// `schema_len` is 0. The form is `{"labels": {"LABEL": {"source":
/// FILTER, "target": FILTER}, ...}}`: only the labels listed are allowed,
/// and an edge's source and target payloads must match the label's
/// filters (each optional, in the filter language). Every existing edge
/// must follow the new schema, or the call fails naming one that does not
/// and changes nothing. Durable when it returns.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (bad JSON, bad label or
/// filter, an existing edge the schema refuses), QV_ERR_CLOSED,
/// QV_ERR_READ_ONLY, QV_ERR_IO.
///
/// Thread safety: safe to call concurrently with any call; writes wait
/// while it checks the edges.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_set_graph_schema(
    coll: Option<&qv_collection>,
    schema_json: *const u8,
    schema_len: usize,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let text = unsafe { utf8(schema_json, schema_len, "schema_json", "schema_len") }?;
        let schema = if text.is_empty() {
            None
        } else {
            Some(GraphSchema::parse(text)?)
        };
        h.with(|c| Ok(c.set_graph_schema(schema)?))
    })
}

/// `*out` receives a new `qv_strings` (free with `qv_strings_free`; on
/// failure NULL) holding the collection's label schema as JSON text (the
/// form `qv_collection_set_graph_schema` takes), or no string when there
/// is no schema.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `out`), QV_ERR_CLOSED.
///
/// Thread safety: as `qv_collection_get_edges`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_get_graph_schema(
    coll: Option<&qv_collection>,
    out: Option<&mut MaybeUninit<*mut qv_strings>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        let s = h.with(|c| Ok(c.graph_schema()?))?;
        out.write(qv_strings::new_raw(
            s.map(|s| s.to_json().to_string()).into_iter().collect(),
        ));
        Ok(())
    })
}

/// A label given to a traversal: `len` bytes of UTF-8.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_label {
    /// The label's bytes.
    pub name: *const u8,
    /// Bytes in `name`.
    pub len: u64,
}

/// What a traversal follows and returns. Initialise with
/// `qv_traverse_params_init`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_traverse_params {
    /// `sizeof(qv_traverse_params)`, set by the init function.
    pub struct_size: u32,
    /// `QV_BFS` (default) or `QV_DFS`.
    pub order: u32,
    /// Points reached in fewer hops are walked through but not returned
    /// (0 returns the start points too). Default 1.
    pub min_depth: u32,
    /// Hops from a start point, 1 to 1000. Default 1.
    pub max_depth: u32,
    /// `QV_DIRECTION_OUT` (default), `QV_DIRECTION_IN` or
    /// `QV_DIRECTION_BOTH`.
    pub direction: u32,
    /// Most points returned, 1 to 10,000,000; the walk stops there.
    /// Default 1,000.
    pub limit: u32,
    /// Labels every hop may follow (`nlabels` entries; 0 = any label).
    pub labels: *const qv_label,
    /// Entries in `labels`.
    pub nlabels: u64,
    /// Labels per hop: hop `i` (from 1) follows the `hop_labels` from
    /// `hop_indptr[i - 1]` to `hop_indptr[i]` when there are any, else
    /// `labels`. NULL with `nhops` 0 = none.
    pub hop_labels: *const qv_label,
    /// `nhops + 1` starts into `hop_labels`: `hop_indptr[0]` is 0, they
    /// never decrease.
    pub hop_indptr: *const u64,
    /// Hops with their own labels (at most `max_depth`).
    pub nhops: u64,
    /// Optional payload filter (UTF-8 JSON, `filter_len` bytes; NULL or 0
    /// = none): a point reached by a hop must match it to be returned or
    /// walked through (start points are not tested).
    pub filter_json: *const u8,
    /// Bytes in `filter_json`.
    pub filter_len: u64,
}

/// Fills `*params` with the defaults (breadth first, depth 1 to 1, out,
/// limit 1,000, any label, no filter) and its `struct_size`. Does nothing
/// when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_traverse_params_init(
    params: Option<&mut MaybeUninit<qv_traverse_params>>,
) {
    if let Some(p) = params {
        p.write(qv_traverse_params {
            struct_size: std::mem::size_of::<qv_traverse_params>() as u32,
            order: QV_BFS,
            min_depth: 1,
            max_depth: 1,
            direction: QV_DIRECTION_OUT,
            limit: 1000,
            labels: std::ptr::null(),
            nlabels: 0,
            hop_labels: std::ptr::null(),
            hop_indptr: std::ptr::null(),
            nhops: 0,
            filter_json: std::ptr::null(),
            filter_len: 0,
        });
    }
}

fn direction_arg(v: u32, name: &str) -> FfiResult<Direction> {
    match v {
        QV_DIRECTION_OUT => Ok(Direction::Out),
        QV_DIRECTION_IN => Ok(Direction::In),
        QV_DIRECTION_BOTH => Ok(Direction::Both),
        _ => Err(invalid(format!(
            "{name} is {v}; it must be QV_DIRECTION_OUT (0), QV_DIRECTION_IN (1) or QV_DIRECTION_BOTH (2)"
        ))),
    }
}

/// Labels from a `qv_label` array.
///
/// # Safety
/// `labels` holds `n` structs whose pointers hold their lengths.
unsafe fn labels_arg(labels: &[qv_label], name: &str) -> FfiResult<Vec<String>> {
    let mut v = try_vec(labels.len(), "the labels")?;
    for (i, l) in labels.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let len = len_of(l.len, &format!("{at}.len"))?;
        // SAFETY: the caller's promise.
        let s = unsafe { utf8(l.name, len, &format!("{at}.name"), &format!("{at}.len")) }?;
        v.push(s.to_owned());
    }
    Ok(v)
}

/// The engine's traversal from the caller's struct (`name` is the
/// argument's name).
///
/// # Safety
/// `p` is NULL or an initialised struct whose pointers hold their
/// documented lengths.
unsafe fn traversal_arg(p: *const qv_traverse_params, name: &str) -> FfiResult<Traversal> {
    // SAFETY (all): the caller's promise.
    let p = unsafe { option_struct(p, name, "qv_traverse_params") }?
        .ok_or_else(|| invalid(format!("{name} is NULL")))?;
    let f = |x: &str| format!("{name}.{x}");
    let order = match p.order {
        QV_BFS => Order::BreadthFirst,
        QV_DFS => Order::DepthFirst,
        v => {
            return Err(invalid(format!(
                "{} is {v}; it must be QV_BFS (0) or QV_DFS (1)",
                f("order")
            )))
        }
    };
    let nl = len_of(p.nlabels, &f("nlabels"))?;
    let labels = unsafe { slice(p.labels, nl, &f("labels"), &f("nlabels")) }?;
    let labels = unsafe { labels_arg(labels, &f("labels")) }?;
    let nhops = len_of(p.nhops, &f("nhops"))?;
    let mut hop_labels = Vec::new();
    if nhops > 0 {
        let rows = nhops
            .checked_add(1)
            .ok_or_else(|| invalid(format!("{} is too large", f("nhops"))))?;
        let indptr = unsafe { slice(p.hop_indptr, rows, &f("hop_indptr"), &f("nhops + 1")) }?;
        if indptr[0] != 0 {
            return Err(invalid(format!(
                "{}[0] is {}; it must be 0",
                f("hop_indptr"),
                indptr[0]
            )));
        }
        for i in 0..nhops {
            if indptr[i + 1] < indptr[i] {
                return Err(invalid(format!(
                    "{}[{}] = {} is less than {}[{i}] = {}",
                    f("hop_indptr"),
                    i + 1,
                    indptr[i + 1],
                    f("hop_indptr"),
                    indptr[i]
                )));
            }
        }
        let total = len_of(indptr[nhops], &format!("{}[{nhops}]", f("hop_indptr")))?;
        let all = unsafe {
            slice(
                p.hop_labels,
                total,
                &f("hop_labels"),
                &format!("{}[{nhops}]", f("hop_indptr")),
            )
        }?;
        let all = unsafe { labels_arg(all, &f("hop_labels")) }?;
        for i in 0..nhops {
            hop_labels.push(all[indptr[i] as usize..indptr[i + 1] as usize].to_vec());
        }
    }
    let fl = len_of(p.filter_len, &f("filter_len"))?;
    Ok(Traversal {
        order,
        min_depth: p.min_depth as usize,
        max_depth: p.max_depth as usize,
        direction: direction_arg(p.direction, &f("direction"))?,
        labels,
        hop_labels,
        filter: unsafe { filter_arg(p.filter_json, fl, &f("filter_json"), &f("filter_len")) }?,
        limit: p.limit as usize,
    })
}

/// The points a traversal reached: owned by the caller, freed with
/// `qv_traversal_free`; read with `qv_traversal_count` and
/// `qv_traversal_get`.
pub struct qv_traversal {
    visits: Vec<Visit>,
}

/// One point of a `qv_traversal`. `path` is borrowed from the traversal
/// and valid until `qv_traversal_free`; it is NULL exactly when
/// `path_len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_visit {
    /// The point's id.
    pub id: u64,
    /// The start point (or search hit) it was reached from.
    pub origin: u64,
    /// Hops from `origin`.
    pub depth: u32,
    /// 1 when `score` holds a score (a ranked traversal, an expanded
    /// search), else 0.
    pub has_score: u32,
    /// The similarity to the query of a ranked traversal, or the score of
    /// the hit it was reached from in an expanded search.
    pub score: f32,
    /// Reserved: 0.
    pub reserved: u32,
    /// The `depth` edge ids walked from `origin` to the point, in order.
    pub path: *const u64,
    /// Entries in `path` (equal to `depth`).
    pub path_len: u64,
}

fn traversal_out(out: &mut MaybeUninit<*mut qv_traversal>, visits: Vec<Visit>) {
    out.write(Box::into_raw(Box::new(qv_traversal { visits })));
}

/// Walks the edges from the `n` points `starts` (points of the
/// collection) as `*params` says: `*out` receives a `qv_traversal` owned
/// by the caller (free with `qv_traversal_free`; on failure `*out` is
/// NULL) with the points reached in the walk's order, each once, with its
/// depth, start point and path. Neighbours are visited by ascending edge
/// id. Breadth first gives each point its least depth; depth first, the
/// depth at which the walk first reached it.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, bad params:
/// depths, limit, order, direction, labels, filter), QV_ERR_NOT_FOUND (a
/// start is not a point of the collection; the message names
/// `starts[i]`), QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: safe to call concurrently with any call; sees each write
/// whole or not at all.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_traverse(
    coll: Option<&qv_collection>,
    starts: *const u64,
    n: usize,
    params: *const qv_traverse_params,
    out: Option<&mut MaybeUninit<*mut qv_traversal>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let starts = unsafe { slice(starts, n, "starts", "n") }?;
        let t = unsafe { traversal_arg(params, "params") }?;
        let v = h.with(|c| Ok(c.traverse(starts, &t)?))?;
        traversal_out(out, v);
        Ok(())
    })
}

/// A vector search (`query`: `dim` floats; `*params` as for
/// `qv_collection_search`, `params->k` hits) whose hits are then walked from as
/// `*traverse` says: `*out` receives a `qv_traversal` (as
/// `qv_collection_traverse`) with the hits (depth 0, when
/// `traverse->min_depth` is 0) and the points reached, each once, in walk
/// order from the best hit; each carries (`has_score` 1) the score of
/// the hit it was reached from.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (as `qv_collection_search`
/// and `qv_collection_traverse`), QV_ERR_DIMENSION_MISMATCH,
/// QV_ERR_UNSUPPORTED (a metadata-only collection: no vectors to search),
/// QV_ERR_CLOSED, QV_ERR_IO, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: as `qv_collection_traverse`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_search_expand(
    coll: Option<&qv_collection>,
    query: *const f32,
    dim: usize,
    params: *const super::search::qv_search_params,
    traverse: *const qv_traverse_params,
    out: Option<&mut MaybeUninit<*mut qv_traversal>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let q = unsafe { slice(query, dim, "query", "dim") }?;
        let mut sp = unsafe { params_arg(params) }?;
        sp.with_payload = false;
        let t = unsafe { traversal_arg(traverse, "traverse") }?;
        let v = h.with(|c| Ok(c.search_expand(q, &sp, &t)?))?;
        traversal_out(out, v);
        Ok(())
    })
}

/// Walks from the hits of any search (vector, text, sparse, hybrid,
/// multi-query: the caller's copy of its ids, best first) as `*params`
/// says, as `qv_collection_search_expand` walks from its own hits: `ids`
/// holds `n` point ids and `scores` (or NULL) their `n` scores. `*out`
/// receives a `qv_traversal` owned by the caller (free with
/// `qv_traversal_free`; on failure NULL) with the hits (depth 0, when
/// `params->min_depth` is 0) and the points reached, each once, in walk
/// order from the first hit; with `scores`, each visit carries
/// (`has_score` 1) the score of the hit it was reached from (of the first
/// occurrence of an id given twice). Ids that are not points (deleted
/// since the search) are skipped, not an error.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (as `qv_collection_traverse`,
/// a score that is NaN, naming `scores[i]`), QV_ERR_CLOSED,
/// QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: as `qv_collection_traverse`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_expand_hits(
    coll: Option<&qv_collection>,
    ids: *const u64,
    scores: *const f32,
    n: usize,
    params: *const qv_traverse_params,
    out: Option<&mut MaybeUninit<*mut qv_traversal>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let ids = unsafe { slice(ids, n, "ids", "n") }?;
        let scores = if scores.is_null() {
            None
        } else {
            // SAFETY: the caller's promise.
            Some(unsafe { slice(scores, n, "scores", "n") }?)
        };
        let t = unsafe { traversal_arg(params, "params") }?;
        let mut hits = try_vec(ids.len(), "the hits")?;
        for (i, &id) in ids.iter().enumerate() {
            let score = scores.map_or(0.0, |s| s[i]);
            if score.is_nan() {
                return Err(invalid(format!("scores[{i}] is NaN")));
            }
            hits.push(crate::point::ScoredPoint {
                id,
                score,
                payload: None,
            });
        }
        let mut v = h.with(|c| Ok(c.expand_hits(&hits, &t)?))?;
        if scores.is_none() {
            for visit in &mut v {
                visit.score = None;
            }
        }
        traversal_out(out, v);
        Ok(())
    })
}

/// The `k` points (1 to 100000) of a traversal from the `n` points
/// `starts` (as `qv_collection_traverse`) most similar to `query` (`dim`
/// floats), best first (equal scores by ascending id), each with its
/// score (`has_score` 1, in the collection's metric): `*out` receives a
/// `qv_traversal` owned by the caller (free with `qv_traversal_free`; on
/// failure NULL).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (as `qv_collection_traverse`,
/// k out of range, a query value not finite), QV_ERR_UNSUPPORTED (a
/// metadata-only collection: no vectors to rank by),
/// QV_ERR_DIMENSION_MISMATCH, QV_ERR_NOT_FOUND, QV_ERR_CLOSED,
/// QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: as `qv_collection_traverse`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_traverse_ranked(
    coll: Option<&qv_collection>,
    starts: *const u64,
    n: usize,
    params: *const qv_traverse_params,
    query: *const f32,
    dim: usize,
    k: u32,
    out: Option<&mut MaybeUninit<*mut qv_traversal>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let starts = unsafe { slice(starts, n, "starts", "n") }?;
        let q = unsafe { slice(query, dim, "query", "dim") }?;
        let t = unsafe { traversal_arg(params, "params") }?;
        let v = h.with(|c| Ok(c.rank_traversal(starts, &t, q, k as usize)?))?;
        traversal_out(out, v);
        Ok(())
    })
}

/// Number of points in `traversal` (0 when NULL).
///
/// Thread safety: a `qv_traversal` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_traversal_count(traversal: Option<&qv_traversal>) -> usize {
    traversal.map_or(0, |t| t.visits.len())
}

/// Fills `*visit` with point `index` of `traversal` (its `path` borrowed
/// from `traversal`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer, index out of
/// range).
///
/// Thread safety: as `qv_traversal_count`.
#[no_mangle]
pub unsafe extern "C" fn qv_traversal_get(
    traversal: Option<&qv_traversal>,
    index: usize,
    visit: Option<&mut MaybeUninit<qv_visit>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let t = handle(traversal, "traversal")?;
        let slot = out(visit, "visit")?;
        let v = t.visits.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range: the traversal has {} points",
                t.visits.len()
            ))
        })?;
        slot.write(qv_visit {
            id: v.id,
            origin: v.origin,
            depth: v.depth,
            has_score: u32::from(v.score.is_some()),
            score: v.score.unwrap_or(0.0),
            reserved: 0,
            path: view_ptr(&v.path),
            path_len: v.path.len() as u64,
        });
        Ok(())
    })
}

/// Frees a `qv_traversal`; every path borrowed from it becomes invalid.
/// `qv_traversal_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_traversal_free(traversal: Option<Box<qv_traversal>>) {
    free_boxed(traversal);
}

/// What a shortest path may follow. Initialise with
/// `qv_path_params_init`.
///
/// Versioning: as `qv_search_params` (`struct_size`, `reserved` 0).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_path_params {
    /// `sizeof(qv_path_params)`, set by the init function.
    pub struct_size: u32,
    /// `QV_DIRECTION_OUT` (default), `QV_DIRECTION_IN` or
    /// `QV_DIRECTION_BOTH`.
    pub direction: u32,
    /// 1 = least total weight, 0 = fewest hops (default).
    pub weighted: u32,
    /// Most hops of an unweighted path (0 = no bound, the default); must
    /// be 0 when `weighted` is 1.
    pub max_depth: u32,
    /// Labels the path may follow (`nlabels` entries; 0 = any).
    pub labels: *const qv_label,
    /// Entries in `labels`.
    pub nlabels: u64,
}

/// Fills `*params` with the defaults (out, fewest hops, no bound, any
/// label) and its `struct_size`. Does nothing when NULL.
///
/// Thread safety: safe from any thread (it writes only `*params`).
#[no_mangle]
pub unsafe extern "C" fn qv_path_params_init(params: Option<&mut MaybeUninit<qv_path_params>>) {
    if let Some(p) = params {
        p.write(qv_path_params {
            struct_size: std::mem::size_of::<qv_path_params>() as u32,
            direction: QV_DIRECTION_OUT,
            weighted: 0,
            max_depth: 0,
            labels: std::ptr::null(),
            nlabels: 0,
        });
    }
}

/// A path found by `qv_collection_shortest_path`: owned by the caller,
/// freed with `qv_path_free`; read with `qv_path_get_view`.
pub struct qv_path {
    path: GraphPath,
}

/// Borrowed views into a `qv_path`, valid until `qv_path_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_path_view {
    /// The points from `from` to `to`.
    pub points: *const u64,
    /// Entries in `points` (1 when `from` is `to`).
    pub npoints: u64,
    /// The `npoints - 1` edge ids between them (NULL when there are none).
    pub edges: *const u64,
    /// Hops, or the sum of the edges' weights (added from the first edge).
    pub cost: f64,
}

/// The shortest path from `from` to `to` (both points of the collection)
/// as `*params` says (NULL `params` = the defaults): `*out` receives a
/// `qv_path` owned by the caller (free with `qv_path_free`), or NULL when
/// `to` cannot be reached (the call still returns QV_OK). It searches
/// from both ends at once (breadth first, or Dijkstra when weighted).
/// Among paths of equal cost, which one is returned depends on the edges
/// only (neighbours are visited by ascending edge id), not on the order
/// they were written in.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL `out`, bad params),
/// QV_ERR_NOT_FOUND (`from` or `to` is not a point of the collection),
/// QV_ERR_CLOSED, QV_ERR_OUT_OF_MEMORY.
///
/// Thread safety: as `qv_collection_traverse`.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_shortest_path(
    coll: Option<&qv_collection>,
    from: u64,
    to: u64,
    params: *const qv_path_params,
    out: Option<&mut MaybeUninit<*mut qv_path>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let h = handle(coll, "coll")?;
        // SAFETY: the caller's promise.
        let q = match unsafe { option_struct(params, "params", "qv_path_params") }? {
            None => PathQuery::default(),
            Some(p) => {
                let nl = len_of(p.nlabels, "params.nlabels")?;
                let labels = unsafe { slice(p.labels, nl, "params.labels", "params.nlabels") }?;
                PathQuery {
                    direction: direction_arg(p.direction, "params.direction")?,
                    labels: unsafe { labels_arg(labels, "params.labels") }?,
                    weighted: flag(p.weighted, "params.weighted")?,
                    max_depth: p.max_depth as usize,
                }
            }
        };
        if let Some(path) = h.with(|c| Ok(c.shortest_path(from, to, &q)?))? {
            out.write(Box::into_raw(Box::new(qv_path { path })));
        }
        Ok(())
    })
}

/// Fills `*view` with borrowed pointers into `path`.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer).
///
/// Thread safety: a `qv_path` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_path_get_view(
    path: Option<&qv_path>,
    view: Option<&mut MaybeUninit<qv_path_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let p = handle(path, "path")?;
        out(view, "view")?.write(qv_path_view {
            points: view_ptr(&p.path.points),
            npoints: p.path.points.len() as u64,
            edges: view_ptr(&p.path.edges),
            cost: p.path.cost,
        });
        Ok(())
    })
}

/// Frees a `qv_path`; its views become invalid. `qv_path_free(NULL)` does
/// nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_path_free(path: Option<Box<qv_path>>) {
    free_boxed(path);
}
