//! Failure semantics (DESIGN.md): an I/O error after the log append (failed
//! fsync, disk full) or a caught panic turns the collection read-only with
//! the cause in every later error, reads go on, and after a reopen the
//! failed write is absent and every acknowledged one present. Concurrent
//! writers sharing fsyncs (group commit) all survive a reopen.

use crate::common::segmented as sg;
use crate::common::util::{assert_same_points, dump, expect_err, kind, Rng, TempDir};
use quiver::storage::fault;
use quiver::{Collection, Database, Error, Point, SearchParams};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

fn pt(batch: u64, id: u64, rng: &mut Rng) -> Point {
    Point::new(id, rng.vector(sg::DIM)).with_payload(json!({"batch": batch, "id": id}))
}

/// `n` fresh points from `first`, plus an overwrite of `overwrite`.
fn batch(b: u64, first: u64, n: u64, overwrite: u64, rng: &mut Rng) -> Vec<Point> {
    let mut v: Vec<Point> = (first..first + n).map(|i| pt(b, i, rng)).collect();
    v.push(pt(b, overwrite, rng));
    v
}

fn apply(model: &mut BTreeMap<u64, Point>, pts: &[Point]) {
    for p in pts {
        model.insert(p.id, p.clone());
    }
}

/// Every kind of write fails with ReadOnly carrying `cause`.
#[track_caller]
fn assert_writes_refused(c: &Collection, cause: &str, what: &str) {
    let mut rng = Rng::new(77);
    let p = pt(99, 777_777, &mut rng);
    let results: Vec<(&str, quiver::Result<()>)> = vec![
        ("upsert", c.upsert(std::slice::from_ref(&p))),
        ("upsert_flat", c.upsert_flat(&[p.id], &p.vector, None)),
        (
            "upsert_json",
            c.upsert_json(&[p.id], &p.vector, &[Some(&b"{\"a\": 1}"[..])]),
        ),
        ("delete", c.delete(&[1, 2]).map(|_| ())),
        ("optimize", c.optimize()),
    ];
    for (op, r) in results {
        match r {
            Err(Error::ReadOnly(m)) if m.contains(cause) => {}
            Err(e) => panic!(
                "{what}: {op}: want ReadOnly naming {cause:?}, got {}: {e}",
                kind(&e)
            ),
            Ok(()) => panic!("{what}: {op} succeeded on a read-only collection"),
        }
    }
    let cause_in_stats = c.stats().unwrap().read_only_cause;
    assert!(
        cause_in_stats.as_deref().is_some_and(|m| m.contains(cause)),
        "{what}: stats().read_only_cause names {cause:?}: {cause_in_stats:?}"
    );
}

/// Reads work and show exactly `want`.
#[track_caller]
fn assert_reads(c: &Collection, want: &BTreeMap<u64, Point>, absent: &[u64], what: &str) {
    assert_same_points(&dump(c), want, what);
    assert_eq!(c.count().unwrap(), want.len(), "{what}: count");
    for p in want.values().step_by(want.len() / 10 + 1) {
        let hits = c
            .search(&p.vector, &SearchParams::new(1).exact(true))
            .unwrap();
        assert_eq!(hits[0].id, p.id, "{what}: self-search of {}", p.id);
    }
    let got = c.get(absent).unwrap();
    assert!(
        got.iter().all(Option::is_none),
        "{what}: ids {absent:?} absent"
    );
}

/// Reopens `dir`, checks it holds `want` and is writable, and that a write
/// survives another reopen.
fn reopen_and_check(dir: &Path, name: &str, mut want: BTreeMap<u64, Point>, absent: &[u64]) {
    {
        let db = Database::open(dir).unwrap();
        let c = db.collection(name).expect("reopen after the failure");
        assert_reads(&c, &want, absent, "after reopen");
        assert_eq!(
            c.stats().unwrap().read_only_cause,
            None,
            "writable after reopen"
        );
        let p = pt(100, 888_888, &mut Rng::new(3));
        c.upsert(std::slice::from_ref(&p))
            .expect("a write after reopen");
        c.delete(&[want.keys().next().copied().unwrap()]).unwrap();
        want.remove(&want.keys().next().copied().unwrap());
        want.insert(p.id, p);
    }
    let db = Database::open(dir).unwrap();
    assert_same_points(
        &dump(&db.collection(name).unwrap()),
        &want,
        "writes after the reopen survive another",
    );
}

