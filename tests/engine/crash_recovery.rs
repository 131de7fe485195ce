//! Crashes and damaged files.
//!
//! The crash tests run a writer in a child process (this same test binary,
//! re-invoked to run only the ignored `crash_child` test, which acts only when
//! `QUIVER_TEST_CRASH_CHILD_DIR` is set). The child applies a deterministic
//! sequence of operations (`op(i)`) and prints `acked i` after each one
//! returns; the parent SIGKILLs it and checks that the reopened collection
//! holds exactly the acknowledged operations, plus possibly the one that was
//! in flight, whole.

use crate::common::util::{
    assert_same_points, collection_dir, copy_dir, dump, kind, same_point, Rng, TempDir,
};
use quiver::{CollectionConfig, Database, Error, Filter, HnswConfig, Metric, Point, SearchParams};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

const ENV_DIR: &str = "QUIVER_TEST_CRASH_CHILD_DIR";
const ENV_START: &str = "QUIVER_TEST_CRASH_CHILD_START";
const CHILD_TEST: &str = "engine::crash_recovery::crash_child";
/// Marks the child's protocol lines on its stdout.
const TAG: &str = "QVCHILD ";
const NAME: &str = "c";
const DIM: usize = 8;
/// Fresh ids per upsert operation.
const FRESH: u64 = 20;

fn config() -> CollectionConfig {
    CollectionConfig::new(DIM, Metric::Euclidean).with_hnsw(HnswConfig {
        m: 8,
        ef_construction: 40,
        ef_search: 40,
    })
}

enum Op {
    Upsert(Vec<Point>),
    Delete(Vec<u64>),
}

fn point(op: u64, id: u64, rng: &mut Rng) -> Point {
    let pad = "x".repeat(rng.below(64) as usize);
    Point::new(id, rng.vector(DIM)).with_payload(json!({"op": op, "id": id, "pad": pad}))
}

/// Operation `i` of the sequence: every fifth deletes some earlier ids (and
/// one that never existed), the others upsert `FRESH` new ids and overwrite
/// five earlier ones.
fn op(i: u64) -> Op {
    let mut rng = Rng::new(0xC4A5_0000 + i);
    if i % 5 == 4 {
        let mut ids: Vec<u64> = (0..8).map(|_| rng.below(i * FRESH)).collect();
        ids.push((1 << 40) | i);
        ids.sort_unstable();
        ids.dedup();
        Op::Delete(ids)
    } else {
        let mut pts: Vec<Point> = (0..FRESH)
            .map(|j| point(i, i * FRESH + j, &mut rng))
            .collect();
        if i > 0 {
            for _ in 0..5 {
                let id = rng.below(i * FRESH);
                pts.push(point(i, id, &mut rng));
            }
        }
        Op::Upsert(pts)
    }
}

fn apply(model: &mut BTreeMap<u64, Point>, op: &Op) {
    match op {
        Op::Upsert(pts) => {
            for p in pts {
                model.insert(p.id, p.clone());
            }
        }
        Op::Delete(ids) => {
            for id in ids {
                model.remove(id);
            }
        }
    }
}

/// The collection after operations `0..n`.
fn model_after(n: u64) -> BTreeMap<u64, Point> {
    let mut m = BTreeMap::new();
    for i in 0..n {
        apply(&mut m, &op(i));
    }
    m
}

fn same_state(a: &BTreeMap<u64, Point>, b: &BTreeMap<u64, Point>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ia, pa), (ib, pb))| ia == ib && same_point(pa, pb))
}

/// The child: applies operations from `$QUIVER_TEST_CRASH_CHILD_START` on until killed.
#[test]
#[ignore = "child process of the crash tests; does nothing unless QUIVER_TEST_CRASH_CHILD_DIR is set"]
fn crash_child() {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let fail = |msg: String| -> ! {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "\n{TAG}error {msg}");
        let _ = out.flush();
        std::process::exit(2)
    };
    let start: u64 = std::env::var(ENV_START)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fail(format!("{ENV_START} not set")));
    let db = Database::open(&dir).unwrap_or_else(|e| fail(format!("open: {e}")));
    let c = match db.collection(NAME) {
        Ok(c) => c,
        Err(Error::NotFound(_)) => db
            .create_collection(NAME, config())
            .unwrap_or_else(|e| fail(format!("create: {e}"))),
        Err(e) => fail(format!("collection: {e}")),
    };
    let mut out = std::io::stdout();
    // libtest may have started a line ("test ... "): protocol lines start fresh.
    let _ = writeln!(out, "\n{TAG}ready");
    let _ = out.flush();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i = start;
    while Instant::now() < deadline {
        let r = match op(i) {
            Op::Upsert(p) => c.upsert(&p),
            Op::Delete(ids) => c.delete(&ids).map(|_| ()),
        };
        if let Err(e) = r {
            fail(format!("op {i}: {e}"));
        }
        let _ = writeln!(out, "{TAG}acked {i}");
        let _ = out.flush();
        i += 1;
    }
    fail("not killed within 60 s".into())
}

