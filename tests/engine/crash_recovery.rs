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
    assert_same_points, collection_dir, copy_dir, dump, graph_file_name, kind, same_point, Rng,
    TempDir,
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

/// What a case expects of a damaged database.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Opening it must fail with Corrupt or IncompatibleFormat.
    Error,
    /// Damage the engine may not detect (no checksum over bulk data): any
    /// outcome but a panic or an error of another kind.
    NoPanic,
    /// A missing file: an error (Corrupt, IncompatibleFormat or Io), or all the data.
    ErrorOrIntact,
}

#[test]
fn damaged_files_are_reported_not_followed() {
    let tmp = TempDir::new("crash-corrupt");
    let base = tmp.join("base");
    let want = {
        let db = Database::open(&base).unwrap();
        let c = db.create_collection(NAME, config()).unwrap();
        let mut rng = Rng::new(4);
        let pts: Vec<Point> = (0..300).map(|i| point(0, i, &mut rng)).collect();
        c.upsert(&pts).unwrap();
        c.delete(&(0..300).step_by(13).collect::<Vec<_>>()).unwrap();
        c.upsert(&[point(1, 5, &mut rng)]).unwrap();
        let d = dump(&c);
        drop(c);
        db.close().unwrap();
        d
    };
    let cdir = collection_dir(&base, NAME);
    let graph = graph_file_name(&cdir);
    let graph = graph.as_str();
    let size = |f: &str| {
        std::fs::metadata(cdir.join(f))
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .len() as usize
    };

    type Mutate = Box<dyn Fn(&mut Vec<u8>)>;
    let flip = |at: usize| -> Mutate { Box::new(move |b: &mut Vec<u8>| b[at] ^= 0x5a) };
    let truncate = |to: usize| -> Mutate { Box::new(move |b: &mut Vec<u8>| b.truncate(to)) };
    let version =
        || -> Mutate { Box::new(|b: &mut Vec<u8>| b[8..12].copy_from_slice(&99u32.to_le_bytes())) };
    let foreign = || -> Mutate {
        Box::new(|b: &mut Vec<u8>| {
            let n = b.len().max(64);
            *b = b"\x89PNG\r\n\x1a\n".to_vec();
            b.resize(n, 0);
        })
    };
    let json_edit = |f: fn(&mut serde_json::Value)| -> Mutate {
        Box::new(move |b: &mut Vec<u8>| {
            let mut v: serde_json::Value = serde_json::from_slice(b).expect("manifest is JSON");
            f(&mut v);
            *b = serde_json::to_vec(&v).unwrap();
        })
    };

    let mut cases: Vec<(&str, String, Mutate, Expect)> = Vec::new();
    for f in [
        "vectors.bin",
        "ids.bin",
        "payloads.log",
        graph,
        "checkpoint.bin",
        "wal.log",
    ] {
        cases.push((f, "magic".into(), flip(0), Expect::Error));
        cases.push((f, "magic last byte".into(), flip(7), Expect::Error));
        cases.push((f, "version".into(), version(), Expect::Error));
        cases.push((f, "foreign file".into(), foreign(), Expect::Error));
        cases.push((f, "empty".into(), truncate(0), Expect::Error));
        cases.push((f, "header cut".into(), truncate(10), Expect::Error));
    }
    for f in ["vectors.bin", "ids.bin"] {
        cases.push((f, "slot size".into(), flip(16), Expect::Error));
        cases.push((f, "cut after header".into(), truncate(40), Expect::Error));
        cases.push((f, "data byte".into(), flip(64 + 5), Expect::NoPanic));
        cases.push((f, "data byte 2".into(), flip(size(f) / 2), Expect::NoPanic));
    }
    for f in [graph, "checkpoint.bin"] {
        let n = size(f);
        for at in [16, 20, 24, 28, 40, n / 3, n / 2, n - 5, n - 1] {
            cases.push((f, format!("byte {at}/{n}"), flip(at), Expect::Error));
        }
        cases.push((f, "cut in half".into(), truncate(n / 2), Expect::Error));
        cases.push((f, "cut last byte".into(), truncate(n - 1), Expect::Error));
        cases.push((
            f,
            "extra byte".into(),
            Box::new(|b: &mut Vec<u8>| b.push(0)),
            Expect::Error,
        ));
    }
    {
        let n = size("payloads.log");
        for at in [16, 18, 21, 24, 30, n / 2, n - 1] {
            cases.push((
                "payloads.log",
                format!("byte {at}/{n}"),
                flip(at),
                Expect::Error,
            ));
        }
        cases.push((
            "payloads.log",
            "cut in half".into(),
            truncate(n / 2),
            Expect::Error,
        ));
    }
    cases.push((
        "manifest.json",
        "not JSON".into(),
        Box::new(|b: &mut Vec<u8>| *b = b"{\"magic\": ".to_vec()),
        Expect::Error,
    ));
    cases.push(("manifest.json", "empty".into(), truncate(0), Expect::Error));
    cases.push((
        "manifest.json",
        "cut in half".into(),
        Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2)),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "array".into(),
        Box::new(|b: &mut Vec<u8>| *b = b"[]".to_vec()),
        Expect::Error,
    ));
    cases.push(("manifest.json", "foreign".into(), foreign(), Expect::Error));
    cases.push((
        "manifest.json",
        "magic".into(),
        json_edit(|v| v["magic"] = json!("something-else")),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "version".into(),
        json_edit(|v| v["format_version"] = json!(99)),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "dimension".into(),
        json_edit(|v| v["dimension"] = json!(9)),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "dimension 0".into(),
        json_edit(|v| v["dimension"] = json!(0)),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "metric".into(),
        json_edit(|v| v["metric"] = json!("manhattan")),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "hnsw.m".into(),
        json_edit(|v| v["hnsw"]["m"] = json!(9)),
        Expect::Error,
    ));
    cases.push((
        "manifest.json",
        "kind".into(),
        json_edit(|v| v["kind"] = json!(7)),
        Expect::Error,
    ));

    let mut failures = Vec::new();
    let mut run = |name: String, dir: &Path, expect: Expect| {
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> quiver::Result<bool> {
                let db = Database::open(dir)?;
                let c = db.collection(NAME)?;
                let state = dump(&c);
                for p in state.values().take(20) {
                    c.search(&p.vector, &SearchParams::new(5))?;
                    c.search(&p.vector, &SearchParams::new(5).exact(true))?;
                }
                let intact = same_state(&state, &want);
                drop(c);
                drop(db);
                Ok(intact)
            }));
        let verdict = match (&outcome, expect) {
            (Err(_), _) => Some("panicked".to_string()),
            (Ok(Err(Error::Corrupt(_) | Error::IncompatibleFormat(_))), _) => None,
            (Ok(Err(Error::Io { .. })), Expect::ErrorOrIntact) => None,
            (Ok(Err(e)), _) => Some(format!(
                "failed with {} (want Corrupt or IncompatibleFormat): {e}",
                kind(e)
            )),
            (Ok(Ok(_)), Expect::NoPanic) => None,
            (Ok(Ok(true)), Expect::ErrorOrIntact) => None,
            (Ok(Ok(intact)), _) => Some(format!("opened without an error (data intact: {intact})")),
        };
        if let Some(v) = verdict {
            failures.push(format!("{name}: {v}"));
        }
    };
    for (n, (file, what, mutate, expect)) in cases.iter().enumerate() {
        let t = tmp.join(format!("case{n}"));
        copy_dir(&base, &t);
        let path = collection_dir(&t, NAME).join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        mutate(&mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        run(format!("{file} ({what})"), &t, *expect);
        let _ = std::fs::remove_dir_all(&t);
    }
    for file in [
        "manifest.json",
        "vectors.bin",
        "ids.bin",
        "payloads.log",
        graph,
        "checkpoint.bin",
        "wal.log",
    ] {
        let t = tmp.join(format!("missing-{file}"));
        copy_dir(&base, &t);
        std::fs::remove_file(collection_dir(&t, NAME).join(file)).unwrap();
        run(format!("{file} (missing)"), &t, Expect::ErrorOrIntact);
        let _ = std::fs::remove_dir_all(&t);
    }
    // The undamaged copy opens (the cases above are not failing for another reason).
    let db = Database::open(&base).expect("the undamaged database opens");
    assert_same_points(
        &dump(&db.collection(NAME).unwrap()),
        &want,
        "undamaged database",
    );
    drop(db);
    assert!(
        failures.is_empty(),
        "{} of the damaged databases were not reported:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