/// A collection with acknowledged writes in a sealed segment and in the log.
fn populated(db: &Database, name: &str) -> (std::sync::Arc<Collection>, BTreeMap<u64, Point>) {
    let c = db.create_collection(name, sg::config()).unwrap();
    let mut rng = Rng::new(11);
    let mut want = BTreeMap::new();
    for b in 0..4 {
        let pts = batch(b, b * 100, 50, 0, &mut rng);
        c.upsert(&pts).unwrap();
        apply(&mut want, &pts);
    }
    c.optimize().unwrap();
    for b in 4..7 {
        let pts = batch(b, b * 100, 20, 1, &mut rng);
        c.upsert(&pts).unwrap();
        apply(&mut want, &pts);
    }
    c.delete(&[5, 105, 601]).unwrap();
    for id in [5, 105, 601] {
        want.remove(&id);
    }
    (c, want)
}

#[test]
fn failed_fsync_makes_the_collection_read_only_until_reopened() {
    let tmp = TempDir::new("fail-fsync");
    let dir = tmp.join("db");
    let db = Database::open(&dir).unwrap();
    let (c, want) = populated(&db, "c");
    let cdir = c.path().to_path_buf();
    let mut rng = Rng::new(12);
    let failed = batch(50, 5000, 10, 2, &mut rng);

    fault::arm(&cdir, "log fsync", 1);
    let e = expect_err(c.upsert(&failed), "the upsert whose fsync fails");
    fault::disarm(&cdir);
    let cause = "injected fault: log fsync";
    assert!(
        e.to_string().contains(cause),
        "the error names the cause: {e}"
    );
    assert!(!matches!(e, Error::InvalidArgument(_)), "{e}");

    assert_writes_refused(&c, cause, "after a failed fsync");
    // The failed batch has no effect, now: point 2 keeps its old version.
    assert_reads(&c, &want, &[5000, 5009], "after a failed fsync");
    drop(c);
    drop(db);
    reopen_and_check(&dir, "c", want, &[5000, 5009]);
}

/// Writers sharing fsyncs when one fails: each write that returned an
/// error is absent after the reopen, each one that returned Ok present.
#[test]
fn failed_fsync_among_concurrent_writers_keeps_exactly_the_acknowledged() {
    const THREADS: u64 = 6;
    for round in 0..8u64 {
        let tmp = TempDir::new("fail-fsync-group");
        let dir = tmp.join("db");
        let db = Database::open(&dir).unwrap();
        let c = db.create_collection("c", sg::config()).unwrap();
        let cdir = c.path().to_path_buf();
        let acked = Mutex::new(Vec::new());
        let failed = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (c, acked, failed) = (&c, &acked, &failed);
                s.spawn(move || {
                    let mut rng = Rng::new(t);
                    for j in 0..5000u64 {
                        let id = t * 1_000_000 + j;
                        match c.upsert(&[pt(t, id, &mut rng)]) {
                            Ok(()) => acked.lock().unwrap().push(id),
                            Err(e) => {
                                failed.lock().unwrap().push((id, e.to_string()));
                                return;
                            }
                        }
                    }
                    panic!("thread {t}: no write failed");
                });
            }
            while acked.lock().unwrap().len() < (20 + 25 * round) as usize {
                std::thread::yield_now();
            }
            fault::arm(&cdir, "log fsync", 1);
        });
        fault::disarm(&cdir);
        let acked: BTreeSet<u64> = acked.into_inner().unwrap().into_iter().collect();
        let failed = failed.into_inner().unwrap();
        assert_eq!(
            failed.len() as u64,
            THREADS,
            "every thread stopped at an error"
        );
        assert!(
            failed
                .iter()
                .any(|(_, m)| m.contains("injected fault: log fsync")),
            "the cause is reported: {failed:?}"
        );
        let failed_ids: Vec<u64> = failed.iter().map(|(id, _)| *id).collect();
        let live: BTreeSet<u64> = dump(&c).into_keys().collect();
        assert_eq!(
            live, acked,
            "round {round}: before reopen, exactly the acknowledged writes"
        );
        drop(c);
        drop(db);
        let db = Database::open(&dir).unwrap();
        let c = db.collection("c").unwrap();
        let live: BTreeSet<u64> = dump(&c).into_keys().collect();
        let back: Vec<&u64> = failed_ids.iter().filter(|id| live.contains(id)).collect();
        assert!(
            back.is_empty(),
            "round {round}: writes that returned an error came back after reopen: {back:?} ({failed:?})"
        );
        assert_eq!(
            live, acked,
            "round {round}: after reopen, exactly the acknowledged writes"
        );
    }
}