/// Runs the child on `dir` from operation `start`, SIGKILLs it `delay` after
/// it acknowledged `min_acks` operations, and returns the end of the
/// acknowledged range (the child acknowledged `start..end`).
fn run_child(dir: &Path, start: u64, min_acks: u64, delay: Duration) -> u64 {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args([
            CHILD_TEST,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DIR, dir)
        .env(ENV_START, start.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the crash child");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let out_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let deadline = Instant::now() + Duration::from_secs(90);
    let mut next = start;
    let mut failures: Vec<String> = Vec::new();
    let ack = |line: &str, next: &mut u64, failures: &mut Vec<String>| {
        let Some(msg) = line.find(TAG).map(|at| &line[at + TAG.len()..]) else {
            return false; // libtest's own output
        };
        if let Some(n) = msg.strip_prefix("acked ") {
            match n.trim().parse::<u64>() {
                Ok(n) if n == *next => *next += 1,
                _ => failures.push(format!("unexpected ack line {line:?}, expected op {next}")),
            }
            true
        } else {
            if msg.starts_with("error") {
                failures.push(format!("child: {msg}"));
            }
            false
        }
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if line.ends_with(&format!("{TAG}ready")) {
                    // The child holds the lock: another process cannot open the database.
                    match Database::open(dir) {
                        Err(Error::Locked(_)) => {}
                        Err(e) => failures.push(format!(
                            "open while the child runs: expected Locked, got {e}"
                        )),
                        Ok(db) => {
                            drop(db);
                            failures.push("open while the child runs succeeded: the lock does not hold across processes".into());
                        }
                    }
                    continue;
                }
                let was_ack = ack(&line, &mut next, &mut failures);
                if !failures.is_empty() {
                    break;
                }
                if was_ack && next - start >= min_acks {
                    std::thread::sleep(delay);
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                failures.push(format!(
                    "child acknowledged only {} ops in 90 s",
                    next - start
                ));
                break;
            }
            Err(RecvTimeoutError::Disconnected) => {
                failures.push(format!(
                    "child exited before it was killed, after {} acks",
                    next - start
                ));
                break;
            }
        }
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().expect("wait for the child");
    out_reader.join().unwrap();
    // Acks written before the kill are acknowledged operations too.
    for line in rx.try_iter() {
        ack(&line, &mut next, &mut failures);
    }
    let err = err_reader.join().unwrap();
    if !failures.is_empty() {
        panic!(
            "crash child (start {start}): {}\nstatus {status:?}\nchild stderr:\n{err}",
            failures.join("\n")
        );
    }
    assert_eq!(
        status.signal(),
        Some(9),
        "child was killed by SIGKILL; stderr:\n{err}"
    );
    next
}

/// Opens `dir` after a crash and checks that it holds operations `0..acked`
/// or `0..acked + 1` (the one in flight, whole); returns how many it holds.
fn verify(dir: &Path, acked: u64, what: &str) -> u64 {
    let db = Database::open(dir).unwrap_or_else(|e| panic!("{what}: reopen after the crash: {e}"));
    let c = db
        .collection(NAME)
        .unwrap_or_else(|e| panic!("{what}: collection: {e}"));
    let state = dump(&c);
    assert_eq!(c.count().unwrap(), state.len(), "{what}: count vs scroll");
    let with_acked = model_after(acked);
    let applied = if same_state(&state, &with_acked) {
        acked
    } else {
        let mut plus_one = with_acked.clone();
        apply(&mut plus_one, &op(acked));
        if same_state(&state, &plus_one) {
            acked + 1
        } else {
            assert_same_points(
                &state,
                &with_acked,
                &format!("{what}: state after {acked} acknowledged ops"),
            );
            unreachable!()
        }
    };
    check_searches(&c, &state, what);
    db.close().unwrap_or_else(|e| panic!("{what}: close: {e}"));
    applied
}

/// Searches over a recovered collection find what it holds.
fn check_searches(c: &quiver::Collection, state: &BTreeMap<u64, Point>, what: &str) {
    let pts: Vec<&Point> = state.values().collect();
    let step = (pts.len() / 25).max(1);
    for p in pts.iter().step_by(step) {
        for exact in [true, false] {
            let r = c
                .search(&p.vector, &SearchParams::new(3).exact(exact))
                .unwrap();
            assert_eq!(
                r.first().map(|h| h.id),
                Some(p.id),
                "{what}: exact {exact}: self-search of {}: {r:?}",
                p.id
            );
            assert!(
                r[0].score.abs() < 1e-3,
                "{what}: self-distance {}",
                r[0].score
            );
        }
    }
    // The payload index agrees with the stored payloads.
    if let Some(last) = pts
        .iter()
        .filter_map(|p| p.payload.as_ref()?.get("op")?.as_u64())
        .max()
    {
        let f = Filter::from_json(&json!({"field": "op", "eq": last})).unwrap();
        let page = c.scroll(None, 100_000, Some(&f)).unwrap();
        let want: Vec<u64> = pts
            .iter()
            .filter(|p| {
                p.payload
                    .as_ref()
                    .and_then(|v| v.get("op"))
                    .and_then(|v| v.as_u64())
                    == Some(last)
            })
            .map(|p| p.id)
            .collect();
        assert_eq!(page.ids, want, "{what}: filter op == {last}");
    }
}

/// The log file appends go to: the highest-numbered `log-*.qv`.
fn wal_path(db: &Path) -> PathBuf {
    let dir = collection_dir(db, NAME);
    let mut logs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("log-") && n.ends_with(".qv"))
        .collect();
    logs.sort();
    dir.join(logs.last().expect("a log file"))
}

/// Bytes of a log file's header.
const LOG_HEADER: u64 = 64;

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.write_all(bytes).unwrap();
    f.sync_all().unwrap();
}

