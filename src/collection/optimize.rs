//! The optimizer: seals frozen appendable segments, merges small segments
//! and drops deleted and overwritten points, while searches and writes go
//! on.
//!
//! One run picks its inputs under the shared lock (every frozen segment;
//! the sealed segments smaller than `max_segment_points` when there are
//! several or new data to merge them with; any sealed segment with at
//! least `vacuum_ratio_percent` of its points deleted), writes one new
//! segment beside the old ones without any lock (reusing the graph of the
//! largest input that has no deleted point, so only the other points are
//! inserted), then commits: holding the apply turn (writers wait, searches
//! go on) it carries over the deletions made meanwhile, saves the deleted
//! sets that changed, writes the next manifest generation, and swaps the
//! segment list under the exclusive lock for an instant. Old files are
//! removed after the commit.
//!
//! The database runs one optimizer thread; its graph builds run on a pool
//! of its own (half the cores by default), both at a lower CPU priority
//! than the caller's threads. `optimize()` runs the same steps in the
//! caller's thread, building on the caller's rayon pool.

use super::manifest::{Manifest, SegmentEntry};
use super::state::{Fields, SealedSlot, State};
use super::stats::OptimizerState;
use super::{Collection, PoisonOnPanic};
use crate::error::{Error, Result};
use crate::segment::appendable::Appendable;
use crate::segment::bitset::Bitset;
use crate::segment::sealed::{segment_dir_name, write_segment, BuildSource, Sealed};
use crate::storage::sealed_file::{write_sealed, FileKind, Identity};
use parking_lot::{Condvar, Mutex};
use std::path::Path;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// Name of the deleted-set file of generation `g`.
pub(super) fn deleted_file_name(g: u64) -> String {
    format!("deleted-{g:08}.qv")
}

/// Identity of a deleted-set file.
pub(super) fn deleted_identity(owner: u64, segment: u64, generation: u64) -> Identity {
    Identity {
        kind: FileKind::Deleted,
        owner,
        segment,
        generation,
    }
}

enum Source {
    Frozen(Arc<Appendable>),
    Sealed(Arc<Sealed>),
}

/// The live points of the inputs, in output order.
struct Inputs {
    sources: Vec<(Source, Bitset)>,
    /// (source index, offset) per output point.
    points: Vec<(u32, u32)>,
}

impl BuildSource for Inputs {
    fn count(&self) -> usize {
        self.points.len()
    }
    fn entry(&self, i: usize) -> (u64, u64) {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => (a.id(o), a.version(o)),
            Source::Sealed(x) => (x.id(o), x.version(o)),
        }
    }
    fn vector(&self, i: usize) -> &[f32] {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => a.vector(o),
            Source::Sealed(x) => x.vector(o),
        }
    }
    fn payload_len(&self, i: usize) -> Option<u32> {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => a.payload_len(o),
            Source::Sealed(x) => x.payload(o).map(|p| p.len() as u32),
        }
    }
    fn payload(&self, i: usize) -> Result<Option<Vec<u8>>> {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => a.payload(o),
            Source::Sealed(x) => Ok(x.payload(o).map(<[u8]>::to_vec)),
        }
    }
    fn sparse_len(&self, i: usize) -> Option<u32> {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => a.sparse_len(o),
            Source::Sealed(x) => x.sparse(o).map(|p| p.len() as u32),
        }
    }
    fn sparse(&self, i: usize) -> Result<Option<Vec<u8>>> {
        let (s, o) = self.points[i];
        match &self.sources[s as usize].0 {
            Source::Frozen(a) => a.sparse(o),
            Source::Sealed(x) => Ok(x.sparse(o).map(<[u8]>::to_vec)),
        }
    }
}

/// A plan: which segments one run rewrites.
struct Plan {
    frozen: Vec<usize>,
    sealed: Vec<usize>,
}

