//! A collection with every kind of file the segments engine writes, for the
//! damaged-file and defect tests, and helpers to find and edit those files.
//!
//! [`build`] makes, deterministically:
//!
//! - step 1: 3000 points, then `optimize()`: sealed segment A (vectors and
//!   payloads spanning several 64 KiB blocks);
//! - step 2: deletes and overwrites of A's points plus a few new points,
//!   then `optimize()`: sealed segment B, and A's deleted set saved as
//!   `seg-A/deleted-<gen>.qv` (A has more live points than
//!   `max_segment_points`, so it is not merged);
//! - step 3: more upserts and deletes left in the log (the current
//!   `log-*.qv`), one record per operation.
//!
//! The same options must be used to reopen it (with the default limits the
//! background optimizer would merge A and B).
#![allow(dead_code)]

use super::util::{dump, Rng};
use quiver::{
    CollectionConfig, Database, DatabaseOptions, HnswConfig, Metric, Point, SegmentLimits,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Vector dimension.
pub const DIM: usize = 8;
/// Points of step 1 (segment A).
pub const STEP1: u64 = 3000;

/// The collection configuration.
pub fn config() -> CollectionConfig {
    CollectionConfig::new(DIM, Metric::Euclidean).with_hnsw(HnswConfig {
        m: 8,
        ef_construction: 40,
        ef_search: 40,
    })
}

/// Options under which the built collection gets no background work.
pub fn options() -> DatabaseOptions {
    DatabaseOptions {
        limits: SegmentLimits {
            max_segment_points: 100,
            max_age: Duration::from_secs(3600),
            ..SegmentLimits::default()
        },
        ..DatabaseOptions::default()
    }
}

/// Opens `dir` with [`options`].
pub fn open(dir: &Path) -> quiver::Result<Database> {
    Database::open_with(dir, options())
}

/// A point of operation `op` with a payload of some size.
pub fn point(op: u64, id: u64, rng: &mut Rng) -> Point {
    let pad = "p".repeat(rng.below(48) as usize);
    Point::new(id, rng.vector(DIM)).with_payload(json!({"op": op, "id": id, "pad": pad}))
}

/// What [`build`] wrote.
pub struct Built {
    /// Every point at the end.
    pub want: BTreeMap<u64, Point>,
    /// `prefixes[k]`: the points after step 3's first `k` operations (what a
    /// log cut after its k-th step-3 record recovers); the last is `want`.
    pub prefixes: Vec<BTreeMap<u64, Point>>,
}

/// Builds the collection `name` in `db` (see the module documentation).
pub fn build(db: &Database, name: &str) -> Built {
    let c = db.create_collection(name, config()).expect("create");
    let mut rng = Rng::new(0x5E6_0001);
    // Step 1.
    for start in (0..STEP1).step_by(1000) {
        let pts: Vec<Point> = (start..start + 1000)
            .map(|i| point(1, i, &mut rng))
            .collect();
        c.upsert(&pts).expect("step 1 upsert");
    }
    c.optimize().expect("optimize 1");
    // Step 2.
    c.delete(&(0..STEP1).step_by(97).collect::<Vec<_>>())
        .expect("step 2 delete");
    let mut pts: Vec<Point> = (10_000..10_005).map(|i| point(2, i, &mut rng)).collect();
    pts.push(point(2, 1, &mut rng));
    pts.push(point(2, 2, &mut rng));
    c.upsert(&pts).expect("step 2 upsert");
    c.optimize().expect("optimize 2");
    // Step 3: left in the log.
    let mut prefixes = vec![dump(&c)];
    for k in 0..8u64 {
        if k % 3 == 2 {
            let ids: Vec<u64> = (3 + k..STEP1).step_by(101).chain([10_001 + k]).collect();
            c.delete(&ids).expect("step 3 delete");
        } else {
            let mut pts: Vec<Point> = (0..6)
                .map(|j| point(3, 20_000 + k * 10 + j, &mut rng))
                .collect();
            pts.push(point(3, 5 + k, &mut rng));
            c.upsert(&pts).expect("step 3 upsert");
        }
        prefixes.push(dump(&c));
    }
    let want = prefixes.last().unwrap().clone();
    assert!(
        c.stats().unwrap().rebuilt_on_open.is_empty(),
        "nothing rebuilt in a fresh collection"
    );
    c.verify().expect("a fresh collection verifies");
    Built { want, prefixes }
}

/// `<db>/collections/<name>`.
pub fn cdir(db: &Path, name: &str) -> PathBuf {
    db.join("collections").join(name)
}

fn names(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| keep(n))
        .collect();
    v.sort();
    v
}