/// Garbage that looks like the start of a log record, then random bytes.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut g = vec![40, 0, 0, 0, 1, 2, 3, 4];
    g.extend((0..len).map(|_| rng.next_u64() as u8));
    g
}

#[test]
fn killed_writer_loses_no_acknowledged_operation() {
    let tmp = TempDir::new("crash-kill");
    let dir = tmp.join("db");

    // Round 1: a fresh database.
    let a1 = run_child(&dir, 0, 25, Duration::ZERO);
    let p1 = verify(&dir, a1, "round 1");

    // Round 2: on the reopened database; then a torn tail of garbage on its log.
    let a2 = run_child(&dir, p1, 25, Duration::from_micros(300));
    let snap = tmp.join("snap");
    copy_dir(&dir, &snap);
    append(&wal_path(&dir), &garbage(1, 300));
    let probe = tmp.join("probe");
    copy_dir(&dir, &probe);
    let p2 = verify(&probe, a2, "round 2 (log with a torn tail)");

    // Round 3: the child itself recovers the torn log, writes on, and is
    // killed: what it wrote after the recovery must be there.
    let a3 = run_child(&dir, p2, 25, Duration::from_millis(1));
    let p3 = verify(&dir, a3, "round 3 (after recovering a torn tail)");
    eprintln!("crash rounds: acked/applied {a1}/{p1}, {a2}/{p2}, {a3}/{p3}");

    // Round 2's log cut anywhere recovers a prefix of the operations: each
    // operation whole or not at all, later cuts never fewer.
    let wal = std::fs::read(wal_path(&snap)).expect("round 2 log");
    let len = wal.len() as u64;
    let h = LOG_HEADER;
    let mut cuts: Vec<u64> = (0..=10).map(|k| h + (len - h) * k / 10).collect();
    cuts.extend([len - 1, len.saturating_sub(7), h + 1, h + 15]);
    cuts.sort_unstable();
    cuts.dedup();
    let mut prev = 0;
    for (n, cut) in cuts
        .into_iter()
        .filter(|&c| (h..=len).contains(&c))
        .enumerate()
    {
        let t = tmp.join(format!("cut{n}"));
        copy_dir(&snap, &t);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(wal_path(&t))
            .unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let db = Database::open(&t).unwrap_or_else(|e| panic!("log cut at {cut}/{len}: open: {e}"));
        let state = dump(&db.collection(NAME).unwrap());
        // The log may hold round 1's records too (they are in the log until
        // the optimizer seals them): a cut can go back past round 1.
        let first = prev;
        let mut model = model_after(first);
        let mut found = None;
        for j in first..=a2 + 1 {
            if same_state(&state, &model) {
                found = Some(j);
                break;
            }
            apply(&mut model, &op(j));
        }
        eprintln!("log cut at {cut}/{len}: {found:?} ops");
        let j = found.unwrap_or_else(|| panic!("log cut at {cut}/{len}: the state is not the result of a prefix of the operations ({} points)", state.len()));
        assert!(
            j >= prev,
            "log cut at {cut}/{len} recovers {j} ops, a shorter cut recovered {prev}"
        );
        prev = j;
        drop(db);
        let _ = std::fs::remove_dir_all(&t);
    }
    assert!(
        prev >= a2,
        "the whole round-2 log recovers every acknowledged op ({prev} < {a2})"
    );
}