/// A tmpfs mounted for one test, unmounted on drop (also when the test fails).
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` on `dir`; `None` (after saying why) when
    /// this process may not mount (not root, or not allowed).
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs {
                dir: dir.to_owned(),
            }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs on {} ({}): {}",
                    dir.display(),
                    o.status,
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// Fills the file system holding `path` with a file of zeros until a write fails.
fn fill_disk(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 16 << 10];
    loop {
        if f.write_all(&chunk).and_then(|()| f.flush()).is_err() {
            return;
        }
    }
}

const ENOSPC: &str = "No space left on device";

#[test]
fn disk_full_makes_the_collection_read_only_until_reopened() {
    let tmp = TempDir::new("fail-disk-full");
    let Some(fs) = Tmpfs::mount(&tmp.join("mnt"), "2m") else {
        return;
    };
    let filler = fs.dir.join("filler");
    std::fs::write(&filler, vec![7u8; 256 << 10]).unwrap();
    let dir = fs.dir.join("db");
    let (want, b) = {
        let db = Database::open(&dir).unwrap();
        let c = db.create_collection("c", sg::config()).unwrap();
        let mut rng = Rng::new(21);
        let mut want = BTreeMap::new();
        let mut err = None;
        for b in 0..1000u64 {
            let pts: Vec<Point> = (0..8)
                .map(|i| {
                    let blob: String = (0..3000)
                        .map(|_| (b'a' + rng.below(26) as u8) as char)
                        .collect();
                    Point::new(b * 10 + i, rng.vector(sg::DIM))
                        .with_payload(json!({"batch": b, "blob": blob}))
                })
                .collect();
            match c.upsert(&pts) {
                Ok(()) => apply(&mut want, &pts),
                Err(e) => {
                    err = Some((e, b));
                    break;
                }
            }
        }
        let (e, b) = err.expect("a 2 MiB file system fills up");
        assert!(b > 5, "several batches fit before the disk is full ({b})");
        assert!(
            e.to_string().contains(ENOSPC),
            "the error names the cause: {e}"
        );
        assert_writes_refused(&c, ENOSPC, "after the disk filled up");
        assert_reads(&c, &want, &[b * 10, b * 10 + 7], "after the disk filled up");
        (want, b)
    };
    std::fs::remove_file(&filler).unwrap();
    reopen_and_check(&dir, "c", want, &[b * 10, b * 10 + 7]);
}

/// The disk fills up (not through the collection) and then an optimization
/// needs new files (the next log file, a segment): it fails, and once space
/// is freed the collection reopens with every acknowledged write.
#[test]
fn disk_full_during_optimize_leaves_an_openable_collection() {
    let tmp = TempDir::new("fail-disk-full-optimize");
    let Some(fs) = Tmpfs::mount(&tmp.join("mnt"), "2m") else {
        return;
    };
    let dir = fs.dir.join("db");
    let want = {
        let want = {
            let db = Database::open(&dir).unwrap();
            populated(&db, "c").1
        };
        // Reopened: the log file has no zero tail, whose space a rotation
        // would give back before the optimization needs it.
        let db = Database::open(&dir).unwrap();
        let c = db.collection("c").unwrap();
        fill_disk(&fs.dir.join("filler"));
        let e = expect_err(c.optimize(), "optimize on a full disk");
        assert!(
            e.to_string().contains(ENOSPC),
            "the error names the cause: {e}"
        );
        // Whether or not the collection takes writes now, it takes no
        // half-write: everything acknowledged is readable.
        assert_reads(&c, &want, &[], "after the failed optimize");
        want
    };
    std::fs::remove_file(fs.dir.join("filler")).unwrap();
    reopen_and_check(&dir, "c", want, &[]);
}

#[test]
fn caught_panic_poisons_the_collection_until_reopened() {
    let tmp = TempDir::new("fail-panic");
    let dir = tmp.join("db");
    let db = Database::open(&dir).unwrap();
    let (c, want) = populated(&db, "c");
    let cdir = c.path().to_path_buf();
    let bad = batch(60, 7000, 5, 3, &mut Rng::new(13));
    fault::arm(&cdir, "apply panic", 1);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.upsert(&bad)));
    fault::disarm(&cdir);
    assert!(
        r.is_err(),
        "the injected panic propagates (got {:?})",
        r.ok()
    );
    assert_writes_refused(&c, "panic", "after a caught panic");
    assert_reads(&c, &want, &[7000, 7004], "after a caught panic");
    drop(c);
    drop(db);
    // The panicked write was logged and made durable before it was applied:
    // the void record the engine writes for it keeps it out of the replay.
    reopen_and_check(&dir, "c", want, &[7000, 7004]);
}

/// Writers combine their applies (one applies the durable writes of
/// others): a panic while applying another writer's write reaches that
/// writer, not the one applying, and only that write is voided. Whatever
/// thread applied it, exactly one upsert panics; every upsert that
/// returned Ok is readable and survives a reopen; the panicked one and
/// the refused ones do not come back.
#[test]
fn a_panic_applying_a_combined_write_reaches_its_own_writer() {
    const THREADS: u64 = 6;
    let tmp = TempDir::new("fail-panic-group");
    let dir = tmp.join("db");
    let db = Database::open(&dir).unwrap();
    let c = db.create_collection("c", sg::config()).unwrap();
    let cdir = c.path().to_path_buf();
    let acked = Mutex::new(BTreeMap::new());
    let panicked = Mutex::new(Vec::new());
    let refused = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (c, acked, panicked, refused) = (&c, &acked, &panicked, &refused);
            s.spawn(move || {
                let mut rng = Rng::new(40 + t);
                for j in 0..400u64 {
                    let p = pt(t, t * 1_000_000 + j, &mut rng);
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        c.upsert(std::slice::from_ref(&p))
                    }));
                    match r {
                        Ok(Ok(())) => {
                            acked.lock().unwrap().insert(p.id, p);
                        }
                        Ok(Err(e)) => {
                            refused.lock().unwrap().push((p.id, e.to_string()));
                            return;
                        }
                        Err(_) => panicked.lock().unwrap().push(p.id),
                    }
                }
            });
        }
        while acked.lock().unwrap().len() < 50 {
            std::thread::yield_now();
        }
        fault::arm(&cdir, "apply panic", 1);
    });
    fault::disarm(&cdir);
    let want = acked.into_inner().unwrap();
    let panicked = panicked.into_inner().unwrap();
    let refused = refused.into_inner().unwrap();
    assert_eq!(
        panicked.len(),
        1,
        "exactly one upsert panicked: {panicked:?}"
    );
    assert!(
        refused.iter().all(|(_, m)| m.contains("panic")),
        "later writes are refused naming the panic: {refused:?}"
    );
    let mut absent = panicked.clone();
    absent.extend(refused.iter().map(|(id, _)| *id));
    assert_reads(&c, &want, &absent, "after the panic");
    assert_writes_refused(&c, "panic", "after the panic");
    drop(c);
    drop(db);
    reopen_and_check(&dir, "c", want, &absent);
}

/// Group commit: concurrent single-point upserts all succeed and all
/// survive a reopen.
#[test]
fn concurrent_single_point_upserts_all_survive_reopen() {
    let tmp = TempDir::new("fail-group-commit");
    let dir = tmp.join("db");
    let want = {
        let db = Database::open(&dir).unwrap();
        let c = db.create_collection("c", sg::config()).unwrap();
        let all = Mutex::new(BTreeMap::new());
        std::thread::scope(|s| {
            for t in 0..8u64 {
                let (c, all) = (&c, &all);
                s.spawn(move || {
                    let mut rng = Rng::new(100 + t);
                    for j in 0..40 {
                        let p = pt(t, t * 1000 + j, &mut rng);
                        c.upsert(std::slice::from_ref(&p))
                            .unwrap_or_else(|e| panic!("thread {t} upsert {j}: {e}"));
                        all.lock().unwrap().insert(p.id, p);
                    }
                });
            }
        });
        let want = all.into_inner().unwrap();
        assert_eq!(want.len(), 320);
        assert_same_points(&dump(&c), &want, "before reopen");
        want
    };
    let db = Database::open(&dir).unwrap();
    assert_same_points(&dump(&db.collection("c").unwrap()), &want, "after reopen");
}