/// The files of a built collection, as paths relative to its directory.
#[derive(Clone, Debug)]
pub struct Files {
    /// `manifest-<gen>.qv`.
    pub manifest: String,
    /// `log-<n>.qv`, oldest first (the last one takes appends; older ones
    /// exist only while their records are not sealed yet).
    pub logs: Vec<String>,
    /// `seg-<id>` of segment A (the one with a deleted set).
    pub seg_a: String,
    /// `seg-<id>` of segment B.
    pub seg_b: String,
    /// `seg-A/deleted-<gen>.qv`.
    pub deleted: String,
}

/// Finds the files of a collection made by [`build`].
pub fn files(cdir: &Path) -> Files {
    let manifests = names(cdir, |n| n.starts_with("manifest-") && n.ends_with(".qv"));
    assert_eq!(manifests.len(), 1, "one manifest generation: {manifests:?}");
    let logs = names(cdir, |n| n.starts_with("log-") && n.ends_with(".qv"));
    assert!(!logs.is_empty(), "a log file: {logs:?}");
    let segs = names(cdir, |n| n.starts_with("seg-"));
    assert_eq!(segs.len(), 2, "two sealed segments: {segs:?}");
    let with_deleted: Vec<(String, Vec<String>)> = segs
        .iter()
        .map(|s| {
            (
                s.clone(),
                names(&cdir.join(s), |n| n.starts_with("deleted-")),
            )
        })
        .collect();
    let a = with_deleted
        .iter()
        .find(|(_, d)| d.len() == 1)
        .unwrap_or_else(|| panic!("a segment with one deleted set: {with_deleted:?}"));
    let b = with_deleted
        .iter()
        .find(|(s, _)| *s != a.0)
        .expect("the other segment");
    for s in &segs {
        for f in ["ids.qv", "vectors.qv", "payloads.qv", "graph.qv"] {
            assert!(cdir.join(s).join(f).is_file(), "{s}/{f} exists");
        }
    }
    Files {
        manifest: manifests[0].clone(),
        logs,
        seg_a: a.0.clone(),
        seg_b: b.0.clone(),
        deleted: format!("{}/{}", a.0, a.1[0]),
    }
}

/// Offset of the data in a sealed file.
pub const SEALED_DATA: usize = 64;
/// Bytes of a log file header.
pub const LOG_HEADER: usize = 64;

/// Edits the 64-byte header of a sealed or log file (both keep a CRC-32 of
/// bytes 0..60 at 60..64) and fixes its checksum, so that the edit reaches
/// the identity checks behind the checksum.
pub fn edit_header(bytes: &mut [u8], edit: impl FnOnce(&mut [u8])) {
    edit(&mut bytes[..64]);
    let crc = quiver::storage::checksum::crc32(&bytes[..60]);
    bytes[60..64].copy_from_slice(&crc.to_le_bytes());
}

/// Writes the little-endian `u64` `v` at `at` of a header (see [`edit_header`]).
pub fn set_u64(bytes: &mut [u8], at: usize, v: u64) {
    edit_header(bytes, |h| h[at..at + 8].copy_from_slice(&v.to_le_bytes()));
}

/// Reads a little-endian `u64` at `at`.
pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// One record of a log file: (start offset, end offset).
pub fn log_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = LOG_HEADER;
    while pos + 24 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let end = pos + 24 + len;
        assert!(end <= bytes.len(), "log record at {pos} runs past the file");
        out.push((pos, end));
        pos = end;
    }
    assert_eq!(pos, bytes.len(), "log ends with a whole record");
    out
}

/// Every point of a collection (scroll + get), or the first error.
pub fn try_dump(c: &quiver::Collection) -> quiver::Result<BTreeMap<u64, Point>> {
    let mut out = BTreeMap::new();
    let mut from = None;
    loop {
        let page = c.scroll(from, 1000, None)?;
        for p in c.get(&page.ids)?.into_iter().flatten() {
            out.insert(p.id, p);
        }
        match page.next {
            Some(n) => from = Some(n),
            None => return Ok(out),
        }
    }
}

/// Name of the collection in [`shared`].
pub const SHARED_NAME: &str = "c";

/// A database holding one collection made by [`build`], built once per test
/// process; tests copy its directory before touching anything.
pub struct Shared {
    /// The database directory (closed; copy it).
    pub dir: PathBuf,
    /// What was written.
    pub built: Built,
}

/// The process-wide [`Shared`] database.
pub fn shared() -> &'static Shared {
    static S: std::sync::OnceLock<Shared> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        // Never dropped (it lives in a static): the next test process sweeps it.
        let tmp = super::util::TempDir::new("segmented-shared");
        let dir = tmp.path().join("db");
        std::mem::forget(tmp);
        let db = open(&dir).expect("open");
        let built = build(&db, SHARED_NAME);
        db.close().expect("close");
        Shared { dir, built }
    })
}
