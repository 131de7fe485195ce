//! Regressions for the storage defects issue 9 fixes: a damaged log record
//! followed by durable ones silently cut the later acknowledged writes;
//! files of another collection (or an older copy) were accepted; bulk data
//! had no checksums; leftovers of interrupted writes stayed on disk.

use crate::common::segmented::{self as sg, log_records, Built};
use crate::common::util::{assert_same_points, copy_dir, dump, kind, Rng, TempDir};
use quiver::{Database, Error, Point};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The current log file (the highest-numbered `log-*.qv`) of `cdir`.
fn current_log(cdir: &Path) -> PathBuf {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(cdir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("log-") && n.ends_with(".qv"))
        })
        .collect();
    logs.sort();
    logs.pop().expect("a log file")
}

/// A copy of the shared segmented database in `tmp/<tag>`, its collection
/// directory, and what it holds.
fn copy_shared(tmp: &TempDir, tag: &str) -> (PathBuf, PathBuf, &'static Built) {
    let s = sg::shared();
    let dir = tmp.join(tag);
    copy_dir(&s.dir, &dir);
    let cdir = sg::cdir(&dir, sg::SHARED_NAME);
    (dir, cdir, &s.built)
}

fn open_coll(dir: &Path) -> quiver::Result<(Database, std::sync::Arc<quiver::Collection>)> {
    let db = sg::open(dir)?;
    let c = db.collection(sg::SHARED_NAME)?;
    Ok((db, c))
}

