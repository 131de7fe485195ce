//! `qv_stats`: what a collection reports about itself (points, segments,
//! bytes per component, optimizer state, repairs, read-only cause), as an
//! owned object read through a borrowed view.

use super::{c_string, free_boxed, guard, handle, object_out, out, qv_collection, qv_error};
use crate::collection::stats::{CollectionStats, OptimizerState, SegmentKind};
use std::ffi::{c_char, CString};
use std::mem::MaybeUninit;

/// `qv_segment_stats.kind`: the segment that takes new writes.
pub const QV_SEGMENT_APPENDABLE: u32 = 0;
/// `qv_segment_stats.kind`: an immutable segment written by the optimizer.
pub const QV_SEGMENT_SEALED: u32 = 1;
/// `qv_stats_view.optimizer_state`: nothing to do.
pub const QV_OPTIMIZER_IDLE: u32 = 0;
/// `qv_stats_view.optimizer_state`: work is waiting for an optimizer thread.
pub const QV_OPTIMIZER_PENDING: u32 = 1;
/// `qv_stats_view.optimizer_state`: an optimizer thread is rewriting
/// segments of the collection.
pub const QV_OPTIMIZER_RUNNING: u32 = 2;

/// One segment of a collection (an entry of `qv_stats_view.segments`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_segment_stats {
    /// Segment id, unique within the collection and never reused.
    pub id: u64,
    /// `QV_SEGMENT_APPENDABLE` or `QV_SEGMENT_SEALED` (later versions may
    /// add kinds).
    pub kind: u32,
    /// Reserved: 0.
    pub reserved: u32,
    /// Live points in the segment.
    pub points: u64,
    /// Points the segment still stores that were deleted or overwritten
    /// since it was written (space the optimizer reclaims).
    pub deleted: u64,
    /// Bytes of the segment's files.
    pub disk_bytes: u64,
    /// Bytes of heap the segment holds (mapped files not included).
    pub ram_bytes: u64,
}

/// One component (ids, vectors, payloads, graph, log, ...) summed over the
/// segments (an entry of `qv_stats_view.components`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_component_stats {
    /// The component's name, NUL-terminated UTF-8: "log", "ids", "vectors",
    /// "payloads", "graph", "deleted", "manifest"; later versions add more.
    pub name: *const c_char,
    /// Bytes of its files.
    pub disk_bytes: u64,
    /// Bytes of heap it holds (mapped files not included).
    pub ram_bytes: u64,
}

/// Borrowed views into a `qv_stats`, valid until `qv_stats_free`. Every
/// string is NUL-terminated UTF-8. A pointer is NULL exactly when its count
/// is 0 (the optional strings: when there is nothing to report).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct qv_stats_view {
    /// Points a search or `qv_collection_count` can see.
    pub live_points: u64,
    /// Points still stored but deleted or overwritten (not yet reclaimed).
    pub deleted_points: u64,
    /// Bytes of every file of the collection.
    pub disk_bytes: u64,
    /// Bytes of heap the collection holds (mapped files not included).
    pub ram_bytes: u64,
    /// One of `QV_OPTIMIZER_*` (later versions may add states).
    pub optimizer_state: u32,
    /// Reserved: 0.
    pub reserved: u32,
    /// Optimization runs completed since the collection was opened.
    pub optimizer_runs: u64,
    /// The error of the last optimization run when it failed, else NULL.
    pub optimizer_error: *const c_char,
    /// Why the collection refuses writes (see QV_ERR_READ_ONLY), or NULL
    /// when it is writable.
    pub read_only_cause: *const c_char,
    /// `segment_count` segments, appendable ones first.
    pub segments: *const qv_segment_stats,
    /// Entries in `segments`.
    pub segment_count: u64,
    /// `component_count` components.
    pub components: *const qv_component_stats,
    /// Entries in `components`.
    pub component_count: u64,
    /// `rebuilt_count` sentences, one per derived file (graph, ...) found
    /// missing or damaged when the collection was opened and rebuilt from
    /// the primary data.
    pub rebuilt_on_open: *const *const c_char,
    /// Entries in `rebuilt_on_open`.
    pub rebuilt_count: u64,
    /// All of the above as one JSON document (NUL-terminated), with the
    /// field names of the Rust `CollectionStats`: live_points,
    /// deleted_points, disk_bytes, ram_bytes, segments, components,
    /// optimizer {state, completed_runs, last_error}, rebuilt_on_open,
    /// read_only_cause. Never NULL.
    pub json: *const c_char,
}

/// A snapshot of a collection's statistics, owned by the caller: free with
/// `qv_stats_free`; read through `qv_stats_get_view`.
pub struct qv_stats {
    view: qv_stats_view,
    // What the view's pointers point into. The heap blocks of these
    // vectors and strings do not move when the struct does.
    _segments: Vec<qv_segment_stats>,
    _components: Vec<qv_component_stats>,
    _rebuilt: Vec<*const c_char>,
    _strings: Vec<CString>,
}