#[test]
fn torn_wal_tail_after_close_is_cut_off() {
    let tmp = TempDir::new("crash-torn");
    let db = Database::open(tmp.path()).unwrap();
    let c = db.create_collection(NAME, config()).unwrap();
    let mut rng = Rng::new(3);
    let pts: Vec<Point> = (0..200).map(|i| point(0, i, &mut rng)).collect();
    c.upsert(&pts).unwrap();
    c.delete(&[1, 2, 3]).unwrap();
    let mut want = dump(&c);
    drop(c);
    db.close().unwrap();

    let tails: Vec<Vec<u8>> = vec![
        vec![7],
        vec![0xff; 15],
        garbage(2, 1000),
        // A record header claiming a huge body.
        vec![
            0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3,
        ],
        // A complete-looking record whose checksum is wrong.
        {
            let mut r = vec![4, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
            r.extend(u64::MAX.to_le_bytes());
            r.extend([1, 2, 3, 4]);
            r
        },
    ];
    for (n, tail) in tails.iter().enumerate() {
        append(&wal_path(tmp.path()), tail);
        let db = Database::open(tmp.path()).unwrap_or_else(|e| panic!("tail {n}: open: {e}"));
        let c = db.collection(NAME).unwrap();
        assert_same_points(&dump(&c), &want, &format!("tail {n}"));
        // Writing after the recovery works and survives a reopen.
        let p = point(1, 1000 + n as u64, &mut rng);
        c.upsert(std::slice::from_ref(&p)).unwrap();
        want.insert(p.id, p);
        drop(c);
        drop(db);
        let db = Database::open(tmp.path()).unwrap();
        assert_same_points(
            &dump(&db.collection(NAME).unwrap()),
            &want,
            &format!("tail {n}, after a write"),
        );
    }
}

/// What a case expects of a damaged collection (see DESIGN.md, "Failure
/// semantics").
#[derive(Clone, Debug)]
enum Expect {
    /// A primary file damaged in a checked place: opening fails with
    /// Corrupt or IncompatibleFormat, and the message contains the string
    /// (the damaged file's name) when one is given.
    Error(Option<String>),
    /// Bulk data the open does not check: the open succeeds (or fails with
    /// Corrupt naming the file), and `verify()` fails with Corrupt naming
    /// the file and `offset <n>`.
    Verify(String, usize),
    /// A derived file (graph): the open succeeds with all the data, the
    /// rebuild is in `stats().rebuilt_on_open`, and the next open finds
    /// the rebuilt graph saved.
    Rebuilt,
    /// A torn log tail: the open succeeds with the state after the first
    /// `k` step-3 operations.
    State(usize),
    /// A log cut at a record boundary (indistinguishable from a crash
    /// before the fsync): Corrupt, or the state after some prefix of the
    /// step-3 operations.
    PrefixOrError,
    /// Not damage at all: the open succeeds with all the data.
    Intact,
}

type Mutate = Box<dyn Fn(&mut Vec<u8>)>;
/// Adds a case: (file, what, mutation or `None` to remove it, expectation).
type AddCase<'a> = dyn FnMut(&str, &str, Option<Mutate>, Expect) + 'a;

/// Every regular file under `dir`, by relative path.
fn snapshot_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Opens a damaged copy and judges the outcome against `expect`; `None` when
/// it meets it.
fn judge(dir: &Path, expect: &Expect, built: &crate::common::segmented::Built) -> Option<String> {
    use crate::common::segmented::{cdir, open};
    let cd = cdir(dir, NAME);
    let before = snapshot_files(&cd);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> Option<String> {
        let db = open(dir).expect("the database opens");
        let c = match db.collection(NAME) {
            Err(e) => {
                let damage = matches!(e, Error::Corrupt(_) | Error::IncompatibleFormat(_));
                let msg = e.to_string();
                let ok = match expect {
                    Expect::Error(names) => {
                        damage && names.as_ref().is_none_or(|n| msg.contains(n.as_str()))
                    }
                    // The open may check some of the data (payload offsets).
                    Expect::Verify(names, _) => damage && msg.contains(names.as_str()),
                    Expect::PrefixOrError => damage,
                    _ => false,
                };
                if !ok {
                    return Some(format!("open failed with {}: {e}", kind(&e)));
                }
                let after = snapshot_files(&cd);
                if after != before {
                    return Some(format!(
                        "the failed open changed the files: {:?} -> {:?}",
                        before.keys().collect::<Vec<_>>(),
                        after.keys().collect::<Vec<_>>()
                    ));
                }
                return None;
            }
            Ok(c) => c,
        };
        let state = match crate::common::segmented::try_dump(&c) {
            Ok(s) => s,
            // Damaged payload bytes found by a read: fine where the
            // damage is bulk data that verify() must find too.
            Err(Error::Corrupt(m)) if matches!(expect, Expect::Verify(..)) => {
                return match c.verify() {
                    Err(Error::Corrupt(v)) if matches!(expect, Expect::Verify(n, _) if v.contains(n.as_str())) => {
                        None
                    }
                    other => Some(format!("a read failed ({m}), and verify says {other:?}")),
                };
            }
            Err(e) => return Some(format!("reading every point failed: {e}")),
        };
        for p in state.values().step_by(state.len() / 20 + 1) {
            for exact in [false, true] {
                if let Err(e) = c.search(&p.vector, &SearchParams::new(5).exact(exact)) {
                    return Some(format!("search (exact {exact}) failed: {e}"));
                }
            }
        }
        let stats = c.stats().expect("stats");
        let verified = c.verify();
        match expect {
            Expect::Error(_) => Some(format!(
                "opened without an error (data intact: {}, verify: {verified:?})",
                same_state(&state, &built.want)
            )),
            Expect::Verify(names, offset) => match verified {
                Err(Error::Corrupt(m))
                    if m.contains(names.as_str()) && m.contains(&format!("offset {offset}")) =>
                {
                    None
                }
                other => Some(format!(
                    "verify: want Corrupt naming {names} and offset {offset}, got {other:?}"
                )),
            },
            Expect::Rebuilt => {
                if !same_state(&state, &built.want) {
                    return Some("opened, but the data differs".into());
                }
                if !stats.rebuilt_on_open.iter().any(|r| r.contains("graph")) {
                    return Some(format!(
                        "opened intact but the rebuild is not reported: {:?}",
                        stats.rebuilt_on_open
                    ));
                }
                if let Err(e) = verified {
                    return Some(format!("verify after the rebuild: {e}"));
                }
                drop(c);
                drop(db);
                let db = open(dir).expect("reopen");
                let c = db.collection(NAME).expect("reopen after the rebuild");
                let again = c.stats().unwrap().rebuilt_on_open;
                if !again.is_empty() {
                    return Some(format!("the rebuilt graph was not saved: {again:?}"));
                }
                (!same_state(&dump(&c), &built.want)).then(|| "reopen: data differs".into())
            }
            Expect::State(k) => {
                let got = built.prefixes.iter().position(|p| same_state(&state, p));
                (got != Some(*k))
                    .then(|| format!("opened with the state of step-3 prefix {got:?}, want {k}"))
            }
            Expect::PrefixOrError => (!built.prefixes.iter().any(|p| same_state(&state, p)))
                .then(|| "opened with a state that no prefix of the operations gives".into()),
            Expect::Intact => (!same_state(&state, &built.want))
                .then(|| format!("opened, but the data differs (verify: {verified:?})")),
        }
    }));
    match outcome {
        Err(p) => Some(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Ok(v) => v,
    }
}