impl Collection {
    fn plan(&self, st: &State, force: bool) -> Option<Plan> {
        let l = &self.limits;
        let frozen: Vec<usize> = (0..st.frozen.len()).collect();
        let vacuum = |s: &SealedSlot| {
            let n = s.seg.len().max(1) as u64;
            s.deleted.count() as u64 * 100 >= n * l.vacuum_ratio_percent as u64
                && s.deleted.count() > 0
        };
        let small: Vec<usize> = (0..st.sealed.len())
            .filter(|&i| {
                let s = &st.sealed[i];
                s.seg.len() - s.deleted.count() < l.max_segment_points
            })
            .collect();
        let mut sealed: Vec<usize> = Vec::new();
        if !frozen.is_empty() || small.len() >= 2 || force {
            // Merge the small ones, smallest first, while the result stays
            // under the limit.
            let mut by_size = small.clone();
            by_size.sort_by_key(|&i| st.sealed[i].seg.len() - st.sealed[i].deleted.count());
            let mut total: usize = frozen
                .iter()
                .map(|&i| st.frozen[i].seg.len() - st.frozen[i].deleted.count())
                .sum();
            for i in by_size {
                let live = st.sealed[i].seg.len() - st.sealed[i].deleted.count();
                if total + live <= l.max_segment_points || live == 0 {
                    total += live;
                    sealed.push(i);
                }
            }
            if frozen.is_empty() && sealed.len() == 1 && !vacuum(&st.sealed[sealed[0]]) && !force {
                sealed.clear();
            }
        }
        for (i, s) in st.sealed.iter().enumerate() {
            if !sealed.contains(&i) && (vacuum(s) || (force && s.deleted.count() > 0)) {
                if sealed.is_empty() && frozen.is_empty() {
                    sealed.push(i);
                }
                break;
            }
        }
        if force && frozen.is_empty() && sealed.len() == 1 {
            let s = &st.sealed[sealed[0]];
            if s.deleted.count() == 0 {
                sealed.clear();
            }
        }
        (!frozen.is_empty() || !sealed.is_empty()).then_some(Plan { frozen, sealed })
    }

    /// Whether the optimizer has work for this collection.
    pub(super) fn needs_optimizing(&self) -> bool {
        let st = self.state.read();
        self.plan(&st, false).is_some()
    }

    /// Seals the appendable segment, merges every segment that can be
    /// merged and drops deleted points, and returns when that is committed.
    /// Searches and writes go on meanwhile.
    pub fn optimize(&self) -> Result<()> {
        self.check_writable()?;
        self.freeze()?;
        while self.run_once(true)? {}
        self.make_resident();
        Ok(())
    }

    /// Returns once the background optimizer has no work left for this
    /// collection (it may find more after later writes).
    pub fn wait_optimized(&self) -> Result<()> {
        loop {
            self.check_open()?;
            if let Some(cause) = self.read_only.lock().clone() {
                return Err(Error::ReadOnly(cause));
            }
            // Lock order: state before opt (as in run_once and stats).
            let needs = self.needs_optimizing();
            let mut o = self.opt.lock();
            if o.state != OptimizerState::Running && !needs {
                o.state = OptimizerState::Idle;
                return Ok(());
            }
            if o.state == OptimizerState::Idle {
                o.state = OptimizerState::Pending;
            }
            self.optimizer.notify();
            self.opt_cv.wait_for(&mut o, Duration::from_millis(100));
        }
    }

    /// Gives every sealed segment its resident copy of what its graph walks
    /// (the segments opened with the collection; the optimizer's own get
    /// theirs when written). A refusal is kept as the optimizer's last
    /// error; that segment is not tried again.
    pub(crate) fn make_resident(&self) {
        let segs: Vec<Arc<Sealed>> = {
            let st = self.state.read();
            st.sealed
                .iter()
                .filter(|s| s.seg.resident_bytes().0 == 0)
                .map(|s| Arc::clone(&s.seg))
                .collect()
        };
        for seg in segs {
            if self.check_open().is_err() {
                return;
            }
            if let Err(e) = seg.make_resident() {
                self.opt.lock().last_error = Some(format!(
                    "segment {}: no memory for the resident copy of what its graph walks ({e}); searches read the mapped file",
                    seg.id
                ));
            }
        }
    }

    /// One background step: freezes an old appendable segment, then runs
    /// once if there is work.
    pub(crate) fn background_step(&self) {
        self.make_resident();
        if self.check_writable().is_err() {
            return;
        }
        let aged = {
            let st = self.state.read();
            st.active
                .started
                .is_some_and(|t| t.elapsed() >= self.limits.max_age)
        };
        if aged {
            if let Err(e) = self.freeze() {
                self.set_read_only(e.to_string());
                return;
            }
        }
        if let Err(e) = self.run_once(false) {
            self.opt.lock().last_error = Some(e.to_string());
        }
    }