impl qv_stats {
    fn new(s: &CollectionStats) -> qv_stats {
        let mut strings = Vec::new();
        let mut keep = |text: &str| {
            let c = c_string(text);
            let p = c.as_ptr();
            strings.push(c);
            p
        };
        let segments: Vec<qv_segment_stats> = s
            .segments
            .iter()
            .map(|g| qv_segment_stats {
                id: g.id,
                kind: match g.kind {
                    SegmentKind::Appendable => QV_SEGMENT_APPENDABLE,
                    SegmentKind::Sealed => QV_SEGMENT_SEALED,
                },
                reserved: 0,
                points: g.points,
                deleted: g.deleted,
                disk_bytes: g.disk_bytes,
                ram_bytes: g.ram_bytes,
            })
            .collect();
        let components: Vec<qv_component_stats> = s
            .components
            .iter()
            .map(|c| qv_component_stats {
                name: keep(&c.name),
                disk_bytes: c.disk_bytes,
                ram_bytes: c.ram_bytes,
            })
            .collect();
        let rebuilt: Vec<*const c_char> = s.rebuilt_on_open.iter().map(|r| keep(r)).collect();
        let optimizer_error = s
            .optimizer
            .last_error
            .as_deref()
            .map_or(std::ptr::null(), &mut keep);
        let read_only_cause = s
            .read_only_cause
            .as_deref()
            .map_or(std::ptr::null(), &mut keep);
        let json = keep(&s.to_json());
        let view = qv_stats_view {
            live_points: s.live_points,
            deleted_points: s.deleted_points,
            disk_bytes: s.disk_bytes,
            ram_bytes: s.ram_bytes,
            optimizer_state: match s.optimizer.state {
                OptimizerState::Idle => QV_OPTIMIZER_IDLE,
                OptimizerState::Pending => QV_OPTIMIZER_PENDING,
                OptimizerState::Running => QV_OPTIMIZER_RUNNING,
            },
            reserved: 0,
            optimizer_runs: s.optimizer.completed_runs,
            optimizer_error,
            read_only_cause,
            segments: super::view_ptr(&segments),
            segment_count: segments.len() as u64,
            components: super::view_ptr(&components),
            component_count: components.len() as u64,
            rebuilt_on_open: super::view_ptr(&rebuilt),
            rebuilt_count: rebuilt.len() as u64,
            json,
        };
        qv_stats {
            view,
            _segments: segments,
            _components: components,
            _rebuilt: rebuilt,
            _strings: strings,
        }
    }
}

/// Takes a snapshot of the collection's statistics: points, segments,
/// bytes on disk and in RAM per component, the optimizer's state, the
/// derived files rebuilt on open, and the cause of a read-only state. On
/// success `*out` receives a `qv_stats` owned by the caller (read it with
/// `qv_stats_get_view`, free it with `qv_stats_free`); on failure it is
/// NULL. The snapshot does not change afterwards.
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer), QV_ERR_CLOSED,
/// QV_ERR_IO. A read-only collection still reports its stats.
///
/// Thread safety: safe to call concurrently with any call on the
/// collection; the numbers are consistent with one state of it.
#[no_mangle]
pub unsafe extern "C" fn qv_collection_stats(
    coll: Option<&qv_collection>,
    out: Option<&mut MaybeUninit<*mut qv_stats>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let out = object_out(out, "out")?;
        let stats = handle(coll, "coll")?.with(|c| Ok(c.stats()?))?;
        out.write(Box::into_raw(Box::new(qv_stats::new(&stats))));
        Ok(())
    })
}

/// Fills `*view` with the numbers and borrowed pointers of `stats` (valid
/// until `qv_stats_free(stats)`).
///
/// Returns QV_OK, or QV_ERR_INVALID_ARGUMENT (NULL pointer).
///
/// Thread safety: a `qv_stats` is immutable; any thread may read it.
#[no_mangle]
pub unsafe extern "C" fn qv_stats_get_view(
    stats: Option<&qv_stats>,
    view: Option<&mut MaybeUninit<qv_stats_view>>,
    err: Option<&mut MaybeUninit<*mut qv_error>>,
) -> i32 {
    guard(err, || {
        let s = handle(stats, "stats")?;
        out(view, "view")?.write(s.view);
        Ok(())
    })
}

/// Frees a `qv_stats`; every view into it and every string borrowed from
/// it become invalid. `qv_stats_free(NULL)` does nothing.
///
/// Thread safety: the object must not be in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn qv_stats_free(stats: Option<Box<qv_stats>>) {
    free_boxed(stats);
}