/// The error of opening the collection in `dir`, or a panic saying it opened.
#[track_caller]
fn open_err(dir: &Path, what: &str) -> Error {
    match open_coll(dir) {
        Ok((_, c)) => panic!(
            "{what}: opened without an error ({} points)",
            c.count().unwrap()
        ),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_corrupt_naming(e: &Error, names: &[&str], what: &str) {
    let m = e.to_string();
    assert!(
        matches!(e, Error::Corrupt(_)),
        "{what}: want Corrupt, got {}: {m}",
        kind(e)
    );
    for n in names {
        assert!(m.contains(n), "{what}: the message names {n:?}: {m}");
    }
}

/// One flipped byte in a log record that later durable records follow is
/// corruption naming the file and the record's offset, and the file is left
/// as it was; the same flip in the last record is a torn tail (that record
/// is dropped, the rest opens, writes go on).
#[test]
fn flipped_byte_mid_log_is_corruption_in_last_record_a_torn_tail() {
    let tmp = TempDir::new("defect-log-flip");
    let dir = tmp.join("db");
    let mut states = Vec::new();
    {
        let db = Database::open(&dir).unwrap();
        let c = db.create_collection("c", sg::config()).unwrap();
        let mut rng = Rng::new(91);
        states.push(dump(&c));
        for b in 0..6u64 {
            let pts: Vec<Point> = (0..10)
                .map(|i| sg::point(b, b * 10 + i, &mut rng))
                .collect();
            c.upsert(&pts).unwrap();
            states.push(dump(&c));
        }
        db.close().unwrap();
    }
    let cdir = sg::cdir(&dir, "c");
    let log = current_log(&cdir);
    let name = log.file_name().unwrap().to_str().unwrap().to_string();
    let clean = std::fs::read(&log).unwrap();
    let recs = log_records(&clean);
    assert_eq!(recs.len(), 6, "one record per acknowledged batch");

    for (i, &(start, end)) in recs.iter().enumerate().take(5) {
        let mut bad = clean.clone();
        bad[(start + end) / 2] ^= 0x04;
        std::fs::write(&log, &bad).unwrap();
        let e = match Database::open(&dir).unwrap().collection("c") {
            Ok(c) => panic!(
                "record {i} of 6 damaged: opened with {} of 60 points (later acknowledged writes dropped)",
                c.count().unwrap()
            ),
            Err(e) => e,
        };
        assert_corrupt_naming(
            &e,
            &[&name, &format!("offset {start} ")],
            &format!("record {i} damaged"),
        );
        assert_eq!(
            std::fs::read(&log).unwrap(),
            bad,
            "record {i} damaged: the failed open left the log as it was"
        );
    }

    let (start, end) = recs[5];
    let mut bad = clean.clone();
    bad[(start + end) / 2] ^= 0x04;
    std::fs::write(&log, &bad).unwrap();
    let db = Database::open(&dir).unwrap();
    let c = db
        .collection("c")
        .expect("a damaged last record is a torn tail");
    assert_same_points(&dump(&c), &states[5], "last record dropped");
    assert_eq!(
        std::fs::metadata(&log).unwrap().len() as usize,
        start,
        "the torn tail is cut off"
    );
    let p = sg::point(9, 999, &mut Rng::new(1));
    c.upsert(std::slice::from_ref(&p)).unwrap();
    let mut want = states[5].clone();
    want.insert(p.id, p);
    drop(c);
    drop(db);
    let db = Database::open(&dir).unwrap();
    assert_same_points(
        &dump(&db.collection("c").unwrap()),
        &want,
        "after the recovery",
    );
}

/// A manifest, ids, vectors, deleted set or log file of another collection
/// (built the same way, so only the identity differs), of another segment,
/// or of an older copy of the same collection (another generation or log
/// number) is refused with Corrupt naming it.
#[test]
fn files_of_another_collection_or_an_older_copy_are_refused() {
    let tmp = TempDir::new("defect-foreign");
    let dir = tmp.join("db");
    let old = tmp.join("old");
    {
        let db = sg::open(&dir).unwrap();
        sg::build(&db, "c");
        sg::build(&db, "other");
        db.close().unwrap();
    }
    // An older copy of "c", then more writes and a new generation in "c".
    copy_dir(&sg::cdir(&dir, "c"), &old);
    let want = {
        let db = sg::open(&dir).unwrap();
        let c = db.collection("c").unwrap();
        let mut rng = Rng::new(5);
        let pts: Vec<Point> = (50_000..50_020)
            .map(|i| sg::point(4, i, &mut rng))
            .collect();
        c.upsert(&pts).unwrap();
        c.delete(&[7, 8, 9]).unwrap();
        c.optimize().unwrap();
        c.upsert(&[sg::point(5, 50_100, &mut rng)]).unwrap();
        let d = dump(&c);
        db.close().unwrap();
        d
    };
    let cd = sg::cdir(&dir, "c");
    let other = sg::cdir(&dir, "other");
    let fc = sg::files(&cd);
    let fo = sg::files(&other);
    let fold = sg::files(&old);
    assert_ne!(
        fc.manifest, fold.manifest,
        "a new generation since the copy"
    );
    let cur_log = fc.logs.last().unwrap().clone();
    assert!(
        !fold.logs.contains(&cur_log),
        "the current log ({cur_log}) is newer than the copy ({:?})",
        fold.logs
    );
    let seg_a = fc.seg_a.clone();
    assert_eq!(
        fo.seg_a, seg_a,
        "both collections have the same segment ids"
    );
    let other_seg = std::fs::read_dir(&cd)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("seg-") && *n != seg_a)
        .expect("another segment");

    // (what, the file replaced, where its new content comes from)
    let cases: Vec<(&str, String, PathBuf)> = vec![
        (
            "another collection's manifest",
            fc.manifest.clone(),
            other.join(&fo.manifest),
        ),
        (
            "an older generation's manifest",
            fc.manifest.clone(),
            old.join(&fold.manifest),
        ),
        (
            "another collection's ids",
            format!("{seg_a}/ids.qv"),
            other.join(format!("{seg_a}/ids.qv")),
        ),
        (
            "another segment's ids",
            format!("{seg_a}/ids.qv"),
            cd.join(format!("{other_seg}/ids.qv")),
        ),
        (
            "another collection's vectors",
            format!("{seg_a}/vectors.qv"),
            other.join(format!("{seg_a}/vectors.qv")),
        ),
        (
            "another collection's payloads",
            format!("{seg_a}/payloads.qv"),
            other.join(format!("{seg_a}/payloads.qv")),
        ),
        (
            "another collection's deleted set",
            fc.deleted.clone(),
            other.join(&fo.deleted),
        ),
        (
            "another collection's log",
            cur_log.clone(),
            other.join(fo.logs.last().unwrap()),
        ),
        (
            "an older copy's log under a newer number",
            cur_log.clone(),
            old.join(fold.logs.last().unwrap()),
        ),
    ];
    for (n, (what, file, from)) in cases.iter().enumerate() {
        let t = tmp.join(format!("case{n}"));
        copy_dir(&dir, &t);
        let target = sg::cdir(&t, "c").join(file);
        std::fs::copy(from, &target).unwrap_or_else(|e| panic!("{what}: {e}"));
        let e = match sg::open(&t).unwrap().collection("c") {
            Ok(c) => panic!("{what}: accepted ({} points)", c.count().unwrap()),
            Err(e) => e,
        };
        assert_corrupt_naming(&e, &[file.as_str()], what);
        let _ = std::fs::remove_dir_all(&t);
    }

    // The older generation's manifest in place of the current one: it names
    // log files and segments that are gone.
    let t = tmp.join("old-manifest");
    copy_dir(&dir, &t);
    let tc = sg::cdir(&t, "c");
    std::fs::remove_file(tc.join(&fc.manifest)).unwrap();
    std::fs::copy(old.join(&fold.manifest), tc.join(&fold.manifest)).unwrap();
    let e = open_err(&t, "an older manifest instead of the current one");
    assert!(
        matches!(e, Error::Corrupt(_)),
        "an older manifest instead of the current one: {e}"
    );

    // Untouched, the collection opens with everything.
    let db = sg::open(&dir).unwrap();
    assert_same_points(&dump(&db.collection("c").unwrap()), &want, "untouched");
}

/// Sealed files carry block checksums: `verify()` passes on an intact
/// collection and finds one flipped vector byte (which the open does not
/// read), naming the file and the offset of its block; the same for a
/// payload byte.
#[test]
fn verify_finds_a_flipped_vector_or_payload_byte() {
    let tmp = TempDir::new("defect-verify");
    let (dir, cdir, _) = copy_shared(&tmp, "db");
    let f = sg::files(&cdir);
    {
        let (_db, c) = open_coll(&dir).unwrap();
        c.verify().expect("an intact collection verifies");
    }
    for (file, at) in [
        (format!("{}/vectors.qv", f.seg_a), sg::SEALED_DATA + 70_000),
        (format!("{}/vectors.qv", f.seg_a), sg::SEALED_DATA + 11),
        (
            format!("{}/payloads.qv", f.seg_a),
            sg::SEALED_DATA + 140_000,
        ),
    ] {
        let t = tmp.join("case");
        let _ = std::fs::remove_dir_all(&t);
        copy_dir(&dir, &t);
        let path = sg::cdir(&t, sg::SHARED_NAME).join(&file);
        let mut b = std::fs::read(&path).unwrap();
        assert!(at < b.len() - 16, "{file} is large enough");
        b[at] ^= 0x10;
        std::fs::write(&path, &b).unwrap();
        let (_db, c) = open_coll(&t).unwrap_or_else(|e| panic!("{file} byte {at}: open: {e}"));
        let block = sg::SEALED_DATA + (at - sg::SEALED_DATA) / 65536 * 65536;
        match c.verify() {
            Err(e @ Error::Corrupt(_)) => {
                assert_corrupt_naming(&e, &[&file, &format!("offset {block} ")], &file)
            }
            other => panic!("{file} byte {at} flipped: verify says {other:?}"),
        }
    }
}

/// What an interrupted write leaves behind (`*.tmp` files in the
/// collection directory and in segment directories, a segment directory no
/// manifest names, a deleted set of an older generation) is removed on
/// open; the collection's own files stay and it opens intact.
#[test]
fn leftovers_of_interrupted_writes_are_removed_on_open() {
    let tmp = TempDir::new("defect-leftovers");
    let (dir, cdir, built) = copy_shared(&tmp, "db");
    let f = sg::files(&cdir);
    let own: Vec<PathBuf> = walk(&cdir);
    let a = cdir.join(&f.seg_a);
    let b = cdir.join(&f.seg_b);
    let junk = vec![
        cdir.join("collection.tmp"),
        cdir.join("manifest-00000077.tmp"),
        cdir.join("log-00000077.tmp"),
        a.join("graph.tmp"),
        a.join("deleted-00000077.tmp"),
        a.join("deleted-00000001.qv"),
        b.join("ids.tmp"),
        b.join("vectors.tmp"),
    ];
    assert_ne!(f.deleted, format!("{}/deleted-00000001.qv", f.seg_a));
    for j in &junk {
        std::fs::write(j, b"half-written").unwrap();
    }
    // A whole segment written by an optimization that never committed, and
    // one cut short.
    let orphan = cdir.join("seg-00000077");
    copy_dir(&a, &orphan);
    std::fs::remove_file(orphan.join(f.deleted.rsplit('/').next().unwrap())).unwrap();
    let partial = cdir.join("seg-00000078");
    std::fs::create_dir(&partial).unwrap();
    std::fs::write(partial.join("ids.tmp"), b"x").unwrap();

    let (_db, c) = open_coll(&dir).expect("open with leftovers");
    assert_same_points(&dump(&c), &built.want, "opened with leftovers");
    for j in &junk {
        assert!(!j.exists(), "{} is removed on open", j.display());
    }
    assert!(!orphan.exists(), "a segment no manifest names is removed");
    assert!(!partial.exists(), "a partial segment directory is removed");
    assert_eq!(
        walk(&cdir),
        own,
        "exactly the collection's own files remain"
    );
    assert!(c.stats().unwrap().rebuilt_on_open.is_empty());
    c.verify().unwrap();
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Log files form a chain (each header says where the previous file
/// ended), and the manifest names the first one: a missing, renumbered or
/// cut file is corruption, never a silent loss of acknowledged writes.
#[test]
fn log_file_replaced_or_missing_is_detected() {
    let tmp = TempDir::new("defect-log-gaps");
    let s = sg::shared();
    let mut failures = Vec::new();
    type Damage = Box<dyn Fn(&Path, &[u8])>;
    let cases: Vec<(&str, Damage)> = vec![
        (
            "the current log file missing",
            Box::new(|p: &Path, _: &[u8]| std::fs::remove_file(p).unwrap()),
        ),
        (
            "every log file missing",
            Box::new(|p: &Path, _: &[u8]| {
                for e in std::fs::read_dir(p.parent().unwrap()).unwrap().flatten() {
                    if e.file_name().to_string_lossy().starts_with("log-") {
                        std::fs::remove_file(e.path()).unwrap();
                    }
                }
            }),
        ),
        (
            "a copy of the current log file as the next one",
            Box::new(|p: &Path, b: &[u8]| {
                let n: u64 = p.file_name().unwrap().to_str().unwrap()[4..12]
                    .parse()
                    .unwrap();
                let mut next = b.to_vec();
                sg::set_u64(&mut next, 24, n + 1);
                std::fs::write(p.with_file_name(format!("log-{:08}.qv", n + 1)), next).unwrap();
            }),
        ),
    ];
    for (n, (what, damage)) in cases.iter().enumerate() {
        let t = tmp.join(format!("case{n}"));
        copy_dir(&s.dir, &t);
        let log = current_log(&sg::cdir(&t, sg::SHARED_NAME));
        let bytes = std::fs::read(&log).unwrap();
        damage(&log, &bytes);
        match open_coll(&t) {
            Err(Error::Corrupt(_)) => {}
            Err(e) => failures.push(format!("{what}: {}: {e}", kind(&e))),
            Ok((_db, c)) => {
                let got: BTreeMap<u64, Point> = dump(&c);
                let lost = if got.len() == s.built.want.len() && got.keys().eq(s.built.want.keys())
                {
                    "all the data, but the damaged file was cut off silently".to_string()
                } else if got.keys().eq(s.built.prefixes[0].keys()) {
                    "the state before the log's 8 acknowledged writes: they were dropped silently"
                        .to_string()
                } else {
                    format!("{} points, want {}", got.len(), s.built.want.len())
                };
                failures.push(format!("{what}: opened with {lost}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The one case no chain can show (README, failure semantics): the newest
/// log file cut back to a record boundary past what the segments hold, here
/// to its header. It opens exactly as after a crash before those writes,
/// with the state the segments hold, and nothing else lost or invented.
#[test]
fn newest_log_file_cut_to_a_record_boundary_reads_as_a_crash_before_it() {
    let tmp = TempDir::new("defect-log-cut");
    let s = sg::shared();
    let t = tmp.join("db");
    copy_dir(&s.dir, &t);
    let log = current_log(&sg::cdir(&t, sg::SHARED_NAME));
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(&log, &bytes[..sg::LOG_HEADER]).unwrap();
    let (_db, c) = open_coll(&t).expect("opens");
    let got: BTreeMap<u64, Point> = dump(&c);
    assert!(
        got.keys().eq(s.built.prefixes[0].keys()),
        "{} points, want the {} the segments hold",
        got.len(),
        s.built.prefixes[0].len()
    );
}