/// Every kind of file of a segmented collection (config, manifest, logs,
/// ids, vectors, payloads, graph, deleted set) damaged in many ways: a
/// primary file's damage fails the open with Corrupt or IncompatibleFormat
/// naming it (and leaves the files as they were), bulk data damage is
/// found by `verify()`, a damaged graph is rebuilt, a torn log tail is cut.
/// Never a panic.
#[test]
fn damaged_files_are_reported_not_followed() {
    use crate::common::segmented::{
        self as sg, edit_header, log_records, set_u64, u64_at, SEALED_DATA,
    };
    let tmp = TempDir::new("crash-corrupt");
    let shared = sg::shared();
    assert_eq!(sg::SHARED_NAME, NAME);
    let (base, built) = (&shared.dir, &shared.built);
    let cd = sg::cdir(base, NAME);
    let f = sg::files(&cd);
    let read = |rel: &str| std::fs::read(cd.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let size = |rel: &str| read(rel).len();
    let err = |rel: &str| Expect::Error(Some(rel.to_string()));

    let flip = |at: usize| -> Mutate { Box::new(move |b: &mut Vec<u8>| b[at] ^= 0x5a) };
    let truncate = |to: usize| -> Mutate { Box::new(move |b: &mut Vec<u8>| b.truncate(to)) };
    let replace = |with: Vec<u8>| -> Mutate { Box::new(move |b: &mut Vec<u8>| *b = with.clone()) };
    let random = |seed: u64| -> Mutate {
        Box::new(move |b: &mut Vec<u8>| {
            let mut r = Rng::new(seed);
            b.iter_mut().for_each(|x| *x = r.next_u64() as u8);
        })
    };
    let png = || -> Mutate {
        Box::new(|b: &mut Vec<u8>| {
            let n = b.len().max(64);
            *b = b"\x89PNG\r\n\x1a\n".to_vec();
            b.resize(n, 0);
        })
    };

    // (file, what, mutation, expectation); `None` for the mutation: remove it.
    let mut cases: Vec<(String, String, Option<Mutate>, Expect)> = Vec::new();
    let mut add = |file: &str, what: &str, m: Option<Mutate>, e: Expect| {
        cases.push((file.to_string(), what.to_string(), m, e))
    };

    // Header, identity, size and framing damage common to every sealed file.
    let sealed_header = |file: &str, e: &dyn Fn() -> Expect, add: &mut AddCase| {
        let n = size(file);
        let len = u64_at(&read(file), 40);
        add(file, "magic", Some(flip(0)), e());
        add(file, "magic last byte", Some(flip(7)), e());
        add(
            file,
            "version",
            Some(Box::new(|b: &mut Vec<u8>| {
                b[8..12].copy_from_slice(&2u32.to_le_bytes())
            })),
            e(),
        );
        add(
            file,
            "version, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                edit_header(b, |h| h[8..12].copy_from_slice(&9u32.to_le_bytes()))
            })),
            e(),
        );
        for at in [12, 17, 25, 33, 41, 49, 56, 61] {
            add(file, &format!("header byte {at}"), Some(flip(at)), e());
        }
        add(
            file,
            "kind, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let k = u32::from_le_bytes(b[12..16].try_into().unwrap());
                edit_header(b, |h| h[12..16].copy_from_slice(&(k % 6 + 1).to_le_bytes()))
            })),
            e(),
        );
        add(
            file,
            "owner, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let v = u64_at(b, 16);
                set_u64(b, 16, v ^ 1)
            })),
            e(),
        );
        add(
            file,
            "segment, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let v = u64_at(b, 24);
                set_u64(b, 24, v + 1)
            })),
            e(),
        );
        add(
            file,
            "generation, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let v = u64_at(b, 32);
                set_u64(b, 32, v + 1)
            })),
            e(),
        );
        add(
            file,
            "data length - 1, checksum fixed",
            Some(Box::new(move |b: &mut Vec<u8>| set_u64(b, 40, len - 1))),
            e(),
        );
        add(
            file,
            "data length + 4096, checksum fixed",
            Some(Box::new(move |b: &mut Vec<u8>| set_u64(b, 40, len + 4096))),
            e(),
        );
        add(
            file,
            "block size, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                edit_header(b, |h| h[48..52].copy_from_slice(&4096u32.to_le_bytes()))
            })),
            e(),
        );
        add(file, "foreign file", Some(png()), e());
        add(file, "random bytes", Some(random(n as u64)), e());
        add(file, "empty", Some(truncate(0)), e());
        add(file, "header cut", Some(truncate(10)), e());
        add(file, "header only", Some(truncate(SEALED_DATA)), e());
        add(file, "cut in half", Some(truncate(n / 2)), e());
        add(file, "cut last byte", Some(truncate(n - 1)), e());
        add(
            file,
            "extra byte",
            Some(Box::new(|b: &mut Vec<u8>| b.push(0))),
            e(),
        );
        add(file, "end marker", Some(flip(n - 3)), e());
        add(file, "block table", Some(flip(n - 13)), e());
    };
    let ids_a = format!("{}/ids.qv", f.seg_a);
    let ids_b = format!("{}/ids.qv", f.seg_b);
    let vec_a = format!("{}/vectors.qv", f.seg_a);
    let pay_a = format!("{}/payloads.qv", f.seg_a);
    let vec_b = format!("{}/vectors.qv", f.seg_b);
    let graph_a = format!("{}/graph.qv", f.seg_a);
    let graph_b = format!("{}/graph.qv", f.seg_b);
    // Primary sealed files checked whole on open: every damage fails it.
    for file in [&f.manifest, &ids_a, &ids_b, &f.deleted] {
        sealed_header(file, &|| err(file), &mut add);
        let n = size(file);
        for at in [SEALED_DATA, SEALED_DATA + 5, (SEALED_DATA + n) / 2, n - 17] {
            add(
                file,
                &format!("data byte {at}/{n}"),
                Some(flip(at)),
                err(file),
            );
        }
    }
    // Bulk data, checked block by block by verify().
    for file in [&vec_a, &pay_a, &vec_b] {
        sealed_header(file, &|| err(file), &mut add);
        let data_end = SEALED_DATA + u64_at(&read(file), 40) as usize;
        for at in [SEALED_DATA + 3, SEALED_DATA + 70_001, data_end - 1] {
            if at < data_end {
                let block = SEALED_DATA + (at - SEALED_DATA) / 65536 * 65536;
                add(
                    file,
                    &format!("data byte {at}"),
                    Some(flip(at)),
                    Expect::Verify(file.clone(), block),
                );
            }
        }
    }
    // Missing primary files and directories.
    add(
        &f.manifest,
        "missing",
        None,
        Expect::Error(Some("manifest-".into())),
    );
    for file in [&ids_a, &ids_b, &f.deleted, &vec_a, &pay_a, &vec_b] {
        add(file, "missing", None, err(file));
    }
    add(&graph_a, "missing", None, Expect::Rebuilt);
    add(&f.seg_b, "segment directory missing", None, err(&f.seg_b));
    add(&graph_b, "missing", None, Expect::Rebuilt);

    // Files of another kind or segment in the place of a primary file.
    add(
        &ids_a,
        "the payloads file",
        Some(replace(read(&pay_a))),
        err(&ids_a),
    );
    add(
        &ids_a,
        "segment B's ids",
        Some(replace(read(&ids_b))),
        err(&ids_a),
    );
    add(
        &vec_a,
        "segment B's vectors",
        Some(replace(read(&vec_b))),
        err(&vec_a),
    );
    add(
        &pay_a,
        "the vectors file",
        Some(replace(read(&vec_a))),
        err(&pay_a),
    );
    add(
        &f.deleted,
        "the manifest",
        Some(replace(read(&f.manifest))),
        err(&f.deleted),
    );
    add(
        &f.manifest,
        "a deleted set",
        Some(replace(read(&f.deleted))),
        err(&f.manifest),
    );

    // The derived graph: whatever happens to it, it is rebuilt.
    for file in [&graph_a, &graph_b] {
        sealed_header(file, &|| Expect::Rebuilt, &mut add);
        let n = size(file);
        for at in [SEALED_DATA, SEALED_DATA + 20, n / 2, n - 17] {
            add(
                file,
                &format!("data byte {at}/{n}"),
                Some(flip(at)),
                Expect::Rebuilt,
            );
        }
    }
    add(
        &graph_a,
        "segment B's graph",
        Some(replace(read(&graph_b))),
        Expect::Rebuilt,
    );

    // Log files: the current one (step 3's records) and an older one if the
    // optimizer has not dropped it.
    let last = f.logs.last().unwrap().clone();
    let logs: Vec<String> = f.logs.iter().rev().take(2).cloned().collect();
    for file in &logs {
        let e = || err(file);
        add(file, "magic", Some(flip(0)), e());
        add(
            file,
            "version",
            Some(Box::new(|b: &mut Vec<u8>| {
                b[8..12].copy_from_slice(&9u32.to_le_bytes())
            })),
            e(),
        );
        add(
            file,
            "version, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                edit_header(b, |h| h[8..12].copy_from_slice(&1u32.to_le_bytes()))
            })),
            e(),
        );
        for at in [17, 25, 40, 61] {
            add(file, &format!("header byte {at}"), Some(flip(at)), e());
        }
        add(
            file,
            "owner, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let v = u64_at(b, 16);
                set_u64(b, 16, v ^ 0x100)
            })),
            e(),
        );
        add(
            file,
            "file number, checksum fixed",
            Some(Box::new(|b: &mut Vec<u8>| {
                let v = u64_at(b, 24);
                set_u64(b, 24, v + 1)
            })),
            e(),
        );
        add(file, "foreign file", Some(png()), e());
        add(file, "empty", Some(truncate(0)), e());
        add(file, "header cut", Some(truncate(10)), e());
    }
    let recs = log_records(&read(&last));
    assert_eq!(recs.len(), 8, "one record per step-3 operation");
    for (i, &(start, end)) in recs.iter().enumerate().take(7) {
        // A durable record followed by durable records: corruption, with
        // the file and the record's offset in the message.
        for (what, at) in [
            ("length", start),
            ("checksum", start + 5),
            ("sequence", start + 9),
            ("body", (start + end) / 2),
            ("last byte", end - 1),
        ] {
            add(
                &last,
                &format!("record {i} {what}"),
                Some(flip(at)),
                Expect::Error(Some(format!("{last}: record at offset {start} "))),
            );
        }
    }
    let (start, end) = recs[7];
    for (what, at) in [
        ("length", start + 1),
        ("checksum", start + 6),
        ("body", (start + end) / 2),
        ("last byte", end - 1),
    ] {
        add(
            &last,
            &format!("last record {what}"),
            Some(flip(at)),
            Expect::State(7),
        );
    }
    add(
        &last,
        "last record cut",
        Some(truncate(end - 3)),
        Expect::State(7),
    );
    add(
        &last,
        "garbage after the last record",
        Some(Box::new(|b: &mut Vec<u8>| {
            b.extend([9u8, 0, 0, 0, 1, 2, 3])
        })),
        Expect::Intact,
    );
    add(
        &last,
        "cut after record 3",
        Some(truncate(recs[3].1)),
        Expect::PrefixOrError,
    );
    // An older log file exists while records in it are not sealed yet.
    if let Some(older) = f.logs.iter().rev().nth(1).cloned() {
        let orecs = log_records(&read(&older));
        for &(start, end) in &orecs {
            add(
                &older,
                &format!("record at {start}"),
                Some(flip((start + end) / 2)),
                err(&older),
            );
        }
        add(
            &older,
            "last record cut",
            Some(truncate(orecs.last().unwrap().1 - 1)),
            err(&older),
        );
        add(&older, "missing", None, Expect::Error(None));
    }

    // The configuration.
    let json_edit = |edit: fn(&mut serde_json::Value)| -> Mutate {
        Box::new(move |b: &mut Vec<u8>| {
            let mut v: serde_json::Value = serde_json::from_slice(b).expect("config is JSON");
            edit(&mut v);
            *b = serde_json::to_vec(&v).unwrap();
        })
    };
    let cfg = "collection.json";
    let e = || err(cfg);
    add(
        cfg,
        "not JSON",
        Some(replace(b"{\"magic\": ".to_vec())),
        e(),
    );
    add(cfg, "empty", Some(truncate(0)), e());
    add(
        cfg,
        "cut in half",
        Some(Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2))),
        e(),
    );
    add(cfg, "array", Some(replace(b"[]".to_vec())), e());
    add(cfg, "foreign file", Some(png()), e());
    add(
        cfg,
        "magic",
        Some(json_edit(|v| v["magic"] = json!("quiver-database"))),
        e(),
    );
    add(
        cfg,
        "version",
        Some(json_edit(|v| v["format_version"] = json!(1))),
        e(),
    );
    add(
        cfg,
        "dimension 0",
        Some(json_edit(|v| v["dimension"] = json!(0))),
        e(),
    );
    add(
        cfg,
        "metric",
        Some(json_edit(|v| v["metric"] = json!("manhattan"))),
        e(),
    );
    add(cfg, "kind", Some(json_edit(|v| v["kind"] = json!(7))), e());
    add(
        cfg,
        "id not hexadecimal",
        Some(json_edit(|v| v["id"] = json!("xyz"))),
        e(),
    );
    add(
        cfg,
        "id missing",
        Some(json_edit(|v| {
            v.as_object_mut().unwrap().remove("id");
        })),
        e(),
    );
    add(cfg, "missing", None, e());
    // Damage that only the other files can tell: refused, naming them.
    add(
        cfg,
        "dimension",
        Some(json_edit(|v| v["dimension"] = json!(9))),
        Expect::Error(None),
    );
    add(
        cfg,
        "another collection's id",
        Some(json_edit(|v| v["id"] = json!("0123456789abcdef"))),
        Expect::Error(Some(f.manifest.clone())),
    );

    // Foreign files beside the collection's own.
    let extra: Vec<(String, Vec<u8>, Expect)> = vec![
        ("notes.txt".into(), b"hello".to_vec(), Expect::Intact),
        (
            "manifest-99999999.qv".into(),
            read(&f.manifest),
            Expect::Error(Some("manifest-99999999.qv".into())),
        ),
        (
            "manifest-99999998.qv".into(),
            b"\x89PNG\r\n\x1a\n".to_vec(),
            Expect::Error(Some("manifest-99999998.qv".into())),
        ),
        ("log-99999999.qv".into(), read(&last), Expect::Error(None)),
    ];
    let mut failures = Vec::new();
    let total = cases.len() + extra.len();
    for (n, (file, what, mutate, expect)) in cases.iter().enumerate() {
        let t = tmp.join(format!("case{n}"));
        copy_dir(base, &t);
        let path = sg::cdir(&t, NAME).join(file);
        match mutate {
            Some(m) => {
                let mut bytes = std::fs::read(&path).unwrap();
                m(&mut bytes);
                std::fs::write(&path, &bytes).unwrap();
            }
            None if path.is_dir() => std::fs::remove_dir_all(&path).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        if let Some(v) = judge(&t, expect, built) {
            failures.push(format!("{file} ({what}): {v}"));
        }
        let _ = std::fs::remove_dir_all(&t);
    }
    for (n, (file, bytes, expect)) in extra.iter().enumerate() {
        let t = tmp.join(format!("extra{n}"));
        copy_dir(base, &t);
        std::fs::write(sg::cdir(&t, NAME).join(file), bytes).unwrap();
        if let Some(v) = judge(&t, expect, built) {
            failures.push(format!("extra file {file}: {v}"));
        }
        let _ = std::fs::remove_dir_all(&t);
    }
    // The undamaged copy opens (the cases above fail for their damage only).
    let t = tmp.join("undamaged");
    copy_dir(base, &t);
    assert_eq!(
        judge(&t, &Expect::Intact, built),
        None,
        "undamaged collection"
    );
    eprintln!("{total} damaged collections checked");
    assert!(
        failures.is_empty(),
        "{} of {total} damaged collections were not handled as DESIGN.md says:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