    /// Runs one optimization if there is work; returns whether it did.
    pub(super) fn run_once(&self, force: bool) -> Result<bool> {
        let _one = self.optimizing.lock();
        self.check_open()?;
        let (plan, inputs, id, base) = {
            let mut st = self.state.write();
            let Some(plan) = self.plan(&st, force) else {
                let mut o = self.opt.lock();
                o.state = OptimizerState::Idle;
                self.opt_cv.notify_all();
                return Ok(false);
            };
            let id = st.next_segment_id;
            st.next_segment_id += 1;
            let mut sources = Vec::new();
            // The base: the largest sealed input without deleted points.
            let base = plan
                .sealed
                .iter()
                .copied()
                .filter(|&i| st.sealed[i].deleted.count() == 0 && st.sealed[i].seg.graph.is_some())
                .max_by_key(|&i| st.sealed[i].seg.len());
            let mut order: Vec<usize> = base.into_iter().collect();
            order.extend(plan.sealed.iter().copied().filter(|&i| Some(i) != base));
            for &i in &order {
                let s = &st.sealed[i];
                sources.push((Source::Sealed(Arc::clone(&s.seg)), s.deleted.clone()));
            }
            for &i in &plan.frozen {
                let f = &st.frozen[i];
                sources.push((Source::Frozen(Arc::clone(&f.seg)), f.deleted.clone()));
            }
            let mut points = Vec::new();
            for (k, (src, del)) in sources.iter().enumerate() {
                let len = match src {
                    Source::Frozen(a) => a.len(),
                    Source::Sealed(x) => x.len(),
                };
                points.extend(
                    (0..len as u32)
                        .filter(|&o| !del.get(o))
                        .map(|o| (k as u32, o)),
                );
            }
            let base = base.map(|i| Arc::clone(&st.sealed[i].seg));
            let mut plan = plan;
            plan.sealed = order;
            (plan, Inputs { sources, points }, id, base)
        };
        self.opt.lock().state = OptimizerState::Running;
        let result = self.rewrite(&plan, &inputs, id, base.as_deref());
        let mut o = self.opt.lock();
        o.state = OptimizerState::Idle;
        match &result {
            Ok(()) => {
                o.runs += 1;
                o.last_error = None;
            }
            Err(e) => o.last_error = Some(e.to_string()),
        }
        self.opt_cv.notify_all();
        drop(o);
        result.map(|()| true)
    }

