//! `quiver-bench torture`: the long kill -9 torture (the test suite runs a
//! short one; the machinery is `tests/common/torture.rs`). Its writer child
//! is this binary, run as the hidden `torture-child` command.

use crate::common::{positive, BoxError};
use crate::torture;
use std::path::{Path, PathBuf};

/// Removes the temporary database directory when dropped (also on errors).
struct TempDir(Option<PathBuf>);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if let Err(e) = std::fs::remove_dir_all(&p) {
                eprintln!("quiver-bench: could not remove {}: {e}", p.display());
            }
        }
    }
}

pub const TORTURE_USAGE: &str = "\
usage: quiver-bench torture [options]

The long kill -9 torture. A writer child (this binary) applies random upserts
(batches of 1..500 points, ids from a range of 1000, payloads of 0..2000
bytes, named sparse vectors), deletes, bad batches, payload and sparse vector
updates, edge batches (some that must fail) and edge removals,
optimize/checkpoint/wait_optimized calls and close/reopen cycles to one
collection and reports each call; the parent SIGKILLs it at random moments
(also during open and recovery, and late enough for the optimizer to be at
work), reopens the database and checks every acknowledged write, that no
failed write shows, count, search, sparse search, edges, traversals and
verify().
One line per kill on stderr, with the open time after the kill (mean and max
so far); at the end one line on stdout:
  torture kills=1000 ops=... acked=... failed=... open_ms_mean=3.21 open_ms_max=17.80 ...
The first violation stops the run (exit status 1) and names the seed and
kill number.

options:
  --kills N      kill points [default: 1000]
  --seed S       seed of the operations and kill moments [default: from the clock]
  --max-late MS  longest delay of the late kills, in ms [default: 1000]
  --fresh-every N  start over in a fresh database every N kills, 0 = never
                 (the old engine's search slows down with all ever written)
                 [default: 200]
  --kill-creation  let kills land in the creation of a fresh database too
  --parallel-inserts  graph inserts on all cores, tolerating up to 5% points
                 a graph search misses (by default the child and the
                 parent's recovery insert on one thread and every point
                 must be found: parallel inserts leave some unreachable)
  --dir DIR      database directory (missing or empty), kept afterwards
                 [default: a temporary directory, removed at the end]
  -h, --help     this message";

pub struct TortureArgs {
    kills: u64,
    seed: u64,
    max_late_ms: u64,
    fresh_every: u64,
    kill_creation: bool,
    parallel_inserts: bool,
    dir: Option<PathBuf>,
}

pub fn parse_torture(args: &[String]) -> Result<Option<TortureArgs>, String> {
    let mut a = TortureArgs {
        kills: 1000,
        seed: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            % 1_000_000_007,
        max_late_ms: 1000,
        fresh_every: 200,
        kill_creation: false,
        parallel_inserts: false,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        if arg == "--kill-creation" {
            a.kill_creation = true;
            continue;
        }
        if arg == "--parallel-inserts" {
            a.parallel_inserts = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value")),
            }
        };
        let number = |s: String| -> Result<u64, String> {
            s.parse::<u64>()
                .map_err(|_| format!("{name}: '{s}' is not a non-negative integer"))
        };
        match name {
            "--kills" => a.kills = positive(name, &value()?)? as u64,
            "--seed" => a.seed = number(value()?)?,
            "--fresh-every" => a.fresh_every = number(value()?)?,
            "--max-late" => a.max_late_ms = positive(name, &value()?)? as u64,
            "--dir" => a.dir = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown option '{arg}'")),
        }
    }
    Ok(Some(a))
}

pub fn run_torture(a: &TortureArgs) -> Result<(), BoxError> {
    let (root, mut cleanup) = match &a.dir {
        Some(d) => {
            if std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_some()) {
                return Err(format!("{} is not empty", d.display()).into());
            }
            (d.clone(), TempDir(None))
        }
        None => {
            let d = std::env::temp_dir().join(format!("quiver-torture-{}", std::process::id()));
            (d.clone(), TempDir(Some(d)))
        }
    };
    eprintln!(
        "torture: seed {}, {} kills, in {}{}",
        a.seed,
        a.kills,
        root.display(),
        if torture::legacy_engine() {
            " (contract shim: payloads compared as JSON values, not bytes)"
        } else {
            ""
        }
    );
    let cfg = torture::Config {
        dir: root.join("db"),
        probe_dir: root.join("probe"),
        kills: a.kills,
        seed: a.seed,
        max_late: std::time::Duration::from_millis(a.max_late_ms),
        fresh_every: a.fresh_every,
        kill_during_creation: a.kill_creation,
        serial_inserts: !a.parallel_inserts,
        child: Box::new(|dir: &Path, seed: u64, start: u64| {
            // This very binary, even when a build replaced the file meanwhile.
            let mut c = std::process::Command::new("/proc/self/exe");
            c.arg("torture-child").arg("--dir").arg(dir).args([
                "--seed",
                &seed.to_string(),
                "--start",
                &start.to_string(),
            ]);
            c
        }),
    };
    let run = torture::run(&cfg, |k, r| {
        let (mean, max) = r.open_ms();
        let applied = match k.in_flight_applied {
            Some(true) => " (applied)",
            Some(false) => " (not applied)",
            None => "",
        };
        eprintln!(
            "kill {}/{} {} at {}{applied}: open {:.2} ms (mean {mean:.2}, max {max:.2}), {} points, {} acked, {:.1} MB, child {} ms, check {} ms{}",
            k.n + 1,
            a.kills,
            k.plan,
            k.at,
            k.open.as_secs_f64() * 1e3,
            k.points,
            k.acked,
            k.disk_bytes as f64 / 1e6,
            k.child_time.as_millis(),
            k.check_time.as_millis(),
            if k.on_copy { ", checked on a copy" } else { "" }
        );
    });
    let report = match run {
        Ok(r) => r,
        Err(e) => {
            // Keep the evidence.
            if let Some(p) = cleanup.0.take() {
                eprintln!("database kept in {}", p.display());
            }
            return Err(e.into());
        }
    };
    println!("{}", report.summary());
    if a.dir.is_some() {
        eprintln!("database kept in {}", root.display());
    }
    Ok(())
}

/// The torture's writer child: `torture-child --dir D --seed S --start N`.
pub fn torture_child(args: &[String]) -> i32 {
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let (Some(dir), Some(seed), Some(start)) = (
        get("--dir"),
        get("--seed").and_then(|s| s.parse().ok()),
        get("--start").and_then(|s| s.parse().ok()),
    ) else {
        eprintln!("usage: quiver-bench torture-child --dir DIR --seed S --start N");
        return 2;
    };
    torture::child_main(Path::new(dir), seed, start)
}