    fn rewrite(&self, plan: &Plan, inputs: &Inputs, id: u64, base: Option<&Sealed>) -> Result<()> {
        let seg_dir = self.dir.join(segment_dir_name(id));
        let new = if inputs.points.is_empty() {
            None
        } else {
            let built = write_segment(
                &seg_dir,
                self.uid,
                id,
                &self.config(),
                inputs,
                base.and_then(|b| b.graph.as_ref()),
                &self.index_kinds,
                &|| self.closed.load(std::sync::atomic::Ordering::Acquire),
            );
            // Field indexes are defined under `optimizing`, which this run
            // holds: the definitions cannot change until it commits.
            let defs = self.state.read().field_defs.clone();
            let built = built.and_then(|s| {
                let fields = super::fields::build_sealed(&s, &defs, self.uid)?;
                // Searches of the new segment walk a resident copy from
                // the start (if the memory is refused, they read the file).
                let _ = s.make_resident();
                Ok((Arc::new(s), fields))
            });
            match built {
                Ok(s) => Some(s),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&seg_dir);
                    return Err(e);
                }
            }
        };
        if new.is_some() {
            crate::storage::sync_dir(&self.dir)?;
        }
        let committed = self.commit(plan, inputs, new);
        if committed.is_err() {
            let _ = std::fs::remove_dir_all(&seg_dir);
        }
        committed
    }

    fn commit(
        &self,
        plan: &Plan,
        inputs: &Inputs,
        new: Option<(Arc<Sealed>, Fields)>,
    ) -> Result<()> {
        let turn = self.turn.lock();
        let _poison = PoisonOnPanic {
            coll: self,
            what: "an optimizer commit",
        };
        let old_dirs: Vec<std::path::PathBuf>;
        let log_start;
        {
            let st = self.state.read();
            // Deletions made since the plan carry over to the new segment.
            let mut deleted = Bitset::with_len(inputs.points.len());
            let current = |k: usize| -> &Bitset {
                if k < plan.sealed.len() {
                    &st.sealed[plan.sealed[k]].deleted
                } else {
                    &st.frozen[plan.frozen[k - plan.sealed.len()]].deleted
                }
            };
            for (j, &(k, o)) in inputs.points.iter().enumerate() {
                if current(k as usize).get(o) {
                    deleted.set(j as u32);
                }
            }
            let generation = st.generation + 1;
            let applied_seq = plan
                .frozen
                .iter()
                .map(|&i| st.frozen[i].seg.last_seq)
                .max()
                .unwrap_or(0)
                .max(st.applied_seq);
            log_start = st
                .frozen
                .iter()
                .enumerate()
                .filter(|(i, _)| !plan.frozen.contains(i))
                .map(|(_, f)| f.seg.first_log_file)
                .chain(std::iter::once(st.active.first_log_file))
                .min()
                .expect("the active segment exists");
            // Save the deleted sets that changed, then the manifest.
            let mut entries = Vec::new();
            let mut saved: Vec<(usize, Option<u64>)> = Vec::new();
            for (i, s) in st.sealed.iter().enumerate() {
                if plan.sealed.contains(&i) {
                    continue;
                }
                let gen = if s.dirty {
                    self.save_deleted(&s.seg.dir, s.seg.id, generation, &s.deleted)?;
                    Some(generation)
                } else {
                    s.saved_gen
                };
                saved.push((i, gen));
                entries.push(SegmentEntry {
                    id: s.seg.id,
                    points: s.seg.len() as u64,
                    deleted_generation: gen,
                });
            }
            let new_gen = match &new {
                Some((seg, _)) if deleted.count() > 0 => {
                    self.save_deleted(&seg.dir, seg.id, generation, &deleted)?;
                    Some(generation)
                }
                _ => None,
            };
            if let Some((seg, _)) = &new {
                entries.push(SegmentEntry {
                    id: seg.id,
                    points: seg.len() as u64,
                    deleted_generation: new_gen,
                });
            }
            // The edges, when they changed: every record applied so far
            // (the apply turn is held) is in the snapshot.
            let edges = if st.graph.dirty {
                super::graph::save_edges(&self.dir, self.uid, generation, &st.graph)?;
                Some((generation, st.last_applied))
            } else {
                st.graph_saved
            };
            let m = Manifest {
                generation,
                applied_seq,
                log_start,
                next_segment_id: st.next_segment_id,
                segments: entries,
                field_indexes: st.field_defs.clone(),
                next_field_id: st.next_field_id,
                edges,
                graph_schema: st.graph_schema.as_ref().map(|s| s.to_json()),
            };
            m.write(&self.dir, self.uid)?;
            if let Err(e) = crate::storage::sync_dir(&self.dir) {
                // The rename may or may not be durable: the state on disk is
                // uncertain until the collection is reopened.
                self.set_read_only(e.to_string());
                return Err(e);
            }
            old_dirs = plan
                .sealed
                .iter()
                .map(|&i| st.sealed[i].seg.dir.clone())
                .collect();
            drop(st);
            let mut st = self.state.write();
            let mut sealed: Vec<SealedSlot> = Vec::new();
            for (i, slot) in std::mem::take(&mut st.sealed).into_iter().enumerate() {
                if let Some(&(_, gen)) = saved.iter().find(|(j, _)| *j == i) {
                    sealed.push(SealedSlot {
                        dirty: false,
                        saved_gen: gen,
                        ..slot
                    });
                }
            }
            if let Some((seg, fields)) = new {
                sealed.push(SealedSlot {
                    seg,
                    deleted,
                    saved_gen: new_gen,
                    dirty: false,
                    fields,
                });
            }
            st.sealed = sealed;
            let keep: Vec<_> = std::mem::take(&mut st.frozen)
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !plan.frozen.contains(i))
                .map(|(_, f)| f)
                .collect();
            st.frozen = keep;
            st.generation = generation;
            st.applied_seq = applied_seq;
            st.log_start = log_start;
            if st.graph_saved != edges {
                st.graph_saved = edges;
                st.graph.dirty = false;
            }
        }
        drop(turn);
        // Old files: no reader can reach them any more.
        for d in old_dirs {
            let _ = std::fs::remove_dir_all(&d);
        }
        self.log.remove_before(log_start)?;
        self.remove_stale_files()?;
        Ok(())
    }

    fn save_deleted(&self, seg_dir: &Path, seg: u64, generation: u64, d: &Bitset) -> Result<()> {
        write_sealed(
            &seg_dir.join(deleted_file_name(generation)),
            deleted_identity(self.uid, seg, generation),
            &d.to_bytes(),
        )?;
        crate::storage::sync_dir(seg_dir)
    }

    /// Removes old manifests and deleted sets the current generation does
    /// not name.
    pub(super) fn remove_stale_files(&self) -> Result<()> {
        let st = self.state.read();
        let generation = st.generation;
        for entry in
            std::fs::read_dir(&self.dir).map_err(|e| Error::io("read directory", &self.dir, e))?
        {
            let entry = entry.map_err(|e| Error::io("read directory", &self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_edges = super::graph::parse_edges_file_name(&name)
                .is_some_and(|g| Some(g) != st.graph_saved.map(|e| e.0));
            if super::manifest::parse_file_name(&name).is_some_and(|g| g < generation)
                || stale_edges
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        for s in &st.sealed {
            let keep = s.saved_gen.map(deleted_file_name);
            if let Ok(rd) = std::fs::read_dir(&s.seg.dir) {
                for entry in rd.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with("deleted-") && Some(&name) != keep.as_ref() {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
        Ok(())
    }
}

/// The database's optimizer threads and the collections they serve.
pub(crate) struct Pool {
    state: Mutex<PoolState>,
    cv: Condvar,
    /// The threads background graph builds run on (explicit `optimize()`
    /// calls build on the caller's rayon pool instead).
    build: rayon::ThreadPool,
}

struct PoolState {
    collections: Vec<Weak<Collection>>,
    wake: bool,
    stop: bool,
}

/// Lowers the calling thread's CPU priority (nice 10; best effort: a
/// system that refuses leaves it as it is).
fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take no pointers; on Linux
    // PRIO_PROCESS with a thread id changes that one thread.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

impl Pool {
    /// Starts `threads` optimizer threads and `build_threads` threads for
    /// their graph builds (0: half the cores, at least one); `dir` is the
    /// database, named in the error if the system refuses a thread. All of
    /// them run at a lower CPU priority than the caller's threads. Left at
    /// every core and the callers' priority, a background build took the
    /// whole machine from the writers: on two cores, eight writers sharing
    /// fsyncs went from 24,500 to 5,500 upserts/s while a segment was
    /// sealed.
    pub(crate) fn start(
        threads: usize,
        build_threads: usize,
        dir: &Path,
    ) -> Result<(Arc<Pool>, Vec<std::thread::JoinHandle<()>>)> {
        let build_threads = match build_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            n => n,
        };
        let build = rayon::ThreadPoolBuilder::new()
            .num_threads(build_threads)
            .thread_name(|i| format!("quiver-build-{i}"))
            .start_handler(|_| lower_thread_priority())
            .build()
            .map_err(|e| {
                Error::io(
                    "start the optimizer's graph-build threads for",
                    dir,
                    std::io::Error::other(e.to_string()),
                )
            })?;
        let pool = Arc::new(Pool {
            state: Mutex::new(PoolState {
                collections: Vec::new(),
                wake: false,
                stop: false,
            }),
            cv: Condvar::new(),
            build,
        });
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let p = Arc::clone(&pool);
            let spawned = std::thread::Builder::new()
                .name(format!("quiver-optimizer-{i}"))
                .spawn(move || {
                    lower_thread_priority();
                    p.run()
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    pool.stop();
                    for h in handles {
                        let _ = h.join();
                    }
                    return Err(Error::io("start an optimizer thread for", dir, e));
                }
            }
        }
        Ok((pool, handles))
    }

    fn run(&self) {
        loop {
            let collections: Vec<Arc<Collection>> = {
                let mut g = self.state.lock();
                if !g.wake && !g.stop {
                    self.cv.wait_for(&mut g, Duration::from_millis(500));
                }
                if g.stop {
                    return;
                }
                g.wake = false;
                g.collections.retain(|w| w.strong_count() > 0);
                g.collections.iter().filter_map(Weak::upgrade).collect()
            };
            for c in collections {
                if self.state.lock().stop {
                    return;
                }
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.build.install(|| c.background_step())
                }));
                if r.is_err() {
                    c.opt.lock().last_error = Some("the optimizer panicked".to_owned());
                }
            }
        }
    }

    /// Registers a collection.
    pub(crate) fn register(&self, c: &Arc<Collection>) {
        let _ = c.optimizer.me.set(Arc::downgrade(c));
        self.state.lock().collections.push(Arc::downgrade(c));
        // Its first step makes the opened segments' vectors resident.
        self.wake();
    }

    /// Stops the threads (the caller joins them).
    pub(crate) fn stop(&self) {
        self.state.lock().stop = true;
        self.cv.notify_all();
    }

    fn wake(&self) {
        self.state.lock().wake = true;
        self.cv.notify_all();
    }
}

/// A collection's link to its database's optimizer.
pub struct OptimizerHandle {
    pool: Weak<Pool>,
    me: OnceLock<Weak<Collection>>,
}

impl OptimizerHandle {
    pub(crate) fn new(pool: &Arc<Pool>) -> OptimizerHandle {
        OptimizerHandle {
            pool: Arc::downgrade(pool),
            me: OnceLock::new(),
        }
    }

    /// Wakes the optimizer.
    pub fn notify(&self) {
        if let Some(p) = self.pool.upgrade() {
            p.wake();
        }
    }
}
